//! `ApiJson<T>`: the only way a handler receives a JSON body.
//!
//! It enforces the content type (415), the body limit (413, checked while
//! reading so a lying `Content-Length` cannot help), the body deadline (408),
//! and turns every serde
//! failure into a 400 that names the offending field — including unknown
//! fields, which request DTOs reject with `deny_unknown_fields` (the
//! mass-assignment allowlist). No serde or library message reaches the client.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// The configured body limits, stored as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    /// 413 beyond this many bytes.
    pub max_bytes: usize,
    /// 408 when the whole body has not arrived by then.
    pub read_timeout: Duration,
}

impl Default for BodyLimit {
    fn default() -> Self {
        Self {
            max_bytes: 65_536,
            read_timeout: Duration::from_secs(10),
        }
    }
}

/// Reads the whole body, at most `limits.max_bytes`, within `limits.read_timeout`.
///
/// Stops slow-body attacks: the server bounds the time to receive the head,
/// but without a deadline here a body trickled at a byte a second holds its
/// connection (and whatever the handler holds) for as long as the client likes.
pub async fn read_body(mut payload: Payload, limits: BodyLimit) -> Result<web::Bytes, ApiError> {
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| {
                ApiError::bad_request("The request body could not be read.", vec![])
            })?;
            if body.len() + chunk.len() > limits.max_bytes {
                return Err(ApiError::PayloadTooLarge {
                    limit: limits.max_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    tokio::time::timeout(limits.read_timeout, read)
        .await
        .map_err(|_| ApiError::RequestTimeout)?
}

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limits = req
            .app_data::<web::Data<BodyLimit>>()
            .map_or_else(BodyLimit::default, |limits| *limits.get_ref());
        let limit = limits.max_bytes;
        let is_json = matches!(req.mime_type(), Ok(Some(mime))
            if mime.type_() == mime::APPLICATION
                && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON)));
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            if declared_length.is_some_and(|len| len > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let body = read_body(payload, limits).await?;
            parse(&body).map(ApiJson)
        })
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // Every request body is an object. serde would also fill a struct from an
    // array (`[null, true]`), positionally; refuse that shape outright.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object.",
            vec![],
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_request("The request body is not valid JSON.", vec![]);
        }
        let field_error = describe(&path, &inner.to_string());
        ApiError::bad_request(
            format!("Field `{}`: {}.", field_error.field, field_error.message),
            vec![field_error],
        )
    })?;
    deserializer
        .end()
        .map_err(|_| ApiError::bad_request("The request body is not valid JSON.", vec![]))?;
    Ok(value)
}

/// Maps a serde message to our own wording. `path` is serde_path_to_error's
/// location ("." for the top level).
pub fn describe(path: &str, message: &str) -> FieldError {
    let quoted = message.split('`').nth(1).unwrap_or_default();
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_owned()
        } else if path.ends_with(name) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    if message.starts_with("unknown field") {
        FieldError::new(join(quoted), "unknown_field", "is not an accepted field")
    } else if message.starts_with("missing field") {
        FieldError::new(join(quoted), "missing_field", "is required")
    } else if message.starts_with("duplicate field") {
        FieldError::new(join(quoted), "duplicate_field", "appears more than once")
    } else if message.starts_with("invalid type") {
        FieldError::new(
            display_path(path),
            "invalid_type",
            "has the wrong JSON type",
        )
    } else {
        FieldError::new(
            display_path(path),
            "invalid_value",
            "has an unacceptable value",
        )
    }
}

fn display_path(path: &str) -> String {
    if path == "." || path.is_empty() {
        "body".into()
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        quantity: u8,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Order {
        items: Vec<Item>,
    }

    fn field_of(body: &str) -> (String, String) {
        match parse::<Order>(body.as_bytes()) {
            Err(ApiError::BadRequest { errors, .. }) => {
                (errors[0].field.clone(), errors[0].code.clone())
            }
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_named() {
        assert_eq!(
            field_of(r#"{"items": [], "role": "admin"}"#),
            ("role".into(), "unknown_field".into())
        );
        assert_eq!(
            field_of(r#"{"items": [{"quantity": 1, "price": 0}]}"#),
            ("items[0].price".into(), "unknown_field".into())
        );
    }

    #[test]
    fn type_and_range_errors_point_at_the_field() {
        assert_eq!(
            field_of(r#"{"items": [{"quantity": "1"}]}"#),
            ("items[0].quantity".into(), "invalid_type".into())
        );
        assert_eq!(
            field_of(r#"{"items": [{"quantity": 9999}]}"#),
            ("items[0].quantity".into(), "invalid_value".into())
        );
        assert_eq!(field_of("{}"), ("items".into(), "missing_field".into()));
    }

    #[test]
    fn only_objects_are_accepted() {
        assert!(parse::<Order>(br#"[[]]"#).is_err());
        assert!(parse::<Order>(b"null").is_err());
        assert!(parse::<Order>(br#"  {"items": []}"#).is_ok());
    }

    #[test]
    fn trailing_garbage_is_rejected() {
        assert!(parse::<Order>(br#"{"items": []} x"#).is_err());
    }
}
