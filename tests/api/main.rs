//! One integration-test binary; modules by feature. Every test drives the real
//! server over HTTP on its own fresh database (see `helpers.rs`).

#[macro_use]
mod helpers;

mod access;
mod admin;
mod audit_log;
mod auth;
mod cli;
mod concurrency;
mod config;
mod cors;
mod errors;
mod headers;
mod health;
mod housekeeping;
mod log_hygiene;
mod openapi;
mod orders;
mod outage;
mod pagination;
mod passwords;
mod products;
mod profiles;
mod rate_limits;
mod reauth;
mod request_id;
mod reserved_stock;
mod seed;
mod sessions;
mod slow_clients;
mod throttling;
mod tokens;
mod web;
