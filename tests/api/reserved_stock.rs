//! Stock held by unpaid orders: it comes back when an account is deleted,
//! and one user cannot hold more than 20 pending orders.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem};

on_both_backends!(
    deleting_an_account_gives_its_reserved_stock_back,
    a_user_holds_at_most_twenty_pending_orders,
);

/// Places an order of `quantity` and returns its id.
pub async fn place(app: &TestApp, user: &TestUser, product: &str, quantity: i64) -> String {
    let response = app.order(user, &[(product, quantity)]).await;
    assert_eq!(response.status(), 201, "order refused");
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Moves an order along the state machine as an admin.
pub async fn set_status(app: &TestApp, admin: &TestUser, order: &str, status: &str) {
    let path = format!("/api/v1/admin/orders/{order}");
    let response = app
        .patch_json(&path, &json!({ "status": status }), &admin.access_token)
        .await;
    assert_eq!(response.status(), 200, "{order} → {status}");
}

async fn deleting_an_account_gives_its_reserved_stock_back(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let product = app.product(&admin, 100, 20, "EUR").await;
    place(&app, &user, &product, 2).await; // stays pending
    let paid = place(&app, &user, &product, 3).await;
    set_status(&app, &admin, &paid, "paid").await;
    let shipped = place(&app, &user, &product, 4).await;
    set_status(&app, &admin, &shipped, "paid").await;
    set_status(&app, &admin, &shipped, "shipped").await;
    let cancelled = place(&app, &user, &product, 5).await;
    set_status(&app, &admin, &cancelled, "cancelled").await;
    assert_eq!(app.stock_of(&admin, &product).await, 20 - 2 - 3 - 4);

    let deleted = app.delete_account(&user, &user.password).await;
    assert_eq!(deleted.status(), 204);
    // The pending and the paid order are cancelled; the shipped one is gone for
    // good, and the one cancelled before is not restored twice.
    assert_eq!(app.stock_of(&admin, &product).await, 20 - 4);
}

async fn a_user_holds_at_most_twenty_pending_orders(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let product = app.product(&admin, 100, 100, "EUR").await;
    // 25 at once: the cap is checked inside the placing transaction.
    let line = [(product.as_str(), 1)];
    let attempts = (0..25).map(|_| app.order(&user, &line));
    let responses = futures_util::future::join_all(attempts).await;
    let mut placed = Vec::new();
    let mut statuses = Vec::new();
    for response in responses {
        statuses.push(response.status().as_u16());
        if response.status() == 201 {
            placed.push(
                response.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    assert_eq!(placed.len(), 20, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(
        app.stock_of(&admin, &product).await,
        80,
        "refused orders took nothing"
    );

    let problem = assert_problem(app.order(&user, &[(&product, 1)]).await, 409).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("20"),
        "{problem}"
    );
    // A cancelled order frees a slot, and so does a paid one.
    let path = format!("/api/v1/orders/{}/cancel", placed[0]);
    let cancelled = app
        .send_with(reqwest::Method::POST, &path, &user.access_token)
        .await;
    assert_eq!(cancelled.status(), 200);
    place(&app, &user, &product, 1).await;
    assert_problem(app.order(&user, &[(&product, 1)]).await, 409).await;
    set_status(&app, &admin, &placed[1], "paid").await;
    place(&app, &user, &product, 1).await;
    // The cap is per user.
    let other = app.register_and_login().await;
    place(&app, &other, &product, 1).await;
}
