//! The OpenAPI document. Paths are collected by `utoipa-actix-web` from the
//! services registered in [`crate::startup::api_routes`]; this file adds the
//! document-level parts. `rampart openapi` prints it and a test compares it with
//! the committed `openapi/openapi.json`.

use actix_web::App;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rampart",
        description = "A reference REST API with every API security control built in. \
                       Errors are RFC 9457 problem documents (application/problem+json).",
        license(name = "MIT OR Apache-2.0"),
    ),
    components(schemas(Problem, FieldError)),
    tags((name = "health", description = "Liveness and readiness probes")),
)]
struct ApiDoc;

/// The full document, exactly as served.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::api_routes)
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
