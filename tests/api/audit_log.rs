//! Audit lines in the JSON (production) log format are typed JSON: a log
//! pipeline can query `user_id`, `ip`, `request_id` and `detail.*` directly.
//! The harness installs the same JSON subscriber as production
//! (`telemetry::init_with_filter(LogFormat::Json, …)`) and captures its output.

use serde_json::Value;

use crate::helpers::{GOOD_PASSWORD, TestApp, logs};

on_both_backends!(audit_lines_are_typed_json);

fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The audit lines of one request.
fn audit_lines(request_id: &str) -> Vec<Value> {
    logs::captured()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "audit" && line["request_id"] == request_id)
        .collect()
}

/// No field anywhere holds Rust debug text instead of a value.
fn assert_no_debug_text(line: &Value) {
    match line {
        Value::String(text) => assert!(
            !(text.starts_with("Some(") || text == "None"),
            "debug text in an audit line: {text}"
        ),
        Value::Object(fields) => fields.values().for_each(assert_no_debug_text),
        Value::Array(items) => items.iter().for_each(assert_no_debug_text),
        _ => {}
    }
}

async fn audit_lines_are_typed_json(app: TestApp) {
    let email = format!("audit-{}@example.com", uuid::Uuid::new_v4().simple());
    let registered = app.register(&email, GOOD_PASSWORD).await;
    let registered_id = request_id(&registered);
    let user: Value = registered.json().await.unwrap();
    let user_id = user["id"].as_str().unwrap().to_owned();
    let unknown = app.login("nobody@example.com", GOOD_PASSWORD).await;
    assert_eq!(unknown.status(), 401);
    let login = app.login(&email, GOOD_PASSWORD).await;
    let login_id = request_id(&login);
    let pair: Value = login.json().await.unwrap();
    let access = pair["access_token"].as_str().unwrap();
    let logout = app
        .send_with(reqwest::Method::POST, "/api/v1/auth/logout", access)
        .await;
    assert_eq!(logout.status(), 204);

    let mut seen = Vec::new();
    for (id, kind, user) in [
        (registered_id, "user_registered", Some(&user_id)),
        (request_id(&unknown), "login_failed", None),
        (login_id, "login_succeeded", Some(&user_id)),
        (request_id(&logout), "logged_out", Some(&user_id)),
    ] {
        let lines = audit_lines(&id);
        let line = lines
            .iter()
            .find(|line| line["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} audit line for request {id}: {lines:?}"));
        assert_no_debug_text(line);
        match user {
            Some(user_id) => {
                let logged = line["user_id"].as_str().expect("user_id is a string");
                assert!(uuid::Uuid::parse_str(logged).is_ok(), "{line}");
                assert_eq!(logged, user_id);
            }
            None => assert!(line["user_id"].is_null(), "{line}"),
        }
        assert_eq!(line["ip"], "127.0.0.1", "{line}");
        assert!(line["user_agent"].is_string() || line["user_agent"].is_null());
        assert!(line["detail"].is_object(), "detail is an object: {line}");
        seen.push(line.clone());
    }
    // `detail` is queryable: the logout names its session.
    let session = &seen[3]["detail"]["session_id"];
    assert!(uuid::Uuid::parse_str(session.as_str().unwrap_or_default()).is_ok());
}
