//! Profile DTOs. `ProfilePatch` is the mass-assignment allowlist: `role`,
//! `email`, `user_id` or `is_admin` in a PATCH is a 400 naming the field.

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::store::{ProfileChanges, ProfileRow};
use crate::error::FieldError;
use crate::users::domain::DisplayName;

/// The owner's view.
#[derive(Serialize, ToSchema)]
pub struct ProfileDto {
    pub display_name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<ProfileRow> for ProfileDto {
    fn from(row: ProfileRow) -> Self {
        Self {
            display_name: row.display_name,
            bio: row.bio,
            avatar_url: row.avatar_url,
            phone: row.phone,
            updated_at: row.updated_at,
        }
    }
}

/// What anyone signed in may see: no phone, no e-mail.
#[derive(Serialize, ToSchema)]
pub struct PublicProfileDto {
    pub user_id: Uuid,
    pub display_name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
}

impl From<ProfileRow> for PublicProfileDto {
    fn from(row: ProfileRow) -> Self {
        Self {
            user_id: row.user_id,
            display_name: row.display_name,
            bio: row.bio,
            avatar_url: row.avatar_url,
        }
    }
}

/// Absent: unchanged. `null`: cleared (not allowed for `display_name`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, min_length = 1, max_length = 64, example = "Ada Lovelace")]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub bio: Option<Option<String>>,
    /// `https` only, to a named host (no IP literal, `localhost` or credentials); never fetched.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = "uri", max_length = 2048,
             example = "https://images.example.com/ada.png")]
    pub avatar_url: Option<Option<String>>,
    /// E.164, e.g. `+442071838750`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^\+[1-9][0-9]{1,14}$", example = "+442071838750")]
    pub phone: Option<Option<String>>,
}

/// Distinguishes `"field": null` (Some(None)) from an absent field (None).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

impl ProfilePatch {
    /// Checks every rule and returns the changes, or every broken rule.
    pub fn into_changes(self) -> Result<ProfileChanges, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut changes = ProfileChanges::default();
        match self.display_name {
            None => {}
            Some(None) => errors.push(FieldError::new(
                "display_name",
                "required",
                "cannot be cleared",
            )),
            Some(Some(name)) => match DisplayName::parse(&name, "display_name") {
                Ok(name) => changes.display_name = Some(name.as_str().to_owned()),
                Err(e) => errors.push(e),
            },
        }
        changes.bio = check(self.bio, &mut errors, |bio| {
            if bio.chars().count() > 500 {
                Err(FieldError::new(
                    "bio",
                    "too_long",
                    "must be at most 500 characters",
                ))
            } else if bio
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                Err(FieldError::new(
                    "bio",
                    "control_characters",
                    "must not contain control characters",
                ))
            } else {
                Ok(bio)
            }
        });
        changes.avatar_url = check(self.avatar_url, &mut errors, avatar_url);
        changes.phone = check(self.phone, &mut errors, |phone| {
            let digits = phone.strip_prefix('+').unwrap_or_default();
            let ok = (2..=15).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0');
            if ok {
                Ok(phone)
            } else {
                Err(FieldError::new(
                    "phone",
                    "invalid_phone",
                    "must be E.164, e.g. +442071838750",
                ))
            }
        });
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(errors)
        }
    }
}

fn check(
    change: Option<Option<String>>,
    errors: &mut Vec<FieldError>,
    rule: impl FnOnce(String) -> Result<String, FieldError>,
) -> Option<Option<String>> {
    match change {
        Some(Some(value)) => match rule(value) {
            Ok(value) => Some(Some(value)),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        other => other,
    }
}

/// SSRF: the URL is only ever shown, never fetched; still, only `https` to a
/// named public host is accepted — no IP literals, `localhost` or userinfo —
/// so a client that does fetch it cannot be pointed at internal services.
fn avatar_url(raw: String) -> Result<String, FieldError> {
    let invalid = |message: &str| FieldError::new("avatar_url", "invalid_url", message);
    if raw.len() > 2048 {
        return Err(invalid("must be at most 2048 characters"));
    }
    let url = url::Url::parse(&raw).map_err(|_| invalid("is not a URL"))?;
    if url.scheme() != "https" {
        return Err(invalid("must use https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not contain credentials"));
    }
    match url.host() {
        Some(url::Host::Domain(host)) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            if host == "localhost" || host.ends_with(".localhost") || !host.contains('.') {
                return Err(invalid("must name a public host"));
            }
        }
        _ => return Err(invalid("must name a host, not an IP address")),
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::avatar_url;

    #[test]
    fn avatar_urls_are_https_to_named_hosts() {
        assert!(avatar_url("https://images.example.com/a.png".into()).is_ok());
        for bad in [
            "http://images.example.com/a.png",
            "https://127.0.0.1/a.png",
            "https://[::1]/a.png",
            "https://localhost/a.png",
            "https://user:pw@images.example.com/a.png",
            "https://intranet/a.png",
            "javascript:alert(1)",
            "https://2130706433/a.png",
        ] {
            assert!(avatar_url(bad.into()).is_err(), "{bad}");
        }
    }
}
