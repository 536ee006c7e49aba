//! Register → login → me → refresh → logout, and what stops working after.

use serde_json::{Value, json};

use crate::helpers::{GOOD_PASSWORD, TestApp, assert_problem};

on_both_backends!(
    full_flow_and_logout_is_immediate,
    registration_validates_and_refuses_duplicates,
    bad_credentials_get_one_identical_answer,
    account_deletion_needs_the_password,
    jwks_publishes_the_signing_key,
    email_variants_never_make_a_second_account,
    display_names_refuse_format_characters,
);

async fn full_flow_and_logout_is_immediate(app: TestApp) {
    let registered = app.register("Grace@Example.com", GOOD_PASSWORD).await;
    assert_eq!(registered.status(), 201);
    assert_eq!(registered.headers()["location"], "/api/v1/users/me");
    let user: Value = registered.json().await.unwrap();
    assert_eq!(user["email"], "grace@example.com", "stored lower-cased");
    assert_eq!(user["role"], "user");
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());

    // E-mails compare case-insensitively at login too.
    let login = app.login("GRACE@example.COM", GOOD_PASSWORD).await;
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["cache-control"], "no-store");
    let pair: Value = login.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert_eq!(pair["refresh_expires_in"], 14 * 86_400);
    let access = pair["access_token"].as_str().unwrap();
    let refresh = pair["refresh_token"].as_str().unwrap();

    let me = app.get_with("/api/v1/users/me", access).await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.headers()["cache-control"], "no-store");
    assert_eq!(me.json::<Value>().await.unwrap()["id"], user["id"]);

    let rotated = app.refresh(refresh).await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let new_access = rotated["access_token"].as_str().unwrap();
    let new_refresh = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, refresh);
    assert_eq!(
        app.get_with("/api/v1/users/me", new_access).await.status(),
        200
    );

    let logout = app
        .post_json("/api/v1/auth/logout", &json!({}), Some(new_access))
        .await;
    assert_eq!(logout.status(), 204);
    // The session is gone: both of its access tokens and its refresh token.
    for token in [access, new_access] {
        let response = app.get_with("/api/v1/users/me", token).await;
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.contains("invalid_token"), "{challenge}");
        assert_problem(response, 401).await;
    }
    let response = app.refresh(new_refresh).await;
    assert!(response.headers().contains_key("www-authenticate"));
    assert_problem(response, 401).await;
}

async fn registration_validates_and_refuses_duplicates(app: TestApp) {
    assert_eq!(
        app.register("dup@example.com", GOOD_PASSWORD)
            .await
            .status(),
        201
    );
    let again = app.register("DUP@example.com", GOOD_PASSWORD).await;
    assert_problem(again, 409).await;

    let bad = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "not-an-email", "password": "short", "display_name": ""}),
            None,
        )
        .await;
    let body = assert_problem(bad, 422).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "display_name", "password"]);

    // Mass assignment: a role cannot be chosen at registration.
    let escalation = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "eve@example.com", "password": GOOD_PASSWORD,
                    "display_name": "Eve", "role": "admin"}),
            None,
        )
        .await;
    let body = assert_problem(escalation, 400).await;
    assert_eq!(body["errors"][0]["field"], "role");
    assert_eq!(
        app.login("eve@example.com", GOOD_PASSWORD).await.status(),
        401,
        "nothing created"
    );
}

/// Strips the per-request members so two problems can be compared byte for byte.
fn without_request_members(body: &str) -> String {
    let mut value: Value = serde_json::from_str(body).unwrap();
    let object = value.as_object_mut().unwrap();
    object.remove("request_id");
    object.remove("instance");
    serde_json::to_string(&value).unwrap()
}

async fn bad_credentials_get_one_identical_answer(app: TestApp) {
    let user = app.register_and_login().await;
    let wrong_password = app.login(&user.email, "wrong password entirely here").await;
    let unknown_email = app.login("nobody-here@example.com", GOOD_PASSWORD).await;
    let malformed_email = app.login("not an email", GOOD_PASSWORD).await;
    let mut bodies = Vec::new();
    for response in [wrong_password, unknown_email, malformed_email] {
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"rampart\""
        );
        let text = response.text().await.unwrap();
        bodies.push(without_request_members(&text));
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0], bodies[2]);
}

async fn account_deletion_needs_the_password(app: TestApp) {
    let user = app.register_and_login().await;
    let wrong = app.delete_account(&user, "not my password at all").await;
    assert_problem(wrong, 403).await;
    assert_eq!(
        app.delete_account(&user, &user.password).await.status(),
        204
    );
    assert_eq!(
        app.get_with("/api/v1/users/me", &user.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(app.login(&user.email, &user.password).await.status(), 401);
    // The e-mail is free again.
    assert_eq!(app.register(&user.email, GOOD_PASSWORD).await.status(), 201);
}

async fn jwks_publishes_the_signing_key(app: TestApp) {
    let user = app.register_and_login().await;
    let kid = crate::helpers::tokens::decode_part(&user.access_token, 0)["kid"].clone();
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], kid);
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert!(key.get("d").is_none(), "no private part");
}

/// One mailbox, one account: every spelling of `ada@example.com` that the
/// attack run used is either the same account (409) or refused (422).
async fn email_variants_never_make_a_second_account(app: TestApp) {
    let registered = app.register("ada@example.com", GOOD_PASSWORD).await;
    assert_eq!(registered.status(), 201);
    let ada: Value = registered.json().await.unwrap();
    // (variant, expected status, error code when refused)
    let variants = [
        ("ａｄａ@example.com", 422, Some("compatibility_characters")),
        ("ada@ｅｘａｍｐｌｅ.com", 409, None),
        ("ada\u{200B}@example.com", 422, Some("format_characters")),
        ("ada@exam\u{200B}ple.com", 422, Some("format_characters")),
        ("a\u{AD}da@example.com", 422, Some("format_characters")),
        ("ada@exam\u{AD}ple.com", 422, Some("format_characters")),
        ("ada@example。com", 409, None),
        ("ada@[127.0.0.1]", 422, Some("address_literal")),
        ("ada@127.0.0.1", 422, Some("address_literal")),
        ("ADA@Example.COM", 409, None),
    ];
    for (variant, status, code) in variants {
        let response = app.register(variant, GOOD_PASSWORD).await;
        assert_ne!(response.status(), 201, "{variant:?} made a second account");
        let body = assert_problem(response, status).await;
        if let Some(code) = code {
            assert_eq!(body["errors"][0]["field"], "email", "{variant:?}");
            assert_eq!(body["errors"][0]["code"], code, "{variant:?}");
        }
    }
    // Decomposed and precomposed accents are one address.
    let precomposed = app.register("zoé@exämple.com", GOOD_PASSWORD).await;
    let decomposed = app.register("zoé@exa\u{308}mple.com", GOOD_PASSWORD).await;
    assert_ne!(
        decomposed.status(),
        201,
        "a decomposed accent made a second account"
    );
    if precomposed.status() == 201 {
        assert_problem(decomposed, 409).await;
    } else {
        assert_problem(precomposed, 422).await;
        assert_problem(decomposed, 422).await;
    }
    let accented = app.register("ada@exämple.com", GOOD_PASSWORD).await;
    assert_eq!(accented.status(), 201);
    let accented: Value = accented.json().await.unwrap();
    assert_eq!(
        accented["email"], "ada@xn--exmple-cua.com",
        "stored as an A-label"
    );
    assert_problem(
        app.register("ada@exa\u{308}mple.com", GOOD_PASSWORD).await,
        409,
    )
    .await;

    // Login canonicalises the same way: a variant reaches the same account…
    for variant in [
        "ada@ｅｘａｍｐｌｅ.com",
        "ada@example。com",
        "ADA@Example.COM",
    ] {
        let login = app.login(variant, GOOD_PASSWORD).await;
        assert_eq!(login.status(), 200, "{variant:?}");
        let pair: Value = login.json().await.unwrap();
        let me: Value = app
            .get_with("/api/v1/users/me", pair["access_token"].as_str().unwrap())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["id"], ada["id"], "{variant:?}");
    }
    // …a refused spelling gets the generic 401…
    let refused = app.login("ada\u{200B}@example.com", GOOD_PASSWORD).await;
    let refused = assert_problem(refused, 401).await;
    assert_eq!(refused["detail"], "The e-mail or password is incorrect.");
    // …and failures under different spellings count against one account.
    let spellings = [
        "ADA@example.com",
        "ada@ｅｘａｍｐｌｅ.com",
        "ada@example。com",
    ];
    for spelling in spellings.iter().cycle().take(5) {
        assert_problem(app.login(spelling, "not the password at all").await, 401).await;
    }
    assert_problem(app.login("ada@example.com", GOOD_PASSWORD).await, 429).await;
}

/// Impersonation: bidi overrides and zero-width characters are refused in a
/// display name, at registration and in the profile PATCH alike.
async fn display_names_refuse_format_characters(app: TestApp) {
    let user = app.register_and_login().await;
    for name in [
        "\u{202E}evil\u{200B}",
        "Ada\u{200B}",
        "Ada\u{202E}ecalevoL",
        "\u{2066}Ada\u{2069}",
        "Ad\u{AD}a",
        "\u{FEFF}Ada",
        "Ada\u{200F}",
        "Ada\u{2060}",
    ] {
        let body = json!({
            "email": format!("fmt-{}@example.com", uuid::Uuid::new_v4().simple()),
            "password": GOOD_PASSWORD, "display_name": name,
        });
        let registered = app.post_json("/api/v1/auth/register", &body, None).await;
        let problem = assert_problem(registered, 422).await;
        assert_eq!(problem["errors"][0]["field"], "display_name", "{name:?}");
        assert_eq!(
            problem["errors"][0]["code"], "format_characters",
            "{name:?}"
        );

        let patched = app
            .patch_json(
                "/api/v1/users/me/profile",
                &json!({ "display_name": name }),
                &user.access_token,
            )
            .await;
        let problem = assert_problem(patched, 422).await;
        assert_eq!(problem["errors"][0]["field"], "display_name", "{name:?}");
        assert_eq!(
            problem["errors"][0]["code"], "format_characters",
            "{name:?}"
        );
    }
}
