//! `rampart admin …`: the password comes from stdin (never argv) and obeys the policy.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::{Backend, GOOD_PASSWORD, TestApp};

pub fn admin(
    dir: &std::path::Path,
    database_url: &str,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .current_dir(dir)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .arg("admin")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn admin_create_and_promote() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    let weak = admin(
        dir.path(),
        &app.database_url,
        &["create", "--email", "root@example.com"],
        "passwordpassword123\n",
    );
    assert!(!weak.status.success());
    let stderr = String::from_utf8_lossy(&weak.stderr);
    assert!(stderr.contains("password"), "{stderr}");

    let created = admin(
        dir.path(),
        &app.database_url,
        &["create", "--email", "root@example.com"],
        &format!("{GOOD_PASSWORD}\n"),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let pair: serde_json::Value = app
        .login("root@example.com", GOOD_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let me: serde_json::Value = app
        .get_with("/api/v1/users/me", pair["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin");

    let user = app.register_and_login().await;
    let promoted = admin(
        dir.path(),
        &app.database_url,
        &["promote", "--email", &user.email],
        "",
    );
    assert!(
        promoted.status.success(),
        "{}",
        String::from_utf8_lossy(&promoted.stderr)
    );
    // The role is re-read from the database: the existing token sees it at once.
    let me: serde_json::Value = app
        .get_with("/api/v1/users/me", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin");

    let missing = admin(
        dir.path(),
        &app.database_url,
        &["promote", "--email", "nobody@example.com"],
        "",
    );
    assert!(!missing.status.success());
}
