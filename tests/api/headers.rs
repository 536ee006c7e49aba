//! Security headers on success and error responses alike.

use crate::helpers::TestApp;

on_both_backends!(security_headers_on_every_response);

fn assert_security_headers(response: &reqwest::Response, html: bool) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let path = response.url().path().to_owned();
    assert_eq!(
        header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{path}"
    );
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
    assert_eq!(
        header("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{path}"
    );
    let csp = header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    if html {
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
    } else {
        assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'", "{path}");
        assert_eq!(
            header("cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
    }
    assert!(header("server").is_none(), "{path} names the server");
    assert!(header("x-powered-by").is_none(), "{path}");
    // HSTS only in production; the test server runs APP_ENV=test.
    assert!(header("strict-transport-security").is_none(), "{path}");
}

async fn security_headers_on_every_response(app: TestApp) {
    for (path, html) in [("/health/live", false), ("/nope", false), ("/", true)] {
        let response = app.get(path).await;
        assert_security_headers(&response, html);
    }
    let response = app
        .client
        .post(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_security_headers(&response, false);
}

#[tokio::test]
async fn hsts_is_sent_in_production() {
    let Some(app) = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |vars| {
        vars.insert("APP_ENV".into(), "production".into());
    })
    .await
    else {
        return;
    };
    for path in ["/health/live", "/nope"] {
        let response = app.get(path).await;
        let hsts = response
            .headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(hsts.starts_with("max-age="), "{path}: {hsts}");
    }
    // Production turns the docs off by default.
    assert_eq!(app.get("/docs/").await.status(), 404);
}
