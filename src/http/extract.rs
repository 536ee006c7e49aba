//! Query-string and path-segment errors become 400 problems that name the
//! parameter (actix-web would otherwise answer 400/404 with a plain-text body).

use actix_web::error::{PathError, QueryPayloadError};
use actix_web::web;

use crate::error::ApiError;
use crate::http::json::describe;

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _req| {
        let message = match &error {
            QueryPayloadError::Deserialize(inner) => inner.to_string(),
            _ => String::new(),
        };
        let mut field = describe(".", &message);
        if field.field == "body" {
            field.field = "query".into();
        }
        ApiError::bad_request(
            format!("Query parameter `{}`: {}.", field.field, field.message),
            vec![field],
        )
        .into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _req| {
        let detail = match error {
            PathError::Deserialize(_) => "A path segment has an invalid value.",
            _ => "The path is invalid.",
        };
        ApiError::bad_request(detail, vec![]).into()
    })
}
