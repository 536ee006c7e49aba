use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::store::{AdminUserRow, AuditRow};
use crate::orders::dto::OrderDto;
use crate::orders::state::OrderStatus;
use crate::orders::store::Order;
use crate::users::domain::Role;

#[derive(Serialize, ToSchema)]
pub struct AdminUserDto {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_login_at: Option<OffsetDateTime>,
}

impl From<AdminUserRow> for AdminUserDto {
    fn from(row: AdminUserRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            role: Role::from_db(&row.role),
            disabled: row.disabled,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Case-insensitive e-mail prefix (`%` and `_` match literally).
    pub email: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "user", "disabled": true}))]
pub struct UpdateUserRequest {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// An order with its owner.
#[derive(Serialize, ToSchema)]
pub struct AdminOrderDto {
    pub user_id: Uuid,
    #[serde(flatten)]
    pub order: OrderDto,
}

impl From<Order> for AdminOrderDto {
    fn from(order: Order) -> Self {
        Self {
            user_id: order.row.user_id,
            order: OrderDto::from(order),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminOrderFilter {
    pub status: Option<OrderStatus>,
    pub user_id: Option<Uuid>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "paid"}))]
pub struct UpdateOrderRequest {
    pub status: OrderStatus,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEventDto {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    #[schema(example = "login_failed")]
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<AuditRow> for AuditEventDto {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            at: row.at,
            kind: row.kind,
            user_id: row.user_id,
            ip: row.ip,
            request_id: row.request_id,
            detail: serde_json::from_str(&row.detail).unwrap_or_else(|_| serde_json::json!({})),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    #[param(example = "refresh_token_reused")]
    pub kind: Option<String>,
    pub user_id: Option<Uuid>,
}
