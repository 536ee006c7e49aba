//! Admin-only SQL: accounts and the audit trail.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::scope::AdminScope;
use crate::db::Db;
use crate::http::pagination::TimeId;
use crate::on_db;
use crate::users::domain::Role;

#[derive(Debug, FromRow)]
pub struct AdminUserRow {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
    pub last_login_at: Option<OffsetDateTime>,
}

#[derive(Debug, FromRow)]
pub struct AuditRow {
    pub id: Uuid,
    pub at: OffsetDateTime,
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub detail: String,
}

/// The selected columns, as a literal so that every query stays a `&'static str`
/// (sqlx refuses SQL built at run time unless it is audited).
macro_rules! user_columns {
    () => {
        "id, email, role, disabled, created_at, last_login_at"
    };
}

/// `input` as a LIKE prefix pattern: its own `%`, `_` and `\\` match literally.
pub fn like_prefix(input: &str) -> String {
    let mut pattern = String::with_capacity(input.len() + 1);
    for c in input.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Accounts ordered by e-mail, optionally by case-insensitive prefix.
pub async fn list_users(
    db: &Db,
    _scope: &AdminScope,
    email_prefix: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<AdminUserRow>, sqlx::Error> {
    on_db!(db, pool => {
        let mut query = sqlx::QueryBuilder::new(concat!("SELECT ", user_columns!(), " FROM users WHERE TRUE"));
        if let Some(prefix) = email_prefix {
            query.push(" AND email LIKE ").push_bind(like_prefix(prefix)).push(" ESCAPE '\\'");
        }
        if let Some(after) = after {
            query.push(" AND email > ").push_bind(after.to_owned());
        }
        query.push(" ORDER BY email LIMIT ").push_bind(limit + 1);
        query.build_query_as().fetch_all(pool).await
    })
}

pub struct UserUpdate {
    pub before: AdminUserRow,
    pub after: AdminUserRow,
    /// Demoted or disabled: their sessions were ended in the same transaction.
    pub sessions_ended: bool,
}

pub enum UserUpdateOutcome {
    Updated(Box<UserUpdate>),
    NotFound,
    /// The acting admin tried to demote or disable themselves.
    OwnAccount,
    /// The change would leave no active admin.
    LastAdmin,
    /// The acting admin lost the role (or was disabled) since the request began.
    ActorNotAdmin,
}

/// Changes role and/or disabled; demotion or disabling ends the user's
/// sessions at once (their tokens answer 401 from the next request).
///
/// Lock-out protection: the active admins' rows are locked (PostgreSQL; on
/// SQLite the write transaction holds the database) before the rules are
/// checked, so two admins demoting each other at once are serialised and
/// the second sees the first's change: an active admin always remains.
pub async fn update_user(
    db: &Db,
    _scope: &AdminScope,
    actor: Uuid,
    id: Uuid,
    role: Option<Role>,
    disabled: Option<bool>,
) -> Result<UserUpdateOutcome, sqlx::Error> {
    let now = crate::db::now();
    let lock_admins = crate::with_row_lock!(
        db,
        "SELECT id FROM users WHERE role = 'admin' AND disabled = FALSE ORDER BY id",
        "FOR UPDATE"
    );
    on_db!(db, pool => {
        let mut tx = crate::db::begin_write(pool).await?;
        let admins: Vec<Uuid> = sqlx::query_scalar(lock_admins).fetch_all(&mut *tx).await?;
        let before: Option<AdminUserRow> =
            sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(before) = before else {
            tx.rollback().await?;
            return Ok(UserUpdateOutcome::NotFound);
        };
        let removes_admin = role == Some(Role::User) || disabled == Some(true);
        let refusal = if id == actor && removes_admin {
            Some(UserUpdateOutcome::OwnAccount)
        } else if removes_admin && admins == [id] {
            Some(UserUpdateOutcome::LastAdmin)
        } else if !admins.contains(&actor) {
            Some(UserUpdateOutcome::ActorNotAdmin)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            tx.rollback().await?;
            return Ok(refusal);
        }
        let after: AdminUserRow = sqlx::query_as(concat!("UPDATE users SET role = COALESCE($2, role), disabled = COALESCE($3, disabled), updated_at = $4
             WHERE id = $1 RETURNING ", user_columns!()))
        .bind(id)
        .bind(role.map(Role::as_str))
        .bind(disabled)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let demoted = before.role == "admin" && after.role != "admin";
        let newly_disabled = !before.disabled && after.disabled;
        if demoted || newly_disabled {
            sqlx::query(crate::auth::store::REVOKE_ALL_SESSIONS)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let sessions_ended = demoted || newly_disabled;
        Ok(UserUpdateOutcome::Updated(Box::new(UserUpdate { before, after, sessions_ended })))
    })
}

pub async fn get_user(
    db: &Db,
    _scope: &AdminScope,
    id: Uuid,
) -> Result<Option<AdminUserRow>, sqlx::Error> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
    on_db!(db, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)
}

/// Audit events, newest first.
pub async fn list_audit(
    db: &Db,
    _scope: &AdminScope,
    kind: Option<&str>,
    user_id: Option<Uuid>,
    after: Option<TimeId>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    on_db!(db, pool => {
        let mut query = sqlx::QueryBuilder::new(
            "SELECT id, at, kind, user_id, ip, request_id, detail FROM audit_events WHERE TRUE",
        );
        if let Some(kind) = kind {
            query.push(" AND kind = ").push_bind(kind.to_owned());
        }
        if let Some(user_id) = user_id {
            query.push(" AND user_id = ").push_bind(user_id);
        }
        if let Some(after) = after {
            query.push(" AND (at, id) < (").push_bind(after.at);
            query.push(", ").push_bind(after.id).push(")");
        }
        query.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(limit + 1);
        query.build_query_as().fetch_all(pool).await
    })
}

#[cfg(test)]
mod tests {
    use super::like_prefix;

    #[test]
    fn like_wildcards_in_the_input_are_escaped() {
        assert_eq!(like_prefix("Ada"), "ada%");
        assert_eq!(like_prefix("a_b%c"), "a\\_b\\%c%");
        assert_eq!(like_prefix("x\\y"), "x\\\\y%");
    }
}
