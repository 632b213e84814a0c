//! Pushed authorization requests (RFC 9126).

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{ApplicationId, PushedRequest, TokenHash};

use crate::Result;
use crate::db::{Backed, execute, fetch_optional};
use crate::rows::PushedRequestRow;
use crate::time_utc::stored_time;

/// Pushed authorization requests.
#[async_trait]
pub trait PushedRequestStore: Send + Sync {
    /// Keeps a pushed request.
    async fn create_pushed_request(&self, request: &PushedRequest) -> Result<()>;
    /// The pushed request of `application` whose `request_uri` has this hash, if it is
    /// neither expired nor used; the first time, it is marked opened at `now` and from then
    /// on lasts until `open_until`.
    async fn open_pushed_request(
        &self,
        request_uri_hash: &TokenHash,
        application: ApplicationId,
        now: OffsetDateTime,
        open_until: OffsetDateTime,
    ) -> Result<Option<PushedRequest>>;
    /// Marks the pushed request used at `now`: false if it already was (or is gone), so of
    /// racing decisions exactly one wins.
    async fn use_pushed_request(
        &self,
        request_uri_hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<bool>;
}

#[async_trait]
impl<S: Backed> PushedRequestStore for S {
    async fn create_pushed_request(&self, request: &PushedRequest) -> Result<()> {
        let sql = "INSERT INTO pushed_requests (request_uri_hash, application_id, params,
             created_at, expires_at, opened_at) VALUES ($1, $2, $3, $4, $5, $6)";
        execute!(
            self,
            sql,
            request.request_uri_hash.to_hex(),
            request.application_id.0,
            request.params.as_bytes(),
            stored_time(request.created_at),
            stored_time(request.expires_at),
            request.opened_at.map(stored_time)
        )?;
        Ok(())
    }

    async fn open_pushed_request(
        &self,
        request_uri_hash: &TokenHash,
        application: ApplicationId,
        now: OffsetDateTime,
        open_until: OffsetDateTime,
    ) -> Result<Option<PushedRequest>> {
        // SET sees the row as it was: the first opening starts the longer lifetime.
        let sql = "UPDATE pushed_requests SET opened_at = COALESCE(opened_at, $2),
             expires_at = CASE WHEN opened_at IS NULL THEN $3 ELSE expires_at END
             WHERE request_uri_hash = $1 AND application_id = $4 AND used_at IS NULL
             AND expires_at > $2
             RETURNING request_uri_hash, application_id, params, created_at, expires_at,
             opened_at";
        fetch_optional!(
            self,
            writer,
            PushedRequestRow,
            sql,
            request_uri_hash.to_hex(),
            stored_time(now),
            stored_time(open_until),
            application.0
        )
    }

    async fn use_pushed_request(
        &self,
        request_uri_hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let sql = "UPDATE pushed_requests SET used_at = $2
             WHERE request_uri_hash = $1 AND used_at IS NULL";
        let changed = execute!(self, sql, request_uri_hash.to_hex(), stored_time(now))?;
        Ok(changed == 1)
    }
}
