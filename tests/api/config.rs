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

/// A development server in `dir` (no configuration but the port); killed on drop.
struct DevServer {
    child: std::process::Child,
    base: String,
}

impl DevServer {
    async fn start(dir: &std::path::Path) -> DevServer {
        // Only the port is chosen, so the test cannot collide with a running server.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bind = format!("127.0.0.1:{port}");
        let child = rampart(dir, &[("BIND_ADDR", &bind)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = DevServer {
            child,
            base: format!("http://{bind}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{}/health/live", server.base))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "the development server did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    async fn json(&self, path: &str) -> serde_json::Value {
        reqwest::get(format!("{}{path}", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn development_starts_on_sqlite_with_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let server = DevServer::start(dir.path()).await;
    let ready = server.json("/health/ready").await;
    assert_eq!(ready["database"], "sqlite");
    assert!(
        dir.path().join("data/rampart.db").exists(),
        "database file created under data/"
    );
    // Development seeds a demo catalogue into the empty database.
    let products = server.json("/api/v1/products").await;
    assert!(!products["items"].as_array().unwrap().is_empty());
    let kid = server.json("/.well-known/jwks.json").await["keys"][0]["kid"].clone();
    drop(server);

    // The generated signing key is private and survives a restart (no mass logout),
    // and a restart does not seed the catalogue twice.
    let key = dir.path().join("data/jwt-ed25519.pem");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the key file is readable by its owner only");
    }
    // Standard tools read it (PKCS#8 v1): checked with OpenSSL when it is installed.
    if let Ok(output) = std::process::Command::new("openssl")
        .args(["pkey", "-noout", "-in"])
        .arg(&key)
        .output()
    {
        assert!(
            output.status.success(),
            "openssl cannot read the generated key: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let server = DevServer::start(dir.path()).await;
    assert_eq!(
        server.json("/.well-known/jwks.json").await["keys"][0]["kid"],
        kid
    );
    assert_eq!(server.json("/api/v1/products").await, products);
}
