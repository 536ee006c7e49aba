//! Accounts: the `Email` and `DisplayName` types, the user store, and the
//! `/api/v1/users/me` routes.

pub mod domain;
pub mod dto;
pub mod routes;
pub mod store;
