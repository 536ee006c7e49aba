//! Function-level authorisation and the admin operations.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

on_both_backends!(
    users_get_403_on_every_admin_route,
    demotion_cuts_off_at_once,
    admins_cannot_demote_or_disable_themselves,
    mutual_demotion_always_leaves_an_admin,
    disabling_ends_sessions_and_logins,
    user_list_filters_by_escaped_prefix,
    order_transitions_follow_the_state_machine,
    audit_events_can_be_filtered,
    the_last_admin_cannot_delete_their_account,
);

fn admin_routes() -> Vec<(String, String)> {
    let document = serde_json::to_value(rampart::openapi::document()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        if path.starts_with("/api/v1/admin/") {
            for method in item.as_object().unwrap().keys() {
                routes.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

async fn users_get_403_on_every_admin_route(app: TestApp) {
    let user = app.register_and_login().await;
    let routes = admin_routes();
    assert!(routes.len() >= 9, "{routes:?}");
    for (method, path) in routes {
        let url = app.url(&path.replace("{id}", &uuid::Uuid::new_v4().to_string()));
        let as_user = app
            .client
            .request(method.parse().unwrap(), &url)
            .bearer_auth(&user.access_token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_problem(as_user, 403).await;
        let anonymous = app
            .client
            .request(method.parse().unwrap(), &url)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_problem(anonymous, 401).await;
    }
    // Each refusal is in the audit trail.
    let admin = app.admin().await;
    let denied: Value = app
        .get_with(
            &format!(
                "/api/v1/admin/audit-events?kind=access_denied&user_id={}",
                user.id
            ),
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!denied["items"].as_array().unwrap().is_empty());
}

async fn demotion_cuts_off_at_once(app: TestApp) {
    let root = app.admin().await;
    let mut deputy = app.admin().await;
    assert_eq!(
        app.get_with("/api/v1/admin/users", &deputy.access_token)
            .await
            .status(),
        200
    );

    let demote = app
        .patch_json(
            &format!("/api/v1/admin/users/{}", deputy.id),
            &json!({"role": "user"}),
            &root.access_token,
        )
        .await;
    assert_eq!(demote.status(), 200);
    assert_eq!(demote.json::<Value>().await.unwrap()["role"], "user");
    // The token the deputy still holds is dead everywhere, at once.
    for path in ["/api/v1/admin/users", "/api/v1/users/me", "/api/v1/orders"] {
        assert_eq!(
            app.get_with(path, &deputy.access_token).await.status(),
            401,
            "{path}"
        );
    }
    assert_eq!(app.refresh(&deputy.refresh_token).await.status(), 401);
    // After logging in again: a plain user.
    app.login_as(&mut deputy).await;
    assert_problem(
        app.get_with("/api/v1/admin/users", &deputy.access_token)
            .await,
        403,
    )
    .await;
    assert_eq!(
        app.get_with("/api/v1/users/me", &deputy.access_token)
            .await
            .status(),
        200
    );
}

async fn admins_cannot_demote_or_disable_themselves(app: TestApp) {
    let admin = app.admin().await;
    let path = format!("/api/v1/admin/users/{}", admin.id);
    for body in [json!({"role": "user"}), json!({"disabled": true})] {
        assert_problem(app.patch_json(&path, &body, &admin.access_token).await, 409).await;
    }
    assert_problem(
        app.patch_json(&path, &json!({"role": "root"}), &admin.access_token)
            .await,
        400,
    )
    .await;
    assert_problem(
        app.patch_json(&path, &json!({"email": "x@y.z"}), &admin.access_token)
            .await,
        400,
    )
    .await;
    assert_eq!(
        app.get_with("/api/v1/admin/users", &admin.access_token)
            .await
            .status(),
        200
    );
    let missing = format!("/api/v1/admin/users/{}", uuid::Uuid::new_v4());
    assert_problem(
        app.patch_json(&missing, &json!({"disabled": true}), &admin.access_token)
            .await,
        404,
    )
    .await;
}

async fn disabling_ends_sessions_and_logins(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let path = format!("/api/v1/admin/users/{}", user.id);
    let disabled: Value = app
        .patch_json(&path, &json!({"disabled": true}), &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(disabled["disabled"], true);
    assert_eq!(
        app.get_with("/api/v1/users/me", &user.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(app.login(&user.email, &user.password).await.status(), 401);
    app.patch_json(&path, &json!({"disabled": false}), &admin.access_token)
        .await;
    assert_eq!(app.login(&user.email, &user.password).await.status(), 200);

    let kinds: Value = app
        .get_with(
            &format!("/api/v1/admin/audit-events?user_id={}", user.id),
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = kinds["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"user_disabled") && kinds.contains(&"user_enabled"),
        "{kinds:?}"
    );
}

async fn user_list_filters_by_escaped_prefix(app: TestApp) {
    let admin = app.admin().await;
    for email in [
        "zed_one@example.com",
        "zedxone@example.com",
        "ZED%two@example.com",
    ] {
        assert_eq!(
            app.register(email, crate::helpers::GOOD_PASSWORD)
                .await
                .status(),
            201
        );
    }
    let emails = |query: &'static str| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let page: Value = app
                .get_with(&format!("/api/v1/admin/users?{query}"), &admin.access_token)
                .await
                .json()
                .await
                .unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        emails("email=ZED").await.len(),
        3,
        "case-insensitive prefix"
    );
    assert_eq!(
        emails("email=zed_").await,
        ["zed_one@example.com"],
        "`_` is literal"
    );
    assert_eq!(
        emails("email=zed%25").await,
        ["zed%two@example.com"],
        "`%` is literal"
    );
    assert!(emails("email=%25").await.is_empty());
    let page: Value = app
        .get_with("/api/v1/admin/users?limit=2", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(page["next_cursor"].is_string());
    assert!(page["items"][0].get("password_hash").is_none());
}

async fn order_transitions_follow_the_state_machine(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    let product = app.product(&admin, 100, 10, "EUR").await;
    let place = || async {
        let order: Value = app
            .order(&user, &[(&product, 2)])
            .await
            .json()
            .await
            .unwrap();
        format!("/api/v1/admin/orders/{}", order["id"].as_str().unwrap())
    };
    let set = |path: String, status: &'static str| {
        let token = admin.access_token.clone();
        let app = &app;
        async move {
            app.patch_json(&path, &json!({ "status": status }), &token)
                .await
        }
    };

    let order = place().await;
    assert_problem(set(order.clone(), "shipped").await, 409).await; // pending → shipped
    assert_problem(set(order.clone(), "pending").await, 409).await; // to the current state
    let paid: Value = set(order.clone(), "paid").await.json().await.unwrap();
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["user_id"], user.id.as_str());
    assert_problem(set(order.clone(), "paid").await, 409).await;
    assert_eq!(set(order.clone(), "shipped").await.status(), 200);
    assert_problem(set(order.clone(), "cancelled").await, 409).await; // shipped is final
    assert_problem(set(order.clone(), "paid").await, 409).await;
    assert_eq!(app.stock_of(&admin, &product).await, 8);

    // paid → cancelled restores stock; the customer cannot cancel a paid order.
    let second = place().await;
    set(second.clone(), "paid").await;
    let id = second.rsplit('/').next().unwrap().to_owned();
    let by_customer = app
        .post_json(
            &format!("/api/v1/orders/{id}/cancel"),
            &json!({}),
            Some(&user.access_token),
        )
        .await;
    assert_problem(by_customer, 409).await;
    assert_eq!(app.stock_of(&admin, &product).await, 6);
    assert_eq!(set(second.clone(), "cancelled").await.status(), 200);
    assert_eq!(app.stock_of(&admin, &product).await, 8);
    assert_problem(set(second.clone(), "bogus").await, 400).await;
    assert_problem(
        set(
            format!("/api/v1/admin/orders/{}", uuid::Uuid::new_v4()),
            "paid",
        )
        .await,
        404,
    )
    .await;

    let listed: Value = app
        .get_with(
            &format!("/api/v1/admin/orders?status=shipped&user_id={}", user.id),
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

async fn audit_events_can_be_filtered(app: TestApp) {
    let admin = app.admin().await;
    let user = app.register_and_login().await;
    assert_eq!(
        app.login(&user.email, "definitely not the password")
            .await
            .status(),
        401
    );
    let page: Value = app
        .get_with(
            &format!(
                "/api/v1/admin/audit-events?kind=login_failed&user_id={}",
                user.id
            ),
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let event = &items[0];
    assert_eq!(event["kind"], "login_failed");
    assert!(uuid::Uuid::parse_str(event["id"].as_str().unwrap()).is_ok());
    assert!(event["detail"].is_object());
    assert!(event["request_id"].is_string() && event["ip"].is_string());
    let bad = app
        .get_with(
            "/api/v1/admin/audit-events?user_id=nope",
            &admin.access_token,
        )
        .await;
    assert_problem(bad, 400).await;
}

/// Two admins demote (or disable) each other at the same moment, 20 times:
/// one change wins, the other is refused, and an active admin always remains.
async fn mutual_demotion_always_leaves_an_admin(app: TestApp) {
    let db = app.db().await;
    for trial in 0..20 {
        let (a, b) = futures_util::join!(app.register_and_login(), app.register_and_login());
        let (a_id, b_id) = (
            uuid::Uuid::parse_str(&a.id).unwrap(),
            uuid::Uuid::parse_str(&b.id).unwrap(),
        );
        // Exactly these two are the active admins when the race starts.
        rampart::on_db!(&db, pool => {
            sqlx::query("UPDATE users SET role = CASE WHEN id IN ($1, $2) THEN 'admin' ELSE 'user' END")
                .bind(a_id)
                .bind(b_id)
                .execute(pool)
                .await
                .map(drop)
                .unwrap()
        });
        let body = if trial % 2 == 0 {
            json!({"role": "user"})
        } else {
            json!({"disabled": true})
        };
        let (a_path, b_path) = (
            format!("/api/v1/admin/users/{}", b.id),
            format!("/api/v1/admin/users/{}", a.id),
        );
        let (by_a, by_b) = futures_util::join!(
            app.patch_json(&a_path, &body, &a.access_token),
            app.patch_json(&b_path, &body, &b.access_token),
        );
        let statuses = [by_a.status().as_u16(), by_b.status().as_u16()];
        let admins: i64 = rampart::on_db!(&db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = FALSE")
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(admins, 1, "trial {trial} {body}: {statuses:?}");
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "trial {trial} {body}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [200, 401, 403, 409].contains(s)),
            "trial {trial} {body}: {statuses:?}"
        );
    }
}

/// Lock-out protection holds for account deletion too: the only active admin
/// cannot delete their account; once another admin exists, they can.
async fn the_last_admin_cannot_delete_their_account(app: TestApp) {
    let admin = app.admin().await;
    let refused = app.delete_account(&admin, &admin.password).await;
    assert_problem(refused, 409).await;
    assert_eq!(
        app.get_with("/api/v1/users/me", &admin.access_token)
            .await
            .status(),
        200
    );
    let _second = app.admin().await;
    assert_eq!(
        app.delete_account(&admin, &admin.password).await.status(),
        204
    );
}
