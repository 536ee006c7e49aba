//! Order DTOs. `CreateOrderRequest` is the allowlist: a client can name
//! products and quantities, never a price, total, status, owner or currency
//! (any such field is a 400 naming it).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::state::OrderStatus;
use super::store::Order;
use crate::error::FieldError;

pub const MAX_LINES: usize = 50;
pub const MAX_QUANTITY: i64 = 100;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [
    {"product_id": "6f1c9a0e-5b1f-4d8e-9a57-0c8f3c7a9b21", "quantity": 2}
]}))]
pub struct CreateOrderRequest {
    /// 1–50 lines, each product at most once.
    #[schema(min_items = 1, max_items = 50)]
    pub items: Vec<OrderItemRequest>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderItemRequest {
    pub product_id: Uuid,
    /// 1–100.
    #[schema(minimum = 1, maximum = 100, example = 2)]
    pub quantity: i64,
}

impl CreateOrderRequest {
    /// The validated lines, in request order.
    pub fn lines(&self) -> Result<Vec<(Uuid, i32)>, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.items.is_empty() || self.items.len() > MAX_LINES {
            errors.push(FieldError::new(
                "items",
                "invalid_length",
                format!("must have 1–{MAX_LINES} lines"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, item) in self.items.iter().enumerate() {
            if !(1..=MAX_QUANTITY).contains(&item.quantity) {
                errors.push(FieldError::new(
                    format!("items[{i}].quantity"),
                    "out_of_range",
                    format!("must be 1–{MAX_QUANTITY}"),
                ));
            }
            if !seen.insert(item.product_id) {
                errors.push(FieldError::new(
                    format!("items[{i}].product_id"),
                    "duplicate",
                    "each product may appear once",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(self
            .items
            .iter()
            .map(|item| (item.product_id, item.quantity as i32))
            .collect())
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrderLineDto {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    /// The price when the order was placed.
    pub unit_price_cents: i64,
    pub line_total_cents: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OrderDto {
    pub id: Uuid,
    pub status: OrderStatus,
    pub items: Vec<OrderLineDto>,
    pub total_cents: i64,
    #[schema(example = "EUR")]
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<Order> for OrderDto {
    fn from(order: Order) -> Self {
        let row = order.row;
        Self {
            id: row.id,
            status: OrderStatus::from_db(&row.status).unwrap_or(OrderStatus::Pending),
            items: order
                .lines
                .into_iter()
                .map(|l| OrderLineDto {
                    product_id: l.product_id,
                    sku: l.sku,
                    name: l.name,
                    quantity: l.quantity,
                    unit_price_cents: l.unit_price_cents,
                    line_total_cents: l.line_total_cents,
                })
                .collect(),
            total_cents: row.total_cents,
            currency: row.currency,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// `?status=` plus the page parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
}
