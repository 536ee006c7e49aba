//! Product DTOs: the public view exposes `in_stock`, never the stock count
//! (competitors and scalpers would love it); the admin view adds `stock` and
//! `active`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::store::{NewProduct, ProductChanges, ProductRow};
use crate::error::FieldError;

#[derive(Serialize, ToSchema)]
pub struct ProductDto {
    pub id: Uuid,
    #[schema(example = "RMP-MUG-01")]
    pub sku: String,
    pub name: String,
    pub description: String,
    #[schema(example = 1200)]
    pub price_cents: i64,
    #[schema(example = "EUR")]
    pub currency: String,
    pub in_stock: bool,
}

impl From<ProductRow> for ProductDto {
    fn from(row: ProductRow) -> Self {
        Self {
            id: row.id,
            sku: row.sku,
            name: row.name,
            description: row.description,
            price_cents: row.price_cents,
            currency: row.currency,
            in_stock: row.stock > 0,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminProductDto {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub stock: i32,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<ProductRow> for AdminProductDto {
    fn from(row: ProductRow) -> Self {
        Self {
            id: row.id,
            sku: row.sku,
            name: row.name,
            description: row.description,
            price_cents: row.price_cents,
            currency: row.currency,
            stock: row.stock,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$", example = "RMP-MUG-02")]
    pub sku: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64, example = 1200)]
    pub price_cents: i64,
    /// ISO 4217.
    #[schema(pattern = r"^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    #[schema(minimum = 0, maximum = 1_000_000, example = 10)]
    pub stock: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"price_cents": 1500, "stock": 40, "active": true}))]
pub struct UpdateProductRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub price_cents: Option<i64>,
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub stock: Option<i64>,
    pub active: Option<bool>,
}

/// 100 million in major units.
const MAX_PRICE_CENTS: i64 = 10_000_000_000;
const MAX_STOCK: i64 = 1_000_000;

fn name_rule(name: &str, errors: &mut Vec<FieldError>) {
    let chars = name.trim().chars().count();
    if chars == 0 || chars > 200 || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            "invalid",
            "must be 1–200 characters, no control characters",
        ));
    }
}

fn description_rule(description: &str, errors: &mut Vec<FieldError>) {
    if description.chars().count() > 2000 {
        errors.push(FieldError::new(
            "description",
            "too_long",
            "must be at most 2000 characters",
        ));
    }
}

fn price_rule(price: i64, errors: &mut Vec<FieldError>) {
    if !(0..=MAX_PRICE_CENTS).contains(&price) {
        errors.push(FieldError::new(
            "price_cents",
            "out_of_range",
            format!("must be 0–{MAX_PRICE_CENTS}"),
        ));
    }
}

fn stock_rule(stock: i64, errors: &mut Vec<FieldError>) -> i32 {
    if !(0..=MAX_STOCK).contains(&stock) {
        errors.push(FieldError::new(
            "stock",
            "out_of_range",
            format!("must be 0–{MAX_STOCK}"),
        ));
    }
    i32::try_from(stock).unwrap_or(0)
}

impl CreateProductRequest {
    pub fn into_new(self) -> Result<NewProduct, Vec<FieldError>> {
        let mut errors = Vec::new();
        let sku_ok = (1..=64).contains(&self.sku.len())
            && self
                .sku
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !sku_ok {
            errors.push(FieldError::new(
                "sku",
                "invalid",
                "must be 1–64 of A–Z, a–z, 0–9, '-', '_', '.'",
            ));
        }
        name_rule(&self.name, &mut errors);
        description_rule(&self.description, &mut errors);
        price_rule(self.price_cents, &mut errors);
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push(FieldError::new(
                "currency",
                "invalid",
                "must be an ISO 4217 code such as EUR",
            ));
        }
        let stock = stock_rule(self.stock, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewProduct {
            sku: self.sku,
            name: self.name.trim().to_owned(),
            description: self.description,
            price_cents: self.price_cents,
            currency: self.currency,
            stock,
        })
    }
}

impl UpdateProductRequest {
    pub fn into_changes(self) -> Result<ProductChanges, Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Some(name) = &self.name {
            name_rule(name, &mut errors);
        }
        if let Some(description) = &self.description {
            description_rule(description, &mut errors);
        }
        if let Some(price) = self.price_cents {
            price_rule(price, &mut errors);
        }
        let stock = self.stock.map(|s| stock_rule(s, &mut errors));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ProductChanges {
            name: self.name.map(|n| n.trim().to_owned()),
            description: self.description,
            price_cents: self.price_cents,
            stock,
            active: self.active,
        })
    }
}
