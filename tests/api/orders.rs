//! Orders: server-side pricing, the allowlist, validation, stock integrity
//! under concurrency, cancellation and ownership (BOLA).

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

on_both_backends!(
    orders_are_priced_by_the_server,
    clients_cannot_set_price_status_owner_or_currency,
    bad_orders_are_4xx_never_5xx,
    concurrent_orders_never_oversell,
    cancel_restores_stock_once,
    foreign_orders_read_as_missing,
    account_deletion_removes_orders,
);

async fn orders_are_priced_by_the_server(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let mug = app.product(&admin, 1_250, 10, "EUR").await;
    let cap = app.product(&admin, 800, 10, "EUR").await;

    let response = app.order(&user, &[(&mug, 2), (&cap, 3)]).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let order: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/orders/{}", order["id"].as_str().unwrap())
    );
    assert_eq!(order["status"], "pending");
    assert_eq!(order["currency"], "EUR");
    assert_eq!(order["total_cents"], 2 * 1_250 + 3 * 800);
    assert_eq!(order["items"][0]["unit_price_cents"], 1_250);
    assert_eq!(order["items"][0]["line_total_cents"], 2_500);
    assert_eq!(order["items"][1]["quantity"], 3);
    assert_eq!(app.stock_of(&admin, &mug).await, 8);

    // A later price change does not rewrite history.
    app.patch_json(
        &format!("/api/v1/admin/products/{mug}"),
        &json!({"price_cents": 9_999}),
        &admin.access_token,
    )
    .await;
    let again: Value = app
        .get_with(&location, &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["total_cents"], 2 * 1_250 + 3 * 800);
    assert_eq!(again["items"][0]["unit_price_cents"], 1_250);
}

async fn clients_cannot_set_price_status_owner_or_currency(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let product = app.product(&admin, 500, 10, "EUR").await;
    let line = json!({"product_id": product, "quantity": 1});
    let cases = [
        (json!({"items": [line], "total_cents": 1}), "total_cents"),
        (json!({"items": [line], "status": "paid"}), "status"),
        (json!({"items": [line], "user_id": admin.id}), "user_id"),
        (json!({"items": [line], "currency": "USD"}), "currency"),
        (
            json!({"items": [{"product_id": product, "quantity": 1, "unit_price_cents": 1}]}),
            "items[0].unit_price_cents",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .post_json("/api/v1/orders", &body, Some(&user.access_token))
            .await;
        let problem = assert_problem(response, 400).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let list: Value = app
        .get_with("/api/v1/orders", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing was created"
    );
    assert_eq!(app.stock_of(&admin, &product).await, 10);
}

async fn bad_orders_are_4xx_never_5xx(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let eur = app.product(&admin, 500, 10, "EUR").await;
    let usd = app.product(&admin, 500, 10, "USD").await;
    let send = async |body: Value| {
        app.post_json("/api/v1/orders", &body, Some(&user.access_token))
            .await
    };
    let item = |quantity: Value| json!({"items": [{"product_id": eur, "quantity": quantity}]});

    for quantity in [json!(0), json!(-1), json!(101)] {
        assert_problem(send(item(quantity)).await, 422).await;
    }
    for quantity in [
        json!(9_223_372_036_854_775_808u64),
        json!("1"),
        json!(null),
        json!(1.5),
    ] {
        assert_problem(send(item(quantity)).await, 400).await;
    }
    assert_problem(send(json!({"items": []})).await, 422).await;
    let fifty_one: Vec<Value> = (0..51)
        .map(|_| json!({"product_id": uuid::Uuid::new_v4(), "quantity": 1}))
        .collect();
    assert_problem(send(json!({ "items": fifty_one })).await, 422).await;
    let repeated =
        json!({"items": [{"product_id": eur, "quantity": 1}, {"product_id": eur, "quantity": 2}]});
    assert_problem(send(repeated).await, 422).await;
    let unknown = json!({"items": [{"product_id": uuid::Uuid::new_v4(), "quantity": 1}]});
    let problem = assert_problem(send(unknown).await, 422).await;
    assert_eq!(problem["errors"][0]["code"], "unknown_product");
    let mixed =
        json!({"items": [{"product_id": eur, "quantity": 1}, {"product_id": usd, "quantity": 1}]});
    assert_problem(send(mixed).await, 422).await;
    assert_problem(send(item(json!(11))).await, 409).await;
    assert_problem(
        send(json!({"items": [{"product_id": "nope", "quantity": 1}]})).await,
        400,
    )
    .await;
    // Nothing above took any stock.
    assert_eq!(app.stock_of(&admin, &eur).await, 10);
    assert_eq!(app.stock_of(&admin, &usd).await, 10);

    for (query, status, field) in [
        ("limit=0", 422, "limit"),
        ("limit=101", 422, "limit"),
        ("limit=-1", 400, "limit"),
        ("limit=abc", 400, "limit"),
        ("cursor=garbled!", 400, "cursor"),
        ("status=lost", 400, "status"),
    ] {
        let response = app
            .get_with(&format!("/api/v1/orders?{query}"), &user.access_token)
            .await;
        let problem = assert_problem(response, status).await;
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
    }
}

async fn concurrent_orders_never_oversell(app: TestApp) {
    let admin = app.admin().await;
    let product = app.product(&admin, 100, 10, "EUR").await;
    let mut buyers = Vec::new();
    for _ in 0..5 {
        buyers.push(app.register_and_login().await);
    }
    let product = product.as_str();
    let attempts = (0..50).map(|i| {
        let buyer = &buyers[i % buyers.len()];
        let app = &app;
        async move { app.order(buyer, &[(product, 1)]).await }
    });
    let responses = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(app.stock_of(&admin, product).await, 0);
}

async fn cancel_restores_stock_once(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let product = app.product(&admin, 100, 5, "EUR").await;
    let order: Value = app
        .order(&user, &[(&product, 3)])
        .await
        .json()
        .await
        .unwrap();
    let id = order["id"].as_str().unwrap();
    assert_eq!(app.stock_of(&admin, &product).await, 2);

    let cancelled = app
        .send_with(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{id}/cancel"),
            &user.access_token,
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    assert_eq!(
        cancelled.json::<Value>().await.unwrap()["status"],
        "cancelled"
    );
    assert_eq!(app.stock_of(&admin, &product).await, 5);

    let again = app
        .send_with(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{id}/cancel"),
            &user.access_token,
        )
        .await;
    assert_problem(again, 409).await;
    assert_eq!(
        app.stock_of(&admin, &product).await,
        5,
        "restored exactly once"
    );
}

async fn foreign_orders_read_as_missing(app: TestApp) {
    let admin = app.admin().await;
    let alice = app.register_and_login().await;
    let bob = app.register_and_login().await;
    let product = app.product(&admin, 100, 10, "EUR").await;
    let order: Value = app
        .order(&alice, &[(&product, 1)])
        .await
        .json()
        .await
        .unwrap();
    let id = order["id"].as_str().unwrap();
    let random = uuid::Uuid::new_v4();

    let strip = |mut problem: Value| {
        let object = problem.as_object_mut().unwrap();
        object.remove("request_id");
        object.remove("instance");
        problem
    };
    let foreign = strip(
        assert_problem(
            app.get_with(&format!("/api/v1/orders/{id}"), &bob.access_token)
                .await,
            404,
        )
        .await,
    );
    let missing = strip(
        assert_problem(
            app.get_with(&format!("/api/v1/orders/{random}"), &bob.access_token)
                .await,
            404,
        )
        .await,
    );
    assert_eq!(
        foreign, missing,
        "a foreign order reads exactly like a missing one"
    );

    let cancel = app
        .send_with(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{id}/cancel"),
            &bob.access_token,
        )
        .await;
    assert_eq!(strip(assert_problem(cancel, 404).await), missing);

    for query in [
        "",
        "?user_id=",
        "?owner=",
        "?status=pending&user_id=",
        "?limit=100&owner_id=",
    ] {
        let path = if query.ends_with('=') {
            format!("/api/v1/orders{query}{}", alice.id)
        } else {
            format!("/api/v1/orders{query}")
        };
        let list: Value = app
            .get_with(&path, &bob.access_token)
            .await
            .json()
            .await
            .unwrap();
        assert!(
            list["items"].as_array().unwrap().is_empty(),
            "{path} leaked: {list}"
        );
    }
    // Alice's order is untouched and still hers.
    let mine: Value = app
        .get_with(&format!("/api/v1/orders/{id}"), &alice.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["status"], "pending");
}

async fn account_deletion_removes_orders(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let product = app.product(&admin, 100, 10, "EUR").await;
    assert_eq!(app.order(&user, &[(&product, 2)]).await.status(), 201);
    let deleted = app.delete_account(&user, &user.password).await;
    assert_eq!(deleted.status(), 204);
    let orders: Value = app
        .get_with(
            &format!("/api/v1/admin/orders?user_id={}", user.id),
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(orders["items"].as_array().unwrap().is_empty(), "{orders}");
}
