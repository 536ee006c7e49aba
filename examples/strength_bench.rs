//! Benchmark (not a test): the cost of one password-strength check, worst case.
//!
//!     cargo run --release --example strength_bench
//!
//! zxcvbn's cost depends on the input: strings made of l33t symbols make it
//! enumerate many substitution tables. The policy scores only the first
//! `SCORED_CHARS` characters; this prints the time per check for ordinary and
//! crafted inputs, and what scoring the whole 128 characters would cost.

use std::time::{Duration, Instant};

use rampart::security::password_policy::{MAX_CHARS, NewPassword, SCORED_CHARS};
use secrecy::SecretString;

const ROUNDS: u32 = 5;
const CONTEXT: &[&str] = &["someone@example.com", "Some One"];

fn cycle(pattern: &str, len: usize) -> String {
    pattern.chars().cycle().take(len).collect()
}

fn time(check: impl Fn()) -> Duration {
    let started = Instant::now();
    for _ in 0..ROUNDS {
        check();
    }
    started.elapsed() / ROUNDS
}

fn main() {
    let inputs = [
        (
            "passphrase",
            "correct horse battery staple tangerine".to_owned(),
        ),
        ("random 32", "vX9#qL2!mZ7$wR4pT6&nB8*cD1^fG3%h".to_owned()),
        ("repeated word, 128", cycle("password", MAX_CHARS)),
        (
            "leet words, 128",
            cycle("p4ssw0rd1 l3tm31n 4dm1n ", MAX_CHARS),
        ),
        (
            "all l33t symbols, 128",
            cycle("4@8({[<3&6#!1|0952$7+%", MAX_CHARS),
        ),
        (
            "all l33t symbols 2, 128",
            cycle("1!|7+4@$5(<{[3%092#&68", MAX_CHARS),
        ),
    ];
    println!("scored prefix: {SCORED_CHARS} characters; {ROUNDS} rounds each");
    let mut worst = Duration::ZERO;
    for (name, password) in &inputs {
        let policy = time(|| {
            let _ = NewPassword::check(SecretString::from(password.as_str()), "password", CONTEXT);
        });
        let whole = time(|| {
            let _ = zxcvbn::zxcvbn(password, CONTEXT);
        });
        worst = worst.max(policy);
        println!(
            "{name:24} policy check {:8.2} ms   (zxcvbn on all {} characters: {:8.2} ms)",
            policy.as_secs_f64() * 1e3,
            password.chars().count(),
            whole.as_secs_f64() * 1e3
        );
    }
    println!(
        "worst case per strength check: {:.1} ms (on a hashing thread, never an async worker)",
        worst.as_secs_f64() * 1e3
    );
}
