//! SQL for orders. Every user-facing function takes the owner and puts it in
//! the `WHERE` clause; cross-owner functions demand an `&AdminScope`.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::state::OrderStatus;
use crate::admin::scope::AdminScope;
use crate::db::Db;
use crate::http::pagination::TimeId;
use crate::on_db;

#[derive(Debug, Clone, FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub status: String,
    pub total_cents: i64,
    pub currency: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, FromRow)]
pub struct LineRow {
    pub order_id: Uuid,
    pub line_no: i32,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
    pub line_total_cents: i64,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub row: OrderRow,
    pub lines: Vec<LineRow>,
}

/// Whose orders a query may see.
pub enum Owner<'a> {
    /// Only this user's: `AND user_id = $owner`.
    User(Uuid),
    /// Anyone's; only the admin module can produce the scope.
    Anyone(&'a AdminScope),
}

impl Owner<'_> {
    pub(super) fn user_id(&self) -> Option<Uuid> {
        match self {
            Owner::User(id) => Some(*id),
            Owner::Anyone(_) => None,
        }
    }
}

/// A user holds at most this many `pending` orders (each one holds stock).
pub const MAX_PENDING_ORDERS: i64 = 20;

pub enum Placed {
    Order(Order),
    /// The user already holds [`MAX_PENDING_ORDERS`] pending orders.
    TooManyPending,
    /// Callers validate 1–50 lines first; the store still refuses an empty order.
    NoLines,
    UnknownProduct(Uuid),
    OutOfStock(Uuid),
    MixedCurrency,
}

/// The selected columns, as a literal so that every query stays a `&'static str`
/// (sqlx refuses SQL built at run time unless it is audited).
macro_rules! line_columns {
    () => {
        "order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents"
    };
}

/// Places an order in one transaction: each line takes its stock with a
/// conditional UPDATE (`stock >= quantity`), so concurrent orders can never
/// oversell; prices come from the catalogue and are copied into the lines.
pub async fn place(db: &Db, user_id: Uuid, items: &[(Uuid, i32)]) -> Result<Placed, sqlx::Error> {
    // Serialises one user's placements (PostgreSQL; SQLite's write lock does it),
    // so the pending count below cannot be raced past the cap.
    let lock_user = crate::with_row_lock!(
        db,
        "SELECT id FROM users WHERE id = $1",
        "FOR NO KEY UPDATE"
    );
    let now = crate::db::now();
    let order_id = Uuid::new_v4();
    // Lock products in one global order so concurrent orders cannot deadlock.
    let mut by_product: Vec<(usize, Uuid, i32)> = items
        .iter()
        .enumerate()
        .map(|(i, (p, q))| (i, *p, *q))
        .collect();
    by_product.sort_by_key(|(_, product, _)| *product);

    on_db!(db, pool => {
        let mut tx = crate::db::begin_write(pool).await?;
        sqlx::query(lock_user).bind(user_id).execute(&mut *tx).await?;
        // Stock hoarding: every pending order holds stock until paid or expired,
        // so one account may hold only so many.
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE user_id = $1 AND status = $2")
                .bind(user_id)
                .bind(OrderStatus::Pending.as_str())
                .fetch_one(&mut *tx)
                .await?;
        if pending >= MAX_PENDING_ORDERS {
            tx.rollback().await?;
            return Ok(Placed::TooManyPending);
        }
        let mut priced: Vec<Option<(String, String, i64, String)>> = vec![None; items.len()];
        for (index, product_id, quantity) in &by_product {
            let taken: Option<(String, String, i64, String)> = sqlx::query_as(
                "UPDATE products SET stock = stock - $2, updated_at = $3
                 WHERE id = $1 AND active = TRUE AND stock >= $2
                 RETURNING sku, name, price_cents, currency",
            )
            .bind(product_id)
            .bind(quantity)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_none() {
                let active: Option<bool> =
                    sqlx::query_scalar("SELECT active FROM products WHERE id = $1")
                        .bind(product_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                tx.rollback().await?;
                return Ok(match active {
                    Some(true) => Placed::OutOfStock(*product_id),
                    _ => Placed::UnknownProduct(*product_id),
                });
            }
            priced[*index] = taken;
        }
        let priced: Vec<(String, String, i64, String)> = priced.into_iter().flatten().collect();
        let Some(currency) = priced.first().map(|line| line.3.clone()) else {
            tx.rollback().await?;
            return Ok(Placed::NoLines);
        };
        if priced.iter().any(|line| line.3 != currency) {
            tx.rollback().await?;
            return Ok(Placed::MixedCurrency);
        }
        let mut lines = Vec::with_capacity(items.len());
        let mut total: i64 = 0;
        for (line_no, ((product_id, quantity), (sku, name, unit_price, _))) in
            items.iter().zip(priced).enumerate()
        {
            let line_total = unit_price.saturating_mul(i64::from(*quantity));
            total = total.saturating_add(line_total);
            lines.push(LineRow {
                order_id,
                line_no: line_no as i32,
                product_id: *product_id,
                sku,
                name,
                quantity: *quantity,
                unit_price_cents: unit_price,
                line_total_cents: line_total,
            });
        }
        let row: OrderRow = sqlx::query_as(concat!("INSERT INTO orders (id, user_id, status, total_cents, currency, created_at, updated_at)
             VALUES ($1, $2, 'pending', $3, $4, $5, $5) RETURNING ", order_columns!()))
        .bind(order_id)
        .bind(user_id)
        .bind(total)
        .bind(&currency)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for line in &lines {
            sqlx::query(concat!("INSERT INTO order_lines (", line_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
            .bind(line.order_id)
            .bind(line.line_no)
            .bind(line.product_id)
            .bind(&line.sku)
            .bind(&line.name)
            .bind(line.quantity)
            .bind(line.unit_price_cents)
            .bind(line.line_total_cents)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Placed::Order(Order { row, lines }))
    })
}

/// One order, if `owner` may see it. A foreign id reads exactly like a missing one.
pub async fn get(db: &Db, owner: Owner<'_>, id: Uuid) -> Result<Option<Order>, sqlx::Error> {
    let row: Option<OrderRow> = match owner.user_id() {
        // BOLA: the owner is part of the key.
        Some(user_id) => on_db!(db, pool => {
            sqlx::query_as(concat!("SELECT ", order_columns!(), " FROM orders WHERE id = $1 AND user_id = $2"))
                .bind(id)
                .bind(user_id)
                .fetch_optional(pool)
                .await
        })?,
        None => on_db!(db, pool => {
            sqlx::query_as(concat!("SELECT ", order_columns!(), " FROM orders WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await
        })?,
    };
    match row {
        Some(row) => Ok(with_lines(db, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// A keyset page, newest first, of the orders `owner` may see.
/// `user_filter` narrows an admin's list to one user.
pub async fn list(
    db: &Db,
    owner: Owner<'_>,
    user_filter: Option<Uuid>,
    status: Option<OrderStatus>,
    after: Option<TimeId>,
    limit: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    // Each combination of filters is a plain index range scan: owner (and
    // status) first, then (created_at, id) descending from the cursor. Only
    // values are bound; the SQL text is made of fixed fragments.
    let user_id = owner.user_id().or(user_filter);
    let rows: Vec<OrderRow> = on_db!(db, pool => {
        let mut query = sqlx::QueryBuilder::new(concat!("SELECT ", order_columns!(), " FROM orders WHERE TRUE"));
        if let Some(user_id) = user_id {
            query.push(" AND user_id = ").push_bind(user_id);
        }
        if let Some(status) = status {
            query.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(after) = after {
            query.push(" AND (created_at, id) < (").push_bind(after.at);
            query.push(", ").push_bind(after.id).push(")");
        }
        query.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(limit + 1);
        query.build_query_as().fetch_all(pool).await
    })?;
    with_lines(db, rows).await
}

/// Attaches the lines to each order with one query.
pub(super) async fn with_lines(db: &Db, rows: Vec<OrderRow>) -> Result<Vec<Order>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let lines: Vec<LineRow> = on_db!(db, pool => {
        let mut query = sqlx::QueryBuilder::new(concat!("SELECT ", line_columns!(), " FROM order_lines WHERE order_id IN ("));
        let mut ids = query.separated(", ");
        for row in &rows {
            ids.push_bind(row.id);
        }
        query.push(") ORDER BY line_no");
        query.build_query_as().fetch_all(pool).await
    })?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let lines = lines
                .iter()
                .filter(|l| l.order_id == row.id)
                .cloned()
                .collect();
            Order { row, lines }
        })
        .collect())
}

/// Bulk insert for `rampart seed`: orders with their lines in one
/// transaction, as multi-row INSERTs. Stock is not touched (seeded history).
pub async fn insert_seed_batch(db: &Db, orders: &[Order]) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        let mut tx = crate::db::begin_write(pool).await?;
        // 7 and 8 binds per row: chunks stay under SQLite's 32766-variable limit.
        for chunk in orders.chunks(1000) {
            let mut insert = sqlx::QueryBuilder::new(concat!("INSERT INTO orders (", order_columns!(), ") "));
            insert.push_values(chunk, |mut row, order| {
                let r = &order.row;
                row.push_bind(r.id).push_bind(r.user_id).push_bind(r.status.clone())
                    .push_bind(r.total_cents).push_bind(r.currency.clone())
                    .push_bind(r.created_at).push_bind(r.updated_at);
            });
            insert.build().execute(&mut *tx).await?;
            let lines: Vec<&LineRow> = chunk.iter().flat_map(|o| o.lines.iter()).collect();
            for line_chunk in lines.chunks(1000) {
                let mut insert = sqlx::QueryBuilder::new(concat!("INSERT INTO order_lines (", line_columns!(), ") "));
                insert.push_values(line_chunk, |mut row, l| {
                    row.push_bind(l.order_id).push_bind(l.line_no).push_bind(l.product_id)
                        .push_bind(l.sku.clone()).push_bind(l.name.clone()).push_bind(l.quantity)
                        .push_bind(l.unit_price_cents).push_bind(l.line_total_cents);
                });
                insert.build().execute(&mut *tx).await?;
            }
        }
        tx.commit().await
    })
}
