//! The security audit trail: every security event is logged (structured) and
//! stored in `audit_events`, with user id, client address, user agent and
//! request id. Details are ids and reasons only: never a password, token,
//! cookie or `Authorization` value.

pub mod store;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};
use uuid::Uuid;

use crate::db::Db;
use crate::http::RequestId;
use crate::security::client_ip::TrustedProxies;
use crate::telemetry::AUDIT_TARGET;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    UserRegistered,
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    TokenRefreshed,
    RefreshTokenReused,
    LoggedOut,
    LoggedOutAll,
    SessionRevoked,
    PasswordChanged,
    /// A wrong current password on password change or account deletion.
    ReauthFailed,
    AccountDeleted,
    AccessDenied,
    RateLimited,
    UserRoleChanged,
    UserDisabled,
    UserEnabled,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user_registered",
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::LoginThrottled => "login_throttled",
            Self::TokenRefreshed => "token_refreshed",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::LoggedOut => "logged_out",
            Self::LoggedOutAll => "logged_out_all",
            Self::SessionRevoked => "session_revoked",
            Self::PasswordChanged => "password_changed",
            Self::ReauthFailed => "reauth_failed",
            Self::AccountDeleted => "account_deleted",
            Self::AccessDenied => "access_denied",
            Self::RateLimited => "rate_limited",
            Self::UserRoleChanged => "user_role_changed",
            Self::UserDisabled => "user_disabled",
            Self::UserEnabled => "user_enabled",
        }
    }

    /// `high` events deserve a human's attention (likely theft or attack).
    pub fn severity(self) -> &'static str {
        match self {
            Self::RefreshTokenReused => "high",
            Self::LoginThrottled
            | Self::AccessDenied
            | Self::RateLimited
            | Self::LoginFailed
            | Self::ReauthFailed => "medium",
            _ => "info",
        }
    }
}

/// Who is asking: extracted from every request, never fails.
#[derive(Debug, Clone, Default)]
pub struct AuditContext {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl AuditContext {
    pub fn of(req: &HttpRequest) -> Self {
        let proxies = req
            .app_data::<web::Data<TrustedProxies>>()
            .map(|p| p.get_ref().clone())
            .unwrap_or_default();
        let ip = proxies
            .client_ip(req.peer_addr().map(|a| a.ip()), req.headers())
            .map(|ip| ip.to_string());
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect());
        Self {
            ip,
            user_agent,
            request_id: RequestId::of(req),
        }
    }
}

impl FromRequest for AuditContext {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// Writes audit events. Cheap to clone (shares the pool).
pub struct Audit {
    db: Db,
    /// Last stored `rate_limited` event per limiter bucket: a flood of 429s must
    /// not turn into a flood of database writes.
    rate_limited_seen: Mutex<HashMap<IpAddr, Instant>>,
}

const RATE_LIMITED_EVERY: Duration = Duration::from_secs(60);

impl Audit {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            rate_limited_seen: Mutex::new(HashMap::new()),
        }
    }

    /// Logs and stores one event. A storage failure is logged, not raised:
    /// the request it describes has already happened.
    pub async fn record(
        &self,
        ctx: &AuditContext,
        kind: AuditKind,
        user_id: Option<Uuid>,
        detail: serde_json::Value,
    ) {
        let severity = kind.severity();
        // Typed fields for log pipelines: a missing value is absent (never
        // `None` or `Some(…)` text); `detail` becomes an object in JSON logs.
        let logged_user = user_id.map(tracing::field::display);
        let (ip, user_agent, request_id) = (
            ctx.ip.as_deref(),
            ctx.user_agent.as_deref(),
            ctx.request_id.as_deref(),
        );
        if severity == "info" {
            tracing::info!(target: AUDIT_TARGET, kind = kind.as_str(), user_id = logged_user, ip, user_agent, request_id, %detail, "audit event");
        } else {
            tracing::warn!(target: AUDIT_TARGET, kind = kind.as_str(), severity, user_id = logged_user, ip, user_agent, request_id, %detail, "audit event");
        }
        let event = store::NewEvent {
            kind: kind.as_str(),
            severity,
            user_id,
            ip: ctx.ip.as_deref(),
            user_agent: ctx.user_agent.as_deref(),
            request_id: ctx.request_id.as_deref(),
            detail: &detail.to_string(),
        };
        if let Err(error) = store::insert(&self.db, event).await {
            tracing::error!(target: AUDIT_TARGET, error = %error, kind = kind.as_str(), "audit event not stored");
        }
    }

    /// Records a rate-limit hit at most once a minute per limiter bucket (an
    /// IPv6 /64, so rotating addresses inside it cannot flood the table).
    pub async fn record_rate_limited(&self, ctx: &AuditContext, path: &str) {
        let Some(ip) = ctx.ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok()) else {
            return;
        };
        let bucket = crate::security::client_ip::limit_key(ip);
        let first_in_window = {
            let Ok(mut seen) = self.rate_limited_seen.lock() else {
                return;
            };
            let now = Instant::now();
            if seen.len() > 10_000 {
                seen.retain(|_, at| now.duration_since(*at) < RATE_LIMITED_EVERY);
            }
            match seen.get(&bucket) {
                Some(at) if now.duration_since(*at) < RATE_LIMITED_EVERY => false,
                _ => {
                    seen.insert(bucket, now);
                    true
                }
            }
        };
        if first_in_window {
            self.record(
                ctx,
                AuditKind::RateLimited,
                None,
                serde_json::json!({ "path": path }),
            )
            .await;
        } else {
            tracing::debug!(target: AUDIT_TARGET, ip = %ip, "rate limited (already recorded this minute)");
        }
    }
}
