//! Password hashing: Argon2id with a unique salt, stored as a PHC string.
//!
//! Stops offline cracking of a stolen database. Hashing runs on the blocking
//! pool under a semaphore sized from the CPU count, with a bounded queue: a
//! login flood can neither starve the async workers nor allocate unbounded
//! memory (each job takes ~19 MiB); beyond the bound callers get 503.
//! Unknown accounts are verified against a dummy hash so that timing does not
//! reveal which e-mails exist.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::config::AuthSettings;
use crate::error::ApiError;

/// How many jobs may wait for a permit, per permit, before new ones get 503.
const QUEUE_PER_PERMIT: usize = 8;
/// The longest a job waits for a permit before it gets 503.
const MAX_WAIT: Duration = Duration::from_secs(5);

pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    /// Verified against when the account does not exist (equal work).
    dummy_hash: String,
}

/// The outcome of a verification.
pub struct Verified {
    pub matches: bool,
    /// The stored hash used weaker parameters than the current ones.
    pub needs_rehash: bool,
}

impl PasswordHasher {
    pub fn new(settings: &AuthSettings) -> anyhow::Result<Self> {
        let params = Params::new(
            settings.argon2_memory_kib,
            settings.argon2_iterations,
            1,
            None,
        )
        .map_err(|e| anyhow::anyhow!("invalid Argon2 parameters: {e}"))?;
        let dummy_password = SecretString::from(uuid::Uuid::new_v4().to_string());
        let dummy_hash = hash_with(&params, &dummy_password)?;
        let concurrency = settings.password_hash_concurrency;
        tracing::info!(
            concurrency,
            memory_kib = settings.argon2_memory_kib,
            iterations = settings.argon2_iterations,
            "password hashing ready"
        );
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency)),
            waiting: AtomicUsize::new(0),
            max_waiting: concurrency * QUEUE_PER_PERMIT,
            dummy_hash,
        })
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, ApiError> {
        let params = self.params.clone();
        self.run(move || hash_with(&params, &password))
            .await?
            .map_err(ApiError::Internal)
    }

    /// Verifies `password` against `stored`, or against the dummy hash when
    /// there is no account (the result is then always `matches: false`).
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<Verified, ApiError> {
        let account_exists = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let current = self.params.clone();
        let verified = self
            .run(move || {
                let Ok(parsed) = PasswordHash::new(&hash) else {
                    return Verified {
                        matches: false,
                        needs_rehash: false,
                    };
                };
                let matches = Argon2::default()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok();
                let needs_rehash = parsed.algorithm != argon2::ARGON2ID_IDENT
                    || Params::try_from(&parsed).map_or(true, |p| {
                        p.m_cost() < current.m_cost()
                            || p.t_cost() < current.t_cost()
                            || p.p_cost() != current.p_cost()
                    });
                Verified {
                    matches,
                    needs_rehash,
                }
            })
            .await?;
        Ok(Verified {
            matches: verified.matches && account_exists,
            needs_rehash: verified.needs_rehash,
        })
    }

    /// Runs `job` on the blocking pool once a permit is free; refuses with 503
    /// when too many jobs are already waiting or the wait is too long.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let busy = || ApiError::Unavailable {
            retry_after_secs: 1,
        };
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("password hashing queue full; answering 503");
            return Err(busy());
        }
        let permit = tokio::time::timeout(MAX_WAIT, self.permits.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let permit = match permit {
            Ok(Ok(permit)) => permit,
            _ => return Err(busy()),
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("hashing task failed")))
    }
}

/// Hashes with a fresh 16-byte salt from the OS CSPRNG.
fn hash_with(params: &Params, password: &SecretString) -> anyhow::Result<String> {
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon2
        .hash_password(password.expose_secret().as_bytes())
        .map(|hash: PasswordHash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn hasher() -> PasswordHasher {
        let settings = Settings::from_lookup(|_| None).unwrap();
        PasswordHasher::new(&settings.auth).unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let hasher = hasher();
        let password = || SecretString::from("correct horse battery staple");
        let first = hasher.hash(password()).await.unwrap();
        let second = hasher.hash(password()).await.unwrap();
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "unique salts");
        let ok = hasher
            .verify(password(), Some(first.clone()))
            .await
            .unwrap();
        assert!(ok.matches && !ok.needs_rehash);
        let wrong = hasher
            .verify(SecretString::from("nope"), Some(first))
            .await
            .unwrap();
        assert!(!wrong.matches);
        let unknown = hasher.verify(password(), None).await.unwrap();
        assert!(!unknown.matches);
    }

    #[tokio::test]
    async fn weaker_hashes_need_rehash() {
        let weak = Params::new(8192, 1, 1, None).unwrap();
        let password = SecretString::from("correct horse battery staple");
        let hash = hash_with(&weak, &password).unwrap();
        let verified = hasher().verify(password, Some(hash)).await.unwrap();
        assert!(verified.matches && verified.needs_rehash);
    }
}
