//! Re-authentication (password change, account deletion) is a password check
//! like login: counted on the per-account throttle first, audited on failure,
//! and validated fully before the password is looked at.

use serde_json::json;

use crate::helpers::{GOOD_PASSWORD, TestApp, TestUser, assert_problem};

on_both_backends!(
    password_change_guesses_are_throttled_and_audited,
    account_deletion_guesses_are_throttled_and_audited,
    the_new_password_is_checked_before_the_current_one
);

const NEW_PASSWORD: &str = "another fine passphrase 7";

async fn change(app: &TestApp, user: &TestUser, current: &str, new: &str) -> reqwest::Response {
    let body = json!({ "current_password": current, "new_password": new });
    app.post_json("/api/v1/auth/password", &body, Some(&user.access_token))
        .await
}

async fn audit_count(app: &TestApp, kind: &str, user: &TestUser) -> i64 {
    let db = app.db().await;
    let id = uuid::Uuid::parse_str(&user.id).unwrap();
    rampart::on_db!(&db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND user_id = $2")
            .bind(kind)
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

async fn password_change_guesses_are_throttled_and_audited(app: TestApp) {
    let user = app.register_and_login().await;
    for attempt in 1..=5 {
        let response = change(
            &app,
            &user,
            &format!("guess {attempt} is wrong"),
            NEW_PASSWORD,
        )
        .await;
        assert_problem(response, 403).await;
    }
    assert_eq!(audit_count(&app, "reauth_failed", &user).await, 5);
    // Locked: the right current password is not even checked.
    let locked = change(&app, &user, GOOD_PASSWORD, NEW_PASSWORD).await;
    assert!(locked.headers().contains_key("retry-after"));
    assert_problem(locked, 429).await;
    // One budget per account: login is locked as well.
    assert_eq!(app.login(&user.email, GOOD_PASSWORD).await.status(), 429);
}

async fn account_deletion_guesses_are_throttled_and_audited(app: TestApp) {
    let user = app.register_and_login().await;
    // Twenty guesses at once: only five are checked.
    let guesses: Vec<String> = (0..20).map(|i| format!("deletion guess {i}")).collect();
    let responses =
        futures_util::future::join_all(guesses.iter().map(|g| app.delete_account(&user, g))).await;
    let checked = responses.iter().filter(|r| r.status() == 403).count();
    let locked = responses.iter().filter(|r| r.status() == 429).count();
    assert_eq!((checked, locked), (5, 15));
    assert_eq!(audit_count(&app, "reauth_failed", &user).await, 5);
    assert_problem(app.delete_account(&user, GOOD_PASSWORD).await, 429).await;
    assert_eq!(
        app.get_with("/api/v1/users/me", &user.access_token)
            .await
            .status(),
        200,
        "the account survives"
    );
}

/// Order of checks: the new password's policy (422) comes before the current
/// password (403), so a 422 tells nothing about the current password, and
/// such requests do not count as guesses.
async fn the_new_password_is_checked_before_the_current_one(app: TestApp) {
    let user = app.register_and_login().await;
    let mut bodies = Vec::new();
    for current in ["a wrong current password", GOOD_PASSWORD]
        .into_iter()
        .cycle()
        .take(8)
    {
        let mut body = assert_problem(change(&app, &user, current, "short").await, 422).await;
        for varying in ["request_id", "instance"] {
            body.as_object_mut().unwrap().remove(varying);
        }
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "a right and a wrong current password must answer alike: {bodies:?}"
    );
    assert_eq!(audit_count(&app, "reauth_failed", &user).await, 0);
    // Eight refused requests, none counted: the change still goes through.
    assert_eq!(
        change(&app, &user, GOOD_PASSWORD, NEW_PASSWORD)
            .await
            .status(),
        204
    );
}
