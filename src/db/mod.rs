//! Storage: one binary, two backends, chosen at run time from `DATABASE_URL`.
//!
//! sqlx's `Any` driver cannot decode uuid/timestamp columns, so Rampart keeps a
//! native pool per backend in [`Db`] and *instantiates every store query once per
//! backend* with the [`on_db!`] macro. The SQL text is shared (both backends
//! accept `$1` placeholders and `RETURNING`); the Rust types are shared (sqlx
//! encodes `Uuid`, `OffsetDateTime` and `bool` natively on PostgreSQL and as
//! blob/text/integer on SQLite); only the DDL differs, in `migrations/{sqlite,postgres}`.

mod connect;
mod write;

pub use connect::connect;
pub use write::{WritePool, WriteTx, begin_write, is_contention};

use sqlx::{PgPool, SqlitePool};
use time::OffsetDateTime;

/// A pool for whichever backend `DATABASE_URL` selected.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of the active backend.
///
/// The body is compiled twice, once per backend, so every query is type-checked
/// against both drivers:
///
/// ```ignore
/// on_db!(&self.db, pool => sqlx::query("SELECT 1").execute(pool).await)
/// ```
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// A trivial round trip through the pool; used by readiness.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))
    }

    /// After a bulk load: refresh the planner's statistics and, on SQLite,
    /// fold the write-ahead log back into the database file so that reads do
    /// not have to search a log of millions of pages.
    pub async fn after_bulk_load(&self) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(pool) => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(pool)
                    .await?;
                sqlx::query("ANALYZE").execute(pool).await?;
            }
            Db::Postgres(pool) => {
                sqlx::query("ANALYZE users, orders, order_lines, products")
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

/// The current time, truncated to whole seconds.
///
/// SQLite stores timestamps as RFC 3339 text and compares them as strings; a
/// fixed width (no fractional part) keeps string order equal to time order.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}
