use crate::helpers::{Backend, TestApp};

on_both_backends!(liveness_answers_200, readiness_reports_the_backend);

async fn liveness_answers_200(app: TestApp) {
    let response = app.get("/health/live").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "live");
}

async fn readiness_reports_the_backend(app: TestApp) {
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let expected = match app.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
}
