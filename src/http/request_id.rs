//! The outermost middleware: gives every request an id and completes every
//! error response as problem+json carrying that id.
//!
//! An incoming `x-request-id` is kept only when it is 1–64 characters of
//! `[A-Za-z0-9._-]`; anything else (log injection, oversized values) is
//! replaced by a fresh UUID.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse};

use crate::error::{PROBLEM_JSON, Problem};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, stored in the request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    pub fn of(req: &HttpRequest) -> Option<String> {
        req.extensions().get::<RequestId>().map(|id| id.0.clone())
    }
}

fn is_acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|value| is_acceptable(value))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let path = req.path().to_owned();
    map_response(next.call(req).await, |response| {
        let mut response = complete_problem(response, &path, &id);
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        response
    })
}

/// Applies `decorate` to the response, whether the inner service answered
/// with a response or with an error (which becomes its response here), so
/// that outer layers see and decorate every error too.
pub fn map_response<B: MessageBody + 'static>(
    result: Result<ServiceResponse<B>, Error>,
    decorate: impl FnOnce(HttpResponse) -> HttpResponse,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match result {
        Ok(response) => {
            let (req, response) = response.map_into_boxed_body().into_parts();
            Ok(ServiceResponse::new(req, decorate(response)))
        }
        Err(error) => {
            let response = decorate(error.error_response());
            Err(InternalError::from_response(error.to_string(), response).into())
        }
    }
}

/// Every error response leaves as problem+json with `instance` and `request_id`.
/// Responses from the framework or third-party middleware (CORS, rate limits)
/// that are not problems yet are converted, keeping their headers.
fn complete_problem(response: HttpResponse, path: &str, id: &str) -> HttpResponse {
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let existing = response.extensions().get::<Problem>().cloned();
    if !(status.is_client_error() || status.is_server_error()) || (existing.is_none() && is_html) {
        return response;
    }
    let mut problem = existing.unwrap_or_else(|| Problem::for_status(status));
    problem.instance = Some(path.to_owned());
    problem.request_id = Some(id.to_owned());

    let mut new = HttpResponse::build(status).finish();
    for (name, value) in response.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    new.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    let body = serde_json::to_string(&problem).unwrap_or_else(|_| "{}".into());
    new.set_body(body).map_into_boxed_body()
}

#[cfg(test)]
mod tests {
    use super::is_acceptable;

    #[test]
    fn request_ids_are_restricted() {
        assert!(is_acceptable("abc-123_X.y"));
        assert!(is_acceptable(&"a".repeat(64)));
        assert!(!is_acceptable(""));
        assert!(!is_acceptable(&"a".repeat(65)));
        assert!(!is_acceptable("a b"));
        assert!(!is_acceptable("a\nlevel=error"));
    }
}
