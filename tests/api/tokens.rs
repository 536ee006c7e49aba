//! Attacks on the access-token verifier: every forged, altered, expired or
//! misplaced token is a 401.

use serde_json::{Value, json};

use crate::helpers::tokens::{
    TEST_KEYS, attacker_keys, claims, decode_part, eddsa_header, hs256_with_public_key, sign_eddsa,
    tamper, unsigned,
};
use crate::helpers::{TestApp, assert_problem};

on_both_backends!(
    forged_and_misused_tokens_are_refused,
    tokens_carry_no_personal_data
);

async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    let response = app.get_with("/api/v1/users/me", token).await;
    assert_eq!(response.status(), 401, "{what} was accepted");
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
    assert_problem(response, 401).await;
}

async fn forged_and_misused_tokens_are_refused(app: TestApp) {
    let user = app.register_and_login().await;
    let genuine = &user.access_token;
    assert_eq!(
        app.get_with("/api/v1/users/me", genuine).await.status(),
        200
    );
    let kid = decode_part(genuine, 0)["kid"].as_str().unwrap().to_owned();
    let base = claims(genuine);
    let with = |field: &str, value: Value| {
        let mut claims = base.clone();
        claims[field] = value;
        claims
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    // Sanity: re-signing the genuine claims with the test key is accepted, so
    // each refusal below is caused by the one thing that differs.
    let resigned = sign_eddsa(eddsa_header(&kid), &base, &TEST_KEYS.private_pem);
    assert_eq!(
        app.get_with("/api/v1/users/me", &resigned).await.status(),
        200
    );

    let other_user = with("sub", json!(uuid::Uuid::new_v4()));
    let attacker = attacker_keys();
    let mut jwk_header = eddsa_header(&kid);
    jwk_header.jwk = serde_json::from_value(json!({
        "kty": "OKP", "crv": "Ed25519",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    }))
    .ok();
    let mut jku_header = eddsa_header(&kid);
    jku_header.jku = Some("https://attacker.example/jwks.json".into());
    let mut no_kid = eddsa_header(&kid);
    no_kid.kid = None;

    let cases: Vec<(&str, String)> = vec![
        ("alg none", unsigned(&base)),
        (
            "HS256 signed with the public key",
            hs256_with_public_key(&base, &kid),
        ),
        ("tampered payload", tamper(genuine, &other_user)),
        (
            "wrong aud",
            sign_eddsa(
                eddsa_header(&kid),
                &with("aud", json!("someone-else")),
                &TEST_KEYS.private_pem,
            ),
        ),
        (
            "wrong iss",
            sign_eddsa(
                eddsa_header(&kid),
                &with("iss", json!("evil")),
                &TEST_KEYS.private_pem,
            ),
        ),
        (
            "expired",
            sign_eddsa(
                eddsa_header(&kid),
                &with("exp", json!(now - 120)),
                &TEST_KEYS.private_pem,
            ),
        ),
        (
            "not yet valid",
            sign_eddsa(
                eddsa_header(&kid),
                &with("nbf", json!(now + 600)),
                &TEST_KEYS.private_pem,
            ),
        ),
        ("no exp", {
            let mut c = base.clone();
            c.as_object_mut().unwrap().remove("exp");
            sign_eddsa(eddsa_header(&kid), &c, &TEST_KEYS.private_pem)
        }),
        (
            "wrong typ",
            sign_eddsa(
                eddsa_header(&kid),
                &with("typ", json!("refresh")),
                &TEST_KEYS.private_pem,
            ),
        ),
        (
            "jwk header with the attacker's key",
            sign_eddsa(jwk_header, &base, &attacker.private_pem),
        ),
        (
            "jku header",
            sign_eddsa(jku_header, &base, &attacker.private_pem),
        ),
        (
            "unknown kid",
            sign_eddsa(eddsa_header("attacker-kid"), &base, &attacker.private_pem),
        ),
        ("no kid", sign_eddsa(no_kid, &base, &TEST_KEYS.private_pem)),
        ("refresh token as bearer", user.refresh_token.clone()),
        ("garbage", "not.a.token".into()),
    ];
    for (what, token) in &cases {
        assert_refused(&app, token, what).await;
    }
    // The genuine token still works: none of the above affected the session.
    assert_eq!(
        app.get_with("/api/v1/users/me", genuine).await.status(),
        200
    );

    // And access tokens cannot be used as refresh tokens.
    assert_eq!(app.refresh(genuine).await.status(), 401);
}

async fn tokens_carry_no_personal_data(app: TestApp) {
    let user = app.register_and_login().await;
    let payload = claims(&user.access_token);
    let text = payload.to_string();
    assert!(!text.contains('@') && !text.contains(&user.email), "{text}");
    for claim in ["iss", "aud", "sub", "sid", "iat", "nbf", "exp", "jti"] {
        assert!(payload.get(claim).is_some(), "missing {claim}");
    }
    assert_eq!(payload["sub"], user.id.as_str());
    assert_eq!(decode_part(&user.access_token, 0)["alg"], "EdDSA");
}

/// Key rotation: the new key signs, the previous key still verifies.
#[tokio::test]
async fn previous_keys_still_verify() {
    let previous = attacker_keys();
    let previous_public = previous.public_pem.clone();
    let Some(app) = TestApp::spawn_with(crate::helpers::Backend::Sqlite, move |vars| {
        vars.insert("JWT_PREVIOUS_PUBLIC_KEYS".into(), previous_public);
    })
    .await
    else {
        return;
    };
    let user = app.register_and_login().await;
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "both keys are published");
    let current_kid = decode_part(&user.access_token, 0)["kid"].clone();
    assert_eq!(keys[0]["kid"], current_kid, "the current key signs");
    let previous_kid = keys[1]["kid"].as_str().unwrap();

    let by_previous = sign_eddsa(
        eddsa_header(previous_kid),
        &claims(&user.access_token),
        &previous.private_pem,
    );
    assert_eq!(
        app.get_with("/api/v1/users/me", &by_previous)
            .await
            .status(),
        200
    );
    // Signed by the previous key but labelled with the current kid: refused.
    let mislabelled = sign_eddsa(
        eddsa_header(current_kid.as_str().unwrap()),
        &claims(&user.access_token),
        &previous.private_pem,
    );
    assert_eq!(
        app.get_with("/api/v1/users/me", &mislabelled)
            .await
            .status(),
        401
    );
}
