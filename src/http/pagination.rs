//! Keyset pagination: `?limit=` (1–100, default 20) and an opaque `?cursor=`.
//!
//! Never OFFSET: a page is "the next `limit` rows after this key" on an index,
//! so page 10,000 costs what page 1 costs, and a client cannot make the
//! database scan and discard millions of rows (unrestricted resource use).
//!
//! Cursors are signed (HMAC-SHA256 over the list's name and the key): forged
//! input never reaches SQL. Decoded values are range-checked as well, so even
//! a validly signed odd value cannot make a driver fail to bind it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, FieldError};

type HmacSha256 = Hmac<Sha256>;
const TAG_LEN: usize = 32;
/// Timestamps a cursor may carry: 1970-01-01 to 9999-12-31 (both backends
/// can bind every value in between).
const TIMESTAMPS: std::ops::RangeInclusive<i64> = 0..=253_402_300_799;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl PageQuery {
    /// The validated page size.
    pub fn limit(&self) -> Result<i64, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::Validation(vec![FieldError::new(
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_LIMIT}"),
            )]));
        }
        Ok(i64::from(limit))
    }

    /// The decoded position after which the page starts: the only way from
    /// a client's cursor to a key.
    pub fn after<K: CursorKey>(&self, cursors: ListCursors<'_>) -> Result<Option<K>, ApiError> {
        self.cursor
            .as_deref()
            // `?cursor=` (empty) means the first page, like no cursor at all.
            .filter(|raw| !raw.is_empty())
            .map(|raw| {
                cursors
                    .open(raw)
                    .and_then(|text| K::decode(&text))
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "The cursor is not one this server issued.",
                            vec![FieldError::new(
                                "cursor",
                                "invalid_cursor",
                                "is not a valid cursor",
                            )],
                        )
                    })
            })
            .transpose()
    }
}

/// The cursor-signing key (app data). Derived from the token signing key, so
/// instances that share that key accept each other's cursors and a restart
/// keeps them valid; rotating the key ends them (400: start from page one).
pub struct CursorSigner(HmacSha256);

impl CursorSigner {
    pub fn new(key: &[u8]) -> anyhow::Result<Self> {
        Ok(Self(HmacSha256::new_from_slice(key)?))
    }

    /// The cursors of one list; its name is signed in, so a cursor from
    /// another list (products on orders) is refused.
    pub fn list(&self, name: &'static str) -> ListCursors<'_> {
        ListCursors {
            signer: self,
            list: name,
        }
    }
}

#[derive(Clone, Copy)]
pub struct ListCursors<'a> {
    signer: &'a CursorSigner,
    list: &'static str,
}

impl ListCursors<'_> {
    fn mac(&self, text: &[u8]) -> HmacSha256 {
        let mut mac = self.signer.0.clone();
        mac.update(self.list.as_bytes());
        mac.update(&[0]);
        mac.update(text);
        mac
    }

    /// `base64url(tag ‖ text)`.
    fn seal(&self, text: &str) -> String {
        let mut bytes = self.mac(text.as_bytes()).finalize().into_bytes().to_vec();
        bytes.extend_from_slice(text.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Forged cursors: only text this server signed for this list comes back
    /// (constant-time tag comparison).
    fn open(&self, raw: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let (tag, text) = bytes.split_at_checked(TAG_LEN)?;
        self.mac(text).verify_slice(tag).ok()?;
        String::from_utf8(text.to_vec()).ok()
    }
}

/// A sort key that can travel in a cursor (inside the signed envelope; only
/// `PageQuery::after` decodes one).
pub trait CursorKey: Sized {
    fn encode(&self) -> String;
    fn decode(text: &str) -> Option<Self>;
}

/// `(created_at, id)`, for newest-first lists.
#[derive(Debug, Clone, Copy)]
pub struct TimeId {
    pub at: OffsetDateTime,
    pub id: Uuid,
}

impl CursorKey for TimeId {
    fn encode(&self) -> String {
        format!("t:{}:{}", self.at.unix_timestamp(), self.id)
    }

    fn decode(text: &str) -> Option<Self> {
        let mut parts = text.strip_prefix("t:")?.splitn(2, ':');
        let secs: i64 = parts.next()?.parse().ok()?;
        // A year -9999 timestamp made SQLite's bind panic; out of range is a 400.
        if !TIMESTAMPS.contains(&secs) {
            return None;
        }
        let at = OffsetDateTime::from_unix_timestamp(secs).ok()?;
        let id = Uuid::parse_str(parts.next()?).ok()?;
        Some(Self { at, id })
    }
}

/// A unique text key (a SKU, an e-mail), for alphabetical lists.
#[derive(Debug, Clone)]
pub struct TextKey(pub String);

impl CursorKey for TextKey {
    fn encode(&self) -> String {
        format!("k:{}", self.0)
    }

    fn decode(text: &str) -> Option<Self> {
        // Bounded, and no NUL (which PostgreSQL cannot bind as text).
        text.strip_prefix("k:")
            .filter(|key| key.len() <= 512 && !key.contains('\0'))
            .map(|key| Self(key.to_owned()))
    }
}

/// Builds a page from `limit + 1` fetched rows: the extra row only says that
/// another page exists.
pub fn page<R, T: ToSchema, K: CursorKey>(
    mut rows: Vec<R>,
    limit: i64,
    cursors: ListCursors<'_>,
    key: impl Fn(&R) -> K,
    to_dto: impl Fn(R) -> T,
) -> Paged<T> {
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if has_more {
        rows.last().map(|last| cursors.seal(&key(last).encode()))
    } else {
        None
    };
    Paged {
        items: rows.into_iter().map(to_dto).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(cursor: &str) -> PageQuery {
        PageQuery {
            limit: None,
            cursor: Some(cursor.to_owned()),
        }
    }

    #[test]
    fn a_signed_cursor_round_trips_on_its_own_list_only() {
        let signer = CursorSigner::new(&[7; 32]).unwrap();
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let id = Uuid::new_v4();
        let cursor = signer.list("orders").seal(&TimeId { at, id }.encode());
        let back = query(&cursor)
            .after::<TimeId>(signer.list("orders"))
            .unwrap()
            .unwrap();
        assert_eq!((back.at, back.id), (at, id));
        assert!(
            query(&cursor)
                .after::<TimeId>(signer.list("audit"))
                .is_err()
        );
        let other = CursorSigner::new(&[8; 32]).unwrap();
        assert!(
            query(&cursor)
                .after::<TimeId>(other.list("orders"))
                .is_err()
        );
        assert!(
            query("")
                .after::<TimeId>(signer.list("orders"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn even_signed_out_of_range_values_are_refused() {
        let signer = CursorSigner::new(&[7; 32]).unwrap();
        let list = signer.list("orders");
        let id = Uuid::new_v4();
        for secs in [-377_705_116_800_i64, -1, 253_402_300_800, i64::MAX] {
            let cursor = list.seal(&format!("t:{secs}:{id}"));
            assert!(query(&cursor).after::<TimeId>(list).is_err(), "{secs}");
        }
        for edge in [0_i64, 253_402_300_799] {
            let cursor = list.seal(&format!("t:{edge}:{id}"));
            assert!(query(&cursor).after::<TimeId>(list).is_ok(), "{edge}");
        }
        for text in ["k:a\0b".to_owned(), format!("k:{}", "x".repeat(513))] {
            let cursor = list.seal(&text);
            assert!(query(&cursor).after::<TextKey>(list).is_err());
        }
    }
}
