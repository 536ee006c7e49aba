//! Housekeeping: the periodic clean-up of rows that have outlived their use.
//!
//! One pass is [`run_once`]: `rampart admin prune` runs it once, and the
//! server runs it every `HOUSEKEEPING_INTERVAL_SECONDS` in a background task
//! ([`spawn`]) that stops with the server. Every job is idempotent and works
//! in short batches (short write transactions, so SQLite's single writer is
//! never held for long), and several instances may run it at once. A new
//! clean-up is one more job in `run_once` and one more field in [`Report`].

use std::fmt;

use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::config::HousekeepingSettings;
use crate::db::Db;
use crate::orders::lifecycle;

/// Rows per write transaction.
const BATCH: i64 = 500;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// `pending` orders past `PENDING_ORDER_TTL_SECONDS`, cancelled with their stock restored.
    pub expired_orders: usize,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} expired pending orders cancelled",
            self.expired_orders
        )
    }
}

/// One pass of every job.
pub async fn run_once(db: &Db, settings: &HousekeepingSettings) -> Result<Report, sqlx::Error> {
    Ok(Report {
        expired_orders: expire_pending_orders(db, settings).await?,
    })
}

/// Stock hoarding: an unpaid order holds its stock; after the TTL it is
/// cancelled and the stock returns to the catalogue.
async fn expire_pending_orders(
    db: &Db,
    settings: &HousekeepingSettings,
) -> Result<usize, sqlx::Error> {
    let cutoff = time::Duration::try_from(settings.pending_order_ttl)
        .ok()
        .and_then(|ttl| crate::db::now().checked_sub(ttl));
    // A TTL beyond the calendar: nothing can be that old.
    let Some(cutoff) = cutoff else {
        return Ok(0);
    };
    let mut total = 0;
    loop {
        let cancelled = lifecycle::expire_pending(db, cutoff, BATCH).await?;
        total += cancelled;
        if (cancelled as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// The background task; dropping it ends it.
pub struct Housekeeper(JoinHandle<()>);

impl Drop for Housekeeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs [`run_once`] every `settings.interval`, the first time one interval
/// after start. A failed pass is logged and the next one tries again.
pub fn spawn(db: Db, settings: HousekeepingSettings) -> Housekeeper {
    Housekeeper(tokio::spawn(async move {
        let mut ticks =
            tokio::time::interval_at(Instant::now() + settings.interval, settings.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match run_once(&db, &settings).await {
                Ok(report) if report.is_empty() => tracing::debug!("housekeeping: nothing to do"),
                Ok(report) => tracing::info!(
                    expired_orders = report.expired_orders,
                    "housekeeping: {report}"
                ),
                Err(error) => {
                    tracing::warn!(error = %error, "housekeeping pass failed; retrying next interval")
                }
            }
        }
    }))
}
