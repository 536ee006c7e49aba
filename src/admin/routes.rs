//! Admin endpoints. Each takes `AdminUser`: 401 anonymous, 403 for `user`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use serde_json::json;
use uuid::Uuid;

use super::dto::{
    AdminOrderDto, AdminOrderFilter, AdminUserDto, AuditEventDto, AuditFilter, UpdateOrderRequest,
    UpdateUserRequest, UserFilter,
};
use super::scope::AdminScope;
use super::store::{self, UserUpdateOutcome};
use crate::audit::{Audit, AuditContext, AuditKind};
use crate::auth::AdminUser;
use crate::db::Db;
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::http::extract::ApiQuery;
use crate::http::pagination::{CursorSigner, PageQuery, Paged, TextKey, TimeId, page};
use crate::openapi::problems::{
    BadRequest, Forbidden, TooLarge, Unauthorized, Unprocessable, UnsupportedMediaType,
};
use crate::orders::lifecycle;
use crate::orders::routes::transition_response;
use crate::orders::store::{self as orders, Owner};
use crate::products::dto::{AdminProductDto, CreateProductRequest, UpdateProductRequest};
use crate::products::store as products;

/// Accounts, by e-mail.
#[utoipa::path(
    tag = "admin", security(("bearer" = [])), params(UserFilter, PageQuery),
    responses(
        (status = 200, description = "A page of accounts", body = Paged<AdminUserDto>),
        Unauthorized,
        Forbidden,
        BadRequest,
        Unprocessable,
    )
)]
#[get("/users")]
pub async fn list_users(
    admin: AdminUser,
    db: web::Data<Db>,
    cursors: web::Data<CursorSigner>,
    filter: ApiQuery<UserFilter>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = AdminScope::for_admin(&admin);
    let cursors = cursors.list("admin.users");
    let limit = query.limit()?;
    let after = query.after::<TextKey>(cursors)?;
    let prefix = filter.email.as_deref().filter(|p| !p.is_empty());
    let rows = store::list_users(
        &db,
        &scope,
        prefix,
        after.as_ref().map(|k| k.0.as_str()),
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        limit,
        cursors,
        |r| TextKey(r.email.clone()),
        AdminUserDto::from,
    )))
}

/// Change an account's role or disabled flag. Demoting or disabling ends
/// that user's sessions at once; admins cannot demote or disable themselves,
/// and the last active admin cannot be removed.
#[utoipa::path(
    tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The account", body = AdminUserDto),
        Unauthorized,
        Forbidden,
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Demoting or disabling yourself, or the last active admin", body = Problem, content_type = "application/problem+json"),
        BadRequest,
        TooLarge,
        UnsupportedMediaType,
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    admin: AdminUser,
    db: web::Data<Db>,
    audit: web::Data<Audit>,
    ctx: AuditContext,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = AdminScope::for_admin(&admin);
    let id = id.into_inner();
    let body = body.0;
    let outcome =
        store::update_user(&db, &scope, admin.0.user_id, id, body.role, body.disabled).await?;
    let update = match outcome {
        UserUpdateOutcome::Updated(update) => update,
        UserUpdateOutcome::NotFound => return Err(ApiError::NotFound),
        UserUpdateOutcome::OwnAccount => {
            return Err(ApiError::Conflict(
                "Admins cannot demote or disable themselves.".into(),
            ));
        }
        UserUpdateOutcome::LastAdmin => {
            return Err(ApiError::Conflict(
                "That would leave no active admin.".into(),
            ));
        }
        UserUpdateOutcome::ActorNotAdmin => {
            return Err(ApiError::Forbidden("You are no longer an admin."));
        }
    };
    let detail = json!({ "by": admin.0.user_id, "sessions_ended": update.sessions_ended });
    if update.before.role != update.after.role {
        let detail =
            json!({ "from": update.before.role, "to": update.after.role, "by": admin.0.user_id });
        audit
            .record(&ctx, AuditKind::UserRoleChanged, Some(id), detail)
            .await;
    }
    if update.before.disabled != update.after.disabled {
        let kind = if update.after.disabled {
            AuditKind::UserDisabled
        } else {
            AuditKind::UserEnabled
        };
        audit.record(&ctx, kind, Some(id), detail).await;
    }
    Ok(HttpResponse::Ok().json(AdminUserDto::from(update.after)))
}

/// The whole catalogue, inactive products included.
#[utoipa::path(
    tag = "admin", security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, description = "A page of products", body = Paged<AdminProductDto>),
        Unauthorized,
        Forbidden,
        BadRequest,
        Unprocessable,
    )
)]
#[get("/products")]
pub async fn list_products(
    _admin: AdminUser,
    db: web::Data<Db>,
    cursors: web::Data<CursorSigner>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let cursors = cursors.list("admin.products");
    let limit = query.limit()?;
    let after = query.after::<TextKey>(cursors)?;
    let rows = products::list(&db, true, after.as_ref().map(|k| k.0.as_str()), limit).await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        limit,
        cursors,
        |r| TextKey(r.sku.clone()),
        AdminProductDto::from,
    )))
}

/// One product, active or not.
#[utoipa::path(
    tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = AdminProductDto),
        Unauthorized,
        Forbidden,
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        BadRequest,
    )
)]
#[get("/products/{id}")]
pub async fn get_product(
    _admin: AdminUser,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let row = products::get(&db, id.into_inner(), true)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(AdminProductDto::from(row)))
}

/// Add a product.
#[utoipa::path(
    tag = "admin", security(("bearer" = [])),
    request_body = CreateProductRequest,
    responses(
        (status = 201, description = "Created", body = AdminProductDto,
         headers(("location" = String, description = "/api/v1/admin/products/{id}"))),
        Unauthorized,
        Forbidden,
        (status = 409, description = "Duplicate SKU", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A rule is broken", body = Problem, content_type = "application/problem+json"),
        BadRequest,
        TooLarge,
        UnsupportedMediaType,
    )
)]
#[post("/products")]
pub async fn create_product(
    _admin: AdminUser,
    db: web::Data<Db>,
    body: ApiJson<CreateProductRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0.into_new().map_err(ApiError::Validation)?;
    let row = products::create(&db, new)
        .await?
        .ok_or_else(|| ApiError::Conflict("A product with this SKU already exists.".into()))?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/admin/products/{}", row.id),
        ))
        .json(AdminProductDto::from(row)))
}

/// Change a product (absent fields are unchanged).
#[utoipa::path(
    tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = UpdateProductRequest,
    responses(
        (status = 200, description = "The product", body = AdminProductDto),
        Unauthorized,
        Forbidden,
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A rule is broken", body = Problem, content_type = "application/problem+json"),
        BadRequest,
        TooLarge,
        UnsupportedMediaType,
    )
)]
#[patch("/products/{id}")]
pub async fn update_product(
    _admin: AdminUser,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateProductRequest>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.0.into_changes().map_err(ApiError::Validation)?;
    let row = products::update(&db, id.into_inner(), changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(AdminProductDto::from(row)))
}

/// Everyone's orders, newest first.
#[utoipa::path(
    tag = "admin", security(("bearer" = [])), params(AdminOrderFilter, PageQuery),
    responses(
        (status = 200, description = "A page of orders", body = Paged<AdminOrderDto>),
        Unauthorized,
        Forbidden,
        BadRequest,
        Unprocessable,
    )
)]
#[get("/orders")]
pub async fn list_orders(
    admin: AdminUser,
    db: web::Data<Db>,
    cursors: web::Data<CursorSigner>,
    filter: ApiQuery<AdminOrderFilter>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = AdminScope::for_admin(&admin);
    let cursors = cursors.list("admin.orders");
    let limit = query.limit()?;
    let after = query.after::<TimeId>(cursors)?;
    let rows = orders::list(
        &db,
        Owner::Anyone(&scope),
        filter.user_id,
        filter.status,
        after,
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        limit,
        cursors,
        |o| TimeId {
            at: o.row.created_at,
            id: o.row.id,
        },
        AdminOrderDto::from,
    )))
}

/// Move an order along the state machine; an illegal transition is 409.
#[utoipa::path(
    tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = UpdateOrderRequest,
    responses(
        (status = 200, description = "The order", body = AdminOrderDto),
        Unauthorized,
        Forbidden,
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Illegal transition", body = Problem, content_type = "application/problem+json"),
        BadRequest,
        TooLarge,
        UnsupportedMediaType,
    )
)]
#[patch("/orders/{id}")]
pub async fn update_order(
    admin: AdminUser,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = AdminScope::for_admin(&admin);
    let to = body.0.status;
    let id = id.into_inner();
    let outcome =
        lifecycle::transition(&db, Owner::Anyone(&scope), id, to, to.legal_predecessors()).await?;
    let order = transition_response(outcome)?;
    Ok(HttpResponse::Ok().json(AdminOrderDto::from(order)))
}

/// The security audit trail, newest first.
#[utoipa::path(
    tag = "admin", security(("bearer" = [])), params(AuditFilter, PageQuery),
    responses(
        (status = 200, description = "A page of audit events", body = Paged<AuditEventDto>),
        Unauthorized,
        Forbidden,
        BadRequest,
        Unprocessable,
    )
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    admin: AdminUser,
    db: web::Data<Db>,
    cursors: web::Data<CursorSigner>,
    filter: ApiQuery<AuditFilter>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = AdminScope::for_admin(&admin);
    let cursors = cursors.list("admin.audit-events");
    let limit = query.limit()?;
    let after = query.after::<TimeId>(cursors)?;
    let rows = store::list_audit(
        &db,
        &scope,
        filter.kind.as_deref(),
        filter.user_id,
        after,
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        limit,
        cursors,
        |r| TimeId { at: r.at, id: r.id },
        AuditEventDto::from,
    )))
}
