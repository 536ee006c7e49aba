use actix_web::{HttpResponse, get, patch, web};
use uuid::Uuid;

use super::dto::{ProfileDto, ProfilePatch, PublicProfileDto};
use super::store;
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::openapi::problems::{BadRequest, TooLarge, Unauthorized, UnsupportedMediaType};

/// The caller's own profile.
#[utoipa::path(
    tag = "profiles",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The owner's view", body = ProfileDto),
        Unauthorized,
    )
)]
#[get("/me/profile")]
pub async fn my_profile(user: AuthUser, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let row = store::get(&db, user.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(ProfileDto::from(row)))
}

/// Edit the caller's profile: absent fields are unchanged, `null` clears.
#[utoipa::path(
    tag = "profiles",
    security(("bearer" = [])),
    request_body = ProfilePatch,
    responses(
        (status = 200, description = "The updated profile", body = ProfileDto),
        BadRequest,
        Unauthorized,
        (status = 422, description = "A rule is broken", body = Problem, content_type = "application/problem+json"),
        TooLarge,
        UnsupportedMediaType,
    )
)]
#[patch("/me/profile")]
pub async fn update_my_profile(
    user: AuthUser,
    db: web::Data<Db>,
    body: ApiJson<ProfilePatch>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.0.into_changes().map_err(ApiError::Validation)?;
    // BOLA: the owner comes from the token, never from the body or the path.
    let row = store::update(&db, user.user_id, changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(ProfileDto::from(row)))
}

/// Anyone's public profile (no phone, no e-mail).
#[utoipa::path(
    tag = "profiles",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The public view", body = PublicProfileDto),
        Unauthorized,
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        BadRequest,
    )
)]
#[get("/{id}/profile")]
pub async fn public_profile(
    _user: AuthUser,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let row = store::get(&db, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(PublicProfileDto::from(row)))
}
