//! The authentication logic behind the routes: registration, login (with
//! throttling and equal work for unknown accounts), refresh rotation with
//! reuse detection, and session issuance.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::dto::TokenPair;
use super::{store, throttle};
use crate::audit::{Audit, AuditContext, AuditKind};
use crate::config::AuthSettings;
use crate::db::Db;
use crate::error::{ApiError, FieldError};
use crate::security::password::PasswordHasher;
use crate::security::password_policy::{self, NewPassword};
use crate::security::refresh_token;
use crate::security::tokens::TokenService;
use crate::users::domain::{DisplayName, Email, Role, normalise};
use crate::users::store::{self as users, Created, UserRow};

/// The one 401 for every bad credential: wrong password, unknown e-mail and
/// disabled account produce byte-identical bodies (no account enumeration).
pub fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized {
        detail: "The e-mail or password is incorrect.",
        invalid_token: false,
    }
}

fn invalid_refresh_token() -> ApiError {
    ApiError::Unauthorized {
        detail: "The refresh token is invalid, expired or revoked.",
        invalid_token: false,
    }
}

pub struct AuthService {
    pub db: Db,
    pub hasher: Arc<PasswordHasher>,
    pub tokens: Arc<TokenService>,
    pub audit: Arc<Audit>,
    idle_ttl: time::Duration,
    absolute_ttl: time::Duration,
}

impl AuthService {
    pub fn new(
        db: Db,
        hasher: Arc<PasswordHasher>,
        tokens: Arc<TokenService>,
        audit: Arc<Audit>,
        settings: &AuthSettings,
    ) -> Self {
        let to_time = |d: std::time::Duration| time::Duration::seconds(d.as_secs() as i64);
        Self {
            db,
            hasher,
            tokens,
            audit,
            idle_ttl: to_time(settings.refresh_idle_ttl),
            absolute_ttl: to_time(settings.refresh_absolute_ttl),
        }
    }

    pub async fn register(
        &self,
        ctx: &AuditContext,
        email: &str,
        password: SecretString,
        display_name: &str,
        role: Role,
    ) -> Result<UserRow, ApiError> {
        // The password may not be built from the account's own e-mail or name.
        let context = normalise(email);
        let password = NewPassword::parse(
            &self.hasher,
            password,
            "password",
            &[&context, display_name],
        )
        .await?;
        let email = Email::parse(email, "email");
        let name = DisplayName::parse(display_name, "display_name");
        let (email, name, password) = match (email, name, password) {
            (Ok(e), Ok(n), Ok(p)) => (e, n, p),
            (e, n, p) => {
                let errors: Vec<FieldError> =
                    [e.err(), n.err(), p.err()].into_iter().flatten().collect();
                return Err(ApiError::Validation(errors));
            }
        };
        let hash = self.hasher.hash(password.into_secret()).await?;
        let created = users::create(
            &self.db,
            users::NewUser {
                email: email.as_str(),
                password_hash: &hash,
                role: role.as_str(),
                display_name: name.as_str(),
            },
        )
        .await?;
        match created {
            Created::User(user) => {
                self.audit
                    .record(ctx, AuditKind::UserRegistered, Some(user.id), json!({}))
                    .await;
                Ok(user)
            }
            Created::EmailTaken => Err(ApiError::Conflict(
                "An account with this e-mail already exists.".into(),
            )),
        }
    }

    pub async fn login(
        &self,
        ctx: &AuditContext,
        email: &str,
        password: SecretString,
    ) -> Result<TokenPair, ApiError> {
        let email = normalise(email);
        let key = throttle::key(&email);
        let now = crate::db::now();
        self.reserve_attempt(ctx, &key, None, now).await?;
        let too_long = password.expose_secret().chars().count() > password_policy::MAX_CHARS;
        let user = if too_long || email.len() > 254 {
            None
        } else {
            users::find_by_email(&self.db, &email).await?
        };
        // Equal work whether or not the account exists.
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let verified = self.verify_reserved(&key, password.clone(), stored).await?;
        let user = match user {
            Some(user) if verified.matches && !too_long && !user.disabled => user,
            other => {
                // Already counted by `reserve_attempt`.
                let user_id = other.map(|u| u.id);
                self.audit
                    .record(ctx, AuditKind::LoginFailed, user_id, json!({}))
                    .await;
                return Err(invalid_credentials());
            }
        };
        throttle::reset(&self.db, &key).await?;
        if verified.needs_rehash {
            // Parameters were raised since this hash was made: upgrade it now,
            // while we hold the plaintext.
            let hash = self.hasher.hash(password).await?;
            users::set_password_hash(&self.db, user.id, &hash).await?;
        }
        users::record_login(&self.db, user.id, now).await?;
        let pair = self.open_session(ctx, user.id, now).await?;
        self.audit
            .record(ctx, AuditKind::LoginSucceeded, Some(user.id), json!({}))
            .await;
        Ok(pair)
    }

    pub async fn refresh(
        &self,
        ctx: &AuditContext,
        presented: SecretString,
    ) -> Result<TokenPair, ApiError> {
        let now = crate::db::now();
        let presented = refresh_token::hash(presented.expose_secret());
        let replacement = refresh_token::generate();
        match store::rotate(&self.db, &presented, &replacement.hash, now, self.idle_ttl).await? {
            store::Rotation::Rotated {
                session_id,
                user_id,
                refresh_expires_at,
            } => {
                let pair = self.pair(
                    user_id,
                    session_id,
                    replacement.token,
                    refresh_expires_at,
                    now,
                )?;
                self.audit
                    .record(
                        ctx,
                        AuditKind::TokenRefreshed,
                        Some(user_id),
                        json!({ "session_id": session_id }),
                    )
                    .await;
                Ok(pair)
            }
            store::Rotation::Reused {
                session_id,
                user_id,
            } => {
                // A rotated token came back: someone holds a copy. The whole
                // session (its newest refresh token and access token) is dead.
                self.audit
                    .record(
                        ctx,
                        AuditKind::RefreshTokenReused,
                        Some(user_id),
                        json!({ "session_id": session_id, "action": "session_revoked" }),
                    )
                    .await;
                Err(invalid_refresh_token())
            }
            store::Rotation::Invalid => Err(invalid_refresh_token()),
        }
    }

    async fn open_session(
        &self,
        ctx: &AuditContext,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<TokenPair, ApiError> {
        let refresh = refresh_token::generate();
        let expires_at = now + self.absolute_ttl;
        let idle_expires_at = (now + self.idle_ttl).min(expires_at);
        let session_id = store::create_session(
            &self.db,
            store::NewSession {
                user_id,
                now,
                idle_expires_at,
                expires_at,
                user_agent: ctx.user_agent.as_deref(),
                ip: ctx.ip.as_deref(),
                token_hash: &refresh.hash,
            },
        )
        .await?;
        self.pair(user_id, session_id, refresh.token, idle_expires_at, now)
    }

    fn pair(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        refresh_token: String,
        refresh_expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<TokenPair, ApiError> {
        let (access_token, expires_in) = self.tokens.issue(user_id, session_id)?;
        Ok(TokenPair {
            access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token,
            refresh_expires_in: (refresh_expires_at - now).whole_seconds(),
        })
    }

    /// Counts a password attempt on the per-account throttle before the
    /// password is checked; a locked account answers 429 (audited) and the
    /// password is not checked at all.
    async fn reserve_attempt(
        &self,
        ctx: &AuditContext,
        key: &[u8],
        user_id: Option<Uuid>,
        now: OffsetDateTime,
    ) -> Result<(), ApiError> {
        match throttle::reserve(&self.db, key, now).await? {
            throttle::Attempt::Allowed => Ok(()),
            throttle::Attempt::Locked(wait) => {
                self.audit
                    .record(
                        ctx,
                        AuditKind::LoginThrottled,
                        user_id,
                        json!({ "retry_after": wait }),
                    )
                    .await;
                Err(ApiError::TooManyRequests {
                    retry_after_secs: wait,
                })
            }
        }
    }

    /// Verifies a reserved attempt; when the check itself could not run
    /// (hashing queue full), the attempt is refunded before the 503.
    async fn verify_reserved(
        &self,
        key: &[u8],
        password: SecretString,
        stored: Option<String>,
    ) -> Result<crate::security::password::Verified, ApiError> {
        match self.hasher.verify(password, stored).await {
            Ok(verified) => Ok(verified),
            Err(error) => {
                throttle::refund(&self.db, key).await?;
                Err(error)
            }
        }
    }

    /// Re-authentication for password change and account deletion: the same
    /// per-account throttle as login (a stolen access token must not become
    /// an unlimited password oracle), audited as `reauth_failed`, 403 when wrong.
    pub async fn confirm_password(
        &self,
        ctx: &AuditContext,
        user_id: Uuid,
        password: SecretString,
    ) -> Result<UserRow, ApiError> {
        let user = self.account(user_id).await?;
        self.confirm(ctx, &user, password).await?;
        Ok(user)
    }

    /// [`AuthService::confirm_password`] for an account already loaded.
    async fn confirm(
        &self,
        ctx: &AuditContext,
        user: &UserRow,
        password: SecretString,
    ) -> Result<(), ApiError> {
        let key = throttle::key(&user.email);
        let now = crate::db::now();
        self.reserve_attempt(ctx, &key, Some(user.id), now).await?;
        let stored = Some(user.password_hash.clone());
        let verified = self.verify_reserved(&key, password, stored).await?;
        if !verified.matches {
            self.audit
                .record(ctx, AuditKind::ReauthFailed, Some(user.id), json!({}))
                .await;
            return Err(ApiError::Forbidden("The password is incorrect."));
        }
        throttle::reset(&self.db, &key).await?;
        Ok(())
    }

    async fn account(&self, user_id: Uuid) -> Result<UserRow, ApiError> {
        users::find_by_id(&self.db, user_id)
            .await?
            .ok_or(ApiError::Unauthorized {
                detail: "The account no longer exists.",
                invalid_token: true,
            })
    }

    /// Order of checks: body shape (400) → new password policy (422) →
    /// throttle (429) → current password (403) → change. The policy comes
    /// before the password check, so a 422 says nothing about whether the
    /// current password was right.
    pub async fn change_password(
        &self,
        ctx: &AuditContext,
        user_id: Uuid,
        current: SecretString,
        new: SecretString,
    ) -> Result<(), ApiError> {
        let user = self.account(user_id).await?;
        let display_name = users::display_name(&self.db, user_id)
            .await?
            .unwrap_or_default();
        let context = [user.email.as_str(), display_name.as_str()];
        let new = NewPassword::parse(&self.hasher, new, "new_password", &context)
            .await?
            .map_err(|e| ApiError::Validation(vec![e]))?;
        self.confirm(ctx, &user, current).await?;
        let hash = self.hasher.hash(new.into_secret()).await?;
        store::change_password(&self.db, user_id, &hash, crate::db::now()).await?;
        self.audit
            .record(
                ctx,
                AuditKind::PasswordChanged,
                Some(user_id),
                json!({ "sessions": "all_revoked" }),
            )
            .await;
        Ok(())
    }
}
