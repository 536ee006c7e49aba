//! `Application::build()`: open storage, bind the listener, assemble the app.
//!
//! Middleware order, outermost first (`wrap` calls run in reverse):
//!
//! 1. `request_context` — assigns the request id first so that every later
//!    layer, log line and error body can carry it; completes every error as
//!    problem+json on the way out, whoever produced it.
//! 2. `TracingLogger` — one span per request with that id.
//! 3. `security_headers` — on every response, including errors from the
//!    layers inside it (CORS rejections, 404s, 413s).
//! 4. `limit_in_flight` — at most `MAX_REQUESTS_PER_CLIENT` requests in
//!    progress per client address (slow-request floods); 429 beyond.
//! 5. `Cors` — answers preflights before any routing or handler work (so
//!    preflights never count against a rate limit).
//! 6. `audit_rate_limited` — records 429s from the limiters below it.
//! 7. `governing_limit_headers` — on the credential routes both limits apply;
//!    the answer carries the `x-ratelimit-*` headers of the tighter one.
//! 8. `Governor` (API limit, per client IP) — the looser limit, on everything.
//! 9. Routes; the credential routes (register, login, refresh, password
//!    change) sit in a scope with the strict auth limit and `/api/v1/admin/*`
//!    in one guarded by `require_admin`. The body limit is enforced by
//!    `ApiJson`, query errors by `ApiQuery`, path errors by the `PathConfig`
//!    error handler (400 problems; query errors name the parameter).
//!
//! Client request and disconnect timeouts are set on the server (the head
//! must arrive in time) and `ApiJson` puts a deadline on the body, so a slow
//! client cannot hold a connection for long.

use std::net::TcpListener;
use std::sync::Arc;

use actix_governor::Governor;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::{AppExt, scope, service_config::ServiceConfig};
use utoipa_swagger_ui::SwaggerUi;

use crate::audit::Audit;
use crate::auth::service::AuthService;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::housekeeping::{self, Housekeeper};
use crate::http::fallback::{RouteTable, not_found_or_method_not_allowed};
use crate::http::json::BodyLimit;
use crate::http::pagination::CursorSigner;
use crate::http::{extract, request_id::request_context};
use crate::security::client_ip::TrustedProxies;
use crate::security::client_limit::{InFlight, limit_in_flight};
use crate::security::cors::cors;
use crate::security::headers::{HeaderPolicy, security_headers};
use crate::security::password::PasswordHasher;
use crate::security::rate_limit::{
    RateLimits, audit_rate_limited, governing_limit_headers, keep_auth_limit_headers,
};
use crate::security::tokens::TokenService;
use crate::telemetry::RequestSpan;
use crate::web::routes::{WEB_ROUTES, WebSettings};
use crate::{admin, auth, health, openapi, orders, products, profiles, users};

/// Every documented route. The OpenAPI document is generated from this same
/// function, so a route cannot be served without being documented.
///
/// Access control: a handler is public only if it takes no `AuthUser` or
/// `AdminUser`; `tests/api/access.rs` keeps the list of public routes and
/// proves that every other route answers 401 without a valid token.
pub fn api_routes(limits: &RateLimits) -> impl FnOnce(&mut ServiceConfig) + use<> {
    let auth_limit = limits.auth.clone();
    move |cfg| {
        cfg.service(
            scope::scope("/health")
                .service(health::routes::live)
                .service(health::routes::ready),
        )
        .service(scope::scope("/.well-known").service(auth::routes::jwks))
        .service(
            scope::scope("/api/v1/auth")
                .service(auth::routes::logout)
                .service(auth::routes::logout_all)
                .service(auth::routes::sessions)
                .service(auth::routes::revoke_session)
                // Last: a scope without a prefix also receives the unmatched
                // `/auth/*` paths, which count against the strict limit.
                .service(
                    scope::scope("")
                        // Strict per-IP limit on the routes that take credentials
                        // or create accounts: password spraying, token guessing,
                        // mass sign-ups. A new such route opts in with one line.
                        .wrap(Governor::new(&auth_limit))
                        .wrap(from_fn(keep_auth_limit_headers))
                        .service(auth::routes::register)
                        .service(auth::routes::login)
                        .service(auth::routes::refresh)
                        // Takes the current password and scores the new one
                        // (up to ~0.4 s of a hashing thread): strict, too.
                        .service(auth::routes::change_password),
                ),
        )
        .service(
            scope::scope("/api/v1/users")
                .service(users::routes::me)
                .service(users::routes::delete_me)
                // `/me/profile` before `/{id}/profile`, which would also match it.
                .service(profiles::routes::my_profile)
                .service(profiles::routes::update_my_profile)
                .service(profiles::routes::public_profile),
        )
        .service(
            scope::scope("/api/v1/products")
                .service(products::routes::list)
                .service(products::routes::get_one),
        )
        .service(
            scope::scope("/api/v1/orders")
                .service(orders::routes::list)
                .service(orders::routes::create)
                .service(orders::routes::get_one)
                .service(orders::routes::cancel),
        )
        .service(
            scope::scope("/api/v1/admin")
                // Function-level authorisation for the whole scope, first.
                .wrap(from_fn(auth::extractors::require_admin))
                .service(admin::routes::list_users)
                .service(admin::routes::update_user)
                .service(admin::routes::list_products)
                .service(admin::routes::get_product)
                .service(admin::routes::create_product)
                .service(admin::routes::update_product)
                .service(admin::routes::list_orders)
                .service(admin::routes::update_order)
                .service(admin::routes::list_audit_events),
        );
    }
}

/// The long-lived services shared by the server and the command line.
pub struct Services {
    pub db: Db,
    pub tokens: Arc<TokenService>,
    pub audit: Arc<Audit>,
    pub auth: Arc<AuthService>,
}

impl Services {
    pub fn new(settings: &Settings, db: Db) -> anyhow::Result<Self> {
        let hasher = Arc::new(PasswordHasher::new(&settings.auth)?);
        let tokens = Arc::new(TokenService::new(&settings.auth)?);
        let audit = Arc::new(Audit::new(db.clone()));
        let auth = Arc::new(AuthService::new(
            db.clone(),
            hasher,
            tokens.clone(),
            audit.clone(),
            &settings.auth,
        ));
        Ok(Self {
            db,
            tokens,
            audit,
            auth,
        })
    }
}

pub struct Application {
    port: u16,
    server: Server,
    /// The periodic clean-up; it stops when the application is dropped.
    _housekeeper: Housekeeper,
}

impl Application {
    /// Connects to the database (running migrations) and binds the listener.
    /// `BIND_ADDR` may use port 0; [`Application::port`] tells the real one.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings.database).await?;
        tracing::info!(backend = db.backend(), "database ready");
        if settings.app_env == crate::config::AppEnv::Development {
            // A demo catalogue for `cargo run`; never in test or production.
            let seeded = products::store::seed_demo_catalogue(&db).await?;
            if seeded > 0 {
                tracing::info!(products = seeded, "seeded the demo catalogue");
            }
        }
        let listener = TcpListener::bind(&settings.bind_addr)
            .with_context(|| format!("cannot bind BIND_ADDR={}", settings.bind_addr))?;
        let port = listener.local_addr()?.port();
        let housekeeper = housekeeping::spawn(db.clone(), settings.housekeeping.clone());
        let services = Services::new(&settings, db)?;
        let server = serve(listener, settings, services)?;
        Ok(Self {
            port,
            server,
            _housekeeper: housekeeper,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server stops; the housekeeping task ends with it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn serve(listener: TcpListener, settings: Settings, services: Services) -> anyhow::Result<Server> {
    let api_doc = openapi::document();
    let routes = web::Data::new(RouteTable::new(&api_doc, WEB_ROUTES));
    // Built once, outside the worker closure: one limiter shared by all workers.
    let limits = RateLimits::new(&settings.rate_limits)?;
    let cursors = web::Data::new(CursorSigner::new(
        &services.tokens.derive_key("rampart pagination cursors v1"),
    )?);
    let db = web::Data::new(services.db);
    let tokens = web::Data::from(services.tokens);
    let audit = web::Data::from(services.audit);
    let auth_service = web::Data::from(services.auth);
    let proxies = web::Data::new(TrustedProxies::new(
        settings.rate_limits.trusted_proxies.clone(),
    ));
    let body_limit = web::Data::new(BodyLimit {
        max_bytes: settings.max_body_bytes,
        read_timeout: settings.body_read_timeout,
    });
    // One map shared by all workers, like the rate limiters.
    let in_flight = web::Data::new(InFlight::new(settings.max_requests_per_client));
    let header_policy = web::Data::new(HeaderPolicy {
        hsts: settings.is_production(),
    });
    let web_settings = web::Data::new(WebSettings {
        docs_enabled: settings.docs_enabled,
    });
    let origins = settings.cors_allowed_origins.clone();
    let docs_enabled = settings.docs_enabled;

    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .configure(api_routes(&limits))
            .split_for_parts();
        let mut app = app
            .app_data(db.clone())
            .app_data(tokens.clone())
            .app_data(cursors.clone())
            .app_data(audit.clone())
            .app_data(auth_service.clone())
            .app_data(proxies.clone())
            .app_data(routes.clone())
            .app_data(body_limit.clone())
            .app_data(header_policy.clone())
            .app_data(web_settings.clone())
            .app_data(in_flight.clone())
            .app_data(web::PayloadConfig::new(body_limit.max_bytes))
            .app_data(extract::query_config())
            .app_data(extract::path_config())
            .configure(crate::web::routes::configure);
        if docs_enabled {
            app = app.route("/docs", web::get().to(redirect_to_docs)).service(
                SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", api_doc.clone()),
            );
        }
        app.default_service(web::to(not_found_or_method_not_allowed))
            .wrap(Governor::new(&limits.api))
            .wrap(from_fn(governing_limit_headers))
            .wrap(from_fn(audit_rate_limited))
            .wrap(cors(&origins))
            .wrap(from_fn(limit_in_flight))
            .wrap(from_fn(security_headers))
            .wrap(TracingLogger::<RequestSpan>::new())
            .wrap(from_fn(request_context))
    })
    .listen(listener)?
    .client_request_timeout(settings.client_request_timeout)
    .client_disconnect_timeout(settings.client_disconnect_timeout)
    .shutdown_timeout(10)
    .run();
    Ok(server)
}

async fn redirect_to_docs() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}
