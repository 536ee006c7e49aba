//! A thin wrapper over `reqwest::Client` that inspects every response body
//! the suite receives: no response may expose a password or hash field,
//! public views may not carry `stock`, and a public profile may not carry
//! `phone` or `email` (excessive data exposure).

use reqwest::{IntoUrl, Method};
use serde::Serialize;
use serde_json::Value;

#[derive(Clone)]
pub struct TestClient(pub reqwest::Client);

pub struct TestRequest {
    inner: reqwest::RequestBuilder,
    path: String,
}

/// Keys that no response may contain, anywhere.
const NEVER_EXPOSED: &[&str] = &[
    "password",
    "password_hash",
    "hash",
    "token_hash",
    "email_hash",
    "current_password",
    "new_password",
    "failures",
    "locked_until",
];

impl TestClient {
    pub fn request(&self, method: Method, url: impl IntoUrl) -> TestRequest {
        let url = url.into_url().expect("valid URL");
        TestRequest {
            path: url.path().to_owned(),
            inner: self.0.request(method, url),
        }
    }

    pub fn get(&self, url: impl IntoUrl) -> TestRequest {
        self.request(Method::GET, url)
    }

    pub fn post(&self, url: impl IntoUrl) -> TestRequest {
        self.request(Method::POST, url)
    }

    pub fn patch(&self, url: impl IntoUrl) -> TestRequest {
        self.request(Method::PATCH, url)
    }

    pub fn delete(&self, url: impl IntoUrl) -> TestRequest {
        self.request(Method::DELETE, url)
    }
}

impl TestRequest {
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        self.inner = self.inner.json(body);
        self
    }

    pub fn bearer_auth(mut self, token: impl std::fmt::Display) -> Self {
        self.inner = self.inner.bearer_auth(token);
        self
    }

    pub fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        self.inner = self.inner.header(name, value.as_ref());
        self
    }

    pub fn body(mut self, body: impl Into<reqwest::Body>) -> Self {
        self.inner = self.inner.body(body);
        self
    }

    pub async fn send(self) -> reqwest::Result<reqwest::Response> {
        let response = self.inner.send().await?;
        let status = response.status();
        let version = response.version();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        inspect(&self.path, &bytes);
        let mut rebuilt = http::Response::builder().status(status).version(version);
        if let Some(map) = rebuilt.headers_mut() {
            *map = headers;
        }
        Ok(reqwest::Response::from(
            rebuilt.body(bytes).expect("rebuilt response"),
        ))
    }
}

fn inspect(path: &str, body: &[u8]) {
    if path.ends_with("openapi.json") {
        return; // the schema document names fields, it does not expose values
    }
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let admin = path.starts_with("/api/v1/admin/");
    let public_profile = path.starts_with("/api/v1/users/")
        && path.ends_with("/profile")
        && !path.starts_with("/api/v1/users/me/");
    walk(&json, &mut |key| {
        assert!(
            !NEVER_EXPOSED.contains(&key),
            "{path} exposed `{key}`: {json}"
        );
        assert!(
            admin || key != "stock",
            "{path} exposed the stock count: {json}"
        );
        assert!(
            !(public_profile && (key == "phone" || key == "email")),
            "{path} exposed a private profile field `{key}`: {json}"
        );
    });
}

fn walk(value: &Value, check: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                check(key);
                walk(value, check);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, check)),
        _ => {}
    }
}
