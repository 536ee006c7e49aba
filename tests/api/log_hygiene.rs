//! No password, token or Authorization value ever reaches a log line. The
//! test harness captures every log line of the process at debug level.

use serde_json::{Value, json};

use crate::helpers::{TestApp, logs};

on_both_backends!(no_secret_reaches_the_logs);

async fn no_secret_reaches_the_logs(app: TestApp) {
    let canary = format!("canary-{}-Passphrase", uuid::Uuid::new_v4().simple());
    let wrong = format!("wrong-{}-Passphrase", uuid::Uuid::new_v4().simple());
    let changed = format!("changed-{}-Passphrase", uuid::Uuid::new_v4().simple());
    let email = format!("canary-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut secrets = vec![canary.clone(), wrong.clone(), changed.clone()];
    let mut request_ids = Vec::new();

    let registered = app.register(&email, &canary).await;
    assert_eq!(registered.status(), 201);
    request_ids.push(
        registered.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned(),
    );
    assert_eq!(app.login(&email, &wrong).await.status(), 401);
    let pair: Value = app.login(&email, &canary).await.json().await.unwrap();
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get_with("/api/v1/users/me", &access).await.status(),
        200
    );
    let rotated: Value = app.refresh(&refresh).await.json().await.unwrap();
    let access2 = rotated["access_token"].as_str().unwrap().to_owned();
    let refresh2 = rotated["refresh_token"].as_str().unwrap().to_owned();
    // Reuse of the spent token (a high-severity event is logged).
    assert_eq!(app.refresh(&refresh).await.status(), 401);
    let pair: Value = app.login(&email, &canary).await.json().await.unwrap();
    let access3 = pair["access_token"].as_str().unwrap().to_owned();
    let change = app
        .post_json(
            "/api/v1/auth/password",
            &json!({"current_password": canary, "new_password": changed}),
            Some(&access3),
        )
        .await;
    assert_eq!(change.status(), 204);
    request_ids.push(
        change.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned(),
    );
    assert_eq!(
        app.get_with("/api/v1/users/me", "garbage-bearer-value")
            .await
            .status(),
        401
    );
    secrets.extend([
        access,
        refresh,
        access2,
        refresh2,
        access3,
        "garbage-bearer-value".into(),
    ]);

    let captured = logs::captured();
    // The capture is live: this flow's requests are in it.
    for id in &request_ids {
        assert!(
            captured.contains(id.as_str()),
            "request {id} was not captured"
        );
    }
    for secret in &secrets {
        assert!(
            !captured.contains(secret.as_str()),
            "a secret reached the logs: {secret}"
        );
    }
    assert!(
        !captured.to_ascii_lowercase().contains("bearer "),
        "an Authorization value was logged"
    );
}
