//! Deny by default: walks the route table (the OpenAPI document, which is
//! generated from the registered services) and proves that every route not on
//! the public list answers 401 + `WWW-Authenticate: Bearer` without a token,
//! with a garbage token and with an expired one.

use serde_json::json;

use crate::helpers::tokens::{TEST_KEYS, eddsa_header, sign_eddsa};
use crate::helpers::{TestApp, assert_problem};

/// The explicit list of routes that need no token.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/api/v1/products"),
    ("GET", "/api/v1/products/{id}"),
];

fn routes() -> Vec<(String, String)> {
    let document = serde_json::to_value(rampart::openapi::document()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

on_both_backends!(every_non_public_route_requires_a_token);

async fn every_non_public_route_requires_a_token(app: TestApp) {
    let routes = routes();
    for (method, path) in PUBLIC {
        assert!(
            routes.iter().any(|(m, p)| m == method && p == path),
            "public route {method} {path} no longer exists"
        );
    }
    let user = app.register_and_login().await;
    let kid = crate::helpers::tokens::decode_part(&user.access_token, 0)["kid"].clone();
    let mut claims = crate::helpers::tokens::claims(&user.access_token);
    claims["exp"] = json!(time::OffsetDateTime::now_utc().unix_timestamp() - 3600);
    let expired = sign_eddsa(
        eddsa_header(kid.as_str().unwrap()),
        &claims,
        &TEST_KEYS.private_pem,
    );

    let mut checked = 0;
    for (method, path) in &routes {
        if PUBLIC.iter().any(|(m, p)| m == method && p == path) {
            continue;
        }
        let url = app.url(&path.replace("{id}", &uuid::Uuid::new_v4().to_string()));
        for token in [None, Some("garbage"), Some(expired.as_str())] {
            let mut request = app
                .client
                .request(method.parse().unwrap(), &url)
                .json(&json!({}));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            let challenge = response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert!(
                challenge.starts_with("Bearer"),
                "{method} {path} with {token:?}: no challenge"
            );
            if token.is_some() {
                assert!(
                    challenge.contains("invalid_token"),
                    "{method} {path}: {challenge}"
                );
            }
            assert_problem(response, 401).await;
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} protected routes were found");
}
