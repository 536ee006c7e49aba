//! Per-account login throttling, stored in the database so that it holds
//! across instances. Stops online guessing against one account from many
//! addresses (which per-IP rate limits cannot see).
//!
//! After 5 consecutive failures the e-mail (known or not) is locked for 60 s;
//! each further failure after a lock doubles the next one, up to 900 s. While
//! locked the password is not checked and attempts do not count. A success
//! resets the counter. Every check of a current password (login, password
//! change, account deletion) reserves its attempt here first.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::db::Db;
use crate::on_db;

pub const FAILURES_BEFORE_LOCK: i32 = 5;
const FIRST_LOCK_SECS: i64 = 60;
const MAX_LOCK_SECS: i64 = 900;
/// Doublings until `FIRST_LOCK_SECS` reaches `MAX_LOCK_SECS` (60 → 120 → 240 → 480 → 900).
const LOCK_STEPS: i32 = 4;

/// The throttle key: SHA-256 of the normalised e-mail.
pub fn key(normalised_email: &str) -> Vec<u8> {
    Sha256::digest(normalised_email.as_bytes()).to_vec()
}

/// The outcome of [`reserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The attempt was counted; the caller may check the password once.
    Allowed,
    /// Locked for this many more seconds: do not check the password.
    Locked(u64),
}

/// The lock that the `failures`-th consecutive failure earns, in seconds.
pub fn lock_secs(failures: i32) -> Option<i64> {
    let beyond = failures - FAILURES_BEFORE_LOCK;
    (beyond >= 0).then(|| {
        let doublings = beyond.min(10) as u32;
        (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS)
    })
}

/// Counts one attempt *before* the password is checked, in one atomic
/// statement, and sets the lock the attempt would earn if it fails.
///
/// Stops concurrent guessing: checking the lock and counting the failure in
/// separate steps let 40 simultaneous guesses all pass a "not locked yet"
/// check. Here each attempt takes its number in the upsert (row lock on
/// PostgreSQL, the single writer on SQLite, so across instances too); the 5th
/// sets `locked_until` at once and every later one finds the lock. A success
/// [`reset`]s the row, which refunds the attempt and lifts the lock.
pub async fn reserve(db: &Db, key: &[u8], now: OffsetDateTime) -> Result<Attempt, sqlx::Error> {
    // The lock each count earns, precomputed (`lock_secs` as bind values, so
    // the statement stays the same text on both backends).
    let lock_at =
        |failures: i32| lock_secs(failures).map(|secs| now + time::Duration::seconds(secs));
    let counted: Option<i32> = on_db!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO login_throttle (email_hash, failures, updated_at) VALUES ($1, 1, $2)
             ON CONFLICT (email_hash) DO UPDATE
                 SET failures = login_throttle.failures + 1, updated_at = $2,
                     locked_until = CASE
                         WHEN login_throttle.failures + 1 < $3 THEN NULL
                         WHEN login_throttle.failures + 1 = $3 THEN $4
                         WHEN login_throttle.failures + 1 = $3 + 1 THEN $5
                         WHEN login_throttle.failures + 1 = $3 + 2 THEN $6
                         WHEN login_throttle.failures + 1 = $3 + 3 THEN $7
                         ELSE $8 END
                 WHERE login_throttle.locked_until IS NULL OR login_throttle.locked_until <= $2
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(FAILURES_BEFORE_LOCK)
        .bind(lock_at(FAILURES_BEFORE_LOCK))
        .bind(lock_at(FAILURES_BEFORE_LOCK + 1))
        .bind(lock_at(FAILURES_BEFORE_LOCK + 2))
        .bind(lock_at(FAILURES_BEFORE_LOCK + 3))
        .bind(lock_at(FAILURES_BEFORE_LOCK + LOCK_STEPS))
        .fetch_optional(pool)
        .await
    })?;
    if counted.is_some() {
        return Ok(Attempt::Allowed);
    }
    // The row is locked: the attempt was not counted and must not be checked.
    let until: Option<Option<OffsetDateTime>> = on_db!(db, pool => {
        sqlx::query_scalar("SELECT locked_until FROM login_throttle WHERE email_hash = $1")
            .bind(key)
            .fetch_optional(pool)
            .await
    })?;
    let wait = until
        .flatten()
        .map_or(1, |until| (until - now).whole_seconds().max(1) as u64);
    Ok(Attempt::Locked(wait))
}

/// Gives back an attempt that [`reserve`] counted but that ended before its
/// password was checked (the hashing queue was full: 503): an outage must not
/// lock a user out. A lock the refunded attempt set is lifted with it.
pub async fn refund(db: &Db, key: &[u8]) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query(
            "UPDATE login_throttle SET failures = failures - 1,
                 locked_until = CASE WHEN failures - 1 < $2 THEN NULL ELSE locked_until END
             WHERE email_hash = $1 AND failures > 0",
        )
        .bind(key)
        .bind(FAILURES_BEFORE_LOCK)
        .execute(pool)
        .await
        .map(drop)
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
    use super::*;

    #[test]
    fn locks_start_after_five_failures_and_double_to_a_cap() {
        assert_eq!(lock_secs(4), None);
        assert_eq!(lock_secs(5), Some(60));
        assert_eq!(lock_secs(6), Some(120));
        assert_eq!(lock_secs(7), Some(240));
        assert_eq!(lock_secs(9), Some(900));
        assert_eq!(lock_secs(1000), Some(900));
        // `reserve` spells the schedule out up to the cap.
        assert_eq!(lock_secs(FAILURES_BEFORE_LOCK + LOCK_STEPS - 1), Some(480));
        assert_eq!(lock_secs(FAILURES_BEFORE_LOCK + LOCK_STEPS), Some(900));
    }
}
