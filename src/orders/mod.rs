//! Orders: priced by the server from the catalogue, stock taken atomically,
//! always read through the owner (BOLA), with one state machine.

pub mod dto;
pub mod routes;
pub mod state;
pub mod store;
