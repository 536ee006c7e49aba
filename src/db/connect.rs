//! Backend selection, pool limits and migrations.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use super::Db;
use crate::config::DatabaseSettings;

/// Opens the pool chosen by the URL scheme and runs the migrations.
///
/// The pool is bounded and has an acquire timeout: when the database is down a
/// request waits at most `acquire_timeout` and then gets a 503, instead of
/// piling up behind an unbounded queue.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Db> {
    let url = settings.url.expose_secret();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options =
            PgConnectOptions::from_str(url).context("DATABASE_URL is not a valid postgres URL")?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .idle_timeout(Duration::from_secs(300))
            .connect_with(options)
            .await
            .context("cannot connect to PostgreSQL (DATABASE_URL)")?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .context("PostgreSQL migrations failed")?;
        Ok(Db::Postgres(pool))
    } else if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .context("DATABASE_URL is not a valid sqlite URL")?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            // How long a writer waits for the write lock before its request gets a 503.
            .busy_timeout(settings.busy_timeout);
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .context("cannot open the SQLite database (DATABASE_URL)")?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .context("SQLite migrations failed")?;
        Ok(Db::Sqlite(pool))
    } else {
        anyhow::bail!("DATABASE_URL must start with sqlite: or postgres://")
    }
}
