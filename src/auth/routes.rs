//! The HTTP face of authentication: handlers and their OpenAPI annotations.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use serde_json::json;
use uuid::Uuid;

use super::dto::{
    LoginRequest, PasswordChangeRequest, RefreshRequest, RegisterRequest, SessionDto, SessionList,
    TokenPair,
};
use super::service::AuthService;
use super::{AuthUser, store};
use crate::audit::{AuditContext, AuditKind};
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::openapi::problems::{
    BadRequest, Forbidden, TooLarge, TooManyRequests, Unauthorized, Unavailable,
    UnsupportedMediaType,
};
use crate::security::tokens::{Jwks, TokenService};
use crate::users::domain::Role;
use crate::users::dto::UserDto;

fn token_response(pair: TokenPair) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(pair)
}

/// Create an account.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = UserDto,
         headers(("location" = String, description = "/api/v1/users/me"))),
        BadRequest,
        (status = 409, description = "The e-mail is taken", body = Problem, content_type = "application/problem+json"),
        TooLarge,
        UnsupportedMediaType,
        (status = 422, description = "A rule is broken (e.g. the password policy)", body = Problem, content_type = "application/problem+json"),
        TooManyRequests,
    )
)]
#[post("/register")]
pub async fn register(
    auth: web::Data<AuthService>,
    ctx: AuditContext,
    body: ApiJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let user = auth
        .register(
            &ctx,
            &body.email,
            body.password,
            &body.display_name,
            Role::User,
        )
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, "/api/v1/users/me"))
        .json(UserDto::from(user)))
}

/// Log in with e-mail and password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Tokens issued", body = TokenPair),
        BadRequest,
        Unauthorized,
        TooManyRequests,
        Unavailable,
        TooLarge,
        UnsupportedMediaType,
    )
)]
#[post("/login")]
pub async fn login(
    auth: web::Data<AuthService>,
    ctx: AuditContext,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    Ok(token_response(
        auth.login(&ctx, &body.email, body.password).await?,
    ))
}

/// Exchange a refresh token for a new pair (the old token is spent).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "Rotated tokens", body = TokenPair),
        Unauthorized,
        TooManyRequests,
        BadRequest,
        TooLarge,
        UnsupportedMediaType,
    )
)]
#[post("/refresh")]
pub async fn refresh(
    auth: web::Data<AuthService>,
    ctx: AuditContext,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(token_response(
        auth.refresh(&ctx, body.0.refresh_token).await?,
    ))
}

/// End this session: its refresh token and access token stop working at once.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        Unauthorized,
    )
)]
#[post("/logout")]
pub async fn logout(
    user: AuthUser,
    auth: web::Data<AuthService>,
    ctx: AuditContext,
) -> Result<HttpResponse, ApiError> {
    store::revoke_session(&auth.db, user.user_id, user.session_id, crate::db::now()).await?;
    auth.audit
        .record(
            &ctx,
            AuditKind::LoggedOut,
            Some(user.user_id),
            json!({ "session_id": user.session_id }),
        )
        .await;
    Ok(HttpResponse::NoContent().finish())
}

/// End every session of the caller.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "All sessions ended"),
        Unauthorized,
    )
)]
#[post("/logout-all")]
pub async fn logout_all(
    user: AuthUser,
    auth: web::Data<AuthService>,
    ctx: AuditContext,
) -> Result<HttpResponse, ApiError> {
    let ended = store::revoke_all(&auth.db, user.user_id, crate::db::now()).await?;
    auth.audit
        .record(
            &ctx,
            AuditKind::LoggedOutAll,
            Some(user.user_id),
            json!({ "sessions": ended }),
        )
        .await;
    Ok(HttpResponse::NoContent().finish())
}

/// Change the password; every session ends.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = PasswordChangeRequest,
    responses(
        (status = 204, description = "Changed; all sessions ended"),
        Unauthorized,
        Forbidden,
        (status = 422, description = "The new password breaks the policy (checked before the current password)", body = Problem, content_type = "application/problem+json"),
        BadRequest,
        TooLarge,
        UnsupportedMediaType,
        TooManyRequests,
    )
)]
#[post("/password")]
pub async fn change_password(
    user: AuthUser,
    auth: web::Data<AuthService>,
    ctx: AuditContext,
    body: ApiJson<PasswordChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    auth.change_password(&ctx, user.user_id, body.current_password, body.new_password)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's active sessions.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Active sessions", body = SessionList),
        Unauthorized,
    )
)]
#[get("/sessions")]
pub async fn sessions(
    user: AuthUser,
    auth: web::Data<AuthService>,
) -> Result<HttpResponse, ApiError> {
    let rows = store::list_active(&auth.db, user.user_id, crate::db::now()).await?;
    let items = rows
        .into_iter()
        .map(|row| SessionDto {
            current: row.id == user.session_id,
            id: row.id,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            user_agent: row.user_agent,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SessionList { items }))
}

/// End one of the caller's sessions.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Session ended"),
        Unauthorized,
        (status = 404, description = "No such session of yours", body = Problem, content_type = "application/problem+json"),
        BadRequest,
    )
)]
#[delete("/sessions/{id}")]
pub async fn revoke_session(
    user: AuthUser,
    auth: web::Data<AuthService>,
    ctx: AuditContext,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    // BOLA: the owner is part of the UPDATE; a foreign id reads as missing.
    if !store::revoke_session(&auth.db, user.user_id, id, crate::db::now()).await? {
        return Err(ApiError::NotFound);
    }
    auth.audit
        .record(
            &ctx,
            AuditKind::SessionRevoked,
            Some(user.user_id),
            json!({ "session_id": id }),
        )
        .await;
    Ok(HttpResponse::NoContent().finish())
}

/// The public keys that verify access tokens.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "JSON Web Key Set", body = Jwks))
)]
#[get("/jwks.json")]
pub async fn jwks(tokens: web::Data<TokenService>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(tokens.jwks())
}
