//! Browser sessions: a hashed key, its user and when they logged in.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{NewSession, Session, TokenHash, UserId};

use crate::Result;
use crate::db::{Backed, execute, fetch_one, fetch_optional};
use crate::rows::SessionRow;
use crate::time_utc::stored_time;

/// Browser sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a session.
    async fn create_session(&self, session: &NewSession) -> Result<Session>;
    /// The unexpired session with this key hash.
    async fn live_session(
        &self,
        key_hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<Session>>;
    /// Ends one session (logout).
    async fn delete_session(&self, key_hash: &TokenHash) -> Result<bool>;
    /// Ends every session of a user (password change, deactivation).
    async fn delete_sessions_of_user(&self, user: UserId) -> Result<u64>;
}

#[async_trait]
impl<S: Backed> SessionStore for S {
    async fn create_session(&self, session: &NewSession) -> Result<Session> {
        let sql = "INSERT INTO sessions (key_hash, user_id, auth_time, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING key_hash, user_id, auth_time, created_at, expires_at";
        fetch_one!(
            self,
            writer,
            SessionRow,
            sql,
            session.key_hash.to_hex(),
            session.user_id.0,
            stored_time(session.auth_time),
            stored_time(session.created_at),
            stored_time(session.expires_at)
        )
    }

    async fn live_session(
        &self,
        key_hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<Session>> {
        let sql = "SELECT key_hash, user_id, auth_time, created_at, expires_at FROM sessions
             WHERE key_hash = $1 AND expires_at > $2";
        fetch_optional!(
            self,
            reader,
            SessionRow,
            sql,
            key_hash.to_hex(),
            stored_time(now)
        )
    }

    async fn delete_session(&self, key_hash: &TokenHash) -> Result<bool> {
        let sql = "DELETE FROM sessions WHERE key_hash = $1";
        let changed = execute!(self, sql, key_hash.to_hex())?;
        Ok(changed == 1)
    }

    async fn delete_sessions_of_user(&self, user: UserId) -> Result<u64> {
        let sql = "DELETE FROM sessions WHERE user_id = $1";
        let changed = execute!(self, sql, user.0)?;
        Ok(changed)
    }
}
