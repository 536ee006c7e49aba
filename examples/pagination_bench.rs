//! Benchmark (not a test): `GET /api/v1/orders?limit=20` for a user with 20
//! orders while the table holds 10k, then 1M, orders of other users (loaded
//! with `rampart seed`). Keyset pages on an owner-first index should cost the
//! same at both sizes.
//!
//!     cargo run --release --example pagination_bench [-- REQUESTS]
//!
//! Runs the real server in-process over loopback on a temporary SQLite file,
//! or on `DATABASE_URL` (use an empty PostgreSQL database).

use std::time::{Duration, Instant};

use rampart::config::Settings;
use rampart::startup::Application;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let requests: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir()?;
    let database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.path().display()));
    let key_file = dir.path().join("key.pem");
    std::fs::write(&key_file, generate_key())?;
    let vars = [
        ("APP_ENV", "test".to_owned()),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", database_url.clone()),
        ("JWT_PRIVATE_KEY_FILE", key_file.display().to_string()),
        ("RATE_LIMIT_AUTH_PER_MINUTE", "100000000".to_owned()),
        ("RATE_LIMIT_AUTH_BURST", "100000000".to_owned()),
        ("RATE_LIMIT_API_PER_SECOND", "100000000".to_owned()),
        ("RATE_LIMIT_API_BURST", "100000000".to_owned()),
    ];
    let settings = Settings::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })?;
    let db = rampart::db::connect(&settings.database).await?;
    let app = Application::build(settings.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();

    // 10k orders of 1,000 other users, then the measured user's 20 orders.
    let started = Instant::now();
    rampart::seed::run(&settings, &db, 1_000, 10_000).await?;
    println!(
        "seeded 10k orders in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let token = user_with_orders(&client, &base).await?;
    let small = measure(&client, &base, &token, requests).await?;
    report("10k other orders", &small);

    // Grow the table to 1M other orders.
    let started = Instant::now();
    rampart::seed::run(&settings, &db, 1_000, 990_000).await?;
    println!(
        "seeded 990k more orders in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let large = measure(&client, &base, &token, requests).await?;
    report("1M other orders ", &large);
    println!(
        "ratio 1M / 10k: p50 {:.2}, p95 {:.2}",
        quantile(&large, 0.5) / quantile(&small, 0.5),
        quantile(&large, 0.95) / quantile(&small, 0.95)
    );
    Ok(())
}

async fn user_with_orders(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let password = "pagination benchmark passphrase";
    let email = "measured@example.com";
    client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": email, "password": password, "display_name": "Measured"}))
        .send()
        .await?
        .error_for_status()?;
    let pair: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let token = pair["access_token"].as_str().unwrap_or_default().to_owned();
    let products: Value = client
        .get(format!("{base}/api/v1/products?limit=1"))
        .send()
        .await?
        .json()
        .await?;
    let product = products["items"][0]["id"].clone();
    for _ in 0..20 {
        client
            .post(format!("{base}/api/v1/orders"))
            .bearer_auth(&token)
            .json(&json!({"items": [{"product_id": product, "quantity": 1}]}))
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(token)
}

async fn measure(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    requests: usize,
) -> anyhow::Result<Vec<Duration>> {
    let url = format!("{base}/api/v1/orders?limit=20");
    // Warm-up: caches and prepared statements.
    for _ in 0..20 {
        client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?;
    }
    let mut latencies = Vec::with_capacity(requests);
    for _ in 0..requests {
        let started = Instant::now();
        let page: Value = client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        latencies.push(started.elapsed());
        anyhow::ensure!(
            page["items"].as_array().map(Vec::len) == Some(20),
            "expected 20 orders"
        );
    }
    latencies.sort();
    Ok(latencies)
}

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let index = ((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1));
    sorted
        .get(index)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}

fn report(label: &str, latencies: &[Duration]) {
    println!(
        "GET /orders?limit=20, {label}: n={} p50={:.2} ms p95={:.2} ms p99={:.2} ms",
        latencies.len(),
        quantile(latencies, 0.5),
        quantile(latencies, 0.95),
        quantile(latencies, 0.99)
    );
}

fn generate_key() -> String {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng)
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .expect("key")
        .to_string()
}
