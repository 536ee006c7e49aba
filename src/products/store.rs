//! SQL for products. Products are not user-owned; the public functions only
//! ever return active products.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::Db;
use crate::on_db;

#[derive(Debug, Clone, FromRow)]
pub struct ProductRow {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub stock: i32,
    pub active: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub stock: i32,
}

#[derive(Default)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_cents: Option<i64>,
    pub stock: Option<i32>,
    pub active: Option<bool>,
}

/// The selected columns, as a literal so that every query stays a `&'static str`
/// (sqlx refuses SQL built at run time unless it is audited).
macro_rules! columns {
    () => {
        "id, sku, name, description, price_cents, currency, stock, active, created_at, updated_at"
    };
}

/// One page ordered by SKU, after `after`; `include_inactive` only for admins.
pub async fn list(
    db: &Db,
    include_inactive: bool,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<ProductRow>, sqlx::Error> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM products
         WHERE ($1 OR active = TRUE) AND ($2 IS NULL OR sku > $2)
         ORDER BY sku LIMIT $3"
    );
    on_db!(db, pool => {
        sqlx::query_as(sql)
            .bind(include_inactive)
            .bind(after)
            .bind(limit + 1)
            .fetch_all(pool)
            .await
    })
}

pub async fn get(
    db: &Db,
    id: Uuid,
    include_inactive: bool,
) -> Result<Option<ProductRow>, sqlx::Error> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM products WHERE id = $1 AND ($2 OR active = TRUE)"
    );
    on_db!(db, pool => {
        sqlx::query_as(sql)
            .bind(id)
            .bind(include_inactive)
            .fetch_optional(pool)
            .await
    })
}

/// `Ok(None)` when the SKU is taken.
pub async fn create(db: &Db, new: NewProduct) -> Result<Option<ProductRow>, sqlx::Error> {
    let sql = concat!("INSERT INTO products (id, sku, name, description, price_cents, currency, stock, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, $8) RETURNING ", columns!());
    let result = on_db!(db, pool => {
        sqlx::query_as(sql)
            .bind(Uuid::new_v4())
            .bind(&new.sku)
            .bind(&new.name)
            .bind(&new.description)
            .bind(new.price_cents)
            .bind(&new.currency)
            .bind(new.stock)
            .bind(crate::db::now())
            .fetch_one(pool)
            .await
    });
    match result {
        Ok(row) => Ok(Some(row)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn update(
    db: &Db,
    id: Uuid,
    changes: ProductChanges,
) -> Result<Option<ProductRow>, sqlx::Error> {
    let sql = concat!(
        "UPDATE products SET
             name = COALESCE($2, name),
             description = COALESCE($3, description),
             price_cents = COALESCE($4, price_cents),
             stock = COALESCE($5, stock),
             active = COALESCE($6, active),
             updated_at = $7
         WHERE id = $1 RETURNING ",
        columns!()
    );
    on_db!(db, pool => {
        sqlx::query_as(sql)
            .bind(id)
            .bind(changes.name.clone())
            .bind(changes.description.clone())
            .bind(changes.price_cents)
            .bind(changes.stock)
            .bind(changes.active)
            .bind(crate::db::now())
            .fetch_optional(pool)
            .await
    })
}

pub async fn is_empty(db: &Db) -> Result<bool, sqlx::Error> {
    let count: i64 = on_db!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM products").fetch_one(pool).await
    })?;
    Ok(count == 0)
}

/// A small demo catalogue for development (never called in production).
pub async fn seed_demo_catalogue(db: &Db) -> Result<usize, sqlx::Error> {
    if !is_empty(db).await? {
        return Ok(0);
    }
    let demo = [
        (
            "RMP-MUG-01",
            "Rampart mug",
            "A sturdy stoneware mug.",
            1_200,
            40,
        ),
        (
            "RMP-TEE-01",
            "Rampart T-shirt",
            "Organic cotton, castle print.",
            2_500,
            25,
        ),
        ("RMP-CAP-01", "Rampart cap", "Keeps the sun out.", 1_800, 15),
        (
            "RMP-STK-01",
            "Sticker pack",
            "Ten vinyl stickers.",
            500,
            200,
        ),
        (
            "RMP-BAG-01",
            "Tote bag",
            "Carries laptops and groceries.",
            1_500,
            0,
        ),
        (
            "RMP-BOOK-1",
            "API Security Field Guide",
            "The OWASP API Top 10, explained.",
            3_900,
            12,
        ),
    ];
    for (sku, name, description, price_cents, stock) in demo {
        create(
            db,
            NewProduct {
                sku: sku.into(),
                name: name.into(),
                description: description.into(),
                price_cents,
                currency: "EUR".into(),
                stock,
            },
        )
        .await?;
    }
    Ok(demo.len())
}
