//! One integration-test binary; modules by feature. Every test drives the real
//! server over HTTP on its own fresh database (see `helpers.rs`).

#[macro_use]
mod helpers;

mod config;
mod cors;
mod errors;
mod headers;
mod health;
mod openapi;
mod outage;
mod request_id;
mod web;
