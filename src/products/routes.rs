use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use super::dto::ProductDto;
use super::store;
use crate::db::Db;
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiQuery;
use crate::http::pagination::{CursorSigner, PageQuery, Paged, TextKey, page};
use crate::openapi::problems::BadRequest;

/// Browse the active catalogue, ordered by SKU.
#[utoipa::path(
    tag = "products",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of products", body = Paged<ProductDto>),
        BadRequest,
        (status = 422, description = "limit out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list(
    db: web::Data<Db>,
    cursors: web::Data<CursorSigner>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let cursors = cursors.list("products");
    let limit = query.limit()?;
    let after = query.after::<TextKey>(cursors)?;
    let rows = store::list(&db, false, after.as_ref().map(|k| k.0.as_str()), limit).await?;
    let body = page(
        rows,
        limit,
        cursors,
        |row| TextKey(row.sku.clone()),
        ProductDto::from,
    );
    Ok(HttpResponse::Ok().json(body))
}

/// One active product (inactive products are 404 here).
#[utoipa::path(
    tag = "products",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductDto),
        (status = 404, description = "No such active product", body = Problem, content_type = "application/problem+json"),
        BadRequest,
    )
)]
#[get("/{id}")]
pub async fn get_one(db: web::Data<Db>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let row = store::get(&db, id.into_inner(), false)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(ProductDto::from(row)))
}
