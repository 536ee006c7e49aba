//! Profiles: PATCH semantics, field rules, the allowlist and the public view.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

on_both_backends!(
    patch_semantics_and_rules,
    mass_assignment_is_refused,
    public_view_hides_private_fields
);

async fn patch_semantics_and_rules(app: TestApp) {
    let user = app.register_and_login().await;
    let path = "/api/v1/users/me/profile";
    let profile: Value = app
        .get_with(path, &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["display_name"], "Test User");
    assert!(profile["phone"].is_null());

    let full = json!({"bio": "Hello", "avatar_url": "https://images.example.com/a.png", "phone": "+442071838750"});
    let updated: Value = app
        .patch_json(path, &full, &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["phone"], "+442071838750");

    // Absent fields are unchanged; null clears.
    let updated: Value = app
        .patch_json(
            path,
            &json!({"display_name": "Ada", "bio": null}),
            &user.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["display_name"], "Ada");
    assert!(updated["bio"].is_null());
    assert_eq!(updated["avatar_url"], "https://images.example.com/a.png");
    assert_eq!(updated["phone"], "+442071838750");

    for (body, field) in [
        (json!({"display_name": null}), "display_name"),
        (json!({"display_name": ""}), "display_name"),
        (json!({"display_name": "x".repeat(65)}), "display_name"),
        (json!({"bio": "x".repeat(501)}), "bio"),
        (
            json!({"avatar_url": "http://images.example.com/a.png"}),
            "avatar_url",
        ),
        (
            json!({"avatar_url": "https://127.0.0.1/a.png"}),
            "avatar_url",
        ),
        (
            json!({"avatar_url": "https://localhost/a.png"}),
            "avatar_url",
        ),
        (
            json!({"avatar_url": "https://user:pw@images.example.com/a.png"}),
            "avatar_url",
        ),
        (json!({"phone": "07700 900123"}), "phone"),
        (json!({"phone": "+0123"}), "phone"),
    ] {
        let problem =
            assert_problem(app.patch_json(path, &body, &user.access_token).await, 422).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let unchanged: Value = app
        .get_with(path, &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["display_name"], "Ada");
    assert_problem(
        app.patch_json(path, &json!({"bio": 5}), &user.access_token)
            .await,
        400,
    )
    .await;
}

async fn mass_assignment_is_refused(app: TestApp) {
    let user = app.register_and_login().await;
    let path = "/api/v1/users/me/profile";
    for field in ["role", "email", "user_id", "is_admin"] {
        let body = json!({ "display_name": "Mallory", field: "admin" });
        let problem =
            assert_problem(app.patch_json(path, &body, &user.access_token).await, 400).await;
        assert_eq!(problem["errors"][0]["field"], field);
        assert_eq!(problem["errors"][0]["code"], "unknown_field");
    }
    let profile: Value = app
        .get_with(path, &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["display_name"], "Test User", "nothing changed");
    let me: Value = app
        .get_with("/api/v1/users/me", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "user");
}

async fn public_view_hides_private_fields(app: TestApp) {
    let alice = app.register_and_login().await;
    let bob = app.register_and_login().await;
    let body = json!({"bio": "Alice here", "phone": "+442071838750"});
    app.patch_json("/api/v1/users/me/profile", &body, &alice.access_token)
        .await;

    let response = app
        .get_with(
            &format!("/api/v1/users/{}/profile", alice.id),
            &bob.access_token,
        )
        .await;
    assert_eq!(response.status(), 200);
    let public: Value = response.json().await.unwrap();
    assert_eq!(public["user_id"], alice.id.as_str());
    assert_eq!(public["bio"], "Alice here");
    let keys: Vec<&String> = public.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(public.get("phone").is_none() && public.get("email").is_none());

    let missing = app
        .get_with(
            &format!("/api/v1/users/{}/profile", uuid::Uuid::new_v4()),
            &bob.access_token,
        )
        .await;
    assert_problem(missing, 404).await;
}
