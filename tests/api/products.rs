//! The public catalogue and the admin's product management.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

on_both_backends!(
    public_catalogue_hides_stock_and_inactive_products,
    admin_product_rules
);

async fn public_catalogue_hides_stock_and_inactive_products(app: TestApp) {
    let admin = app.admin().await;
    let stocked = app.product(&admin, 1_000, 3, "EUR").await;
    let empty = app.product(&admin, 2_000, 0, "EUR").await;
    let hidden = app.product(&admin, 3_000, 5, "EUR").await;
    let deactivate = app
        .patch_json(
            &format!("/api/v1/admin/products/{hidden}"),
            &json!({"active": false}),
            &admin.access_token,
        )
        .await;
    assert_eq!(deactivate.status(), 200);

    let list: Value = app.get("/api/v1/products").await.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&stocked.as_str()) && ids.contains(&empty.as_str()));
    assert!(
        !ids.contains(&hidden.as_str()),
        "inactive products are not listed"
    );
    let in_stock = |id: &str| items.iter().find(|p| p["id"] == id).unwrap()["in_stock"].clone();
    assert_eq!(in_stock(&stocked), true);
    assert_eq!(in_stock(&empty), false);

    assert_eq!(
        app.get(&format!("/api/v1/products/{stocked}"))
            .await
            .status(),
        200
    );
    assert_problem(app.get(&format!("/api/v1/products/{hidden}")).await, 404).await;
    // The admin still sees it.
    let admin_view = app
        .get_with(
            &format!("/api/v1/admin/products/{hidden}"),
            &admin.access_token,
        )
        .await;
    let admin_view: Value = admin_view.json().await.unwrap();
    assert_eq!(admin_view["active"], false);
    assert_eq!(admin_view["stock"], 5);
}

async fn admin_product_rules(app: TestApp) {
    let admin = app.admin().await;
    let body = json!({"sku": "DUP-1", "name": "One", "description": "", "price_cents": 100, "currency": "EUR", "stock": 1});
    let created = app
        .post_json("/api/v1/admin/products", &body, Some(&admin.access_token))
        .await;
    assert_eq!(created.status(), 201);
    assert!(
        created.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/admin/products/")
    );
    assert_problem(
        app.post_json("/api/v1/admin/products", &body, Some(&admin.access_token))
            .await,
        409,
    )
    .await;

    for (field, value) in [
        ("sku", json!("")),
        ("price_cents", json!(-1)),
        ("currency", json!("euro")),
        ("stock", json!(-5)),
        ("name", json!("")),
    ] {
        let mut bad = body.clone();
        bad["sku"] = json!("OTHER-1");
        bad[field] = value;
        let problem = assert_problem(
            app.post_json("/api/v1/admin/products", &bad, Some(&admin.access_token))
                .await,
            422,
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field);
    }
    let mut unknown = body.clone();
    unknown["active"] = json!(false);
    assert_problem(
        app.post_json(
            "/api/v1/admin/products",
            &unknown,
            Some(&admin.access_token),
        )
        .await,
        400,
    )
    .await;

    let list: Value = app
        .get_with("/api/v1/admin/products?limit=1", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
