//! Sessions (token families) and refresh tokens.
//!
//! Rotation is a single conditional `UPDATE … WHERE used_at IS NULL`, so of
//! any number of concurrent refreshes with one token exactly one can win, on
//! both backends, with no read-then-write race. A token that was already
//! rotated is reuse: the whole session is revoked.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::Db;
use crate::on_db;

/// Ends every active session of user `$1` at time `$2`. Shared by logout-all,
/// password change, and the admin's demotion/disabling (inside their transactions).
pub const REVOKE_ALL_SESSIONS: &str =
    "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";

/// A user has at most this many active sessions; a new login beyond it ends
/// the least recently used one.
pub const MAX_ACTIVE_SESSIONS: i64 = 50;

/// An active session's user, as the `AuthUser` extractor needs it.
#[derive(Debug, FromRow)]
pub struct SessionUser {
    pub user_id: Uuid,
    pub role: String,
}

#[derive(Debug, FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub created_at: OffsetDateTime,
    pub last_used_at: OffsetDateTime,
    pub user_agent: Option<String>,
}

pub struct NewSession<'a> {
    pub user_id: Uuid,
    pub now: OffsetDateTime,
    pub idle_expires_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub token_hash: &'a [u8],
}

pub enum Rotation {
    Rotated {
        session_id: Uuid,
        user_id: Uuid,
        refresh_expires_at: OffsetDateTime,
    },
    /// An already-rotated token came back: the session has been revoked.
    Reused {
        session_id: Uuid,
        user_id: Uuid,
    },
    Invalid,
}

/// Opens a session with its first refresh token and trims the user's active
/// sessions to [`MAX_ACTIVE_SESSIONS`]. Returns the session id.
pub async fn create_session(db: &Db, new: NewSession<'_>) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    on_db!(db, pool => {
        let mut tx = crate::db::begin_write(pool).await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, user_agent, ip)
             VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(new.user_id)
        .bind(new.now)
        .bind(new.idle_expires_at)
        .bind(new.expires_at)
        .bind(new.user_agent)
        .bind(new.ip)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)")
            .bind(new.token_hash)
            .bind(id)
            .bind(new.now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2
             WHERE user_id = $1 AND revoked_at IS NULL AND id NOT IN (
                 SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL
                 ORDER BY last_used_at DESC, created_at DESC LIMIT $3)",
        )
        .bind(new.user_id)
        .bind(new.now)
        .bind(MAX_ACTIVE_SESSIONS)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })?;
    Ok(id)
}

/// The session's user when the session is active and the account enabled.
pub async fn active_session_user(
    db: &Db,
    session_id: Uuid,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<SessionUser>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as(
            "SELECT u.id AS user_id, u.role FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL
               AND s.expires_at > $3 AND s.idle_expires_at > $3 AND u.disabled = FALSE",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(now)
        .fetch_optional(pool)
        .await
    })
}

/// Rotates `presented` into `replacement`, atomically.
pub async fn rotate(
    db: &Db,
    presented: &[u8],
    replacement: &[u8],
    now: OffsetDateTime,
    idle_ttl: time::Duration,
) -> Result<Rotation, sqlx::Error> {
    on_db!(db, pool => {
        let mut tx = crate::db::begin_write(pool).await?;
        // The winner: the one UPDATE that still finds `used_at IS NULL`.
        let won: Option<(Uuid, Uuid, OffsetDateTime)> = sqlx::query_as(
            "UPDATE refresh_tokens SET used_at = $2
             WHERE token_hash = $1 AND used_at IS NULL AND session_id IN (
                 SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.revoked_at IS NULL AND s.expires_at > $2 AND s.idle_expires_at > $2
                   AND u.disabled = FALSE)
             RETURNING session_id,
                 (SELECT user_id FROM sessions WHERE id = refresh_tokens.session_id),
                 (SELECT expires_at FROM sessions WHERE id = refresh_tokens.session_id)",
        )
        .bind(presented)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((session_id, user_id, expires_at)) = won {
            let idle_expires_at = (now + idle_ttl).min(expires_at);
            sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)")
                .bind(replacement)
                .bind(session_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE sessions SET last_used_at = $2, idle_expires_at = $3 WHERE id = $1")
                .bind(session_id)
                .bind(now)
                .bind(idle_expires_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Rotation::Rotated { session_id, user_id, refresh_expires_at: idle_expires_at });
        }
        // Not the winner: was it a rotated token coming back (theft)?
        let used: Option<(Uuid, Uuid)> = sqlx::query_as(
            "SELECT t.session_id, s.user_id FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
             WHERE t.token_hash = $1 AND t.used_at IS NOT NULL",
        )
        .bind(presented)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((session_id, user_id)) = used else {
            tx.rollback().await?;
            return Ok(Rotation::Invalid);
        };
        sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(session_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Rotation::Reused { session_id, user_id })
    })
}

/// Revokes one of the user's sessions. `false` when it is not theirs or not active.
pub async fn revoke_session(
    db: &Db,
    user_id: Uuid,
    session_id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(session_id)
            .bind(user_id)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

pub async fn revoke_all(db: &Db, user_id: Uuid, now: OffsetDateTime) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query(REVOKE_ALL_SESSIONS)
            .bind(user_id)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })
}

/// Sets a new password hash and ends every session, in one transaction.
pub async fn change_password(
    db: &Db,
    user_id: Uuid,
    hash: &str,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        let mut tx = crate::db::begin_write(pool).await?;
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(REVOKE_ALL_SESSIONS)
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    })
}

pub async fn list_active(
    db: &Db,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id, created_at, last_used_at, user_agent FROM sessions
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND idle_expires_at > $2
             ORDER BY last_used_at DESC, created_at DESC",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(pool)
        .await
    })
}
