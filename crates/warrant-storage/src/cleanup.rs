//! Deleting expired rows in bounded batches (`warrant cleartokens`).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::Result;
use crate::db::{Backed, execute};
use crate::time_utc::stored_time;

/// The kinds of rows that expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// Authorization codes past their expiry (used or not).
    AuthorizationCodes,
    /// Access tokens past their expiry (revoked or not).
    AccessTokens,
    /// Refresh tokens that expired or were revoked. Rotated ones stay until they expire,
    /// so that their reuse is still detected.
    RefreshTokens,
    /// Browser sessions past their expiry.
    Sessions,
    /// Device authorizations past their expiry.
    DeviceAuthorizations,
    /// Pushed authorization requests past their expiry (used or not).
    PushedRequests,
    /// Used assertion ids past their assertion's expiry (it is refused as expired then).
    UsedAssertions,
    /// Brute-force counters that count nothing any more (no lock runs, the failures are
    /// forgotten); permanent locks stay until cleared.
    Throttles,
    /// Audit events from before the time given (now less the retention).
    AuditEvents,
}

impl Expired {
    /// Every kind, in a safe deletion order.
    pub const ALL: [Expired; 9] = [
        Self::AuthorizationCodes,
        Self::RefreshTokens,
        Self::AccessTokens,
        Self::Sessions,
        Self::DeviceAuthorizations,
        Self::PushedRequests,
        Self::UsedAssertions,
        Self::Throttles,
        Self::AuditEvents,
    ];

    /// A name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::AuthorizationCodes => "authorization codes",
            Self::AccessTokens => "access tokens",
            Self::RefreshTokens => "refresh tokens",
            Self::Sessions => "sessions",
            Self::DeviceAuthorizations => "device authorizations",
            Self::PushedRequests => "pushed authorization requests",
            Self::UsedAssertions => "used assertion ids",
            Self::Throttles => "brute-force counters",
            Self::AuditEvents => "audit events",
        }
    }

    fn delete_batch_sql(self) -> &'static str {
        match self {
            Self::AuthorizationCodes => {
                "DELETE FROM authorization_codes WHERE id IN (SELECT id FROM authorization_codes WHERE expires_at < $1 LIMIT $2)"
            }
            Self::AccessTokens => {
                "DELETE FROM access_tokens WHERE id IN (SELECT id FROM access_tokens WHERE expires_at < $1 LIMIT $2)"
            }
            Self::RefreshTokens => {
                "DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens
                 WHERE expires_at < $1 OR revoked_at IS NOT NULL LIMIT $2)"
            }
            Self::Sessions => {
                "DELETE FROM sessions WHERE key_hash IN (SELECT key_hash FROM sessions WHERE expires_at < $1 LIMIT $2)"
            }
            Self::DeviceAuthorizations => {
                "DELETE FROM device_authorizations WHERE id IN (SELECT id FROM device_authorizations WHERE expires_at < $1 LIMIT $2)"
            }
            Self::PushedRequests => {
                "DELETE FROM pushed_requests WHERE request_uri_hash IN (SELECT request_uri_hash FROM pushed_requests WHERE expires_at < $1 LIMIT $2)"
            }
            Self::UsedAssertions => {
                "DELETE FROM used_assertions WHERE key_hash IN (SELECT key_hash FROM used_assertions WHERE expires_at < $1 LIMIT $2)"
            }
            Self::Throttles => {
                "DELETE FROM throttles WHERE (kind, subject) IN (SELECT kind, subject FROM throttles
                 WHERE expires_at < $1 AND NOT permanent LIMIT $2)"
            }
            Self::AuditEvents => {
                "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE occurred_at < $1 ORDER BY id LIMIT $2)"
            }
        }
    }
}

/// Clean-up of expired rows.
#[async_trait]
pub trait CleanupStore: Send + Sync {
    /// Deletes at most `limit` expired rows of one kind; returns how many.
    async fn delete_expired(&self, kind: Expired, now: OffsetDateTime, limit: u32) -> Result<u64>;
}

#[async_trait]
impl<S: Backed> CleanupStore for S {
    async fn delete_expired(&self, kind: Expired, now: OffsetDateTime, limit: u32) -> Result<u64> {
        let changed = execute!(
            self,
            kind.delete_batch_sql(),
            stored_time(now),
            i64::from(limit)
        )?;
        Ok(changed)
    }
}
