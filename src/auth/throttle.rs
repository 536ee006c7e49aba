//! Per-account login throttling, stored in the database so that it holds
//! across instances. Stops online guessing against one account from many
//! addresses (which per-IP rate limits cannot see).
//!
//! After 5 consecutive failures the e-mail (known or not) is locked for 60 s;
//! each further failure after a lock doubles the next one, up to 900 s. While
//! locked the password is not checked and attempts do not count. A success
//! resets the counter.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::db::Db;
use crate::on_db;

pub const FAILURES_BEFORE_LOCK: i32 = 5;
const FIRST_LOCK_SECS: i64 = 60;
const MAX_LOCK_SECS: i64 = 900;

/// The throttle key: SHA-256 of the normalised e-mail.
pub fn key(normalised_email: &str) -> Vec<u8> {
    Sha256::digest(normalised_email.as_bytes()).to_vec()
}

/// Seconds left on the lock, if the key is locked.
pub async fn locked_for(
    db: &Db,
    key: &[u8],
    now: OffsetDateTime,
) -> Result<Option<u64>, sqlx::Error> {
    let until: Option<Option<OffsetDateTime>> = on_db!(db, pool => {
        sqlx::query_scalar("SELECT locked_until FROM login_throttle WHERE email_hash = $1")
            .bind(key)
            .fetch_optional(pool)
            .await
    })?;
    Ok(until
        .flatten()
        .filter(|until| *until > now)
        .map(|until| (until - now).whole_seconds().max(1) as u64))
}

/// The lock that the `failures`-th consecutive failure earns, in seconds.
pub fn lock_secs(failures: i32) -> Option<i64> {
    let beyond = failures - FAILURES_BEFORE_LOCK;
    (beyond >= 0).then(|| {
        let doublings = beyond.min(10) as u32;
        (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS)
    })
}

/// Counts a failure (atomically) and locks the key when it has earned it.
pub async fn record_failure(db: &Db, key: &[u8], now: OffsetDateTime) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        let failures: i32 = sqlx::query_scalar(
            "INSERT INTO login_throttle (email_hash, failures, updated_at) VALUES ($1, 1, $2)
             ON CONFLICT (email_hash) DO UPDATE
                 SET failures = login_throttle.failures + 1, updated_at = $2
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .fetch_one(pool)
        .await?;
        if let Some(secs) = lock_secs(failures) {
            sqlx::query("UPDATE login_throttle SET locked_until = $2 WHERE email_hash = $1")
                .bind(key)
                .bind(now + time::Duration::seconds(secs))
                .execute(pool)
                .await?;
        }
        Ok(())
    })
}

pub async fn reset(db: &Db, key: &[u8]) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("DELETE FROM login_throttle WHERE email_hash = $1")
            .bind(key)
            .execute(pool)
            .await
            .map(drop)
    })
}

#[cfg(test)]
mod tests {
    use super::lock_secs;

    #[test]
    fn locks_start_after_five_failures_and_double_to_a_cap() {
        assert_eq!(lock_secs(4), None);
        assert_eq!(lock_secs(5), Some(60));
        assert_eq!(lock_secs(6), Some(120));
        assert_eq!(lock_secs(7), Some(240));
        assert_eq!(lock_secs(9), Some(900));
        assert_eq!(lock_secs(1000), Some(900));
    }
}
