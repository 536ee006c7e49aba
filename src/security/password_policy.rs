//! Password policy (NIST SP 800-63B-4, single factor): 15–128 characters, any
//! characters, no composition rules, never trimmed or truncated, and not
//! guessable — zxcvbn score ≥ 3 with the account's e-mail and display name as
//! context. Stops credential stuffing and guessing with common passwords.
//!
//! zxcvbn is slow on crafted input (a 128-character string of l33t symbols
//! takes ~1 s in release builds), so scoring never runs on an async worker: it
//! runs on the hashing threads (`hash_pool.rs`), under the same bound as
//! Argon2, and looks at the first [`SCORED_CHARS`] characters only, which caps
//! its cost (`cargo run --release --example strength_bench` measures it).

use secrecy::{ExposeSecret, SecretString};

use super::password::PasswordHasher;
use crate::error::{ApiError, FieldError};

pub const MIN_CHARS: usize = 15;
pub const MAX_CHARS: usize = 128;
const MIN_SCORE: u8 = 3;
/// zxcvbn scores this prefix. A password is at least as strong as any prefix
/// of it, so a strong prefix is a strong password; a weak start padded with
/// more text is refused, which only asks the user to put the strong part first.
pub const SCORED_CHARS: usize = 64;

/// A password that satisfies the policy. Only [`NewPassword::parse`] makes one.
pub struct NewPassword(SecretString);

impl NewPassword {
    /// Checks the policy off the async workers. The outer error is the hashing
    /// pool's (503 when saturated); the inner one is the broken rule.
    ///
    /// `field` names the JSON field in the error; `context` holds the e-mail,
    /// display name and similar words the password must not be built from.
    pub async fn parse(
        hasher: &PasswordHasher,
        raw: SecretString,
        field: &'static str,
        context: &[&str],
    ) -> Result<Result<Self, FieldError>, ApiError> {
        // Cheap checks first, on the worker, so a wrong length costs no thread time.
        if let Err(error) = check_length(raw.expose_secret(), field) {
            return Ok(Err(error));
        }
        let context: Vec<String> = context.iter().map(|c| (*c).to_owned()).collect();
        hasher
            .pool()
            .run(move |_| {
                let context: Vec<&str> = context.iter().map(String::as_str).collect();
                Self::check(raw, field, &context)
            })
            .await
    }

    /// The whole policy, synchronously: only for the hashing threads and for
    /// measuring (`examples/strength_bench.rs`).
    pub fn check(raw: SecretString, field: &str, context: &[&str]) -> Result<Self, FieldError> {
        check_length(raw.expose_secret(), field)?;
        let password = raw.expose_secret();
        let scored: String = password.chars().take(SCORED_CHARS).collect();
        let mut inputs: Vec<&str> = context.iter().copied().filter(|c| !c.is_empty()).collect();
        let local_parts: Vec<&str> = context
            .iter()
            .filter_map(|c| c.split_once('@').map(|(local, _)| local))
            .collect();
        inputs.extend(local_parts);
        let entropy = zxcvbn::zxcvbn(&scored, &inputs);
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

/// Length in characters, checked first so that a huge input is refused
/// before any expensive work (zxcvbn or Argon2).
fn check_length(password: &str, field: &str) -> Result<(), FieldError> {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str, context: &[&str]) -> Result<(), String> {
        NewPassword::check(SecretString::from(password), "password", context)
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

    #[test]
    fn only_the_scored_prefix_counts() {
        // A strong start is enough; a weak start is not rescued by what follows.
        let strong = "vX9#qL2!mZ7$wR4 tangerine orbit";
        assert!(check(&format!("{strong}{}", "a".repeat(90)), &[]).is_ok());
        let weak_start = format!("{}{strong}", "password".repeat(8));
        assert_eq!(check(&weak_start, &[]), Err("too_guessable".into()));
    }
}
