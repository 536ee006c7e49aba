//! `x-request-id` on every response: a safe incoming id is kept, anything else
//! is replaced by a fresh UUID.

use crate::helpers::{TestApp, assert_problem};

on_both_backends!(request_ids_on_every_response);

async fn send(app: &TestApp, path: &str, id: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(id) = id {
        request = request.header("x-request-id", id);
    }
    request.send().await.unwrap()
}

fn id_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("x-request-id on the response")
        .to_owned()
}

async fn request_ids_on_every_response(app: TestApp) {
    for path in ["/health/live", "/nope", "/"] {
        let generated = id_of(&send(&app, path, None).await);
        assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");
        assert_eq!(
            id_of(&send(&app, path, Some("trace-42.a_b")).await),
            "trace-42.a_b"
        );
    }
    let long = "a".repeat(65);
    for bad in [long.as_str(), "has space", "semi;colon", "quote\"d"] {
        let replaced = id_of(&send(&app, "/health/live", Some(bad)).await);
        assert_ne!(replaced, bad);
        assert!(uuid::Uuid::parse_str(&replaced).is_ok());
    }
    // The problem body carries the same id as the header.
    let response = send(&app, "/nope", Some("client-chosen-id")).await;
    let body = assert_problem(response, 404).await;
    assert_eq!(body["request_id"], "client-chosen-id");
}
