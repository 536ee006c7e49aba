//! Keyset pagination: `?limit=` (1–100, default 20) and an opaque `?cursor=`.
//!
//! Never OFFSET: a page is "the next `limit` rows after this key" on an index,
//! so page 10,000 costs what page 1 costs, and a client cannot make the
//! database scan and discard millions of rows (unrestricted resource use).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, FieldError};

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

    /// The decoded position after which the page starts.
    pub fn after<K: CursorKey>(&self) -> Result<Option<K>, ApiError> {
        self.cursor
            .as_deref()
            // `?cursor=` (empty) means the first page, like no cursor at all.
            .filter(|raw| !raw.is_empty())
            .map(|raw| {
                URL_SAFE_NO_PAD
                    .decode(raw)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
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

/// A sort key that can travel in a cursor.
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
        let at = OffsetDateTime::from_unix_timestamp(parts.next()?.parse().ok()?).ok()?;
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
        text.strip_prefix("k:").map(|key| Self(key.to_owned()))
    }
}

/// Builds a page from `limit + 1` fetched rows: the extra row only says that
/// another page exists.
pub fn page<R, T: ToSchema, K: CursorKey>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> K,
    to_dto: impl Fn(R) -> T,
) -> Paged<T> {
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if has_more {
        rows.last()
            .map(|last| URL_SAFE_NO_PAD.encode(key(last).encode()))
    } else {
        None
    };
    Paged {
        items: rows.into_iter().map(to_dto).collect(),
        next_cursor,
    }
}
