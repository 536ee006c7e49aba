use actix_web::{HttpResponse, delete, get, web};
use serde_json::json;

use super::dto::{DeleteAccountRequest, UserDto};
use super::store;
use crate::audit::{AuditContext, AuditKind};
use crate::auth::AuthUser;
use crate::auth::service::AuthService;
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::openapi::problems::{
    BadRequest, Forbidden, TooLarge, TooManyRequests, Unauthorized, UnsupportedMediaType,
};

/// The caller's account.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    responses((status = 200, description = "The account", body = UserDto), Unauthorized)
)]
#[get("/me")]
pub async fn me(user: AuthUser, auth: web::Data<AuthService>) -> Result<HttpResponse, ApiError> {
    let row = store::find_by_id(&auth.db, user.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(UserDto::from(row)))
}

/// Delete the caller's account (password required, throttled like a login):
/// profile, sessions and orders go with it; pending and paid orders are
/// cancelled first, so their stock comes back.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses(
        (status = 204, description = "Deleted"),
        Unauthorized,
        Forbidden,
        BadRequest,
        TooLarge,
        UnsupportedMediaType,
        TooManyRequests,
        (status = 409, description = "The caller is the last active admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/me")]
pub async fn delete_me(
    user: AuthUser,
    auth: web::Data<AuthService>,
    ctx: AuditContext,
    body: ApiJson<DeleteAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    // Throttled and audited like a login (see `AuthService::confirm_password`).
    auth.confirm_password(&ctx, user.user_id, body.0.password)
        .await?;
    match store::delete(&auth.db, user.user_id).await? {
        store::Deletion::Deleted => {}
        store::Deletion::NotFound => return Err(ApiError::NotFound),
        store::Deletion::LastAdmin => {
            return Err(ApiError::Conflict(
                "The last active admin cannot delete their account; make another admin first."
                    .into(),
            ));
        }
    }
    auth.audit
        .record(
            &ctx,
            AuditKind::AccountDeleted,
            Some(user.user_id),
            json!({}),
        )
        .await;
    Ok(HttpResponse::NoContent().finish())
}
