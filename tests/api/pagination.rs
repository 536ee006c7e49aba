//! Keyset pagination: every row exactly once, in order, and no OFFSET anywhere.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::TestApp;

on_both_backends!(walking_all_pages_returns_each_order_once_in_order);

async fn walking_all_pages_returns_each_order_once_in_order(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let other = app.register_and_login().await;
    let product = app.product(&admin, 100, 1_000, "EUR").await;
    let mut placed = HashSet::new();
    for n in 0..250 {
        let order: Value = app
            .order(&user, &[(&product, 1)])
            .await
            .json()
            .await
            .unwrap();
        let id = order["id"].as_str().unwrap().to_owned();
        // A user holds at most 20 pending orders: the admin marks most of them paid.
        if n < 240 {
            let paid = app
                .patch_json(
                    &format!("/api/v1/admin/orders/{id}"),
                    &json!({"status": "paid"}),
                    &admin.access_token,
                )
                .await;
            assert_eq!(paid.status(), 200);
        }
        placed.insert(id);
    }
    // Someone else's orders interleave in the table but never in the pages.
    for _ in 0..5 {
        assert_eq!(app.order(&other, &[(&product, 1)]).await.status(), 201);
    }
    // Cancel a few to exercise the status filter (as the admin: some are paid).
    let first_page: Value = app
        .get_with("/api/v1/orders?limit=3", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    for order in first_page["items"].as_array().unwrap() {
        let id = order["id"].as_str().unwrap();
        app.patch_json(
            &format!("/api/v1/admin/orders/{id}"),
            &json!({"status": "cancelled"}),
            &admin.access_token,
        )
        .await;
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/api/v1/orders?limit=37".to_owned();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page: Value = app
            .get_with(&path, &user.access_token)
            .await
            .json()
            .await
            .unwrap();
        pages += 1;
        for order in page["items"].as_array().unwrap() {
            seen.push((
                order["created_at"].as_str().unwrap().to_owned(),
                order["id"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 20, "pagination does not terminate");
    }
    assert_eq!(pages, 7, "250 orders in pages of 37");
    // An empty cursor is the first page.
    let empty_cursor: Value = app
        .get_with("/api/v1/orders?limit=37&cursor=", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        empty_cursor["items"][0]["id"].as_str(),
        Some(seen[0].1.as_str())
    );
    assert_eq!(seen.len(), 250);
    let unique: HashSet<&String> = seen.iter().map(|(_, id)| id).collect();
    assert_eq!(unique.len(), 250, "every order exactly once");
    assert!(
        unique.iter().all(|id| placed.contains(*id)),
        "only the caller's orders"
    );
    // Newest first: created_at never increases along the walk.
    assert!(
        seen.windows(2).all(|w| w[0].0 >= w[1].0),
        "not newest first"
    );

    let cancelled: Value = app
        .get_with("/api/v1/orders?status=cancelled", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["items"].as_array().unwrap().len(), 3);
    assert!(cancelled["next_cursor"].is_null());
}

/// Pagination must be keyset everywhere: no SQL in the crate uses OFFSET.
#[test]
fn no_query_uses_offset() {
    fn visit(dir: &std::path::Path, offenders: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                visit(&path, offenders);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "sql") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or_default();
                    if code.to_ascii_uppercase().contains("OFFSET ") {
                        offenders.push(format!("{}:{}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    let mut offenders = Vec::new();
    for dir in ["src", "migrations"] {
        visit(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
            &mut offenders,
        );
    }
    assert!(offenders.is_empty(), "OFFSET found: {offenders:?}");
}
