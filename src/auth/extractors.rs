//! Typed extractors say who may call: a handler that takes `AuthUser` is
//! authenticated, one that takes `AdminUser` is admin-only.
//!
//! `AuthUser` verifies the bearer token (see `security/tokens.rs`) and then
//! checks in the database that its session is still active and the account
//! enabled, so logout, revocation and disabling take effect at once. The
//! role comes from the database, never from the token.

use actix_web::body::MessageBody;
use actix_web::dev::Payload;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::{LocalBoxFuture, ready};
use serde_json::json;
use uuid::Uuid;

use super::store;
use crate::audit::{Audit, AuditContext, AuditKind};
use crate::db::Db;
use crate::error::ApiError;
use crate::security::tokens::TokenService;
use crate::users::domain::Role;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub role: Role,
}

fn missing() -> ApiError {
    ApiError::Unauthorized {
        detail: "This resource requires a bearer access token.",
        invalid_token: false,
    }
}

fn invalid() -> ApiError {
    ApiError::Unauthorized {
        detail: "The access token is invalid, expired or revoked.",
        invalid_token: true,
    }
}

/// The token from `Authorization: Bearer <token>`; `Err` when absent or malformed.
fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| invalid())?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => {
            Ok(token.trim())
        }
        _ => Err(invalid()),
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Everything that can be decided without I/O fails synchronously, so a
        // bad token is refused before any other extractor (e.g. the body) runs.
        let verified = (|| {
            let tokens = req
                .app_data::<web::Data<TokenService>>()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("TokenService missing")))?;
            let db = req
                .app_data::<web::Data<Db>>()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("Db missing")))?;
            let claims = tokens.verify(bearer(req)?).map_err(|_| invalid())?;
            Ok::<_, ApiError>((claims, db.get_ref().clone()))
        })();
        let (claims, db) = match verified {
            Ok(found) => found,
            Err(error) => return Box::pin(ready(Err(error))),
        };
        Box::pin(async move {
            let user = store::active_session_user(&db, claims.sid, claims.sub, crate::db::now())
                .await?
                .ok_or_else(invalid)?;
            Ok(AuthUser {
                user_id: user.user_id,
                session_id: claims.sid,
                role: Role::from_db(&user.role),
            })
        })
    }
}

/// An authenticated user whose *current* database role is `admin`.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Already established by `require_admin` for this request.
        if let Some(admin) = req.extensions().get::<AdminUser>().cloned() {
            return Box::pin(ready(Ok(admin)));
        }
        let user = AuthUser::from_request(req, payload);
        let ctx = AuditContext::of(req);
        let audit = req.app_data::<web::Data<Audit>>().cloned();
        let path = req.path().to_owned();
        Box::pin(async move {
            let user = user.await?;
            if user.role == Role::Admin {
                return Ok(AdminUser(user));
            }
            if let Some(audit) = audit {
                audit
                    .record(
                        &ctx,
                        AuditKind::AccessDenied,
                        Some(user.user_id),
                        json!({ "path": path }),
                    )
                    .await;
            }
            Err(ApiError::Forbidden(
                "This resource requires the admin role.",
            ))
        })
    }
}

/// Middleware for the admin scope: settles authentication and the role
/// *before* any other extractor runs, so a `user` gets 403 (and an anonymous
/// caller 401) on every admin route whatever the body, query or path.
pub async fn require_admin(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let admin = req.extract::<AdminUser>().await?;
    req.extensions_mut().insert(admin);
    next.call(req).await
}
