//! Query-string and path-segment errors become 400 problems that name the
//! parameter (actix-web would otherwise answer 400/404 with a plain-text body).

use actix_web::dev::Payload;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::http::json::describe;

/// `ApiQuery<T>`: the query string as `T`; a bad value is a 400 that names
/// the parameter (`?limit=abc` → `limit`). Unknown parameters are ignored.
pub struct ApiQuery<T>(pub T);

impl<T> std::ops::Deref for ApiQuery<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        let deserializer = serde_urlencoded::Deserializer::new(pairs);
        ready(
            serde_path_to_error::deserialize(deserializer)
                .map(ApiQuery)
                .map_err(|error| {
                    let path = error.path().to_string();
                    let mut field = describe(&path, &error.inner().to_string());
                    if field.field == "body" {
                        field.field = "query".into();
                    }
                    ApiError::bad_request(
                        format!("Query parameter `{}`: {}.", field.field, field.message),
                        vec![field],
                    )
                }),
        )
    }
}

/// Fallback for any `web::Query` (all API handlers use [`ApiQuery`]).
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
