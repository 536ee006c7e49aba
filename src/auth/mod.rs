//! Authentication and sessions: the auth routes, the `AuthUser`/`AdminUser`
//! extractors, the session and refresh-token store, and login throttling.

pub mod dto;
pub mod extractors;
pub mod routes;
pub mod service;
pub mod store;
pub mod throttle;

pub use extractors::{AdminUser, AuthUser};
