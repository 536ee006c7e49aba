//! SQL for accounts. Every function takes the `Db` and plain values; no HTTP.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::Db;
use crate::{on_db, on_tx};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
    pub last_login_at: Option<OffsetDateTime>,
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub display_name: &'a str,
}

pub enum Created {
    User(UserRow),
    EmailTaken,
}

/// The selected columns, as a literal so that every query stays a `&'static str`
/// (sqlx refuses SQL built at run time unless it is audited).
macro_rules! user_columns {
    () => {
        "id, email, password_hash, role, disabled, created_at, last_login_at"
    };
}

/// Creates the account and its profile in one transaction.
pub async fn create(db: &Db, new: NewUser<'_>) -> Result<Created, sqlx::Error> {
    let id = Uuid::new_v4();
    let now = crate::db::now();
    let result = on_db!(db, pool => {
        let mut tx = crate::db::begin_write(pool).await?;
        let user: UserRow = sqlx::query_as(concat!("INSERT INTO users (id, email, password_hash, role, disabled, created_at, updated_at)
             VALUES ($1, $2, $3, $4, FALSE, $5, $5) RETURNING ", user_columns!()))
        .bind(id)
        .bind(new.email)
        .bind(new.password_hash)
        .bind(new.role)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO profiles (user_id, display_name, updated_at) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(new.display_name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(user)
    });
    match result {
        Ok(user) => Ok(Created::User(user)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Created::EmailTaken),
        Err(e) => Err(e),
    }
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1");
    on_db!(db, pool => sqlx::query_as(sql).bind(email).fetch_optional(pool).await)
}

pub async fn find_by_id(db: &Db, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
    on_db!(db, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)
}

pub async fn display_name(db: &Db, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_scalar("SELECT display_name FROM profiles WHERE user_id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    })
}

pub async fn set_password_hash(db: &Db, id: Uuid, hash: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(hash)
            .bind(crate::db::now())
            .execute(pool)
            .await
            .map(drop)
    })
}

pub async fn record_login(db: &Db, id: Uuid, at: OffsetDateTime) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(pool)
            .await
            .map(drop)
    })
}

pub async fn set_role(db: &Db, email: &str, role: &str) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("UPDATE users SET role = $2, updated_at = $3 WHERE email = $1")
            .bind(email)
            .bind(role)
            .bind(crate::db::now())
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// Deletes the account; the profile, sessions, refresh tokens and orders go
/// with it (`ON DELETE CASCADE`). Its `pending` and `paid` orders are first
/// cancelled in the same transaction, so the stock they hold comes back.
pub async fn delete(db: &Db, id: Uuid) -> Result<Deletion, sqlx::Error> {
    let now = crate::db::now();
    let mut tx = db.begin_write().await?;
    // Lock-out protection, as in `admin::store::update_user` (same lock order:
    // the active admins first): the last active admin cannot leave.
    let lock_admins = crate::with_row_lock!(
        tx,
        "SELECT id FROM users WHERE role = 'admin' AND disabled = FALSE ORDER BY id",
        "FOR UPDATE"
    );
    let admins: Vec<Uuid> = on_tx!(&mut tx, conn => {
        sqlx::query_scalar(lock_admins).fetch_all(&mut *conn).await
    })?;
    if admins == [id] {
        tx.rollback().await?;
        return Ok(Deletion::LastAdmin);
    }
    // The account first, then its orders, then products: the order `place` locks in.
    let lock = crate::with_row_lock!(tx, "SELECT id FROM users WHERE id = $1", "FOR UPDATE");
    let found: Option<Uuid> = on_tx!(&mut tx, conn => {
        sqlx::query_scalar(lock).bind(id).fetch_optional(&mut *conn).await
    })?;
    if found.is_none() {
        tx.rollback().await?;
        return Ok(Deletion::NotFound);
    }
    crate::orders::lifecycle::cancel_open_orders(&mut tx, id, now).await?;
    on_tx!(&mut tx, conn => {
        sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut *conn).await.map(drop)
    })?;
    tx.commit().await?;
    Ok(Deletion::Deleted)
}

pub enum Deletion {
    Deleted,
    NotFound,
    /// The account is the only active admin.
    LastAdmin,
}

/// Bulk insert for `rampart seed`: accounts with their profiles, in one
/// transaction, as multi-row INSERTs. All rows share one password hash.
pub async fn insert_seed_users(
    db: &Db,
    users: &[(Uuid, String)],
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    let now = crate::db::now();
    on_db!(db, pool => {
        let mut tx = crate::db::begin_write(pool).await?;
        for chunk in users.chunks(1000) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO users (id, email, password_hash, role, disabled, created_at, updated_at) ",
            );
            insert.push_values(chunk, |mut row, (id, email)| {
                row.push_bind(*id)
                    .push_bind(email.clone())
                    .push_bind(password_hash.to_owned())
                    .push_bind("user")
                    .push_bind(false)
                    .push_bind(now)
                    .push_bind(now);
            });
            insert.build().execute(&mut *tx).await?;
            let mut insert =
                sqlx::QueryBuilder::new("INSERT INTO profiles (user_id, display_name, updated_at) ");
            insert.push_values(chunk, |mut row, (id, _)| {
                row.push_bind(*id).push_bind("Demo user").push_bind(now);
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await
    })
}
