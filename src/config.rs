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
}

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

    #[test]
    fn production_refuses_insecure_cookies() {
        let err = settings(&[
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://db/rampart"),
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
        ])
        .expect("explicit database is enough");
        assert!(!s.docs_enabled);
        assert!(s.cookie_secure);
        assert_eq!(s.log_format, LogFormat::Json);
    }

    #[test]
    fn malformed_numbers_name_the_variable() {
        let err = settings(&[("MAX_BODY_BYTES", "lots")]).unwrap_err();
        assert_eq!(err.var(), "MAX_BODY_BYTES");
    }
}
