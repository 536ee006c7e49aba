//! Write transactions, and what a busy database looks like.
//!
//! Every store transaction that writes starts with [`begin_write`] (inside
//! `on_db!`) or [`Db::begin_write`] (when the work spans stores, run with
//! `on_tx!`). On SQLite that is `BEGIN IMMEDIATE`: the database's one write
//! lock is taken up front, waiting up to the busy timeout. A deferred `BEGIN`
//! would read first and then fail at once with "database is locked" when it
//! tried to upgrade to writing while another writer had moved on. On
//! PostgreSQL a plain `BEGIN` is right: row locks (and `FOR UPDATE` where a
//! rule reads before it writes) do the serialising.

use std::future::Future;

use sqlx::error::DatabaseError;
use sqlx::sqlite::SqliteError;
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use super::Db;

/// A pool that can open a write transaction.
pub trait WritePool {
    type Database: sqlx::Database;

    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Database>, sqlx::Error>> + Send;
}

impl WritePool for SqlitePool {
    type Database = Sqlite;

    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl WritePool for PgPool {
    type Database = Postgres;

    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Postgres>, sqlx::Error>> + Send {
        self.begin()
    }
}

/// Opens a write transaction on the pool `on_db!` bound.
pub async fn begin_write<P: WritePool>(
    pool: &P,
) -> Result<Transaction<'static, P::Database>, sqlx::Error> {
    pool.begin_write().await
}

/// A write transaction on either backend, for work that spans stores (an
/// account's deletion cancels its orders in the same transaction).
pub enum WriteTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$conn` bound to the connection of a `&mut WriteTx`;
/// like `on_db!`, the body is compiled once per backend.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::WriteTx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::WriteTx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// `$select`, with the row-lock clause `$lock` appended on PostgreSQL. SQLite
/// has no row locks and needs none: a write transaction already holds its
/// single write lock. `$on` is a `Db` or a `WriteTx`.
#[macro_export]
macro_rules! with_row_lock {
    ($on:expr, $select:literal, $lock:literal) => {
        if $on.has_row_locks() {
            concat!($select, " ", $lock)
        } else {
            $select
        }
    };
}

impl Db {
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => WriteTx::Sqlite(begin_write(pool).await?),
            Db::Postgres(pool) => WriteTx::Postgres(begin_write(pool).await?),
        })
    }

    pub fn has_row_locks(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await,
            WriteTx::Postgres(tx) => tx.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            WriteTx::Sqlite(tx) => tx.rollback().await,
            WriteTx::Postgres(tx) => tx.rollback().await,
        }
    }

    pub fn has_row_locks(&self) -> bool {
        matches!(self, WriteTx::Postgres(_))
    }
}

/// Whether a database error is lock contention that a retry can cure:
/// SQLite `BUSY`/`LOCKED` (any extended code) once the busy timeout has run
/// out, or a PostgreSQL deadlock, serialisation failure or lock timeout.
pub fn is_contention(error: &dyn DatabaseError) -> bool {
    if let Some(sqlite) = error.try_downcast_ref::<SqliteError>() {
        // `code()` is the extended result code; its low byte is the primary one.
        const SQLITE_BUSY: i32 = 5;
        const SQLITE_LOCKED: i32 = 6;
        let primary = sqlite
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .map(|code| code & 0xff);
        return matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED));
    }
    matches!(error.code().as_deref(), Some("40P01" | "40001" | "55P03"))
}
