//! Password storage and policy, from the outside.

use serde_json::json;

use crate::helpers::{GOOD_PASSWORD, TestApp, assert_problem};

on_both_backends!(
    hashes_are_argon2id_and_salted,
    policy_is_enforced,
    password_change_ends_all_sessions
);

async fn hashes_are_argon2id_and_salted(app: TestApp) {
    assert_eq!(
        app.register("one@example.com", GOOD_PASSWORD)
            .await
            .status(),
        201
    );
    assert_eq!(
        app.register("two@example.com", GOOD_PASSWORD)
            .await
            .status(),
        201
    );
    let db = app.db().await;
    let hashes: Vec<String> = rampart::on_db!(&db, pool => {
        sqlx::query_scalar("SELECT password_hash FROM users ORDER BY email")
            .fetch_all(pool)
            .await
            .unwrap()
    });
    assert_eq!(hashes.len(), 2);
    for hash in &hashes {
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains(GOOD_PASSWORD));
    }
    assert_ne!(hashes[0], hashes[1], "same password, different salts");
}

async fn policy_is_enforced(app: TestApp) {
    let email = "jonathan.appleseed@example.com";
    let refused = [
        ("Xk7#pQ2!mZ9$wR", "too_short"), // 14 characters
        ("passwordpassword123", "too_guessable"),
        (email, "too_guessable"),
    ];
    for (password, code) in refused {
        let body = assert_problem(app.register(email, password).await, 422).await;
        assert_eq!(body["errors"][0]["field"], "password");
        assert_eq!(body["errors"][0]["code"], code, "{password}");
    }
    let too_long = "Xk7#pQ2!".repeat(17);
    let body = assert_problem(app.register(email, &too_long).await, 422).await;
    assert_eq!(body["errors"][0]["code"], "too_long");

    // A 1 MiB password never reaches the hasher: the body limit refuses it.
    let huge = "a".repeat(1 << 20);
    assert_problem(app.register(email, &huge).await, 413).await;

    assert_eq!(
        app.register("random@example.com", "vX9#qL2!mZ7$wR4")
            .await
            .status(),
        201
    );
    assert_eq!(
        app.register("unicode@example.com", "Grüße aus Köln 🦀 und Zürich")
            .await
            .status(),
        201
    );
    // Passwords are never trimmed: the spaces are part of it.
    let spaced = "  vX9#qL2!mZ7$wR4  ";
    assert_eq!(
        app.register("spaced@example.com", spaced).await.status(),
        201
    );
    assert_eq!(
        app.login("spaced@example.com", spaced.trim())
            .await
            .status(),
        401
    );
    assert_eq!(app.login("spaced@example.com", spaced).await.status(), 200);
}

async fn password_change_ends_all_sessions(app: TestApp) {
    let mut user = app.register_and_login().await;
    let first = user.clone();
    app.login_as(&mut user).await; // a second session

    let change = async |current: &str, new: &str| {
        let body = json!({ "current_password": current, "new_password": new });
        app.post_json("/api/v1/auth/password", &body, Some(&user.access_token))
            .await
    };
    assert_problem(
        change("wrong current password", "another fine passphrase 7").await,
        403,
    )
    .await;
    assert_problem(change(&user.password, "password123password").await, 422).await;
    let new_password = "another fine passphrase 7";
    assert_eq!(change(&user.password, new_password).await.status(), 204);

    for session in [&first, &user] {
        assert_eq!(
            app.get_with("/api/v1/users/me", &session.access_token)
                .await
                .status(),
            401
        );
        assert_eq!(app.refresh(&session.refresh_token).await.status(), 401);
    }
    assert_eq!(app.login(&user.email, &user.password).await.status(), 401);
    assert_eq!(app.login(&user.email, new_password).await.status(), 200);
}

#[tokio::test]
async fn a_login_flood_gets_503_not_a_pile_up() {
    let Some(app) = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |vars| {
        vars.insert("PASSWORD_HASH_CONCURRENCY".into(), "1".into());
    })
    .await
    else {
        return;
    };
    let user = app.register_and_login().await;
    // Sixty different (unknown) e-mails: each login is a full Argon2 job, and
    // no per-account throttle turns them away before the hashing queue does.
    let emails: Vec<String> = (0..60).map(|i| format!("flood-{i}@example.com")).collect();
    let attempts = emails.iter().map(|email| app.login(email, &user.password));
    let responses = futures_util::future::join_all(attempts).await;
    let mut busy = 0;
    let mut checked = 0;
    for response in responses {
        match response.status().as_u16() {
            401 => checked += 1,
            503 => {
                assert!(response.headers().contains_key("retry-after"));
                assert_problem(response, 503).await;
                busy += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    // One hash at a time and 8 waiting: most of 60 simultaneous logins are turned away.
    assert!(busy > 0, "the hashing queue never filled");
    // A 503 checked no password, so it does not count toward any throttle:
    // only the 401s left a counted failure behind.
    let db = app.db().await;
    let counted: i64 = rampart::on_db!(&db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM login_throttle WHERE failures > 0")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(counted, checked, "attempts refused with 503 were refunded");
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        200,
        "service recovers"
    );
}

on_both_backends!(weaker_hashes_are_upgraded_at_login);

/// A hash made with weaker parameters (an older deployment) is replaced by
/// one with the current parameters at the next successful login.
async fn weaker_hashes_are_upgraded_at_login(app: TestApp) {
    use argon2::password_hash::{PasswordHasher, phc::PasswordHash};
    let user = app.register_and_login().await;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8_192, 1, 1, None).unwrap(),
    )
    .hash_password(user.password.as_bytes())
    .map(|hash: PasswordHash| hash.to_string())
    .unwrap();
    let db = app.db().await;
    let id = uuid::Uuid::parse_str(&user.id).unwrap();
    let stored = async || -> String {
        rampart::on_db!(&db, pool => {
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap()
        })
    };
    rampart::on_db!(&db, pool => {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&weak)
            .bind(id)
            .execute(pool)
            .await
            .map(drop)
            .unwrap()
    });
    assert!(stored().await.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
    assert_eq!(app.login(&user.email, &user.password).await.status(), 200);
    assert!(
        stored()
            .await
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    assert_eq!(app.login(&user.email, &user.password).await.status(), 200);
}

/// zxcvbn's worst case: every character a l33t substitute (scoring the whole
/// 128 characters takes ~1 s even optimised).
fn crafted_password() -> String {
    "4@8({[<3&6#!1|0952$7+%".chars().cycle().take(128).collect()
}

on_both_backends!(crafted_passwords_do_not_stall_other_requests);

/// Strength scoring runs on the hashing threads, not on the async workers:
/// a burst of crafted registrations must not delay another client's request.
async fn crafted_passwords_do_not_stall_other_requests(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let registrations: Vec<_> = (0..8)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let email = format!("crafted-{i}@example.com");
                app.register(&email, &crafted_password()).await.status()
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let response = app.get("/api/v1/products").await;
        let took = started.elapsed();
        assert!(
            took < std::time::Duration::from_secs(1),
            "another client waited {took:?} behind strength scoring"
        );
        assert_eq!(response.status(), 200);
    }
    for registration in registrations {
        let status = registration.await.unwrap().as_u16();
        // Accepted (it is a strong password) or, when the hashing queue is
        // full, a 503; never a 500.
        assert!(matches!(status, 201 | 503), "unexpected {status}");
    }
}
