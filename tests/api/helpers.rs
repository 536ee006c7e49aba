//! `TestApp`: the real server on port 0 over a fresh database, removed afterwards.
//!
//! Backends: every storage test runs on SQLite (always) and on PostgreSQL. The
//! PostgreSQL server is `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates its own
//! `rampart_test_<uuid>` database there and drops it when the test ends, pass or
//! fail. When the server is unreachable the PostgreSQL variants are reported as
//! SKIPPED on stderr — unless `TEST_REQUIRE_POSTGRES=1` (CI), which turns that
//! into a failure. `TEST_LOG=1` shows the server's logs.

use std::collections::HashMap;
use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Once;
use std::time::Duration;

use rampart::config::{LogFormat, Settings};
use rampart::startup::Application;
use sqlx::Connection;

pub mod client;
pub mod logs;
pub mod proxy;
pub mod tokens;

/// The CORS origin every test server trusts.
pub const ALLOWED_ORIGIN: &str = "https://app.example.com";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod <test> { fn sqlite(); fn postgres(); }` for each
/// `async fn <test>(app: TestApp)` so every test runs on both backends.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            use $crate::helpers::{Backend, TestApp};

            #[tokio::test]
            async fn sqlite() {
                if let Some(app) = TestApp::spawn(Backend::Sqlite).await {
                    super::$test(app).await;
                }
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) = TestApp::spawn(Backend::Postgres).await {
                    super::$test(app).await;
                }
            }
        }
    )*};
}

pub struct TestApp {
    pub address: String,
    /// Every response through it is inspected for data exposure (`client.rs`).
    pub client: client::TestClient,
    pub backend: Backend,
    pub database_url: String,
    _database: TestDatabase,
}

/// A registered, logged-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// A password that passes the policy.
pub const GOOD_PASSWORD: &str = "marble kettle orbit 42 lantern";

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with extra or overridden environment variables.
    pub async fn spawn_with(
        backend: Backend,
        customise: impl FnOnce(&mut HashMap<String, String>),
    ) -> Option<TestApp> {
        let database = TestDatabase::create(backend).await?;
        Some(Self::spawn_on(backend, database, customise).await)
    }

    /// Spawns over an existing database (tests that put a proxy in between).
    pub async fn spawn_on(
        backend: Backend,
        database: TestDatabase,
        customise: impl FnOnce(&mut HashMap<String, String>),
    ) -> TestApp {
        init_logging();
        let mut vars: HashMap<String, String> = [
            ("APP_ENV", "test"),
            ("BIND_ADDR", "127.0.0.1:0"),
            ("CORS_ALLOWED_ORIGINS", ALLOWED_ORIGIN),
            ("DB_ACQUIRE_TIMEOUT_MS", "1000"),
            // Generous limits: only the rate-limit tests lower them.
            ("RATE_LIMIT_AUTH_PER_MINUTE", "1000000"),
            ("RATE_LIMIT_AUTH_BURST", "1000000"),
            ("RATE_LIMIT_API_PER_SECOND", "1000000"),
            ("RATE_LIMIT_API_BURST", "1000000"),
            ("JWT_PRIVATE_KEY", tokens::TEST_KEYS.private_pem.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        vars.insert("DATABASE_URL".into(), database.url.clone());
        customise(&mut vars);
        let database_url = vars["DATABASE_URL"].clone();
        let settings =
            Settings::from_lookup(|name| vars.get(name).cloned()).expect("valid test settings");
        let app = Application::build(settings)
            .await
            .expect("the application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let client = client::TestClient(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        );
        TestApp {
            address,
            client,
            backend,
            database_url,
            _database: database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A connection to the test's database, for asserting stored state.
    pub async fn db(&self) -> rampart::db::Db {
        let settings = rampart::config::DatabaseSettings {
            url: self.database_url.clone().into(),
            explicit: true,
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
        };
        rampart::db::connect(&settings)
            .await
            .expect("test database")
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get_with(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// A bodiless request with a bearer token (`POST …/cancel`, `DELETE …`).
    pub async fn send_with(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        let body = serde_json::json!({
            "email": email, "password": password, "display_name": "Test User"
        });
        self.post_json("/api/v1/auth/register", &body, None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        let body = serde_json::json!({ "email": email, "password": password });
        self.post_json("/api/v1/auth/login", &body, None).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        let body = serde_json::json!({ "refresh_token": refresh_token });
        self.post_json("/api/v1/auth/refresh", &body, None).await
    }

    /// Registers a fresh account and logs it in.
    pub async fn register_and_login(&self) -> TestUser {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        let registered = self.register(&email, GOOD_PASSWORD).await;
        assert_eq!(registered.status(), 201, "registration failed");
        let id = registered.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut user = TestUser {
            id,
            email,
            password: GOOD_PASSWORD.into(),
            access_token: String::new(),
            refresh_token: String::new(),
        };
        self.login_as(&mut user).await;
        user
    }

    pub async fn patch_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        token: &str,
    ) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// `DELETE /api/v1/users/me` with `password` as the confirmation.
    pub async fn delete_account(&self, user: &TestUser, password: &str) -> reqwest::Response {
        self.client
            .delete(self.url("/api/v1/users/me"))
            .bearer_auth(&user.access_token)
            .json(&serde_json::json!({ "password": password }))
            .send()
            .await
            .expect("request sent")
    }

    /// A logged-in admin: registered, promoted in the database, logged in.
    pub async fn admin(&self) -> TestUser {
        let user = self.register_and_login().await;
        let db = self.db().await;
        let id = uuid::Uuid::parse_str(&user.id).unwrap();
        rampart::on_db!(&db, pool => {
            sqlx::query("UPDATE users SET role = 'admin' WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .map(drop)
                .unwrap()
        });
        user
    }

    /// Creates a product through the admin API; returns its id.
    pub async fn product(
        &self,
        admin: &TestUser,
        price_cents: i64,
        stock: i64,
        currency: &str,
    ) -> String {
        let sku = format!("SKU-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let body = serde_json::json!({
            "sku": sku, "name": format!("Product {sku}"), "description": "A product.",
            "price_cents": price_cents, "currency": currency, "stock": stock
        });
        let response = self
            .post_json("/api/v1/admin/products", &body, Some(&admin.access_token))
            .await;
        assert_eq!(response.status(), 201, "product creation failed");
        response.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Places an order of `(product_id, quantity)` lines.
    pub async fn order(&self, user: &TestUser, lines: &[(&str, i64)]) -> reqwest::Response {
        let items: Vec<serde_json::Value> = lines
            .iter()
            .map(|(p, q)| serde_json::json!({"product_id": p, "quantity": q}))
            .collect();
        self.post_json(
            "/api/v1/orders",
            &serde_json::json!({ "items": items }),
            Some(&user.access_token),
        )
        .await
    }

    /// The admin view of a product (with its stock).
    pub async fn stock_of(&self, admin: &TestUser, product_id: &str) -> i64 {
        let body: serde_json::Value = self
            .get_with(
                &format!("/api/v1/admin/products/{product_id}"),
                &admin.access_token,
            )
            .await
            .json()
            .await
            .unwrap();
        body["stock"].as_i64().expect("stock")
    }

    /// Logs `user` in again (a new session), storing the new tokens.
    pub async fn login_as(&self, user: &mut TestUser) {
        let response = self.login(&user.email, &user.password).await;
        assert_eq!(response.status(), 200, "login failed");
        let pair: serde_json::Value = response.json().await.unwrap();
        user.access_token = pair["access_token"].as_str().unwrap().to_owned();
        user.refresh_token = pair["refresh_token"].as_str().unwrap().to_owned();
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }
}

/// Every test process captures all log output (see `logs.rs`), so the
/// log-hygiene test can search it; `TEST_LOG=1` also prints it.
fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        rampart::telemetry::init_with_filter(
            LogFormat::Json,
            tracing_subscriber::EnvFilter::new("debug"),
            logs::Capture,
        );
    });
}

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/rampart.db", dir.path().display());
                Some(TestDatabase {
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?;
                let name = format!("rampart_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .expect("connect to TEST_POSTGRES_URL");
                // Audited: `name` is `rampart_test_` + a UUID in hex, made above.
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create the test database");
                let url = replace_database(&admin_url, &name);
                Some(TestDatabase {
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, db_name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime, which cannot block on async
            // work; a short-lived thread with its own runtime does the cleanup.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await?;
                    Ok::<_, anyhow::Error>(())
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                let _ = writeln!(std::io::stderr(), "warning: could not drop {name}");
            }
        }
    }
}

/// The PostgreSQL server for tests, or `None` (reported) when it is unreachable.
fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let required = std::env::var("TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    if reachable(&url) {
        return Some(url);
    }
    if required {
        panic!("TEST_REQUIRE_POSTGRES=1 but PostgreSQL at TEST_POSTGRES_URL is unreachable");
    }
    // Written straight to stderr (not captured by the test harness) so a skip
    // is visible in the output of `cargo test`.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED postgres variant of `{}`: no PostgreSQL at TEST_POSTGRES_URL",
        std::thread::current().name().unwrap_or("?")
    );
    None
}

/// The `host:port` of a PostgreSQL URL.
pub fn host_port(url: &str) -> String {
    let authority = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?']).next())
        .map(|auth| auth.rsplit('@').next().unwrap_or(auth))
        .unwrap_or("127.0.0.1:5432");
    if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:5432")
    }
}

/// The same URL pointing at another `host:port`.
pub fn with_host_port(url: &str, host_port: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let userinfo = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"));
    format!(
        "{scheme}://{}{host_port}{tail}",
        userinfo.unwrap_or_default()
    )
}

fn reachable(url: &str) -> bool {
    host_port(url)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok())
}

/// `postgres://u@h:p/admin?x` → `postgres://u@h:p/<name>?x`
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..path_start], name);
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Asserts a problem+json response and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let header_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status, "problem status matches HTTP status");
    for field in ["type", "title", "detail", "instance", "request_id"] {
        assert!(body[field].is_string(), "problem lacks `{field}`: {body}");
    }
    assert_eq!(body["request_id"].as_str(), header_id.as_deref());
    let kind = body["type"].as_str().unwrap_or_default();
    assert!(kind.starts_with("/problems/"), "problem `type` is {kind}");
    body
}
