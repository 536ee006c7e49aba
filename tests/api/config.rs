//! The binary as an operator runs it: development needs no configuration;
//! production refuses an unsafe one, naming the variable.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn rampart(dir: &std::path::Path, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rampart"));
    command
        .current_dir(dir)
        .env_clear()
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs a start-up that must fail; returns its stderr.
fn refused_startup(vars: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut child = rampart(dir.path(), vars).spawn().expect("binary runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("rampart started with an unsafe configuration: {vars:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn production_refuses_an_unsafe_configuration() {
    let production_db = ("DATABASE_URL", "postgres://rampart@127.0.0.1:1/rampart");
    let key = ("JWT_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----");
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("APP_ENV", "production"), key], "DATABASE_URL"),
        (
            &[("APP_ENV", "production"), production_db],
            "JWT_PRIVATE_KEY",
        ),
        (
            &[
                ("APP_ENV", "production"),
                production_db,
                ("CORS_ALLOWED_ORIGINS", "*"),
            ],
            "CORS_ALLOWED_ORIGINS",
        ),
        (
            &[
                ("APP_ENV", "production"),
                production_db,
                key,
                ("COOKIE_SECURE", "false"),
            ],
            "COOKIE_SECURE",
        ),
        (&[("CORS_ALLOWED_ORIGINS", "null")], "CORS_ALLOWED_ORIGINS"),
        (
            &[("ACCESS_TOKEN_TTL_SECONDS", "7200")],
            "ACCESS_TOKEN_TTL_SECONDS",
        ),
    ];
    for (vars, named) in cases {
        let stderr = refused_startup(vars);
        assert!(
            stderr.contains(named),
            "{vars:?} should name {named}: {stderr}"
        );
    }
}

#[tokio::test]
async fn development_starts_on_sqlite_with_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    // Only the port is chosen, so the test cannot collide with a running server.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = rampart(dir.path(), &[("BIND_ADDR", &bind)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://{bind}/health/ready");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut ready = None;
    while Instant::now() < deadline {
        if let Ok(response) = reqwest::get(&url).await {
            ready = Some(response.json::<serde_json::Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let body = ready.expect("the server answered /health/ready");
    assert_eq!(body["database"], "sqlite");
    assert!(
        dir.path().join("data/rampart.db").exists(),
        "database file created under data/"
    );
}
