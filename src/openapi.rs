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
                       Errors are RFC 9457 problem documents (application/problem+json). \
                       Every route with a JSON body may also answer 400 (malformed JSON, \
                       wrong type or unknown field), 413 (body too large) and 415 (not JSON); \
                       every route may answer 429 (rate limited, with Retry-After) and 503 \
                       (database unavailable, with Retry-After).",
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

/// Reusable problem responses for `#[utoipa::path(responses(...))]`, so each
/// route lists its failure modes by name instead of repeating the shape.
pub mod problems {
    use utoipa::IntoResponses;

    use crate::error::Problem;

    macro_rules! problem_response {
        ($name:ident, $status:literal, $description:literal) => {
            #[derive(IntoResponses)]
            #[response(status = $status, description = $description, content_type = "application/problem+json")]
            #[allow(dead_code)]
            pub struct $name(Problem);
        };
    }

    problem_response!(
        BadRequest,
        400,
        "Malformed JSON, a wrong type, an unknown field, or a bad query/path value"
    );
    problem_response!(
        Unauthorized,
        401,
        "Missing, invalid, expired or revoked credentials"
    );
    problem_response!(Forbidden, 403, "Authenticated but not allowed");
    problem_response!(NotFound, 404, "Not found, or not yours (identical answer)");
    problem_response!(Conflict, 409, "Conflicts with the current state");
    problem_response!(TooLarge, 413, "The body exceeds the limit");
    problem_response!(
        UnsupportedMediaType,
        415,
        "The body is not application/json"
    );
    problem_response!(Unprocessable, 422, "Well-formed input that breaks a rule");
    problem_response!(
        TooManyRequests,
        429,
        "Rate limited or throttled; see Retry-After"
    );
    problem_response!(Unavailable, 503, "Temporarily unavailable; see Retry-After");
}
