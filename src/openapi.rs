//! The OpenAPI document. Paths are collected by `utoipa-actix-web` from the
//! services registered in [`crate::startup::api_routes`]; this file adds the
//! document-level parts. `rampart openapi` prints it and a test compares it with
//! the committed `openapi/openapi.json`.

use actix_web::App;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use utoipa::Modify;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::config::RateLimitSettings;
use crate::error::{FieldError, Problem};
use crate::security::rate_limit::RateLimits;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rampart",
        description = "A reference REST API with every API security control built in. \
                       Errors are RFC 9457 problem documents (application/problem+json).",
        license(name = "MIT OR Apache-2.0"),
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Accounts, tokens and sessions"),
        (name = "users", description = "The caller's account"),
        (name = "profiles", description = "Profiles: the owner's view and the public view"),
        (name = "products", description = "The public catalogue"),
        (name = "orders", description = "The caller's orders"),
        (name = "admin", description = "Administration (role admin)"),
        (name = "health", description = "Liveness and readiness probes"),
    ),
)]
struct ApiDoc;

/// `bearer`: an EdDSA-signed JWT access token from `/api/v1/auth/login`.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Access token from /api/v1/auth/login (EdDSA JWT, 15 min)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The full document, exactly as served.
pub fn document() -> utoipa::openapi::OpenApi {
    // The limiter values do not affect the document.
    let limits = RateLimits::new(&RateLimitSettings::default())
        .unwrap_or_else(|_| unreachable!("the default rate limits are valid"));
    let (_app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::api_routes(&limits))
        .split_for_parts();
    api
}

/// The committed form: pretty JSON with a trailing newline.
pub fn to_pretty_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}
