//! Per-client rate limits (actix-governor): strict on the routes that take
//! credentials or create accounts, looser everywhere. Stops password spraying
//! from one address and resource exhaustion by a single client. 429 carries
//! `Retry-After` and `x-ratelimit-*`; `request_context` turns it into a
//! problem document. Every answer carries the `x-ratelimit-*` headers of the
//! limit that governs it: on credential routes the strict one (see
//! [`keep_auth_limit_headers`]).
//!
//! Each `GovernorConfig` is built once, outside the `HttpServer::new` closure,
//! and cloned into every worker: built inside, each worker would get its own
//! limiter and the effective limit would multiply by the worker count.

use std::net::IpAddr;
use std::time::Duration;

use actix_governor::governor::middleware::StateInformationMiddleware;
use actix_governor::{
    GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError,
};
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::config::RateLimitSettings;
use crate::security::client_ip::{TrustedProxies, limit_key};

/// Keys the limiter by the client address (see `client_ip.rs`), IPv6 by /64.
#[derive(Debug, Clone)]
pub struct ClientIpKey(pub TrustedProxies);

impl KeyExtractor for ClientIpKey {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        self.0.of_request(req).map(limit_key).ok_or_else(|| {
            SimpleKeyExtractionError::new("the client address is unknown")
                .set_status_code(StatusCode::BAD_REQUEST)
        })
    }
}

pub type RateLimit = GovernorConfig<ClientIpKey, StateInformationMiddleware>;

#[derive(Clone)]
pub struct RateLimits {
    pub auth: RateLimit,
    pub api: RateLimit,
}

impl RateLimits {
    pub fn new(settings: &RateLimitSettings) -> anyhow::Result<Self> {
        let key = ClientIpKey(TrustedProxies::new(settings.trusted_proxies.clone()));
        let per_request =
            |per: Duration, count: u64| per / u32::try_from(count).unwrap_or(u32::MAX);
        let auth = GovernorConfigBuilder::default()
            .key_extractor(key.clone())
            .period(per_request(
                Duration::from_secs(60),
                settings.auth_per_minute,
            ))
            .burst_size(settings.auth_burst)
            .use_headers()
            .finish()
            .ok_or_else(|| anyhow::anyhow!("invalid RATE_LIMIT_AUTH_* values"))?;
        let api = GovernorConfigBuilder::default()
            .key_extractor(key)
            .period(per_request(Duration::from_secs(1), settings.api_per_second))
            .burst_size(settings.api_burst)
            .use_headers()
            .finish()
            .ok_or_else(|| anyhow::anyhow!("invalid RATE_LIMIT_API_* values"))?;
        Ok(Self { auth, api })
    }
}

const LIMIT_HEADERS: [HeaderName; 3] = [
    HeaderName::from_static("x-ratelimit-limit"),
    HeaderName::from_static("x-ratelimit-remaining"),
    HeaderName::from_static("x-ratelimit-after"),
];

/// The strict limit's `x-ratelimit-*` headers, kept with the response.
#[derive(Clone)]
struct AuthLimitHeaders(Vec<(HeaderName, HeaderValue)>);

/// Wraps the strict auth limiter: keeps its headers with the response, because
/// the API limiter outside it overwrites them on the way out (a 429 saying 97
/// requests remain would tell a sprayer to keep going).
pub async fn keep_auth_limit_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(req).await?;
    let kept = LIMIT_HEADERS
        .iter()
        .filter_map(|name| Some((name.clone(), response.headers().get(name)?.clone())))
        .collect();
    response
        .response_mut()
        .extensions_mut()
        .insert(AuthLimitHeaders(kept));
    Ok(response)
}

/// Sits just outside the API limiter: on the credential routes both limits
/// apply, and the answer carries the headers of the tighter one.
pub async fn governing_limit_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(req).await?;
    let kept = response
        .response()
        .extensions()
        .get::<AuthLimitHeaders>()
        .cloned();
    if let Some(AuthLimitHeaders(kept)) = kept {
        // "The tighter one when both apply": the strict limit's headers win
        // unless the API limit has fewer requests left.
        let remaining =
            |value: &HeaderValue| value.to_str().ok().and_then(|v| v.parse::<u64>().ok());
        let auth_left = kept
            .iter()
            .find(|(name, _)| name.as_str() == "x-ratelimit-remaining")
            .and_then(|(_, value)| remaining(value));
        let api_left = response
            .headers()
            .get("x-ratelimit-remaining")
            .and_then(remaining);
        let auth_is_tighter = match (auth_left, api_left) {
            (Some(auth), Some(api)) => auth <= api,
            _ => true,
        };
        if auth_is_tighter {
            for (name, value) in kept {
                response.headers_mut().insert(name, value);
            }
        }
    }
    Ok(response)
}

/// Records 429s from the limiters in the audit trail (at most once a minute
/// per limiter bucket, see `Audit::record_rate_limited`).
pub async fn audit_rate_limited(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let response = next.call(req).await?;
    let limited = response.status() == StatusCode::TOO_MANY_REQUESTS
        && response.headers().contains_key("x-ratelimit-after");
    // Only a limited request pays for building the audit context.
    if limited
        && let Some(audit) = response
            .request()
            .app_data::<actix_web::web::Data<crate::audit::Audit>>()
    {
        let ctx = crate::audit::AuditContext::of(response.request());
        audit
            .record_rate_limited(&ctx, response.request().path())
            .await;
    }
    Ok(response)
}
