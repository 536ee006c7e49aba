//! Per-IP rate limits, and that a spoofed X-Forwarded-For does not escape them.

use crate::helpers::{Backend, TestApp, assert_problem};

async fn strict_app(trusted_proxies: &str) -> Option<TestApp> {
    let trusted_proxies = trusted_proxies.to_owned();
    TestApp::spawn_with(Backend::Sqlite, move |vars| {
        vars.insert("RATE_LIMIT_AUTH_PER_MINUTE".into(), "1".into());
        vars.insert("RATE_LIMIT_AUTH_BURST".into(), "3".into());
        vars.insert("TRUSTED_PROXIES".into(), trusted_proxies);
    })
    .await
}

async fn login_from(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "x@example.com", "password": "whatever it is here"}));
    if let Some(ip) = forwarded_for {
        request = request.header("x-forwarded-for", ip);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn auth_limit_answers_429_and_ignores_spoofed_forwarded_for() {
    let Some(app) = strict_app("").await else {
        return;
    };
    for _ in 0..3 {
        let response = login_from(&app, None).await;
        assert_ne!(response.status(), 429);
        assert!(response.headers().contains_key("x-ratelimit-remaining"));
    }
    let limited = login_from(&app, None).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert!(limited.headers().contains_key("x-ratelimit-after"));
    assert!(limited.headers().contains_key("x-ratelimit-limit"));
    assert_problem(limited, 429).await;

    // The peer (127.0.0.1) is not a trusted proxy: its X-Forwarded-For is ignored.
    for i in 0..5 {
        let spoofed = format!("203.0.113.{i}");
        assert_eq!(
            login_from(&app, Some(&spoofed)).await.status(),
            429,
            "{spoofed}"
        );
    }
    // Other routes are on the looser limit and still answer.
    assert_eq!(app.get("/health/live").await.status(), 200);

    // The hit is in the audit trail (once per address per minute).
    let db = app.db().await;
    let count: i64 = rampart::on_db!(&db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE kind = 'rate_limited'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(count, 1);
}

#[tokio::test]
async fn trusted_proxies_forward_the_client_address() {
    let Some(app) = strict_app("127.0.0.1").await else {
        return;
    };
    for _ in 0..3 {
        assert_ne!(login_from(&app, Some("198.51.100.1")).await.status(), 429);
    }
    assert_eq!(login_from(&app, Some("198.51.100.1")).await.status(), 429);
    // A different client behind the same proxy has its own budget.
    assert_ne!(login_from(&app, Some("198.51.100.2")).await.status(), 429);
}

#[tokio::test]
async fn api_limit_covers_the_other_routes() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |vars| {
        vars.insert("RATE_LIMIT_API_PER_SECOND".into(), "1".into());
        vars.insert("RATE_LIMIT_API_BURST".into(), "5".into());
    })
    .await
    else {
        return;
    };
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.get("/health/live").await.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // The burst of 5, plus at most one token replenished if the loop took over a second.
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert!((5..=6).contains(&served), "{statuses:?}");
}
