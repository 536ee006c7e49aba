//! Keyset pagination: every row exactly once, in order, and no OFFSET anywhere.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::helpers::tokens::attacker_keys;
use crate::helpers::{TestApp, TestUser, assert_problem};

on_both_backends!(
    walking_all_pages_returns_each_order_once_in_order,
    forged_cursors_are_a_400_never_a_5xx,
);

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

async fn next_cursor(app: &TestApp, path: &str, user: &TestUser) -> String {
    let page: Value = app
        .get_with(path, &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned()
}

async fn assert_bad_cursor(app: &TestApp, path: &str, cursor: &str, user: &TestUser, what: &str) {
    let response = app
        .get_with(
            &format!("{path}?limit=1&cursor={cursor}"),
            &user.access_token,
        )
        .await;
    assert_eq!(response.status(), 400, "{what} on {path}");
    let problem = assert_problem(response, 400).await;
    assert_eq!(problem["errors"][0]["field"], "cursor", "{what} on {path}");
    assert_eq!(
        problem["errors"][0]["code"], "invalid_cursor",
        "{what} on {path}"
    );
}

/// A cursor is accepted only as the server issued it, for the list it was
/// issued for; anything else is a 400 problem, never a panic or a 500.
async fn forged_cursors_are_a_400_never_a_5xx(app: TestApp) {
    let admin = app.admin().await;
    let product = app.product(&admin, 100, 50, "EUR").await;
    app.product(&admin, 100, 50, "EUR").await;
    for _ in 0..3 {
        assert_eq!(app.order(&admin, &[(&product, 1)]).await.status(), 201);
    }
    let orders = next_cursor(&app, "/api/v1/orders?limit=1", &admin).await;
    let products = next_cursor(&app, "/api/v1/products?limit=1", &admin).await;
    let admin_orders = next_cursor(&app, "/api/v1/admin/orders?limit=1", &admin).await;

    // A real cursor still walks on.
    let page: Value = app
        .get_with(
            &format!("/api/v1/orders?limit=1&cursor={orders}"),
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    let id = uuid::Uuid::new_v4();
    let unsigned = |text: &str| URL_SAFE_NO_PAD.encode(text);
    let mut one_char = orders.clone().into_bytes();
    let middle = one_char.len() / 2;
    one_char[middle] = if one_char[middle] == b'A' { b'B' } else { b'A' };
    let one_char = String::from_utf8(one_char).unwrap();
    let forged = [
        // The attack run's cursor: year -9999, in the unsigned format of old.
        (
            unsigned(&format!("t:-377705116800:{id}")),
            "year -9999 timestamp",
        ),
        (unsigned(&format!("t:{}:{id}", i64::MAX)), "huge timestamp"),
        (
            unsigned(&format!("t:1700000000:{id}")),
            "unsigned plausible position",
        ),
        (orders[..orders.len() - 4].to_owned(), "truncated"),
        (orders[..10].to_owned(), "truncated to less than a tag"),
        (one_char, "one character changed"),
        (format!("{orders}AAAA"), "extended"),
        (products.clone(), "a products cursor"),
        ("garbled!".to_owned(), "not base64url"),
        ("A".repeat(4000), "long junk"),
    ];
    for (cursor, what) in &forged {
        assert_bad_cursor(&app, "/api/v1/orders", cursor, &admin, what).await;
        assert_bad_cursor(&app, "/api/v1/admin/orders", cursor, &admin, what).await;
        assert_bad_cursor(&app, "/api/v1/admin/audit-events", cursor, &admin, what).await;
    }
    // A cursor is bound to its list, even where the key types match.
    for (path, cursor, what) in [
        ("/api/v1/orders", &admin_orders, "an admin orders cursor"),
        ("/api/v1/admin/orders", &orders, "an orders cursor"),
        ("/api/v1/products", &orders, "an orders cursor"),
        ("/api/v1/admin/products", &products, "a products cursor"),
        ("/api/v1/admin/users", &products, "a products cursor"),
    ] {
        assert_bad_cursor(&app, path, cursor, &admin, what).await;
    }
    let text = unsigned("k:\0");
    assert_bad_cursor(&app, "/api/v1/products", &text, &admin, "unsigned text key").await;

    // Another server with another signing key: its cursors mean nothing here…
    let keys = attacker_keys();
    let other = TestApp::spawn_with(app.backend, |vars| {
        vars.insert("JWT_PRIVATE_KEY".into(), keys.private_pem.clone());
    })
    .await
    .expect("a second server");
    let other_admin = other.admin().await;
    other.product(&other_admin, 100, 5, "EUR").await;
    other.product(&other_admin, 100, 5, "EUR").await;
    let foreign = next_cursor(&other, "/api/v1/products?limit=1", &other_admin).await;
    assert_bad_cursor(
        &app,
        "/api/v1/products",
        &foreign,
        &admin,
        "another key's cursor",
    )
    .await;
    // …while one sharing the key (a replica, or this one after a restart) accepts ours.
    let replica = TestApp::spawn(app.backend).await.expect("a replica");
    let response = replica
        .get(&format!("/api/v1/products?limit=1&cursor={products}"))
        .await;
    assert_eq!(response.status(), 200);
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
