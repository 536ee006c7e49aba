//! Refresh tokens: opaque, 256 bits from the OS CSPRNG, stored only as the
//! SHA-256 of the string as sent. A stolen database therefore yields no usable
//! token; rotation and reuse detection live in `auth::store`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// A newly minted token: the string for the client, the hash for the database.
pub struct NewRefreshToken {
    pub token: String,
    pub hash: Vec<u8>,
}

pub fn generate() -> NewRefreshToken {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    NewRefreshToken { token, hash }
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
