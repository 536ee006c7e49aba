//! What answers when no route matched: 405 with `Allow` when the path exists
//! under another method, otherwise 404. The route table is built from the
//! OpenAPI document, which `utoipa-actix-web` collects from the very services
//! that are registered, so the two cannot drift apart.

use actix_web::dev::ResourceDef;
use actix_web::{HttpRequest, web};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::HttpMethod;

use crate::error::ApiError;

pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<&'static str>)>,
}

impl RouteTable {
    /// `extra` lists routes that are not part of the API document (HTML pages).
    pub fn new(api: &OpenApi, extra: &[(&str, &[&'static str])]) -> Self {
        let mut routes = Vec::new();
        for (path, item) in &api.paths.paths {
            let mut methods: Vec<&'static str> = [
                (HttpMethod::Get, "GET", item.get.is_some()),
                (HttpMethod::Post, "POST", item.post.is_some()),
                (HttpMethod::Put, "PUT", item.put.is_some()),
                (HttpMethod::Patch, "PATCH", item.patch.is_some()),
                (HttpMethod::Delete, "DELETE", item.delete.is_some()),
            ]
            .into_iter()
            .filter_map(|(_, name, present)| present.then_some(name))
            .collect();
            methods.dedup();
            routes.push((ResourceDef::new(path.as_str()), methods));
        }
        for (path, methods) in extra {
            routes.push((ResourceDef::new(*path), methods.to_vec()));
        }
        Self { routes }
    }

    pub fn allowed_methods(&self, path: &str) -> Option<Vec<&'static str>> {
        self.routes
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.clone())
    }
}

pub async fn not_found_or_method_not_allowed(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<actix_web::HttpResponse, ApiError> {
    Err(match table.allowed_methods(req.path()) {
        Some(allow) if !allow.is_empty() => ApiError::MethodNotAllowed { allow },
        _ => ApiError::NotFound,
    })
}
