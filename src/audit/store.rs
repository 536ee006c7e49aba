use uuid::Uuid;

use crate::db::Db;
use crate::on_db;

pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub severity: &'a str,
    pub user_id: Option<Uuid>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub detail: &'a str,
}

pub async fn insert(db: &Db, event: NewEvent<'_>) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query(
            "INSERT INTO audit_events (id, at, kind, severity, user_id, ip, user_agent, request_id, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(Uuid::new_v4())
        .bind(crate::db::now())
        .bind(event.kind)
        .bind(event.severity)
        .bind(event.user_id)
        .bind(event.ip)
        .bind(event.user_agent)
        .bind(event.request_id)
        .bind(event.detail)
        .execute(pool)
        .await
        .map(drop)
    })
}
