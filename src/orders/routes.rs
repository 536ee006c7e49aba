use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use super::dto::{CreateOrderRequest, OrderDto, OrderFilter};
use super::lifecycle::{self, Transition};
use super::state::OrderStatus;
use super::store::{self, MAX_PENDING_ORDERS, Order, Owner, Placed};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{ApiError, FieldError, Problem};
use crate::http::ApiJson;
use crate::http::extract::ApiQuery;
use crate::http::pagination::{CursorSigner, PageQuery, Paged, TimeId, page};
use crate::openapi::problems::{BadRequest, TooLarge, Unauthorized, UnsupportedMediaType};

/// The caller's orders, newest first.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(OrderFilter, PageQuery),
    responses(
        (status = 200, description = "A page of the caller's orders", body = Paged<OrderDto>),
        BadRequest,
        Unauthorized,
        (status = 422, description = "limit out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn list(
    user: AuthUser,
    db: web::Data<Db>,
    cursors: web::Data<CursorSigner>,
    filter: ApiQuery<OrderFilter>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let cursors = cursors.list("orders");
    let limit = query.limit()?;
    let after = query.after::<TimeId>(cursors)?;
    // BOLA: the owner comes from the token; `?user_id=` and friends are ignored.
    let orders = store::list(
        &db,
        Owner::User(user.user_id),
        None,
        filter.status,
        after,
        limit,
    )
    .await?;
    let body = page(
        orders,
        limit,
        cursors,
        |o| TimeId {
            at: o.row.created_at,
            id: o.row.id,
        },
        OrderDto::from,
    );
    Ok(HttpResponse::Ok().json(body))
}

/// Place an order: prices and totals come from the catalogue.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    request_body = CreateOrderRequest,
    responses(
        (status = 201, description = "Order placed", body = OrderDto,
         headers(("location" = String, description = "/api/v1/orders/{id}"))),
        BadRequest,
        Unauthorized,
        (status = 409, description = "Not enough stock, or 20 orders already pending", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad quantities or lines; unknown or inactive product; mixed currencies", body = Problem, content_type = "application/problem+json"),
        TooLarge,
        UnsupportedMediaType,
    )
)]
#[post("")]
pub async fn create(
    user: AuthUser,
    db: web::Data<Db>,
    body: ApiJson<CreateOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let lines = body.0.lines().map_err(ApiError::Validation)?;
    let field_of = |product: Uuid| {
        let index = lines.iter().position(|(p, _)| *p == product).unwrap_or(0);
        format!("items[{index}].product_id")
    };
    match store::place(&db, user.user_id, &lines).await? {
        Placed::Order(order) => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/orders/{}", order.row.id)))
            .json(OrderDto::from(order))),
        Placed::UnknownProduct(product) => Err(ApiError::Validation(vec![FieldError::new(
            field_of(product),
            "unknown_product",
            "is not an active product",
        )])),
        Placed::TooManyPending => Err(ApiError::Conflict(format!(
            "At most {MAX_PENDING_ORDERS} orders can be pending at once; pay for or cancel one first."
        ))),
        Placed::OutOfStock(product) => Err(ApiError::Conflict(format!(
            "Not enough stock for {}.",
            field_of(product)
        ))),
        Placed::NoLines => Err(ApiError::Validation(vec![FieldError::new(
            "items",
            "invalid_length",
            "must have at least one line",
        )])),
        Placed::MixedCurrency => Err(ApiError::Validation(vec![FieldError::new(
            "items",
            "mixed_currency",
            "all products of an order must share one currency",
        )])),
    }
}

/// One of the caller's orders.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderDto),
        Unauthorized,
        (status = 404, description = "Not found, or not yours (identical)", body = Problem, content_type = "application/problem+json"),
        BadRequest,
    )
)]
#[get("/{id}")]
pub async fn get_one(
    user: AuthUser,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let order = store::get(&db, Owner::User(user.user_id), id.into_inner())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(OrderDto::from(order)))
}

/// Cancel one of the caller's pending orders; stock is restored.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "Cancelled", body = OrderDto),
        Unauthorized,
        (status = 404, description = "Not found, or not yours (identical)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The order is not pending", body = Problem, content_type = "application/problem+json"),
        BadRequest,
    )
)]
#[post("/{id}/cancel")]
pub async fn cancel(
    user: AuthUser,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    // Customers may cancel only before payment; admins follow the full state machine.
    let outcome = lifecycle::transition(
        &db,
        Owner::User(user.user_id),
        id.into_inner(),
        OrderStatus::Cancelled,
        &[OrderStatus::Pending],
    )
    .await?;
    transition_response(outcome).map(|order| HttpResponse::Ok().json(OrderDto::from(order)))
}

/// Maps a transition outcome to the moved order or the right problem.
pub fn transition_response(outcome: Transition) -> Result<Order, ApiError> {
    match outcome {
        Transition::Done(order) => Ok(order),
        Transition::NotFound => Err(ApiError::NotFound),
        Transition::Conflict(current) => Err(ApiError::Conflict(format!(
            "The order is {}; that transition is not allowed.",
            current.as_str()
        ))),
    }
}
