//! Typed settings read from environment variables (and an optional `.env`).
//!
//! Development needs no variables at all. `APP_ENV=production` refuses to start
//! when the configuration is unsafe, and the error names the variable to fix:
//! that refusal list lives in [`Settings::refuse_unsafe_production`].

use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

/// The default database: an embedded SQLite file, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/rampart.db";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// Secret because a PostgreSQL URL may carry a password.
    pub url: SecretString,
    /// Whether `DATABASE_URL` was set (production requires it).
    pub explicit: bool,
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before it gets a 503.
    pub acquire_timeout: Duration,
    /// SQLite: how long a writer waits for the write lock before it gets a 503.
    pub busy_timeout: Duration,
}

/// Where the Ed25519 signing key comes from.
#[derive(Debug, Clone)]
pub enum SigningKeySource {
    /// `JWT_PRIVATE_KEY`: the PKCS#8 PEM itself.
    Pem(SecretString),
    /// `JWT_PRIVATE_KEY_FILE`: a path to it.
    File(std::path::PathBuf),
    /// Development and test only: generated on first start into this file.
    Generated(std::path::PathBuf),
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub signing_key: SigningKeySource,
    /// `JWT_PREVIOUS_PUBLIC_KEYS`: PEM public keys that still verify (rotation).
    pub previous_public_keys: Option<String>,
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl: Duration,
    pub refresh_idle_ttl: Duration,
    pub refresh_absolute_ttl: Duration,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub password_hash_concurrency: usize,
}

#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    pub auth_per_minute: u64,
    pub auth_burst: u32,
    pub api_per_second: u64,
    pub api_burst: u32,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            auth_per_minute: 10,
            auth_burst: 5,
            api_per_second: 50,
            api_burst: 100,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The periodic clean-up (`crate::housekeeping`).
#[derive(Debug, Clone)]
pub struct HousekeepingSettings {
    /// Unpaid (`pending`) orders older than this are cancelled, stock restored.
    pub pending_order_ttl: Duration,
    /// Time between two passes of the background task.
    pub interval: Duration,
}

/// The floor for Argon2id (OWASP): m = 19456 KiB, t = 2, p = 1.
pub const ARGON2_MIN_MEMORY_KIB: u32 = 19_456;
pub const ARGON2_MIN_ITERATIONS: u32 = 2;
/// `PASSWORD_HASH_CONCURRENCY` may not exceed this many hashing threads per CPU.
pub const MAX_HASH_THREADS_PER_CPU: usize = 4;
/// Access tokens never live longer than an hour.
pub const ACCESS_TOKEN_TTL_CAP_SECS: u64 = 3_600;

#[derive(Debug, Clone)]
pub struct Settings {
    pub app_env: AppEnv,
    pub bind_addr: String,
    pub database: DatabaseSettings,
    pub cors_allowed_origins: Vec<String>,
    pub docs_enabled: bool,
    pub max_body_bytes: usize,
    pub cookie_secure: bool,
    pub log_format: LogFormat,
    /// Time a client has to send the request head (slow-loris defence).
    pub client_request_timeout: Duration,
    /// Time a client has to acknowledge the close of a connection.
    pub client_disconnect_timeout: Duration,
    /// Time a client has to send a whole request body (slow-body defence).
    pub body_read_timeout: Duration,
    /// Requests one client address may have in progress at once.
    pub max_requests_per_client: usize,
    pub auth: AuthSettings,
    pub rate_limits: RateLimitSettings,
    pub housekeeping: HousekeepingSettings,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
    #[error("{var} is unsafe for APP_ENV=production: {reason}")]
    UnsafeForProduction { var: &'static str, reason: String },
}

impl ConfigError {
    /// The variable the operator has to fix.
    pub fn var(&self) -> &'static str {
        match self {
            Self::Invalid { var, .. } | Self::UnsafeForProduction { var, .. } => var,
        }
    }
}

impl Settings {
    /// Reads `.env` (if present) and the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported by the lookups below
        // as ordinary invalid values.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any variable source (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| get(name).filter(|value| !value.trim().is_empty());
        let app_env = match get("APP_ENV").as_deref() {
            None | Some("development") => AppEnv::Development,
            Some("test") => AppEnv::Test,
            Some("production") => AppEnv::Production,
            Some(other) => {
                return Err(invalid(
                    "APP_ENV",
                    format!("`{other}` is not one of development, test, production"),
                ));
            }
        };
        let production = app_env == AppEnv::Production;

        let database_url = get("DATABASE_URL");
        let database = DatabaseSettings {
            explicit: database_url.is_some(),
            url: SecretString::from(database_url.unwrap_or_else(|| DEFAULT_DATABASE_URL.into())),
            max_connections: parse(&get, "DB_MAX_CONNECTIONS", 10)?,
            acquire_timeout: Duration::from_millis(parse(&get, "DB_ACQUIRE_TIMEOUT_MS", 3000)?),
            busy_timeout: Duration::from_millis(parse(&get, "DB_BUSY_TIMEOUT_MS", 5000)?),
        };
        if database.max_connections == 0 {
            return Err(invalid("DB_MAX_CONNECTIONS", "must be at least 1".into()));
        }

        let log_format = match get("LOG_FORMAT").as_deref() {
            None if production => LogFormat::Json,
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "LOG_FORMAT",
                    format!("`{other}` is not pretty or json"),
                ));
            }
        };

        let auth = auth_settings(&get, app_env)?;
        let defaults = RateLimitSettings::default();
        let rate_limits = RateLimitSettings {
            auth_per_minute: positive(
                parse(&get, "RATE_LIMIT_AUTH_PER_MINUTE", defaults.auth_per_minute)?,
                "RATE_LIMIT_AUTH_PER_MINUTE",
            )?,
            auth_burst: positive(
                parse(&get, "RATE_LIMIT_AUTH_BURST", defaults.auth_burst)?,
                "RATE_LIMIT_AUTH_BURST",
            )?,
            api_per_second: positive(
                parse(&get, "RATE_LIMIT_API_PER_SECOND", defaults.api_per_second)?,
                "RATE_LIMIT_API_PER_SECOND",
            )?,
            api_burst: positive(
                parse(&get, "RATE_LIMIT_API_BURST", defaults.api_burst)?,
                "RATE_LIMIT_API_BURST",
            )?,
            trusted_proxies: parse_list(get("TRUSTED_PROXIES"), "TRUSTED_PROXIES")?,
        };

        let housekeeping = HousekeepingSettings {
            pending_order_ttl: Duration::from_secs(positive(
                parse(&get, "PENDING_ORDER_TTL_SECONDS", 86_400)?,
                "PENDING_ORDER_TTL_SECONDS",
            )?),
            interval: Duration::from_secs(parse(&get, "HOUSEKEEPING_INTERVAL_SECONDS", 60)?),
        };
        if !(1..=86_400).contains(&housekeeping.interval.as_secs()) {
            return Err(invalid(
                "HOUSEKEEPING_INTERVAL_SECONDS",
                "must be between 1 and 86400".into(),
            ));
        }

        let settings = Settings {
            app_env,
            bind_addr: get("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
            database,
            cors_allowed_origins: parse_origins(
                get("CORS_ALLOWED_ORIGINS")
                    .unwrap_or_else(|| "http://localhost:8080,http://127.0.0.1:8080".into()),
            )?,
            docs_enabled: parse(&get, "DOCS_ENABLED", !production)?,
            max_body_bytes: parse(&get, "MAX_BODY_BYTES", 65_536)?,
            cookie_secure: parse(&get, "COOKIE_SECURE", production)?,
            log_format,
            client_request_timeout: Duration::from_millis(parse(
                &get,
                "CLIENT_REQUEST_TIMEOUT_MS",
                5_000,
            )?),
            client_disconnect_timeout: Duration::from_millis(parse(
                &get,
                "CLIENT_DISCONNECT_TIMEOUT_MS",
                1_000,
            )?),
            body_read_timeout: Duration::from_millis(positive(
                parse(&get, "BODY_READ_TIMEOUT_MS", 10_000)?,
                "BODY_READ_TIMEOUT_MS",
            )?),
            max_requests_per_client: positive(
                parse(&get, "MAX_REQUESTS_PER_CLIENT", 64)?,
                "MAX_REQUESTS_PER_CLIENT",
            )?,
            auth,
            rate_limits,
            housekeeping,
        };
        if production {
            settings.refuse_unsafe_production()?;
        }
        Ok(settings)
    }

    /// Every production refusal in one place. A template user who adds a risky
    /// knob adds its refusal here.
    fn refuse_unsafe_production(&self) -> Result<(), ConfigError> {
        if !self.database.explicit {
            return Err(unsafe_prod(
                "DATABASE_URL",
                "set it explicitly (e.g. postgres://…); production never falls back to the \
                 embedded development database",
            ));
        }
        if matches!(self.auth.signing_key, SigningKeySource::Generated(_)) {
            return Err(unsafe_prod(
                "JWT_PRIVATE_KEY",
                "set JWT_PRIVATE_KEY (PKCS#8 PEM Ed25519 key) or JWT_PRIVATE_KEY_FILE; \
                 production never generates its own signing key",
            ));
        }
        if !self.cookie_secure {
            return Err(unsafe_prod(
                "COOKIE_SECURE",
                "cookies must carry Secure and the __Host- prefix in production",
            ));
        }
        Ok(())
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }
}

fn auth_settings(
    get: &impl Fn(&str) -> Option<String>,
    app_env: AppEnv,
) -> Result<AuthSettings, ConfigError> {
    let signing_key = match (get("JWT_PRIVATE_KEY"), get("JWT_PRIVATE_KEY_FILE")) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "JWT_PRIVATE_KEY",
                "set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE, not both".into(),
            ));
        }
        // PEM in an env var often arrives with literal "\n" sequences.
        (Some(pem), None) => SigningKeySource::Pem(SecretString::from(pem.replace("\\n", "\n"))),
        (None, Some(path)) => SigningKeySource::File(path.into()),
        (None, None) => SigningKeySource::Generated(match app_env {
            AppEnv::Production => std::path::PathBuf::new(),
            _ => "data/jwt-ed25519.pem".into(),
        }),
    };
    let access_secs: u64 = parse(get, "ACCESS_TOKEN_TTL_SECONDS", 900)?;
    if access_secs == 0 || access_secs > ACCESS_TOKEN_TTL_CAP_SECS {
        return Err(invalid(
            "ACCESS_TOKEN_TTL_SECONDS",
            format!("must be between 1 and {ACCESS_TOKEN_TTL_CAP_SECS}"),
        ));
    }
    let idle_secs: u64 = parse(get, "REFRESH_TOKEN_IDLE_TTL_SECONDS", 14 * 86_400)?;
    let absolute_secs: u64 = parse(get, "REFRESH_TOKEN_ABSOLUTE_TTL_SECONDS", 30 * 86_400)?;
    if idle_secs == 0 || absolute_secs < idle_secs {
        return Err(invalid(
            "REFRESH_TOKEN_ABSOLUTE_TTL_SECONDS",
            "must be at least REFRESH_TOKEN_IDLE_TTL_SECONDS (and both above 0)".into(),
        ));
    }
    let argon2_memory_kib = parse(get, "ARGON2_MEMORY_KIB", ARGON2_MIN_MEMORY_KIB)?;
    if argon2_memory_kib < ARGON2_MIN_MEMORY_KIB {
        return Err(invalid(
            "ARGON2_MEMORY_KIB",
            format!("must be at least {ARGON2_MIN_MEMORY_KIB}"),
        ));
    }
    let argon2_iterations = parse(get, "ARGON2_ITERATIONS", ARGON2_MIN_ITERATIONS)?;
    if argon2_iterations < ARGON2_MIN_ITERATIONS {
        return Err(invalid(
            "ARGON2_ITERATIONS",
            format!("must be at least {ARGON2_MIN_ITERATIONS}"),
        ));
    }
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let password_hash_concurrency = positive(
        parse(get, "PASSWORD_HASH_CONCURRENCY", cpus)?,
        "PASSWORD_HASH_CONCURRENCY",
    )?;
    // Each hashing thread keeps ~19 MiB for good; more threads than the CPUs
    // can run only add memory and queueing, never throughput.
    let max_hash_threads = MAX_HASH_THREADS_PER_CPU * cpus;
    if password_hash_concurrency > max_hash_threads {
        return Err(invalid(
            "PASSWORD_HASH_CONCURRENCY",
            format!("must be at most {max_hash_threads} ({MAX_HASH_THREADS_PER_CPU} per CPU)"),
        ));
    }
    Ok(AuthSettings {
        signing_key,
        previous_public_keys: get("JWT_PREVIOUS_PUBLIC_KEYS"),
        issuer: get("JWT_ISSUER").unwrap_or_else(|| "rampart".into()),
        audience: get("JWT_AUDIENCE").unwrap_or_else(|| "rampart-api".into()),
        access_token_ttl: Duration::from_secs(access_secs),
        refresh_idle_ttl: Duration::from_secs(idle_secs),
        refresh_absolute_ttl: Duration::from_secs(absolute_secs),
        argon2_memory_kib,
        argon2_iterations,
        password_hash_concurrency,
    })
}

fn positive<T: PartialOrd + Default>(value: T, var: &'static str) -> Result<T, ConfigError> {
    if value > T::default() {
        Ok(value)
    } else {
        Err(invalid(var, "must be greater than 0".into()))
    }
}

fn parse_list<T: FromStr>(raw: Option<String>, var: &'static str) -> Result<Vec<T>, ConfigError> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse()
                .map_err(|_| invalid(var, format!("`{item}` cannot be parsed")))
        })
        .collect()
}

/// CORS origins must be exact `scheme://host[:port]` values. A wildcard, `null`
/// or anything with a path would widen the allowlist and is refused in every
/// environment (CORS misconfiguration lets any site read API responses).
fn parse_origins(raw: String) -> Result<Vec<String>, ConfigError> {
    const VAR: &str = "CORS_ALLOWED_ORIGINS";
    let mut origins = Vec::new();
    for origin in raw.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        if origin.contains('*') {
            return Err(invalid(VAR, "`*` is refused: list exact origins".into()));
        }
        let Some((scheme, host)) = origin.split_once("://") else {
            return Err(invalid(
                VAR,
                format!("`{origin}` is not scheme://host[:port]"),
            ));
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !matches!(scheme, "http" | "https") || !host_ok {
            return Err(invalid(
                VAR,
                format!("`{origin}` is not an exact http(s)://host[:port] origin"),
            ));
        }
        origins.push(origin.to_ascii_lowercase());
    }
    Ok(origins)
}

fn parse<T: FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| invalid(var, format!("`{raw}` cannot be parsed"))),
    }
}

fn invalid(var: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { var, reason }
}

fn unsafe_prod(var: &'static str, reason: &str) -> ConfigError {
    ConfigError::UnsafeForProduction {
        var,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn development_needs_no_variables() {
        let s = settings(&[]).expect("defaults are valid");
        assert_eq!(s.app_env, AppEnv::Development);
        assert!(s.docs_enabled);
        assert!(!s.database.explicit);
        assert_eq!(s.max_body_bytes, 65_536);
    }

    #[test]
    fn wildcard_and_null_origins_are_refused_everywhere() {
        for bad in [
            "*",
            "https://*.example.com",
            "null",
            "example.com",
            "ftp://x.y",
        ] {
            let err = settings(&[("CORS_ALLOWED_ORIGINS", bad)]).unwrap_err();
            assert_eq!(err.var(), "CORS_ALLOWED_ORIGINS", "{bad} must be refused");
        }
    }

    #[test]
    fn production_refuses_implicit_database() {
        let err = settings(&[("APP_ENV", "production")]).unwrap_err();
        assert_eq!(err.var(), "DATABASE_URL");
        assert!(err.to_string().contains("DATABASE_URL"));
    }

    const TEST_KEY: &str =
        "-----BEGIN PRIVATE KEY-----\nnot parsed here\n-----END PRIVATE KEY-----";

    #[test]
    fn production_refuses_a_missing_signing_key() {
        let err = settings(&[
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://db/rampart"),
        ])
        .unwrap_err();
        assert_eq!(err.var(), "JWT_PRIVATE_KEY");
    }

    #[test]
    fn access_tokens_are_capped_at_an_hour() {
        let err = settings(&[("ACCESS_TOKEN_TTL_SECONDS", "3601")]).unwrap_err();
        assert_eq!(err.var(), "ACCESS_TOKEN_TTL_SECONDS");
        assert!(settings(&[("ACCESS_TOKEN_TTL_SECONDS", "3600")]).is_ok());
    }

    #[test]
    fn weak_argon2_parameters_are_refused() {
        let err = settings(&[("ARGON2_MEMORY_KIB", "4096")]).unwrap_err();
        assert_eq!(err.var(), "ARGON2_MEMORY_KIB");
        let err = settings(&[("ARGON2_ITERATIONS", "1")]).unwrap_err();
        assert_eq!(err.var(), "ARGON2_ITERATIONS");
    }

    #[test]
    fn production_refuses_insecure_cookies() {
        let err = settings(&[
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://db/rampart"),
            ("JWT_PRIVATE_KEY", TEST_KEY),
            ("COOKIE_SECURE", "false"),
        ])
        .unwrap_err();
        assert_eq!(err.var(), "COOKIE_SECURE");
    }

    #[test]
    fn production_defaults_are_hardened() {
        let s = settings(&[
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://db/rampart"),
            ("JWT_PRIVATE_KEY", TEST_KEY),
        ])
        .expect("explicit database and key are enough");
        assert!(!s.docs_enabled);
        assert!(s.cookie_secure);
        assert_eq!(s.log_format, LogFormat::Json);
    }

    #[test]
    fn malformed_numbers_name_the_variable() {
        let err = settings(&[("MAX_BODY_BYTES", "lots")]).unwrap_err();
        assert_eq!(err.var(), "MAX_BODY_BYTES");
    }

    #[test]
    fn hashing_threads_are_bounded_by_the_cpus() {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let at_bound = (MAX_HASH_THREADS_PER_CPU * cpus).to_string();
        let beyond = (MAX_HASH_THREADS_PER_CPU * cpus + 1).to_string();
        assert!(settings(&[("PASSWORD_HASH_CONCURRENCY", at_bound.as_str())]).is_ok());
        let err = settings(&[("PASSWORD_HASH_CONCURRENCY", beyond.as_str())]).unwrap_err();
        assert_eq!(err.var(), "PASSWORD_HASH_CONCURRENCY");
        let err = settings(&[("PASSWORD_HASH_CONCURRENCY", "0")]).unwrap_err();
        assert_eq!(err.var(), "PASSWORD_HASH_CONCURRENCY");
    }
}
