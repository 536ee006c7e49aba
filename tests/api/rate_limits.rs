//! Per-IP rate limits: which limit governs which route, the headers that say
//! so, and that a spoofed or odd X-Forwarded-For does not escape them.

use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_problem};

/// A strict auth limit (3, then one a minute) and the generous API limit.
async fn strict_app(trusted_proxies: &str) -> Option<TestApp> {
    let trusted_proxies = trusted_proxies.to_owned();
    TestApp::spawn_with(Backend::Sqlite, move |vars| {
        vars.insert("RATE_LIMIT_AUTH_PER_MINUTE".into(), "1".into());
        vars.insert("RATE_LIMIT_AUTH_BURST".into(), "3".into());
        vars.insert("TRUSTED_PROXIES".into(), trusted_proxies);
    })
    .await
}

/// A failed login for a fresh address each time, so the per-account
/// throttle never answers instead of the rate limiter.
async fn login_from(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let email = format!("x-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": "whatever it is here"}));
    if let Some(ip) = forwarded_for {
        request = request.header("x-forwarded-for", ip);
    }
    request.send().await.unwrap()
}

/// Statuses of failed logins, 429 only when a rate limiter answered.
async fn statuses(app: &TestApp, forwarded_for: &[String]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for value in forwarded_for {
        let response = login_from(app, Some(value)).await;
        let limited = response.headers().contains_key("x-ratelimit-after");
        statuses.push(if limited {
            429
        } else {
            response.status().as_u16()
        });
    }
    statuses
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
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
    let retry_after: u64 = header(&limited, "retry-after").parse().unwrap();
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
async fn odd_forwarded_entries_do_not_escape_the_limit() {
    let Some(app) = strict_app("127.0.0.1").await else {
        return;
    };
    // The proxy appends the right-most entry; everything left of it is the
    // client's own text, rotated on every request. A port or `unknown` on the
    // proxy's entry must not hand the choice of address back to the client.
    for right in [
        "198.51.100.20",
        "198.51.100.9:5555",
        "[2001:db8::9]:443",
        "unknown",
    ] {
        let values: Vec<String> = (0..6).map(|i| format!("203.0.113.{i}, {right}")).collect();
        assert_eq!(
            statuses(&app, &values).await,
            [401, 401, 401, 429, 429, 429],
            "right-most entry {right}"
        );
    }
    // With or without a port, it is the same client.
    let same = ["198.51.100.9".to_owned(), "198.51.100.9:6666".to_owned()];
    assert_eq!(statuses(&app, &same).await, [429, 429]);
    // `unknown` made the proxy itself the client: its budget is spent too.
    assert_eq!(statuses(&app, &["127.0.0.1".to_owned()]).await, [429]);
}

#[tokio::test]
async fn ipv6_clients_share_a_limit_per_64() {
    let Some(app) = strict_app("127.0.0.1").await else {
        return;
    };
    let rotating: Vec<String> = ["::1", "::2", "::3", "::4", ":ffff::5", ":abcd:1:2:3"]
        .iter()
        .map(|suffix| format!("2001:db8:1:2{suffix}"))
        .collect();
    assert_eq!(
        statuses(&app, &rotating).await,
        [401, 401, 401, 429, 429, 429]
    );
    // The neighbouring /64 is another subscriber with its own budget.
    assert_eq!(statuses(&app, &["2001:db8:1:3::1".to_owned()]).await, [401]);

    // The audit trail keeps the full addresses.
    let db = app.db().await;
    let mut ips: Vec<String> = rampart::on_db!(&db, pool => {
        sqlx::query_scalar(
            "SELECT ip FROM audit_events WHERE kind IN ('login_failed', 'rate_limited')",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    });
    ips.sort();
    assert_eq!(
        ips,
        [
            "2001:db8:1:2::1",
            "2001:db8:1:2::2",
            "2001:db8:1:2::3",
            "2001:db8:1:2::4",
            "2001:db8:1:3::1"
        ]
    );
}

#[tokio::test]
async fn each_answer_carries_the_headers_of_its_limit() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |vars| {
        vars.insert("RATE_LIMIT_AUTH_PER_MINUTE".into(), "1".into());
        vars.insert("RATE_LIMIT_AUTH_BURST".into(), "2".into());
        vars.insert("RATE_LIMIT_API_PER_SECOND".into(), "1".into());
        vars.insert("RATE_LIMIT_API_BURST".into(), "40".into());
    })
    .await
    else {
        return;
    };
    let email = format!("limits-{}@example.com", uuid::Uuid::new_v4().simple());
    let registered = app.register(&email, crate::helpers::GOOD_PASSWORD).await;
    assert_eq!(registered.status(), 201);
    assert_eq!(header(&registered, "x-ratelimit-limit"), "2");
    assert_eq!(header(&registered, "x-ratelimit-remaining"), "1");

    let login = app.login(&email, crate::helpers::GOOD_PASSWORD).await;
    assert_eq!(login.status(), 200);
    assert_eq!(header(&login, "x-ratelimit-limit"), "2");
    assert_eq!(header(&login, "x-ratelimit-remaining"), "0");
    let pair: serde_json::Value = login.json().await.unwrap();
    let access = pair["access_token"].as_str().unwrap();

    // The strict limit answers, and says so: not "39 remain".
    let limited = app.login(&email, crate::helpers::GOOD_PASSWORD).await;
    assert!(header(&limited, "retry-after").parse::<u64>().unwrap() >= 1);
    assert_eq!(header(&limited, "x-ratelimit-limit"), "2");
    assert_eq!(header(&limited, "x-ratelimit-remaining"), "0");
    let problem = assert_problem(limited, 429).await;
    assert_eq!(problem["type"], "/problems/too-many-requests");
    assert_eq!(problem["status"], 429);
    // Registration and refresh share the strict budget.
    assert_eq!(app.register(&email, "x").await.status(), 429);
    assert_eq!(app.refresh("not-a-token").await.status(), 429);
    // So does password change: it takes the current password and scores the new one.
    let body = json!({"current_password": "x", "new_password": "y"});
    let change = app
        .post_json("/api/v1/auth/password", &body, Some(access))
        .await;
    assert_eq!(change.status(), 429);
    assert_eq!(header(&change, "x-ratelimit-limit"), "2");

    // The routes that take no credentials stay on the ordinary limit.
    let sessions = app.get_with("/api/v1/auth/sessions", access).await;
    assert_eq!(sessions.status(), 200);
    assert_eq!(header(&sessions, "x-ratelimit-limit"), "40");
    let remaining: u32 = header(&sessions, "x-ratelimit-remaining").parse().unwrap();
    assert!(remaining < 40);
    let me = app.get_with("/api/v1/users/me", access).await;
    assert_eq!(me.status(), 200);
    assert_eq!(header(&me, "x-ratelimit-limit"), "40");
    let logout = app
        .send_with(reqwest::Method::POST, "/api/v1/auth/logout", access)
        .await;
    assert_eq!(logout.status(), 204);
    assert_eq!(header(&logout, "x-ratelimit-limit"), "40");
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
    let mut responses = Vec::new();
    for _ in 0..8 {
        responses.push(app.get("/health/live").await);
    }
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    // The burst of 5, plus at most one token replenished if the loop took over a second.
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert!((5..=6).contains(&served), "{statuses:?}");
    let limited = responses.into_iter().rfind(|r| r.status() == 429).unwrap();
    assert_eq!(header(&limited, "x-ratelimit-limit"), "5");
    let problem = assert_problem(limited, 429).await;
    assert_eq!(problem["type"], "/problems/too-many-requests");
}

/// Both limits apply on the credential routes; the answer describes the
/// tighter one, here the API limit.
#[tokio::test]
async fn the_tighter_limit_describes_the_answer() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |vars| {
        vars.insert("RATE_LIMIT_AUTH_PER_MINUTE".into(), "1".into());
        vars.insert("RATE_LIMIT_AUTH_BURST".into(), "50".into());
        vars.insert("RATE_LIMIT_API_PER_SECOND".into(), "1".into());
        vars.insert("RATE_LIMIT_API_BURST".into(), "3".into());
    })
    .await
    else {
        return;
    };
    let email = format!("tight-{}@example.com", uuid::Uuid::new_v4().simple());
    let registered = app.register(&email, crate::helpers::GOOD_PASSWORD).await;
    assert_eq!(registered.status(), 201);
    assert_eq!(header(&registered, "x-ratelimit-limit"), "3");
    assert_eq!(header(&registered, "x-ratelimit-remaining"), "2");
}
