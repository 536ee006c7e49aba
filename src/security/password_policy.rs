//! Password policy (NIST SP 800-63B-4, single factor): 15–128 characters, any
//! characters, no composition rules, never trimmed or truncated, and not
//! guessable — zxcvbn score ≥ 3 with the account's e-mail and display name as
//! context. Stops credential stuffing and guessing with common passwords.

use secrecy::{ExposeSecret, SecretString};

use crate::error::FieldError;

pub const MIN_CHARS: usize = 15;
pub const MAX_CHARS: usize = 128;
const MIN_SCORE: u8 = 3;

/// A password that satisfies the policy. Only [`NewPassword::parse`] makes one.
pub struct NewPassword(SecretString);

impl NewPassword {
    /// `field` names the JSON field in the error; `context` holds the e-mail,
    /// display name and similar words the password must not be built from.
    pub fn parse(raw: SecretString, field: &str, context: &[&str]) -> Result<Self, FieldError> {
        let password = raw.expose_secret();
        // Length is checked first, in characters, so that a huge input is
        // refused before any expensive work (zxcvbn or Argon2).
        let chars = password.chars().count();
        if chars < MIN_CHARS {
            return Err(FieldError::new(
                field,
                "too_short",
                format!(
                    "must be at least {MIN_CHARS} characters; a passphrase of several words works well"
                ),
            ));
        }
        if chars > MAX_CHARS {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("must be at most {MAX_CHARS} characters"),
            ));
        }
        let mut inputs: Vec<&str> = context.iter().copied().filter(|c| !c.is_empty()).collect();
        let local_parts: Vec<&str> = context
            .iter()
            .filter_map(|c| c.split_once('@').map(|(local, _)| local))
            .collect();
        inputs.extend(local_parts);
        let entropy = zxcvbn::zxcvbn(password, &inputs);
        if u8::from(entropy.score()) < MIN_SCORE {
            let hint = entropy
                .feedback()
                .and_then(|f| f.warning().map(|w| w.to_string()))
                .unwrap_or_else(|| "it is too easy to guess".into());
            return Err(FieldError::new(
                field,
                "too_guessable",
                format!(
                    "is too easy to guess ({hint}); try a longer passphrase of unrelated words"
                ),
            ));
        }
        Ok(Self(raw))
    }

    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str, context: &[&str]) -> Result<(), String> {
        NewPassword::parse(SecretString::from(password), "password", context)
            .map(drop)
            .map_err(|e| e.code)
    }

    #[test]
    fn length_is_counted_in_characters_without_trimming() {
        assert_eq!(check("Xk7#pQ2!mZ9$wR", &[]), Err("too_short".into()));
        // 15 characters only because the spaces are kept.
        assert!(check(" Xk7#pQ2!mZ9$w ", &[]).is_ok());
        assert_eq!(check(&"Xk7#pQ2!".repeat(17), &[]), Err("too_long".into()));
    }

    #[test]
    fn guessable_passwords_are_refused_with_context() {
        assert_eq!(
            check("passwordpassword123", &[]),
            Err("too_guessable".into())
        );
        let email = "jonathan.appleseed@example.com";
        assert_eq!(check(email, &[email]), Err("too_guessable".into()));
        assert!(check("vX9#qL2!mZ7$wR4", &[]).is_ok());
        assert!(check("Grüße aus Köln 🦀 und Zürich", &[]).is_ok());
    }
}
