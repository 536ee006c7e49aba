//! The landing page.

use crate::helpers::TestApp;

on_both_backends!(landing_page_links_to_the_docs);

async fn landing_page_links_to_the_docs(app: TestApp) {
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    assert!(html.contains("href=\"/docs/\""), "{html}");
    let css = app.get("/static/site.css").await;
    assert_eq!(css.status(), 200);
}
