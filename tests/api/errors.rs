//! Every error the framework can produce is an RFC 9457 problem.

use crate::helpers::{TestApp, assert_problem};

on_both_backends!(
    unknown_routes_are_404_problems,
    wrong_methods_are_405_with_allow,
);

async fn unknown_routes_are_404_problems(app: TestApp) {
    for path in ["/nope", "/api/v1/does-not-exist", "/health/ready/extra"] {
        let body = assert_problem(app.get(path).await, 404).await;
        assert_eq!(body["instance"], path);
    }
}

async fn wrong_methods_are_405_with_allow(app: TestApp) {
    for (method, path) in [
        (reqwest::Method::POST, "/health/ready"),
        (reqwest::Method::DELETE, "/health/live"),
        (reqwest::Method::PUT, "/"),
    ] {
        let response = app
            .client
            .request(method, app.url(path))
            .send()
            .await
            .unwrap();
        let allow = response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(allow.as_deref(), Some("GET"), "{path} lists its methods");
        assert_problem(response, 405).await;
    }
}
