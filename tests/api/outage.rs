//! When PostgreSQL becomes unreachable, readiness says 503 and requests get a
//! fast 503 problem (bounded by the pool's acquire timeout, not a hang); when it
//! comes back, service resumes by itself. SQLite is an embedded file and cannot
//! become unreachable this way, so this test is PostgreSQL-only.

use std::time::{Duration, Instant};

use crate::helpers::proxy::Proxy;
use crate::helpers::{Backend, TestApp, TestDatabase, assert_problem, host_port, with_host_port};

#[tokio::test]
async fn readiness_flips_with_the_database_and_recovers() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let proxy = Proxy::start(host_port(&database.url)).await;
    let proxied_url = with_host_port(&database.url, &format!("127.0.0.1:{}", proxy.port));
    let app = TestApp::spawn_on(Backend::Postgres, database, |vars| {
        vars.insert("DATABASE_URL".into(), proxied_url);
        vars.insert("DB_ACQUIRE_TIMEOUT_MS".into(), "1000".into());
    })
    .await;
    assert_eq!(app.get("/health/ready").await.status(), 200);
    let user = app.register_and_login().await;

    proxy.cut();
    let started = Instant::now();
    let response = app.get("/health/ready").await;
    let waited = started.elapsed();
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 503).await;
    // Bounded by the 1 s acquire timeout (plus scheduling slack), never a hang.
    assert!(waited < Duration::from_secs(5), "503 took {waited:?}");
    // Ordinary requests get the same fast 503 problem, not a 500.
    let started = Instant::now();
    let me = app.get_with("/api/v1/users/me", &user.access_token).await;
    assert_problem(me, 503).await;
    assert_problem(app.login(&user.email, &user.password).await, 503).await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = app.get("/health/ready").await.status();
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "readiness did not recover: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
