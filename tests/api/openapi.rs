//! The committed OpenAPI document matches the code, and the server serves it.

use crate::helpers::{Backend, TestApp};

#[test]
fn committed_openapi_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap_or_default();
    let generated = rampart::openapi::to_pretty_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date; regenerate it with:\n\n    \
         cargo run -- openapi > openapi/openapi.json\n"
    );
}

#[tokio::test]
async fn served_document_is_the_generated_one() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let served: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let generated = serde_json::to_value(rampart::openapi::document()).unwrap();
    assert_eq!(served, generated);
    assert!(app.get("/docs/").await.status().is_success());
}

#[tokio::test]
async fn docs_can_be_disabled() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |vars| {
        vars.insert("DOCS_ENABLED".into(), "false".into());
    })
    .await
    else {
        return;
    };
    assert_eq!(app.get("/docs/").await.status(), 404);
    assert_eq!(app.get("/api/v1/openapi.json").await.status(), 404);
}
