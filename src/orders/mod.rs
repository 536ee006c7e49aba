//! Orders: priced by the server from the catalogue, stock taken atomically,
//! always read through the owner (BOLA), with one state machine.

/// The selected columns, as a literal so that every query stays a `&'static str`
/// (sqlx refuses SQL built at run time unless it is audited).
macro_rules! order_columns {
    () => {
        "id, user_id, status, total_cents, currency, created_at, updated_at"
    };
}

pub mod dto;
pub mod lifecycle;
pub mod routes;
pub mod state;
pub mod store;
