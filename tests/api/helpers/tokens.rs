//! The test signing key and token crafting, to attack the verifier.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

pub struct TestKeys {
    pub private_pem: String,
    pub public_pem: String,
}

fn keys_from(key: &SigningKey) -> TestKeys {
    TestKeys {
        private_pem: key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        public_pem: key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
    }
}

/// The key every test server signs with.
pub static TEST_KEYS: LazyLock<TestKeys> =
    LazyLock::new(|| keys_from(&SigningKey::generate(&mut rand::rngs::OsRng)));

/// A key the server does not know.
pub fn attacker_keys() -> TestKeys {
    keys_from(&SigningKey::generate(&mut rand::rngs::OsRng))
}

pub fn decode_part(token: &str, index: usize) -> serde_json::Value {
    let part = token.split('.').nth(index).expect("JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

pub fn claims(token: &str) -> serde_json::Value {
    decode_part(token, 1)
}

/// Signs `claims` with EdDSA and the given private key, with a free-form header.
pub fn sign_eddsa(header: Header, claims: &serde_json::Value, private_pem: &str) -> String {
    let key = EncodingKey::from_ed_pem(private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// `header.claims.` with no signature (`alg: none`).
pub fn unsigned(claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{body}.")
}

/// HS256 with the server's *public* key as the HMAC secret (key confusion).
pub fn hs256_with_public_key(claims: &serde_json::Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_secret(TEST_KEYS.public_pem.as_bytes());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// The header of a real token, re-signed: the kid of the server's key.
pub fn eddsa_header(kid: &str) -> Header {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    header
}

/// Replaces the payload of a signed token without re-signing.
pub fn tamper(token: &str, claims: &serde_json::Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    parts.join(".")
}
