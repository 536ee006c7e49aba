//! Parse, don't validate: once you hold an `Email` or a `DisplayName`, it is valid.

use std::fmt;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use unicode_normalization::{UnicodeNormalization, is_nfkc};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use validator::ValidateEmail;

use crate::error::FieldError;

/// Unicode format characters (general category Cf): zero-width spaces and
/// joiners, the soft hyphen, the BOM and every bidi control (embeddings,
/// overrides, isolates, LRM/RLM/ALM). Invisible, so they let two strings look
/// alike; the bidi ones reorder what a reader sees.
pub fn is_format_character(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

/// A syntactically valid e-mail address in canonical form: domain to ASCII by
/// IDNA/UTS-46, local part NFC and lower-cased (so one mailbox is one account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let email = canonicalise(raw, field)?;
        if email.len() > 254 || !email.validate_email() {
            return Err(invalid_email(field));
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

/// The form used for look-ups and throttling: the canonical one, so every
/// variant of an address reaches (and throttles) the same account. Input that
/// has no canonical form can never have been registered; it falls back to its
/// trimmed, lower-cased text, which is deterministic and cannot panic.
pub fn normalise(raw: &str) -> String {
    canonicalise(raw, "email").unwrap_or_else(|_| raw.trim().to_lowercase())
}

fn invalid_email(field: &str) -> FieldError {
    FieldError::new(field, "invalid_email", "is not a valid e-mail address")
}

/// Account duplication: without this, `ada@ｅｘａｍｐｌｅ.com`, `ada@exam\u{AD}ple.com`,
/// `ada@example。com`, a decomposed `ä` or `ada@[127.0.0.1]` were each a second
/// account for one mailbox. Every spelling maps to one canonical form or is refused.
fn canonicalise(raw: &str, field: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    if raw.len() > 1024 {
        return Err(invalid_email(field));
    }
    // Invisible characters would make look-alike addresses distinct (UTS-46 would even drop some).
    if raw
        .chars()
        .any(|c| c.is_control() || is_format_character(c))
    {
        return Err(FieldError::new(
            field,
            "format_characters",
            "must not contain invisible, control or format characters",
        ));
    }
    let (local, domain) = raw.rsplit_once('@').ok_or_else(|| invalid_email(field))?;
    let address_literal = || {
        FieldError::new(
            field,
            "address_literal",
            "must name a mail domain, not an IP address",
        )
    };
    // `ada@[127.0.0.1]` names a host, not a mail domain, and has many spellings.
    if domain.starts_with('[') {
        return Err(address_literal());
    }
    let local: String = local.to_lowercase().nfc().collect();
    // Refused, not NFKC-folded: folding `ａｄａ` to `ada` would store (and mail) a mailbox the user did not type.
    if !is_nfkc(&local) {
        return Err(FieldError::new(
            field,
            "compatibility_characters",
            "must not contain full-width or other compatibility characters",
        ));
    }
    let domain = Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .map_err(|_| invalid_email(field))?;
    // A numeric last label is an IPv4 address in disguise (`127.0.0.1`, `2130706433`).
    match domain.rsplit('.').next() {
        Some(tld) if !tld.is_empty() && tld.bytes().all(|b| b.is_ascii_digit()) => {
            Err(address_literal())
        }
        Some(tld) if !tld.is_empty() => Ok(format!("{local}@{domain}")),
        _ => Err(invalid_email(field)),
    }
}

/// 1–64 characters after trimming, no control, format or bidi-control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// The one rule for display names: registration and the profile PATCH both call it.
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
        // Impersonation: `\u{202E}`/zero-width characters make a name render like another one.
        if name.chars().any(is_format_character) {
            return Err(FieldError::new(
                field,
                "format_characters",
                "must not contain invisible or bidi-control (format) characters",
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
    fn emails_are_canonical() {
        let canonical = |raw: &str| Email::parse(raw, "email").unwrap().as_str().to_owned();
        // Spellings of one mailbox meet in one canonical form.
        for variant in [
            "ada@example.com",
            "ADA@EXAMPLE.COM",
            "ada@ｅｘａｍｐｌｅ.com",
            "ada@example。com",
            "ada@example\u{FF0E}com",
        ] {
            assert_eq!(canonical(variant), "ada@example.com", "{variant}");
        }
        // Internationalised domains become A-labels, precomposed or not.
        assert_eq!(canonical("ada@exämple.com"), "ada@xn--exmple-cua.com");
        assert_eq!(
            canonical("ada@exa\u{308}mple.com"),
            "ada@xn--exmple-cua.com"
        );
        assert_eq!(canonical("ada@EXÄMPLE.com"), "ada@xn--exmple-cua.com");
        assert_eq!(
            canonical("ada@XN--exmple-cua.com"),
            "ada@xn--exmple-cua.com"
        );
        assert_eq!(
            canonical("a.b+c@mail.example.co.uk"),
            "a.b+c@mail.example.co.uk"
        );
    }

    #[test]
    fn look_alike_emails_are_refused_with_a_reason() {
        let code = |raw: &str| Email::parse(raw, "email").unwrap_err().code;
        for invisible in [
            "ada\u{200B}@example.com",
            "ada@exa\u{200B}mple.com",
            "a\u{AD}da@example.com",
            "ada@exam\u{AD}ple.com",
            "\u{FEFF}ada@example.com",
            "ada\u{202E}@example.com",
            "ada@example.com\u{2060}",
            "ada\u{0}@example.com",
        ] {
            assert_eq!(code(invisible), "format_characters", "{invisible:?}");
        }
        for literal in [
            "ada@[127.0.0.1]",
            "ada@[IPv6:::1]",
            "ada@127.0.0.1",
            "ada@2130706433",
        ] {
            assert_eq!(code(literal), "address_literal", "{literal}");
        }
        // Refused rather than NFKC-folded (see `canonicalise`).
        for compat in [
            "ａｄａ@example.com",
            "ＡＤＡ@example.com",
            "\u{FB01}@example.com",
        ] {
            assert_eq!(code(compat), "compatibility_characters", "{compat}");
        }
        for bad in [
            "ada@example.com.",
            "ada@-example.com",
            "ada@exa_mple.com",
            "ada@exam ple.com",
            "ada@",
        ] {
            assert_eq!(code(bad), "invalid_email", "{bad}");
        }
    }

    #[test]
    fn look_ups_use_the_canonical_form_and_never_panic() {
        assert_eq!(normalise(" Ada@Ｅxample。COM "), "ada@example.com");
        assert_eq!(
            normalise("ada@exa\u{308}mple.com"),
            "ada@xn--exmple-cua.com"
        );
        // No canonical form: a deterministic fallback (never a registered address).
        assert_eq!(normalise("ADA\u{200B}@X"), "ada\u{200B}@x");
        assert_eq!(normalise("ada@[127.0.0.1]"), "ada@[127.0.0.1]");
        for odd in [
            "",
            "@",
            "@@",
            "\u{10FFFF}",
            "é".repeat(10_000).as_str(),
            "a@\u{FFFF}",
        ] {
            assert_eq!(normalise(odd), normalise(odd));
        }
    }

    #[test]
    fn display_names_are_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ", "n").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ", "n").is_err());
        assert!(DisplayName::parse(&"x".repeat(65), "n").is_err());
        assert!(DisplayName::parse("Ada\u{7}", "n").is_err());
        assert!(DisplayName::parse("Zoë Ōtake 李", "n").is_ok());
    }

    #[test]
    fn display_names_refuse_format_and_bidi_characters() {
        for c in [
            '\u{AD}', '\u{61C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}',
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2060}', '\u{2064}',
            '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{FEFF}',
        ] {
            let err = DisplayName::parse(&format!("Ada{c}Lovelace"), "display_name").unwrap_err();
            assert_eq!(err.code, "format_characters", "U+{:04X}", c as u32);
            assert_eq!(err.field, "display_name");
        }
        assert!(DisplayName::parse("\u{202E}evil\u{200B}", "n").is_err());
    }
}
