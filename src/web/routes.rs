use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::error::ApiError;

/// Settings the pages need, stored as app data.
#[derive(Debug, Clone, Copy)]
pub struct WebSettings {
    pub docs_enabled: bool,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    version: &'static str,
    docs_enabled: bool,
}

/// HTML routes, for the 405 fallback (they are not part of the API document).
pub const WEB_ROUTES: &[(&str, &[&str])] = &[("/", &["GET"]), ("/static/site.css", &["GET"])];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/static/site.css", web::get().to(stylesheet));
}

/// The one stylesheet, compiled into the binary so the server needs no files.
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(include_str!("../../static/site.css"))
}

async fn index(settings: web::Data<WebSettings>) -> Result<HttpResponse, ApiError> {
    let page = IndexPage {
        version: env!("CARGO_PKG_VERSION"),
        docs_enabled: settings.docs_enabled,
    };
    let html = page
        .render()
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("rendering index.html")))?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(html))
}
