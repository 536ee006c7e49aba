//! Profiles: the owner's view and edit (`/users/me/profile`) and the public
//! view of anyone's profile (`/users/{id}/profile`), which never shows the
//! phone or e-mail.

pub mod dto;
pub mod routes;
pub mod store;
