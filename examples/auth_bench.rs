//! Benchmark (not a test): login throughput against the theoretical Argon2
//! bound, and the latency of `GET /api/v1/users/me` during a login flood.
//!
//!     cargo run --release --example auth_bench [-- SECONDS CONCURRENCY]
//!     cargo run --release --example auth_bench -- memory [LOGINS CONCURRENCY]
//!
//! The `memory` mode floods LOGINS logins (default 2000) at CONCURRENCY
//! (default 16) and reports the process's peak and final resident memory
//! against the bound `hashing threads × Argon2 block + base`.
//!
//! It starts the real server in-process on 127.0.0.1 over a temporary SQLite
//! database (or `DATABASE_URL` if set), so only loopback traffic is generated,
//! and every loop stops after SECONDS (default 10).

use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};
use rampart::config::Settings;
use rampart::startup::Application;
use rand::rngs::OsRng;
use serde_json::{Value, json};

const PASSWORD: &str = "benchmark passphrase marble kettle";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("memory") {
        args.next();
        let logins = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
        let concurrency = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
        return memory(logins, concurrency).await;
    }
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);

    // 1. The bound: one Argon2id hash at the default parameters, per core.
    let argon2 = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None).unwrap(),
    );
    let rounds = 20;
    let started = Instant::now();
    for _ in 0..rounds {
        let _: PasswordHash = argon2.hash_password(PASSWORD.as_bytes()).unwrap();
    }
    let per_hash = started.elapsed() / rounds;
    let bound = cpus as f64 / per_hash.as_secs_f64();
    println!(
        "argon2id m=19456 t=2 p=1: {:.1} ms per hash; bound with {cpus} cores: {bound:.0} logins/s",
        per_hash.as_secs_f64() * 1e3
    );

    // 2. The server, in-process, with rate limits out of the way.
    let (_dir, base) = start_server().await?;
    let client = reqwest::Client::new();

    // One account per flooding client: concurrent logins of one account
    // would (rightly) meet its throttle, which counts attempts up front.
    let mut flooders = Vec::new();
    for n in 0..concurrency {
        flooders.push(register(&client, &base, &format!("flood-{n}@example.com")).await?);
    }
    let reader = register(&client, &base, "reader@example.com").await?;
    let token = login(&client, &base, &reader).await?.1;

    // 3. /users/me latency alone, then during the flood.
    let quiet = me_latencies(&client, &base, &token, Duration::from_secs(seconds.min(3))).await;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut flood = Vec::new();
    for email in flooders {
        let (client, base) = (client.clone(), base.clone());
        flood.push(tokio::spawn(async move {
            let (mut ok, mut busy, mut other) = (0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                match login(&client, &base, &email).await {
                    Ok((200, _)) => ok += 1,
                    Ok((503, _)) => busy += 1,
                    _ => other += 1,
                }
            }
            (ok, busy, other)
        }));
    }
    let loaded = me_latencies(&client, &base, &token, Duration::from_secs(seconds)).await;
    let (mut ok, mut busy, mut other) = (0, 0, 0);
    for task in flood {
        let (o, b, x) = task.await?;
        ok += o;
        busy += b;
        other += x;
    }
    let rate = ok as f64 / seconds as f64;
    println!(
        "login flood: {concurrency} clients for {seconds} s: {ok} logins ({rate:.1}/s = {:.0}% of the bound), {busy} answered 503, {other} other",
        100.0 * rate / bound
    );
    report("GET /users/me, idle       ", &quiet);
    report("GET /users/me, login flood", &loaded);
    Ok(())
}

/// Starts the real server in-process over a temporary SQLite database (or
/// `DATABASE_URL`), with rate limits out of the way; returns its base URL.
async fn start_server() -> anyhow::Result<(tempfile::TempDir, String)> {
    let dir = tempfile::tempdir()?;
    let database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.path().display()));
    let key_file = dir.path().join("key.pem");
    let vars = [
        ("APP_ENV", "test".to_owned()),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", database_url),
        ("JWT_PRIVATE_KEY_FILE", key_file.display().to_string()),
        ("RATE_LIMIT_AUTH_PER_MINUTE", "100000000".to_owned()),
        ("RATE_LIMIT_AUTH_BURST", "100000000".to_owned()),
        ("RATE_LIMIT_API_PER_SECOND", "100000000".to_owned()),
        ("RATE_LIMIT_API_BURST", "100000000".to_owned()),
        ("PASSWORD_HASH_CONCURRENCY", hash_threads().to_string()),
    ];
    let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
    std::fs::write(
        &key_file,
        rampart::security::tokens::pkcs8_v1_pem(&key)?.as_bytes(),
    )?;
    let settings = Settings::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })?;
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Ok((dir, base))
}

/// `PASSWORD_HASH_CONCURRENCY` from the environment, else the CPU count.
fn hash_threads() -> usize {
    std::env::var("PASSWORD_HASH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// `VmHWM` (peak) and `VmRSS` (now) of this process, in MiB.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// The memory mode: a login flood, then peak and final RSS.
async fn memory(logins: usize, concurrency: usize) -> anyhow::Result<()> {
    let (_dir, base) = start_server().await?;
    let client = reqwest::Client::new();
    let mut accounts = Vec::new();
    for n in 0..concurrency {
        accounts.push(register(&client, &base, &format!("mem-{n}@example.com")).await?);
    }
    let (_, before) = rss_mib();
    let per_client = logins / concurrency;
    let started = Instant::now();
    let mut flood = Vec::new();
    for email in accounts {
        let (client, base) = (client.clone(), base.clone());
        flood.push(tokio::spawn(async move {
            let mut ok = 0usize;
            for _ in 0..per_client {
                if matches!(login(&client, &base, &email).await, Ok((200, _))) {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut ok = 0;
    for task in flood {
        ok += task.await?;
    }
    let took = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (peak, now) = rss_mib();
    let threads = hash_threads();
    println!(
        "{ok} of {} logins at {concurrency} concurrent in {took:.1} s; RSS before {before:.1} MiB, \
         peak {peak:.1} MiB, final {now:.1} MiB; bound {threads} hashing threads x 19 MiB + base",
        per_client * concurrency
    );
    Ok(())
}

async fn register(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": email, "password": PASSWORD, "display_name": "Bench"}))
        .send()
        .await?;
    anyhow::ensure!(response.status() == 201, "register: {}", response.status());
    Ok(email.to_owned())
}

async fn login(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<(u16, String)> {
    let response = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    Ok((
        status,
        body["access_token"].as_str().unwrap_or_default().to_owned(),
    ))
}

async fn me_latencies(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    span: Duration,
) -> Vec<Duration> {
    let deadline = Instant::now() + span;
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let started = Instant::now();
        let response = client
            .get(format!("{base}/api/v1/users/me"))
            .bearer_auth(token)
            .send()
            .await;
        if matches!(response, Ok(ref r) if r.status() == 200) {
            latencies.push(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    latencies.sort();
    latencies
}

fn report(label: &str, latencies: &[Duration]) {
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "{label}: n={} p50={:.2} ms p95={:.2} ms p99={:.2} ms",
        latencies.len(),
        pick(0.50),
        pick(0.95),
        pick(0.99)
    );
}
