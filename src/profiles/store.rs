//! SQL for profiles. The owner is the key of every query.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::Db;
use crate::on_db;

#[derive(Debug, FromRow)]
pub struct ProfileRow {
    pub user_id: Uuid,
    pub display_name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
    pub updated_at: OffsetDateTime,
}

/// One field of a PATCH: `None` leaves it as it is, `Some(None)` clears it.
pub type Change<T> = Option<Option<T>>;

#[derive(Default)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub bio: Change<String>,
    pub avatar_url: Change<String>,
    pub phone: Change<String>,
}

/// The selected columns, as a literal so that every query stays a `&'static str`
/// (sqlx refuses SQL built at run time unless it is audited).
macro_rules! columns {
    () => {
        "user_id, display_name, bio, avatar_url, phone, updated_at"
    };
}

pub async fn get(db: &Db, user_id: Uuid) -> Result<Option<ProfileRow>, sqlx::Error> {
    let sql = concat!("SELECT ", columns!(), " FROM profiles WHERE user_id = $1");
    on_db!(db, pool => sqlx::query_as(sql).bind(user_id).fetch_optional(pool).await)
}

/// Applies the changes to the owner's profile in one statement.
pub async fn update(
    db: &Db,
    user_id: Uuid,
    changes: ProfileChanges,
) -> Result<Option<ProfileRow>, sqlx::Error> {
    let sql = concat!(
        "UPDATE profiles SET
             display_name = CASE WHEN $2 THEN $3 ELSE display_name END,
             bio          = CASE WHEN $4 THEN $5 ELSE bio END,
             avatar_url   = CASE WHEN $6 THEN $7 ELSE avatar_url END,
             phone        = CASE WHEN $8 THEN $9 ELSE phone END,
             updated_at   = $10
         WHERE user_id = $1 RETURNING ",
        columns!()
    );
    let ProfileChanges {
        display_name,
        bio,
        avatar_url,
        phone,
    } = changes;
    on_db!(db, pool => {
        sqlx::query_as(sql)
            .bind(user_id)
            .bind(display_name.is_some())
            .bind(display_name.clone())
            .bind(bio.is_some())
            .bind(bio.clone().flatten())
            .bind(avatar_url.is_some())
            .bind(avatar_url.clone().flatten())
            .bind(phone.is_some())
            .bind(phone.clone().flatten())
            .bind(crate::db::now())
            .fetch_optional(pool)
            .await
    })
}
