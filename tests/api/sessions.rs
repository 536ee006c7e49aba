//! Refresh rotation, reuse detection, and session management.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

on_both_backends!(
    rotation_and_reuse_detection,
    concurrent_refreshes_have_one_winner,
    sessions_can_be_listed_and_revoked,
    logout_all_ends_every_session,
);

async fn rotation_and_reuse_detection(app: TestApp) {
    let user = app.register_and_login().await;
    let first = app.refresh(&user.refresh_token).await;
    assert_eq!(first.status(), 200);
    let newest: Value = first.json().await.unwrap();
    let newest_access = newest["access_token"].as_str().unwrap();
    let newest_refresh = newest["refresh_token"].as_str().unwrap();

    // The spent token is refused, and presenting it kills the whole family.
    assert_problem(app.refresh(&user.refresh_token).await, 401).await;
    assert_eq!(app.refresh(newest_refresh).await.status(), 401);
    assert_eq!(
        app.get_with("/api/v1/users/me", newest_access)
            .await
            .status(),
        401
    );

    let db = app.db().await;
    let user_id = uuid::Uuid::parse_str(&user.id).unwrap();
    let severity: Option<String> = rampart::on_db!(&db, pool => {
        sqlx::query_scalar(
            "SELECT severity FROM audit_events WHERE kind = 'refresh_token_reused' AND user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await
        .unwrap()
    });
    assert_eq!(severity.as_deref(), Some("high"));

    // Unknown tokens are simply refused.
    assert_problem(app.refresh("made-up-token").await, 401).await;
}

async fn concurrent_refreshes_have_one_winner(app: TestApp) {
    let user = app.register_and_login().await;
    let attempts = (0..20).map(|_| app.refresh(&user.refresh_token));
    let responses = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    let winners = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(winners, 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

async fn sessions_can_be_listed_and_revoked(app: TestApp) {
    let mut user = app.register_and_login().await;
    let other_device = user.clone();
    app.login_as(&mut user).await;

    let list: Value = app
        .get_with("/api/v1/auth/sessions", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let other_id = items.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another user cannot revoke it: a foreign id reads as missing.
    let stranger = app.register_and_login().await;
    let foreign = app
        .send_with(
            reqwest::Method::DELETE,
            &format!("/api/v1/auth/sessions/{other_id}"),
            &stranger.access_token,
        )
        .await;
    let foreign_body = assert_problem(foreign, 404).await;
    let random = app
        .send_with(
            reqwest::Method::DELETE,
            &format!("/api/v1/auth/sessions/{}", uuid::Uuid::new_v4()),
            &stranger.access_token,
        )
        .await;
    let random_body = assert_problem(random, 404).await;
    assert_eq!(foreign_body["detail"], random_body["detail"]);
    assert_eq!(
        app.get_with("/api/v1/users/me", &other_device.access_token)
            .await
            .status(),
        200
    );

    let revoke = app
        .send_with(
            reqwest::Method::DELETE,
            &format!("/api/v1/auth/sessions/{other_id}"),
            &user.access_token,
        )
        .await;
    assert_eq!(revoke.status(), 204);
    assert_eq!(
        app.get_with("/api/v1/users/me", &other_device.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(app.refresh(&other_device.refresh_token).await.status(), 401);
    assert_eq!(
        app.get_with("/api/v1/users/me", &user.access_token)
            .await
            .status(),
        200
    );

    let bad_id = app
        .send_with(
            reqwest::Method::DELETE,
            "/api/v1/auth/sessions/not-a-uuid",
            &user.access_token,
        )
        .await;
    assert_problem(bad_id, 400).await;
}

async fn logout_all_ends_every_session(app: TestApp) {
    let mut user = app.register_and_login().await;
    let first = user.clone();
    app.login_as(&mut user).await;
    let response = app
        .post_json(
            "/api/v1/auth/logout-all",
            &json!({}),
            Some(&user.access_token),
        )
        .await;
    assert_eq!(response.status(), 204);
    for session in [&first, &user] {
        assert_eq!(
            app.get_with("/api/v1/users/me", &session.access_token)
                .await
                .status(),
            401
        );
        assert_eq!(app.refresh(&session.refresh_token).await.status(), 401);
    }
}

on_both_backends!(sessions_are_capped_at_fifty, lapsed_sessions_are_dead);

async fn sessions_are_capped_at_fifty(app: TestApp) {
    let mut user = app.register_and_login().await;
    let oldest = user.clone();
    for _ in 0..50 {
        app.login_as(&mut user).await;
    }
    let list: Value = app
        .get_with("/api/v1/auth/sessions", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 50);
    // The 51st login ended the least recently used session.
    assert_eq!(
        app.get_with("/api/v1/users/me", &oldest.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(app.refresh(&oldest.refresh_token).await.status(), 401);
}

/// Idle and absolute lifetimes: a lapsed session refreshes no more and its
/// access token dies with it (the lapse is simulated in the database).
async fn lapsed_sessions_are_dead(app: TestApp) {
    let db = app.db().await;
    let past = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    for (column, sql) in [
        (
            "idle_expires_at",
            "UPDATE sessions SET idle_expires_at = $1 WHERE user_id = $2",
        ),
        (
            "expires_at",
            "UPDATE sessions SET expires_at = $1 WHERE user_id = $2",
        ),
    ] {
        let user = app.register_and_login().await;
        let user_id = uuid::Uuid::parse_str(&user.id).unwrap();
        rampart::on_db!(&db, pool => {
            sqlx::query(sql).bind(past).bind(user_id).execute(pool).await.map(drop).unwrap()
        });
        assert_eq!(
            app.refresh(&user.refresh_token).await.status(),
            401,
            "{column}"
        );
        assert_eq!(
            app.get_with("/api/v1/users/me", &user.access_token)
                .await
                .status(),
            401,
            "{column}"
        );
    }
}
