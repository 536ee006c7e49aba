//! Access tokens: short-lived JWTs signed with EdDSA (Ed25519).
//!
//! Stops token forgery and algorithm-confusion attacks: verification pins the
//! algorithm to EdDSA (`alg: none` and HS256-with-the-public-key fail), picks
//! the key by `kid` from *our* key set only (a `jwk`/`jku`/`x5u` header is never
//! used), and requires `exp`, `nbf`, `iss`, `aud` and `sub`. `typ: "access"`
//! keeps other tokens from standing in. Claims carry ids only, no personal data.
//! Whether the session is still active is checked by the `AuthUser` extractor.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::{AuthSettings, SigningKeySource};

const ACCESS_TYP: &str = "access";
/// Clock skew tolerated on `exp`/`nbf`.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: Uuid,
    /// The session id: the token dies with its session.
    pub sid: Uuid,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: Uuid,
    pub typ: String,
}

/// One public key as published at `/.well-known/jwks.json`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Jwk {
    #[schema(example = "OKP")]
    pub kty: &'static str,
    #[schema(example = "Ed25519")]
    pub crv: &'static str,
    /// The public key, base64url.
    pub x: String,
    /// RFC 7638 thumbprint of the key.
    pub kid: String,
    #[schema(example = "EdDSA")]
    pub alg: &'static str,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

pub struct TokenService {
    signing_key: EncodingKey,
    signing_kid: String,
    verifying_keys: HashMap<String, DecodingKey>,
    jwks: Jwks,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: i64,
    /// HMAC keyed with the signing key, for [`TokenService::derive_key`].
    key_root: Hmac<Sha256>,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid access token")]
pub struct InvalidToken;

impl TokenService {
    pub fn new(settings: &AuthSettings) -> anyhow::Result<Self> {
        let signing = load_signing_key(&settings.signing_key)?;
        let mut public_keys = vec![signing.verifying_key()];
        if let Some(previous) = &settings.previous_public_keys {
            public_keys.extend(parse_public_keys(previous)?);
        }
        let mut verifying_keys = HashMap::new();
        let mut jwks = Jwks { keys: Vec::new() };
        for key in &public_keys {
            let jwk = to_jwk(key);
            verifying_keys.insert(
                jwk.kid.clone(),
                DecodingKey::from_ed_components(&jwk.x).context("invalid public key")?,
            );
            jwks.keys.push(jwk);
        }
        let signing_kid = jwks.keys[0].kid.clone();
        let pem = signing
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .context("cannot encode the signing key")?;
        let signing_key =
            EncodingKey::from_ed_pem(pem.as_bytes()).context("invalid signing key")?;
        let key_root = Hmac::<Sha256>::new_from_slice(signing.as_bytes())
            .context("cannot derive keys from the signing key")?;

        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;

        Ok(Self {
            signing_key,
            signing_kid,
            verifying_keys,
            jwks,
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl_secs: settings.access_token_ttl.as_secs() as i64,
            key_root,
        })
    }

    /// A key for another purpose (HMAC-SHA256 of `purpose` under the signing
    /// key): one configured secret, an independent key per use, rotated with it.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        let mut mac = self.key_root.clone();
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Issues an access token; returns it with its lifetime in seconds.
    pub fn issue(&self, user_id: Uuid, session_id: Uuid) -> anyhow::Result<(String, i64)> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id,
            sid: session_id,
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs,
            jti: Uuid::new_v4(),
            typ: ACCESS_TYP.into(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.signing_kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.signing_key)
            .context("signing an access token")?;
        Ok((token, self.ttl_secs))
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, InvalidToken> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| InvalidToken)?;
        // The header only *selects* one of our keys; it never supplies one.
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.verifying_keys.get(kid))
            .ok_or(InvalidToken)?;
        let data = jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map_err(|_| InvalidToken)?;
        if data.claims.typ != ACCESS_TYP {
            return Err(InvalidToken);
        }
        Ok(data.claims)
    }

    pub fn jwks(&self) -> &Jwks {
        &self.jwks
    }
}

fn load_signing_key(source: &SigningKeySource) -> anyhow::Result<SigningKey> {
    match source {
        SigningKeySource::Pem(pem) => SigningKey::from_pkcs8_pem(pem.expose_secret())
            .context("JWT_PRIVATE_KEY is not a PKCS#8 PEM Ed25519 private key"),
        SigningKeySource::File(path) => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read JWT_PRIVATE_KEY_FILE {}", path.display()))?;
            SigningKey::from_pkcs8_pem(&pem).with_context(|| {
                format!("{} is not a PKCS#8 PEM Ed25519 private key", path.display())
            })
        }
        SigningKeySource::Generated(path) => load_or_generate(path),
    }
}

/// The key as a PKCS#8 v1 PEM (`PrivateKeyInfo` without the optional public
/// key), the form `openssl pkey` and other tools read; ed25519-dalek's own
/// encoding is v2, which OpenSSL 3 refuses.
pub fn pkcs8_v1_pem(
    key: &SigningKey,
) -> anyhow::Result<ed25519_dalek::pkcs8::spki::der::zeroize::Zeroizing<String>> {
    use ed25519_dalek::pkcs8::KeypairBytes;
    KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
    .context("encoding the signing key")
}

/// Development only: keep one generated key under `data/` so that restarts do
/// not log everyone out.
fn load_or_generate(path: &Path) -> anyhow::Result<SigningKey> {
    if let Ok(pem) = std::fs::read_to_string(path) {
        return SigningKey::from_pkcs8_pem(&pem)
            .with_context(|| format!("{} is not a valid Ed25519 key", path.display()));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = pkcs8_v1_pem(&key)?;
    write_private(path, pem.as_bytes())?;
    tracing::info!(path = %path.display(), "generated a development signing key");
    // Another process may have won the race to create it: use whatever is on disk.
    let pem = std::fs::read_to_string(path)?;
    SigningKey::from_pkcs8_pem(&pem).context("reading back the generated key")
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => Ok(file.write_all(bytes)?),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

fn parse_public_keys(pems: &str) -> anyhow::Result<Vec<VerifyingKey>> {
    const END: &str = "-----END PUBLIC KEY-----";
    pems.replace("\\n", "\n")
        .split_inclusive(END)
        .map(str::trim)
        .filter(|block| !block.is_empty())
        .map(|block| {
            VerifyingKey::from_public_key_pem(block)
                .context("JWT_PREVIOUS_PUBLIC_KEYS holds an invalid Ed25519 public key")
        })
        .collect()
}

fn to_jwk(key: &VerifyingKey) -> Jwk {
    let x = URL_SAFE_NO_PAD.encode(key.to_bytes());
    // RFC 7638: members in lexicographic order, no whitespace.
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    Jwk {
        kty: "OKP",
        crv: "Ed25519",
        x,
        kid,
        alg: "EdDSA",
        use_: "sig",
    }
}
