//! Security headers on every response, errors included.
//!
//! - `X-Content-Type-Options: nosniff` stops MIME sniffing of API bodies into HTML;
//! - `X-Frame-Options: DENY` and `frame-ancestors 'none'` stop clickjacking;
//! - `Referrer-Policy: no-referrer` keeps URLs out of other sites' logs;
//! - `Content-Security-Policy` blocks injected scripts (no inline or eval script);
//! - `Cache-Control: no-store` on API responses keeps personal data and tokens
//!   out of shared caches (a handler may set a more permissive value);
//! - HSTS in production pins browsers to HTTPS.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

use crate::http::request_id::map_response;

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
const HTML_CSP: &str = "default-src 'self'; script-src 'self'; object-src 'none'; \
                        base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
/// Swagger UI renders with inline style attributes; scripts stay `'self'` only.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                        img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                        frame-ancestors 'none'; form-action 'self'";
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Whether HSTS is sent; stored as app data.
#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy {
    pub hsts: bool,
}

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let hsts = req
        .app_data::<web::Data<HeaderPolicy>>()
        .is_some_and(|policy| policy.hsts);
    let path = req.path().to_owned();
    map_response(next.call(req).await, |response| {
        decorate(response, &path, hsts)
    })
}

fn decorate(mut response: HttpResponse, path: &str, hsts: bool) -> HttpResponse {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let csp = match (is_html, path.starts_with("/docs")) {
        (true, true) => DOCS_CSP,
        (true, false) => HTML_CSP,
        (false, _) => API_CSP,
    };
    let headers = response.headers_mut();
    let set = |headers: &mut header::HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::CONTENT_SECURITY_POLICY, csp);
    if hsts {
        set(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    if !is_html && !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    headers.remove(header::SERVER);
    headers.remove(HeaderName::from_static("x-powered-by"));
    response
}
