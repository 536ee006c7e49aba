//! Password hashing: Argon2id with a unique salt, stored as a PHC string.
//!
//! Stops offline cracking of a stolen database. Every hash and verification
//! runs on the fixed hashing threads of [`HashPool`] (bounded queue, 503 beyond
//! it), each reusing its own preallocated Argon2 memory: a login flood can
//! neither starve the async workers nor grow memory past `threads × ~19 MiB`.
//! Unknown accounts are verified against a dummy hash so that timing does not
//! reveal which e-mails exist.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use super::hash_pool::{HashPool, Memory};
use crate::config::AuthSettings;
use crate::error::ApiError;

pub struct PasswordHasher {
    params: Params,
    pool: HashPool,
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
        let threads = settings.password_hash_concurrency;
        let pool = HashPool::new(threads, params.block_count())?;
        let dummy_password = SecretString::from(uuid::Uuid::new_v4().to_string());
        let mut memory = Memory::unpooled(params.block_count());
        let dummy_hash = hash_with(&params, &dummy_password, &mut memory)?;
        tracing::info!(
            concurrency = threads,
            memory_kib = settings.argon2_memory_kib,
            iterations = settings.argon2_iterations,
            "password hashing ready"
        );
        Ok(Self {
            params,
            pool,
            dummy_hash,
        })
    }

    /// The hashing threads, for other CPU-heavy password work (strength scoring).
    pub fn pool(&self) -> &HashPool {
        &self.pool
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, ApiError> {
        let params = self.params.clone();
        self.pool
            .run(move |memory| hash_with(&params, &password, memory))
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
            .pool
            .run(move |memory| verify_with(&current, &password, &hash, memory))
            .await?;
        Ok(Verified {
            matches: verified.matches && account_exists,
            needs_rehash: verified.needs_rehash,
        })
    }
}

/// Hashes with a fresh 16-byte salt from the OS CSPRNG, in `memory`.
fn hash_with(
    params: &Params,
    password: &SecretString,
    memory: &mut Memory,
) -> anyhow::Result<String> {
    let salt = Salt::generate();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2
        .hash_password_into_with_memory(
            password.expose_secret().as_bytes(),
            &salt,
            &mut out,
            memory.blocks(params.block_count()),
        )
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params)
            .map_err(|e| anyhow::anyhow!("encoding the parameters failed: {e}"))?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("bad output: {e}"))?),
    };
    Ok(hash.to_string())
}

/// Recomputes the stored hash's output with its own parameters and salt, in
/// `memory`, and compares in constant time (`Output`'s `PartialEq`).
fn verify_with(
    current: &Params,
    password: &SecretString,
    stored: &str,
    memory: &mut Memory,
) -> Verified {
    let refused = Verified {
        matches: false,
        needs_rehash: false,
    };
    let Ok(parsed) = PasswordHash::new(stored) else {
        return refused;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm.as_str()),
        Params::try_from(&parsed),
        parsed.salt.as_ref(),
        parsed.hash.as_ref(),
    ) else {
        return refused;
    };
    let version = parsed
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or_default();
    let mut out = vec![0u8; expected.len()];
    let matches = Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(
            password.expose_secret().as_bytes(),
            salt,
            &mut out,
            memory.blocks(params.block_count()),
        )
        .is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == *expected);
    let needs_rehash = algorithm != Algorithm::Argon2id
        || params.m_cost() < current.m_cost()
        || params.t_cost() < current.t_cost()
        || params.p_cost() != current.p_cost();
    Verified {
        matches,
        needs_rehash,
    }
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
    async fn hashes_from_the_stock_argon2_api_still_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let password = SecretString::from("correct horse battery staple");
        let stock: PasswordHash = Argon2::default()
            .hash_password(password.expose_secret().as_bytes())
            .unwrap();
        let verified = hasher()
            .verify(password, Some(stock.to_string()))
            .await
            .unwrap();
        assert!(verified.matches);
        // A hash with more memory than the threads keep is verified too.
        let big = Params::new(32768, 2, 1, None).unwrap();
        let password = SecretString::from("correct horse battery staple");
        let hash = hash_with(&big, &password, &mut Memory::unpooled(32768)).unwrap();
        assert!(hasher().verify(password, Some(hash)).await.unwrap().matches);
    }

    #[tokio::test]
    async fn weaker_hashes_need_rehash() {
        let weak = Params::new(8192, 1, 1, None).unwrap();
        let password = SecretString::from("correct horse battery staple");
        let hash = hash_with(&weak, &password, &mut Memory::unpooled(8192)).unwrap();
        let verified = hasher().verify(password, Some(hash)).await.unwrap();
        assert!(verified.matches && verified.needs_rehash);
    }
}
