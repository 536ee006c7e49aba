//! Rampart: a reference REST API server with every API security control built in.
//!
//! Start at `ARCHITECTURE.md` for the codemap; `startup.rs` wires everything together.
#![forbid(unsafe_code)]

pub mod admin;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod housekeeping;
pub mod http;
pub mod openapi;
pub mod orders;
pub mod products;
pub mod profiles;
pub mod security;
pub mod seed;
pub mod startup;
pub mod telemetry;
pub mod users;
pub mod web;
