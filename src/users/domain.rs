//! Parse, don't validate: once you hold an `Email` or a `DisplayName`, it is valid.

use std::fmt;

use validator::ValidateEmail;

use crate::error::FieldError;

/// A syntactically valid e-mail address, trimmed and lower-cased (e-mails
/// compare case-insensitively, so the stored form is canonical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let email = normalise(raw);
        if email.len() > 254 || !email.validate_email() {
            return Err(FieldError::new(
                field,
                "invalid_email",
                "is not a valid e-mail address",
            ));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The canonical form used for look-ups and throttling, valid or not.
pub fn normalise(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// 1–64 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > 64 {
            return Err(FieldError::new(
                field,
                "invalid_length",
                "must be 1–64 characters",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "control_characters",
                "must not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an account may do. Stored as text; re-read from the database on every
/// request, never trusted from a token.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    /// Unknown values read as the least privilege.
    pub fn from_db(value: &str) -> Self {
        if value == "admin" {
            Role::Admin
        } else {
            Role::User
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        let email = Email::parse("  Ada@Example.COM ", "email").unwrap();
        assert_eq!(email.as_str(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "a b@example.com"] {
            assert!(Email::parse(bad, "email").is_err(), "{bad}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250)), "email").is_err());
    }

    #[test]
    fn display_names_are_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ", "n").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ", "n").is_err());
        assert!(DisplayName::parse(&"x".repeat(65), "n").is_err());
        assert!(DisplayName::parse("Ada\u{7}", "n").is_err());
    }
}
