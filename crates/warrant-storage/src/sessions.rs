//! Browser sessions: a hashed key, its user and when they logged in.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{NewSession, Session, TokenHash, UserId};

use crate::db::{Backed, execute, on_reader, on_writer};
use crate::error::corrupt;
use crate::time_utc::stored_time;
use crate::{Result, StoreError};

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

#[derive(sqlx::FromRow)]
struct SessionRow {
    key_hash: String,
    user_id: i64,
    auth_time: OffsetDateTime,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(row: SessionRow) -> Result<Self> {
        Ok(Session {
            key_hash: TokenHash::from_hex(&row.key_hash).map_err(corrupt)?,
            user_id: UserId(row.user_id),
            auth_time: row.auth_time,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

#[async_trait]
impl<S: Backed> SessionStore for S {
    async fn create_session(&self, session: &NewSession) -> Result<Session> {
        let sql = "INSERT INTO sessions (key_hash, user_id, auth_time, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING key_hash, user_id, auth_time, created_at, expires_at";
        let row: SessionRow = on_writer!(self, |pool| sqlx::query_as(sql)
            .bind(session.key_hash.to_hex())
            .bind(session.user_id.0)
            .bind(stored_time(session.auth_time))
            .bind(stored_time(session.created_at))
            .bind(stored_time(session.expires_at))
            .fetch_one(pool))?;
        row.try_into()
    }

    async fn live_session(
        &self,
        key_hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<Session>> {
        let sql = "SELECT key_hash, user_id, auth_time, created_at, expires_at FROM sessions
             WHERE key_hash = $1 AND expires_at > $2";
        let row: Option<SessionRow> = on_reader!(self, |pool| sqlx::query_as(sql)
            .bind(key_hash.to_hex())
            .bind(stored_time(now))
            .fetch_optional(pool))?;
        row.map(Session::try_from).transpose()
    }

    async fn delete_session(&self, key_hash: &TokenHash) -> Result<bool> {
        let sql = "DELETE FROM sessions WHERE key_hash = $1";
        let changed = execute!(self, sqlx::query(sql).bind(key_hash.to_hex()))?;
        Ok(changed == 1)
    }

    async fn delete_sessions_of_user(&self, user: UserId) -> Result<u64> {
        let sql = "DELETE FROM sessions WHERE user_id = $1";
        let changed = execute!(self, sqlx::query(sql).bind(user.0))?;
        Ok(changed)
    }
}
