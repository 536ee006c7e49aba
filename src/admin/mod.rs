//! Admin: users, products, orders and the audit trail, across owners.
//! Every handler takes `AdminUser` (role re-read from the database; 401
//! anonymous, 403 for `user`). This is the only module that may read
//! user-owned rows without an owner (see `scope.rs`).

pub mod dto;
pub mod routes;
pub mod scope;
pub mod store;
