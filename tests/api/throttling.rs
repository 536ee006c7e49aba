//! Per-account login throttling, stored in the database.

use crate::helpers::{GOOD_PASSWORD, TestApp, assert_problem};

on_both_backends!(
    locks_after_five_failures_and_doubles,
    unknown_emails_are_throttled_too,
    concurrent_guesses_cannot_pass_the_lock
);

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Simulates the lock running out (instead of sleeping for a minute).
async fn expire_locks(app: &TestApp) {
    let db = app.db().await;
    let past = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    rampart::on_db!(&db, pool => {
        sqlx::query("UPDATE login_throttle SET locked_until = $1")
            .bind(past)
            .execute(pool)
            .await
            .map(drop)
            .unwrap()
    });
}

async fn locks_after_five_failures_and_doubles(app: TestApp) {
    let user = app.register_and_login().await;
    for attempt in 1..=5 {
        let response = app.login(&user.email, "a wrong password, again").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    // Locked: even the right password is refused, without being checked.
    let locked = app.login(&user.email, GOOD_PASSWORD).await;
    let wait = retry_after(&locked);
    assert!((55..=60).contains(&wait), "first lock is 60 s, got {wait}");
    assert_problem(locked, 429).await;

    // After the wait, one more failure doubles the next lock.
    expire_locks(&app).await;
    assert_eq!(
        app.login(&user.email, "a wrong password, again")
            .await
            .status(),
        401
    );
    let locked = app.login(&user.email, GOOD_PASSWORD).await;
    assert_eq!(locked.status(), 429);
    let wait = retry_after(&locked);
    assert!(
        (115..=120).contains(&wait),
        "second lock is 120 s, got {wait}"
    );

    // After that wait the right password works, and success resets the count.
    expire_locks(&app).await;
    assert_eq!(app.login(&user.email, GOOD_PASSWORD).await.status(), 200);
    for _ in 1..=4 {
        assert_eq!(
            app.login(&user.email, "a wrong password, again")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        app.login(&user.email, GOOD_PASSWORD).await.status(),
        200,
        "4 failures do not lock"
    );
}

async fn unknown_emails_are_throttled_too(app: TestApp) {
    let email = "ghost@example.com";
    for _ in 1..=5 {
        assert_eq!(app.login(email, GOOD_PASSWORD).await.status(), 401);
    }
    let locked = app.login(email, GOOD_PASSWORD).await;
    assert!(retry_after(&locked) > 0);
    assert_problem(locked, 429).await;
    // Other accounts are unaffected.
    let user = app.register_and_login().await;
    assert_eq!(app.login(&user.email, &user.password).await.status(), 200);
}

/// 40 wrong guesses at once: each attempt is counted before its password is
/// checked, so exactly 5 are checked (401) and the rest find the lock (429).
async fn concurrent_guesses_cannot_pass_the_lock(app: TestApp) {
    let user = app.register_and_login().await;
    let guesses: Vec<String> = (0..40).map(|i| format!("wrong guess number {i}")).collect();
    let responses =
        futures_util::future::join_all(guesses.iter().map(|g| app.login(&user.email, g))).await;
    let checked = responses.iter().filter(|r| r.status() == 401).count();
    let locked = responses.iter().filter(|r| r.status() == 429).count();
    assert_eq!(checked, 5, "passwords checked: {checked}, locked: {locked}");
    assert_eq!(checked + locked, 40);
    // The right password is not checked while the lock lasts.
    let late = app.login(&user.email, GOOD_PASSWORD).await;
    assert!(retry_after(&late) > 0);
    assert_problem(late, 429).await;
}
