use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::error::{ApiError, Problem};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `live` or `ready`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// The active storage backend (`sqlite` or `postgres`); readiness only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "sqlite")]
    pub database: Option<&'static str>,
}

/// The process is up and serving HTTP.
#[utoipa::path(
    tag = "health",
    responses((status = 200, description = "The process is alive", body = Health))
)]
#[get("/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "live",
        database: None,
    })
}

/// The database answers; the instance can take traffic.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database is unreachable", body = Problem,
         content_type = "application/problem+json"),
    )
)]
#[get("/ready")]
pub async fn ready(db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    // Any failure here means "do not route traffic to me", never a 500.
    db.ping().await.map_err(|error| {
        tracing::warn!(error = %error, "readiness check failed");
        ApiError::Unavailable {
            retry_after_secs: 5,
        }
    })?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ready",
        database: Some(db.backend()),
    }))
}
