//! Housekeeping: `rampart admin prune` and the periodic background task
//! cancel pending orders older than `PENDING_ORDER_TTL_SECONDS`, restoring stock.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Backend, TestApp, TestUser};
use crate::reserved_stock::{place, set_status};

on_both_backends!(prune_cancels_expired_pending_orders);

/// Back-dates an order's creation by `age`.
async fn age(app: &TestApp, order: &str, age: time::Duration) {
    let db = app.db().await;
    let id = uuid::Uuid::parse_str(order).unwrap();
    rampart::on_db!(&db, pool => {
        sqlx::query("UPDATE orders SET created_at = $1 WHERE id = $2")
            .bind(rampart::db::now() - age)
            .bind(id)
            .execute(pool)
            .await
            .map(drop)
            .unwrap()
    });
}

async fn status_of(app: &TestApp, user: &TestUser, order: &str) -> String {
    let order: Value = app
        .get_with(&format!("/api/v1/orders/{order}"), &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    order["status"].as_str().unwrap().to_owned()
}

async fn prune_cancels_expired_pending_orders(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let product = app.product(&admin, 100, 10, "EUR").await;
    let expired = place(&app, &user, &product, 3).await;
    let fresh = place(&app, &user, &product, 2).await;
    let old_but_paid = place(&app, &user, &product, 1).await;
    set_status(&app, &admin, &old_but_paid, "paid").await;
    let two_days = time::Duration::days(2);
    age(&app, &expired, two_days).await;
    age(&app, &old_but_paid, two_days).await;
    assert_eq!(app.stock_of(&admin, &product).await, 4);

    let dir = tempfile::tempdir().unwrap();
    let pruned = crate::cli::admin(dir.path(), &app.database_url, &["prune"], "");
    assert!(
        pruned.status.success(),
        "{}",
        String::from_utf8_lossy(&pruned.stderr)
    );
    assert_eq!(status_of(&app, &user, &expired).await, "cancelled");
    assert_eq!(status_of(&app, &user, &fresh).await, "pending");
    assert_eq!(status_of(&app, &user, &old_but_paid).await, "paid");
    assert_eq!(app.stock_of(&admin, &product).await, 7);

    // A second pass finds nothing left to do and restores nothing twice.
    let again = crate::cli::admin(dir.path(), &app.database_url, &["prune"], "");
    assert!(again.status.success());
    assert_eq!(app.stock_of(&admin, &product).await, 7);
}

async fn background_task_expires_pending_orders(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |vars| {
        vars.insert("HOUSEKEEPING_INTERVAL_SECONDS".into(), "1".into());
        vars.insert("PENDING_ORDER_TTL_SECONDS".into(), "3600".into());
    })
    .await
    else {
        return;
    };
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let product = app.product(&admin, 100, 10, "EUR").await;
    let expired = place(&app, &user, &product, 3).await;
    let fresh = place(&app, &user, &product, 2).await;
    age(&app, &expired, time::Duration::hours(2)).await;

    let mut waited = Duration::ZERO;
    while status_of(&app, &user, &expired).await == "pending" {
        assert!(waited < Duration::from_secs(10), "the task never ran");
        tokio::time::sleep(Duration::from_millis(200)).await;
        waited += Duration::from_millis(200);
    }
    assert_eq!(status_of(&app, &user, &expired).await, "cancelled");
    assert_eq!(status_of(&app, &user, &fresh).await, "pending");
    assert_eq!(app.stock_of(&admin, &product).await, 8);
}

#[tokio::test]
async fn background_task_expires_pending_orders_sqlite() {
    background_task_expires_pending_orders(Backend::Sqlite).await;
}

#[tokio::test]
async fn background_task_expires_pending_orders_postgres() {
    background_task_expires_pending_orders(Backend::Postgres).await;
}
