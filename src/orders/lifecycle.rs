//! SQL for status changes: one order along the state machine, or many at once
//! (an account's deletion, the expiry of unpaid orders). All of them go
//! through [`move_orders`], and every cancellation gives its stock back
//! through [`restore_stock`] in the same transaction: one rule, one place.

use std::collections::BTreeMap;

use time::OffsetDateTime;
use uuid::Uuid;

use super::state::OrderStatus;
use super::store::{Order, OrderRow, Owner, with_lines};
use crate::db::{Db, WriteTx};
use crate::on_tx;

pub enum Transition {
    Done(Order),
    NotFound,
    Conflict(OrderStatus),
}

/// Which orders a move selects (besides their current status).
enum Selection {
    /// One order, optionally only if it is this user's.
    One { id: Uuid, user_id: Option<Uuid> },
    /// Every order of one user.
    OwnedBy(Uuid),
    /// The oldest `limit` orders created before `cutoff`.
    CreatedBefore { cutoff: OffsetDateTime, limit: i64 },
}

/// Moves an order to `to` if its current state allows it; cancelling
/// restores stock in the same transaction, so it happens exactly once.
pub async fn transition(
    db: &Db,
    owner: Owner<'_>,
    id: Uuid,
    to: OrderStatus,
    allowed_from: &[OrderStatus],
) -> Result<Transition, sqlx::Error> {
    let now = crate::db::now();
    let user_id = owner.user_id();
    let mut tx = db.begin_write().await?;
    let which = Selection::One { id, user_id };
    let Some(row) = move_orders(&mut tx, which, to, allowed_from, now)
        .await?
        .pop()
    else {
        let status: Option<String> = on_tx!(&mut tx, conn => {
            let mut current = sqlx::QueryBuilder::new("SELECT status FROM orders WHERE id = ");
            current.push_bind(id);
            if let Some(user_id) = user_id {
                current.push(" AND user_id = ").push_bind(user_id);
            }
            current.build_query_scalar().fetch_optional(&mut *conn).await
        })?;
        tx.rollback().await?;
        return Ok(match status.as_deref().and_then(OrderStatus::from_db) {
            Some(status) => Transition::Conflict(status),
            None => Transition::NotFound,
        });
    };
    tx.commit().await?;
    Ok(with_lines(db, vec![row])
        .await?
        .pop()
        .map_or(Transition::NotFound, Transition::Done))
}

/// Account deletion: cancels the user's `pending` and `paid` orders inside
/// the caller's transaction, giving their stock back. Returns how many.
pub async fn cancel_open_orders(
    tx: &mut WriteTx,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<usize, sqlx::Error> {
    let to = OrderStatus::Cancelled;
    let moved = move_orders(
        tx,
        Selection::OwnedBy(user_id),
        to,
        to.legal_predecessors(),
        now,
    )
    .await?;
    Ok(moved.len())
}

/// Expiry: cancels up to `limit` of the `pending` orders created before
/// `cutoff`, oldest first, giving their stock back. Returns how many.
pub async fn expire_pending(
    db: &Db,
    cutoff: OffsetDateTime,
    limit: i64,
) -> Result<usize, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let which = Selection::CreatedBefore { cutoff, limit };
    let pending = [OrderStatus::Pending];
    let moved = move_orders(
        &mut tx,
        which,
        OrderStatus::Cancelled,
        &pending,
        crate::db::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(moved.len())
}

/// Moves the selected orders whose status is in `allowed_from` to `to`.
/// The state check and the change are one statement: of two concurrent
/// moves from the same state, only one can match.
async fn move_orders(
    tx: &mut WriteTx,
    which: Selection,
    to: OrderStatus,
    allowed_from: &[OrderStatus],
    now: OffsetDateTime,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let moved: Vec<OrderRow> = on_tx!(&mut *tx, conn => {
        let mut update = sqlx::QueryBuilder::new("UPDATE orders SET status = ");
        update.push_bind(to.as_str()).push(", updated_at = ").push_bind(now);
        match which {
            Selection::One { id, user_id } => {
                update.push(" WHERE id = ").push_bind(id);
                if let Some(user_id) = user_id {
                    update.push(" AND user_id = ").push_bind(user_id);
                }
            }
            Selection::OwnedBy(user_id) => {
                update.push(" WHERE user_id = ").push_bind(user_id);
            }
            Selection::CreatedBefore { cutoff, limit } => {
                update.push(" WHERE id IN (SELECT id FROM orders WHERE created_at < ").push_bind(cutoff);
                push_status_in(&mut update, allowed_from);
                update.push(" ORDER BY created_at LIMIT ").push_bind(limit).push(")");
            }
        }
        // Checked again in the UPDATE itself: a concurrent move wins or loses here.
        push_status_in(&mut update, allowed_from);
        update.push(concat!(" RETURNING ", order_columns!()));
        update.build_query_as().fetch_all(&mut *conn).await
    })?;
    if to.restores_stock() && !moved.is_empty() {
        let ids: Vec<Uuid> = moved.iter().map(|order| order.id).collect();
        restore_stock(tx, &ids, now).await?;
    }
    Ok(moved)
}

/// ` AND status IN (…)`, binding each state; an empty list matches nothing.
fn push_status_in<DB: sqlx::Database>(query: &mut sqlx::QueryBuilder<DB>, states: &[OrderStatus])
where
    &'static str: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
{
    query.push(" AND status IN (");
    let mut separated = query.separated(", ");
    for state in states {
        separated.push_bind(state.as_str());
    }
    if states.is_empty() {
        separated.push("NULL");
    }
    query.push(")");
}

/// Gives back the stock of the orders `ids`: the only place stock returns.
/// Products are updated in id order, the order `place` takes them in, so a
/// cancellation and a placement cannot deadlock.
async fn restore_stock(
    tx: &mut WriteTx,
    ids: &[Uuid],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let mut returned: BTreeMap<Uuid, i64> = BTreeMap::new();
    // Chunks stay far below SQLite's limit on bound variables.
    for chunk in ids.chunks(1000) {
        let lines: Vec<(Uuid, i32)> = on_tx!(&mut *tx, conn => {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT product_id, quantity FROM order_lines WHERE order_id IN (",
            );
            let mut separated = query.separated(", ");
            for id in chunk {
                separated.push_bind(*id);
            }
            query.push(")");
            query.build_query_as().fetch_all(&mut *conn).await
        })?;
        for (product, quantity) in lines {
            *returned.entry(product).or_default() += i64::from(quantity);
        }
    }
    for (product, quantity) in returned {
        on_tx!(&mut *tx, conn => {
            sqlx::query("UPDATE products SET stock = stock + $2, updated_at = $3 WHERE id = $1")
                .bind(product)
                .bind(quantity)
                .bind(now)
                .execute(&mut *conn)
                .await
                .map(drop)
        })?;
    }
    Ok(())
}
