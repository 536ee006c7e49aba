//! Request types (the allowlist) and response types (the exposure list).

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::domain::Role;
use super::store::UserRow;

/// The caller's own account. Never carries the hash or the disabled flag.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    #[schema(example = "ada@example.com")]
    pub email: String,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<UserRow> for UserDto {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            role: Role::from_db(&row.role),
            created_at: row.created_at,
        }
    }
}

/// Deleting the account requires the password again.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}
