//! Concurrent writers: a busy database is a wait or a 503, never a 500.

use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use serde_json::json;
use sqlx::Connection;

use crate::helpers::{Backend, TestApp, TestUser, assert_problem};

on_both_backends!(concurrent_writes_of_every_kind_are_never_a_500);

/// Registrations, orders, cancels, refreshes and admin changes all at once.
/// On SQLite every write transaction takes the write lock up front, so none
/// fails half-way with "database is locked".
async fn concurrent_writes_of_every_kind_are_never_a_500(app: TestApp) {
    let admin = app.admin().await;
    let product = app.product(&admin, 100, 1_000, "EUR").await;
    let mut buyers = Vec::new();
    let mut targets = Vec::new();
    for _ in 0..4 {
        buyers.push(app.register_and_login().await);
        targets.push(app.register_and_login().await);
    }
    let (app, product, admin) = (&app, product.as_str(), &admin);

    let mut work: Vec<LocalBoxFuture<'_, Vec<u16>>> = Vec::new();
    for n in 0..6 {
        work.push(
            async move {
                let email = format!("racer-{n}-{}@example.com", uuid::Uuid::new_v4().simple());
                vec![
                    app.register(&email, crate::helpers::GOOD_PASSWORD)
                        .await
                        .status()
                        .as_u16(),
                ]
            }
            .boxed_local(),
        );
    }
    for buyer in &buyers {
        for _ in 0..5 {
            work.push(
                async move {
                    let placed = app.order(buyer, &[(product, 1)]).await;
                    let mut statuses = vec![placed.status().as_u16()];
                    if placed.status() == 201 {
                        let order: serde_json::Value = placed.json().await.unwrap();
                        let path =
                            format!("/api/v1/orders/{}/cancel", order["id"].as_str().unwrap());
                        let cancel =
                            app.send_with(reqwest::Method::POST, &path, &buyer.access_token);
                        statuses.push(cancel.await.status().as_u16());
                    }
                    statuses
                }
                .boxed_local(),
            );
        }
        work.push(refresh_chain(app, buyer.clone()).boxed_local());
    }
    for target in &targets {
        work.push(
            async move {
                let path = format!("/api/v1/admin/users/{}", target.id);
                let mut statuses = Vec::new();
                for disabled in [true, false, true, false] {
                    let body = json!({ "disabled": disabled });
                    let changed = app.patch_json(&path, &body, &admin.access_token).await;
                    statuses.push(changed.status().as_u16());
                }
                statuses
            }
            .boxed_local(),
        );
    }

    let statuses: Vec<u16> = futures_util::future::join_all(work)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(
        statuses.iter().all(|s| *s < 500 || *s == 503),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s < 300).count() > statuses.len() / 2,
        "most writes succeed: {statuses:?}"
    );
}

/// Refreshes one session four times in a row (each with the newest token).
async fn refresh_chain(app: &TestApp, mut user: TestUser) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let refreshed = app.refresh(&user.refresh_token).await;
        statuses.push(refreshed.status().as_u16());
        if refreshed.status() != 200 {
            break;
        }
        let pair: serde_json::Value = refreshed.json().await.unwrap();
        user.refresh_token = pair["refresh_token"].as_str().unwrap().to_owned();
    }
    statuses
}

/// Another connection holds SQLite's write lock longer than the busy timeout:
/// the request waits `DB_BUSY_TIMEOUT_MS`, then gets 503 + `Retry-After`.
#[tokio::test]
async fn a_held_sqlite_write_lock_is_503_with_retry_after() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |vars| {
        vars.insert("DB_BUSY_TIMEOUT_MS".into(), "200".into());
    })
    .await
    else {
        return;
    };
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let product = app.product(&admin, 100, 10, "EUR").await;

    let mut holder = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();

    let started = Instant::now();
    let order = app.order(&user, &[(&product, 1)]).await;
    let waited = started.elapsed();
    let retry_after = order.headers().contains_key("retry-after");
    assert_problem(order, 503).await;
    assert!(retry_after);
    assert!(
        waited < Duration::from_secs(3),
        "DB_BUSY_TIMEOUT_MS is honoured: {waited:?}"
    );
    // A single-statement write is mapped the same way.
    let profile = app
        .patch_json(
            "/api/v1/users/me/profile",
            &json!({"bio": "busy"}),
            &user.access_token,
        )
        .await;
    let retry_after = profile.headers().contains_key("retry-after");
    assert_problem(profile, 503).await;
    assert!(retry_after);

    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    assert_eq!(app.order(&user, &[(&product, 1)]).await.status(), 201);
    assert_eq!(app.stock_of(&admin, &product).await, 9, "nothing half-done");
}
