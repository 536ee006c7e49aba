//! Auth request types (the allowlist: unknown fields are a 400) and responses.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(format = Email, max_length = 254, example = "ada@example.com")]
    pub email: String,
    /// 15–128 characters; not guessable (zxcvbn score ≥ 3).
    #[schema(value_type = String, format = Password, min_length = 15, max_length = 128,
             example = "correct horse battery staple")]
    pub password: SecretString,
    #[schema(min_length = 1, max_length = 64, example = "Ada Lovelace")]
    pub display_name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(value_type = String, example = "3kbz_lQKDXLjaBKyYcMzvHR9SncRkiv1E7NXQy9qUac")]
    pub refresh_token: SecretString,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    #[schema(value_type = String, format = Password)]
    pub current_password: SecretString,
    /// 15–128 characters; not guessable (zxcvbn score ≥ 3).
    #[schema(value_type = String, format = Password, min_length = 15, max_length = 128)]
    pub new_password: SecretString,
}

/// Issued with `Cache-Control: no-store`.
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    /// EdDSA-signed JWT for `Authorization: Bearer`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Opaque; send it to `/auth/refresh` once. Every use rotates it.
    pub refresh_token: String,
    /// Seconds until the refresh token lapses (the earlier of its idle and absolute limits).
    #[schema(example = 1209600)]
    pub refresh_expires_in: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SessionDto {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: OffsetDateTime,
    pub user_agent: Option<String>,
    /// The session of the token making this request.
    pub current: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionDto>,
}
