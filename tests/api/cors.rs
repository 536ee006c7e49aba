//! CORS grants exactly the allowlisted origin and nothing to anyone else.

use crate::helpers::{ALLOWED_ORIGIN, TestApp};

on_both_backends!(
    allowlisted_origin_is_granted_exactly,
    other_origins_are_granted_nothing,
);

const LOOK_ALIKES: &[&str] = &[
    "https://evil.example",
    "null",
    "http://app.example.com",
    "https://app.example.com.evil.example",
    "https://evil-app.example.com",
    "https://app.example.com:8443",
    "https://APP.example.com.evil",
    "https://app.example.co",
];

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/health/live"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, authorization",
        )
        .send()
        .await
        .unwrap()
}

fn allow_origin(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn allowlisted_origin_is_granted_exactly(app: TestApp) {
    let simple = app
        .client
        .get(app.url("/health/live"))
        .header("Origin", ALLOWED_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(simple.status(), 200);
    assert_eq!(allow_origin(&simple).as_deref(), Some(ALLOWED_ORIGIN));
    assert!(
        simple
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );

    let response = preflight(&app, ALLOWED_ORIGIN).await;
    assert!(response.status().is_success());
    assert_eq!(allow_origin(&response).as_deref(), Some(ALLOWED_ORIGIN));
    let methods = response
        .headers()
        .get("access-control-allow-methods")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        methods.contains("POST") && !methods.contains("PUT"),
        "{methods}"
    );
}

async fn other_origins_are_granted_nothing(app: TestApp) {
    for origin in LOOK_ALIKES {
        let simple = app
            .client
            .get(app.url("/health/live"))
            .header("Origin", *origin)
            .send()
            .await
            .unwrap();
        assert_eq!(allow_origin(&simple), None, "simple request from {origin}");

        let response = preflight(&app, origin).await;
        assert_eq!(allow_origin(&response), None, "preflight from {origin}");
        assert!(
            response
                .headers()
                .get("access-control-allow-methods")
                .is_none(),
            "preflight from {origin} learned the methods"
        );
    }
}
