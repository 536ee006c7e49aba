//! The one error type. Every failure a handler, extractor or middleware can
//! produce becomes an RFC 9457 `application/problem+json` response here.
//!
//! 5xx bodies are deliberately opaque (a generic sentence and the request id);
//! the full cause chain goes to the log, which carries the same request id.
//! `instance` and `request_id` are filled in by `http::request_id` on the way out.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One rule broken by one input field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The JSON path of the field (`items[0].quantity`), or the query/path name.
    pub field: String,
    /// A stable machine-readable code (`unknown_field`, `too_short`, …).
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation-error", "title": "Unprocessable Content", "status": 422,
    "detail": "The request breaks 1 rule.", "instance": "/api/v1/auth/register",
    "request_id": "6f1c9a0e-5b1f-4d8e-9a57-0c8f3c7a9b21",
    "errors": [{"field": "password", "code": "too_short", "message": "must be at least 15 characters"}]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            request_id: None,
            errors: Vec::new(),
        }
    }

    /// A problem for a status produced outside [`ApiError`] (framework or
    /// middleware, e.g. the rate limiters' 429). Its `type` is the one
    /// [`ApiError`] uses for the same status, so a client can rely on `type`
    /// whoever answered; other statuses get `/problems/http-<code>`.
    pub fn for_status(status: StatusCode) -> Self {
        let detail = if status.is_server_error() {
            "An unexpected error occurred. Quote the request_id when reporting it."
        } else if status == StatusCode::TOO_MANY_REQUESTS {
            "Too many requests. Wait for the time given in Retry-After."
        } else {
            status.canonical_reason().unwrap_or("Error")
        };
        let slug = match status {
            StatusCode::BAD_REQUEST => "bad-request",
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
            StatusCode::CONFLICT => "conflict",
            StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
            StatusCode::TOO_MANY_REQUESTS => "too-many-requests",
            StatusCode::INTERNAL_SERVER_ERROR => "internal-error",
            StatusCode::SERVICE_UNAVAILABLE => "service-unavailable",
            _ => return Self::new(status, &format!("http-{}", status.as_u16()), detail),
        };
        Self::new(status, slug, detail)
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Serialises the problem as a response; the problem also rides along in the
    /// response extensions so the request-id middleware can complete it.
    pub fn into_response(self, mut builder: actix_web::HttpResponseBuilder) -> HttpResponse {
        let body = serde_json::to_string(&self).unwrap_or_else(|_| "{}".into());
        let mut response = builder
            .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
            .body(body);
        response.extensions_mut().insert(self);
        response
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: malformed syntax, wrong types, unknown fields, bad query/path values.
    #[error("bad request: {detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 422: well-formed input that breaks a rule.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 401. `invalid_token` is set when a bearer token was sent (RFC 6750).
    #[error("unauthorized: {detail}")]
    Unauthorized {
        detail: &'static str,
        invalid_token: bool,
    },
    /// 403: authenticated but not allowed.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<&'static str> },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 408: the request body did not arrive within the read deadline.
    #[error("request body timed out")]
    RequestTimeout,
    /// 429: throttled; retry after the given number of seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503: a dependency (the database) is unavailable; retry later.
    #[error("service unavailable")]
    Unavailable { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self::BadRequest {
            detail: detail.into(),
            errors,
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        match self {
            Self::BadRequest { detail, errors } => Problem {
                errors: errors.clone(),
                ..Problem::new(status, "bad-request", detail.clone())
            },
            Self::Validation(errors) => Problem {
                errors: errors.clone(),
                ..Problem::new(
                    status,
                    "validation-error",
                    format!("The request breaks {} rule(s).", errors.len()),
                )
            },
            Self::Unauthorized { detail, .. } => Problem::new(status, "unauthorized", *detail),
            Self::Forbidden(detail) => Problem::new(status, "forbidden", *detail),
            Self::NotFound => Problem::new(status, "not-found", "The resource does not exist."),
            Self::MethodNotAllowed { allow } => Problem::new(
                status,
                "method-not-allowed",
                format!("This resource supports {}.", allow.join(", ")),
            ),
            Self::Conflict(detail) => Problem::new(status, "conflict", detail.clone()),
            Self::PayloadTooLarge { limit } => Problem::new(
                status,
                "payload-too-large",
                format!("The request body exceeds {limit} bytes."),
            ),
            Self::UnsupportedMediaType => Problem::new(
                status,
                "unsupported-media-type",
                "Request bodies must be application/json.",
            ),
            Self::RequestTimeout => Problem::new(
                status,
                "request-timeout",
                "The request body did not arrive in time.",
            ),
            Self::TooManyRequests { .. } => Problem::new(
                status,
                "too-many-requests",
                "Too many attempts. Wait for the time given in Retry-After.",
            ),
            Self::Unavailable { .. } => Problem::new(
                status,
                "service-unavailable",
                "The service is temporarily unavailable. Retry later.",
            ),
            Self::Internal(_) => Problem::for_status(status),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        match self {
            Self::Internal(cause) => {
                // The client sees nothing of this; the log gets the whole chain.
                tracing::error!(error.chain = ?cause, "request failed");
            }
            Self::Unauthorized { invalid_token, .. } => {
                // RFC 6750: every 401 says how to authenticate.
                let challenge = if *invalid_token {
                    r#"Bearer realm="rampart", error="invalid_token""#
                } else {
                    r#"Bearer realm="rampart""#
                };
                builder.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            Self::TooManyRequests { retry_after_secs } => {
                builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::RequestTimeout => {
                // The rest of the body may still be trickling in: hang up.
                builder.force_close();
            }
            Self::Unavailable { retry_after_secs } => {
                tracing::warn!("dependency unavailable; answering 503");
                builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                    builder.insert_header((header::ALLOW, value));
                }
            }
            _ => {}
        }
        self.problem().into_response(builder)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            // The pool could not hand out a working connection in time: the
            // database is down or saturated. Fast 503, never a hang or a 500.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!(error = %error, "database unavailable");
                Self::Unavailable {
                    retry_after_secs: 5,
                }
            }
            // Another writer held the lock past the busy timeout (SQLite), or
            // a deadlock/lock timeout (PostgreSQL): a retry will do, so a 503
            // with `Retry-After`, never a 500.
            sqlx::Error::Database(db) if crate::db::is_contention(db.as_ref()) => {
                tracing::warn!(error = %error, "database busy");
                Self::Unavailable {
                    retry_after_secs: 1,
                }
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict("The resource already exists.".into())
            }
            _ => Self::Internal(anyhow::Error::new(error).context("database error")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_problem_type_is_about_blank() {
        for code in 400..=599 {
            let Ok(status) = StatusCode::from_u16(code) else {
                continue;
            };
            let problem = Problem::for_status(status);
            assert!(
                problem.kind.starts_with("/problems/"),
                "{code}: {}",
                problem.kind
            );
            assert_eq!(problem.status, code);
        }
        assert_eq!(
            Problem::for_status(StatusCode::IM_A_TEAPOT).kind,
            "/problems/http-418"
        );
    }

    #[test]
    fn middleware_problems_share_the_type_of_api_errors() {
        let errors = [
            ApiError::bad_request("x", Vec::new()),
            ApiError::Unauthorized {
                detail: "x",
                invalid_token: false,
            },
            ApiError::Forbidden("x"),
            ApiError::NotFound,
            ApiError::MethodNotAllowed { allow: vec!["GET"] },
            ApiError::Conflict("x".into()),
            ApiError::PayloadTooLarge { limit: 1 },
            ApiError::UnsupportedMediaType,
            ApiError::TooManyRequests {
                retry_after_secs: 1,
            },
            ApiError::Unavailable {
                retry_after_secs: 1,
            },
            ApiError::Internal(anyhow::anyhow!("x")),
        ];
        for error in errors {
            let status = error.status_code();
            assert_eq!(
                Problem::for_status(status).kind,
                error.problem().kind,
                "{status}"
            );
        }
        assert_eq!(
            Problem::for_status(StatusCode::TOO_MANY_REQUESTS).kind,
            "/problems/too-many-requests"
        );
    }
}
