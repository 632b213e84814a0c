//! Browser sessions: how long a login lasts, and whom a session speaks for. The frontend
//! keeps the key in a cookie; the database keeps only its SHA-256, so a database dump does
//! not hold live sessions.

use time::{Duration, OffsetDateTime};
use warrant_generators::{hash_token, random_urlsafe};
use warrant_model::{NewSession, Secret, User};
use warrant_storage::{Store, StoreError, SyncTo};

use crate::{Engine, GrantsError};

/// How long a login lasts (Django's `SESSION_COOKIE_AGE`: two weeks).
pub const SESSION_LIFETIME: Duration = Duration::weeks(2);

impl Engine<'_> {
    /// Starts a session for `user`, who has just authenticated, and records the login;
    /// returns the key the browser keeps (256 random bits) for [`SESSION_LIFETIME`].
    pub async fn start_session(
        &self,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<Secret<String>, GrantsError> {
        let key = random_urlsafe(32)?;
        let session = NewSession {
            key_hash: hash_token(key.expose()),
            user_id: user.id,
            auth_time: now,
            created_at: now,
            expires_at: now + SESSION_LIFETIME,
        };
        self.store.create_session(&session).await?;
        let mut logged_in = user.clone();
        logged_in.last_login = Some(now);
        self.store.update_user(&logged_in, SyncTo::NOBODY).await?;
        Ok(key)
    }

    /// Ends the session whose key is `key` (logging out); whether there was one.
    pub async fn end_session(&self, key: &str) -> Result<bool, StoreError> {
        self.store.delete_session(&hash_token(key)).await
    }

    /// [`session_user`] on this engine's store.
    pub async fn session_user(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(User, OffsetDateTime)>, StoreError> {
        session_user(self.store, key, now).await
    }
}

/// The user of the live session whose key is `key`, and when they authenticated; `None`
/// when the session is unknown or expired, or its user was deactivated since. Resource
/// servers sharing Warrant's database call this without the rest of an [`Engine`].
pub async fn session_user(
    store: &dyn Store,
    key: &str,
    now: OffsetDateTime,
) -> Result<Option<(User, OffsetDateTime)>, StoreError> {
    let Some(session) = store.live_session(&hash_token(key), now).await? else {
        return Ok(None);
    };
    Ok(store
        .user_by_id(session.user_id)
        .await?
        .filter(|user| user.is_active)
        .map(|user| (user, session.auth_time)))
}
