//! Brute-force counters: failures per key, and the lock they earned. Every instance on one
//! database shares them; a count changes in one statement, so racing failures all count.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use warrant_model::{Throttle, ThrottleKey, ThrottleKind};

use crate::Result;
use crate::db::{Backed, execute, fetch_all, on_pool};
use crate::error::corrupt;
use crate::rows::ThrottleRow;
use crate::time_utc::stored_time;

/// Failed attempts and locks.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// The counters of `key` and `also` (read in one statement) that count anything now; a
    /// forgotten count reads as none.
    async fn throttles(
        &self,
        key: &ThrottleKey,
        also: Option<&ThrottleKey>,
        now: OffsetDateTime,
    ) -> Result<Vec<Throttle>>;
    /// Counts a failure against `key` at `now` and returns the count: it starts over when
    /// the previous failure is more than `forget_after` old (a permanent lock never
    /// forgets).
    async fn record_failure(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        forget_after: Duration,
    ) -> Result<u32>;
    /// Refuses attempts against `key` until `until`, or until cleared when `permanent`.
    async fn lock(&self, key: &ThrottleKey, until: OffsetDateTime, permanent: bool) -> Result<()>;
    /// Forgets `key`'s failures and lock; `false` if nothing was counted.
    async fn clear_throttle(&self, key: &ThrottleKey) -> Result<bool>;
    /// Counters that count now (of `kind` and for `subject`, either in the lower case login
    /// names are kept in, or all), locked ones first, then the latest failures, at most
    /// `limit`.
    async fn list_throttles(
        &self,
        kind: Option<ThrottleKind>,
        subject: Option<&str>,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Throttle>>;
}

/// Two keys, `$1`-`$4` (a single key is bound twice), and `$5` now.
const SELECT_TWO: &str = "SELECT kind, subject, failures, last_failure_at, locked_until, permanent
     FROM throttles WHERE ((kind = $1 AND subject = $2) OR (kind = $3 AND subject = $4))
     AND (expires_at > $5 OR permanent)";

/// `$1` kind, `$2` subject and `$3` in lower case (each may be NULL), `$4` now, `$5` limit.
const LIST: &str = "SELECT kind, subject, failures, last_failure_at, locked_until, permanent
     FROM throttles WHERE ($1 IS NULL OR kind = $1) AND ($2 IS NULL OR subject IN ($2, $3))
     AND (expires_at > $4 OR permanent)
     ORDER BY (locked_until IS NULL), last_failure_at DESC LIMIT $5";

/// `$3` now, `$4` when the count is forgotten if nothing else happens.
const RECORD_FAILURE: &str = "INSERT INTO throttles
     (kind, subject, failures, last_failure_at, locked_until, permanent, expires_at)
     VALUES ($1, $2, 1, $3, NULL, FALSE, $4)
     ON CONFLICT (kind, subject) DO UPDATE SET
     failures = CASE WHEN throttles.expires_at <= $3 AND NOT throttles.permanent THEN 1
                ELSE throttles.failures + 1 END,
     locked_until = CASE WHEN throttles.expires_at <= $3 AND NOT throttles.permanent THEN NULL
                    ELSE throttles.locked_until END,
     last_failure_at = $3,
     expires_at = CASE WHEN throttles.locked_until IS NOT NULL AND throttles.locked_until > $4
                  THEN throttles.locked_until ELSE $4 END
     RETURNING failures";

const LOCK: &str = "UPDATE throttles SET locked_until = $3, permanent = permanent OR $4,
     expires_at = CASE WHEN expires_at < $3 THEN $3 ELSE expires_at END
     WHERE kind = $1 AND subject = $2";

#[async_trait]
impl<S: Backed> ThrottleStore for S {
    async fn throttles(
        &self,
        key: &ThrottleKey,
        also: Option<&ThrottleKey>,
        now: OffsetDateTime,
    ) -> Result<Vec<Throttle>> {
        let also = also.unwrap_or(key);
        fetch_all!(
            self,
            reader,
            ThrottleRow,
            SELECT_TWO,
            key.kind.as_str(),
            &key.subject,
            also.kind.as_str(),
            &also.subject,
            stored_time(now)
        )
    }

    async fn record_failure(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        forget_after: Duration,
    ) -> Result<u32> {
        let (failures,): (i32,) = on_pool!(self, writer, |pool| sqlx::query_as(RECORD_FAILURE)
            .bind(key.kind.as_str())
            .bind(&key.subject)
            .bind(stored_time(now))
            .bind(stored_time(now + forget_after))
            .fetch_one(pool))?;
        u32::try_from(failures).map_err(corrupt)
    }

    async fn lock(&self, key: &ThrottleKey, until: OffsetDateTime, permanent: bool) -> Result<()> {
        execute!(
            self,
            LOCK,
            key.kind.as_str(),
            &key.subject,
            stored_time(until),
            permanent
        )?;
        Ok(())
    }

    async fn clear_throttle(&self, key: &ThrottleKey) -> Result<bool> {
        let sql = "DELETE FROM throttles WHERE kind = $1 AND subject = $2";
        let changed = execute!(self, sql, key.kind.as_str(), &key.subject)?;
        Ok(changed > 0)
    }

    async fn list_throttles(
        &self,
        kind: Option<ThrottleKind>,
        subject: Option<&str>,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Throttle>> {
        fetch_all!(
            self,
            reader,
            ThrottleRow,
            LIST,
            kind.map(ThrottleKind::as_str),
            subject,
            subject.map(str::to_lowercase),
            stored_time(now),
            i64::from(limit)
        )
    }
}
