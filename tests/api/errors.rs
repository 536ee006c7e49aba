//! Every error the framework can produce is an RFC 9457 problem.

use crate::helpers::{TestApp, assert_problem};

on_both_backends!(
    unknown_routes_are_404_problems,
    wrong_methods_are_405_with_allow,
);

async fn unknown_routes_are_404_problems(app: TestApp) {
    for path in [
        "/nope",
        "/api/v1/does-not-exist",
        "/health/ready/extra",
        "/api/v1/auth/nope",
    ] {
        let body = assert_problem(app.get(path).await, 404).await;
        assert_eq!(body["instance"], path);
    }
}

async fn wrong_methods_are_405_with_allow(app: TestApp) {
    for (method, path, allowed) in [
        (reqwest::Method::POST, "/health/ready", "GET"),
        (reqwest::Method::DELETE, "/health/live", "GET"),
        (reqwest::Method::PUT, "/", "GET"),
        // Inside and outside the auth routes' nested scope.
        (reqwest::Method::GET, "/api/v1/auth/login", "POST"),
        (reqwest::Method::POST, "/api/v1/auth/sessions", "GET"),
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
        assert_eq!(allow.as_deref(), Some(allowed), "{path} lists its methods");
        assert_problem(response, 405).await;
    }
}

on_both_backends!(bodies_are_checked_before_any_work);

async fn bodies_are_checked_before_any_work(app: TestApp) {
    let send = |content_type: Option<&str>, body: String| {
        let mut request = app.client.post(app.url("/api/v1/auth/register")).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send()
    };
    let json = Some("application/json");
    let malformed = assert_problem(send(json, "{\"email\": ".into()).await.unwrap(), 400).await;
    assert!(malformed["errors"].is_null());

    let wrong_type = send(
        json,
        r#"{"email": 5, "password": "x", "display_name": "y"}"#.into(),
    );
    let body = assert_problem(wrong_type.await.unwrap(), 400).await;
    assert_eq!(body["errors"][0]["field"], "email");
    assert_eq!(body["errors"][0]["code"], "invalid_type");

    let unknown = send(
        json,
        r#"{"email": "a@b.co", "password": "x", "display_name": "y", "is_admin": true}"#.into(),
    );
    let body = assert_problem(unknown.await.unwrap(), 400).await;
    assert_eq!(body["errors"][0]["field"], "is_admin");
    assert!(body["detail"].as_str().unwrap().contains("is_admin"));

    // serde would fill a struct from an array, positionally: refused.
    let array = send(json, r#"["a@b.co", "x", "y"]"#.into());
    assert_problem(array.await.unwrap(), 400).await;

    assert_problem(send(Some("text/plain"), "{}".into()).await.unwrap(), 415).await;
    assert_problem(send(None, "{}".into()).await.unwrap(), 415).await;
    let oversized = format!("{{\"email\": \"{}\"}}", "a".repeat(70_000));
    assert_problem(send(json, oversized).await.unwrap(), 413).await;

    // Query and path parse errors are 400 problems too.
    let user = app.register_and_login().await;
    let bad_path = app
        .send_with(
            reqwest::Method::DELETE,
            "/api/v1/auth/sessions/12345",
            &user.access_token,
        )
        .await;
    assert_problem(bad_path, 400).await;
}
