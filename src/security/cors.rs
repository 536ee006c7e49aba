//! CORS: an exact allowlist of origins from configuration.
//!
//! Stops other websites from reading API responses in a visitor's browser.
//! No wildcard (refused in `config.rs`), no reflected origins, no credentials
//! (the JSON API ignores cookies), and only the methods and headers that exist.

use actix_cors::Cors;
use actix_web::http::{Method, header};

pub fn cors(allowed_origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-ratelimit-limit"),
            header::HeaderName::from_static("x-ratelimit-remaining"),
            header::HeaderName::from_static("x-ratelimit-after"),
        ])
        .max_age(600);
    for origin in allowed_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
