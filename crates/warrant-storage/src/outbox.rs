//! The client-sync outbox: which users each client app has yet to hear about.
//!
//! A user write that client apps must learn of marks the user in the same transaction
//! ([`SyncTo`], taken by `create_user`, `update_user` and `replace_api_token`). Senders claim
//! due rows for a while (`claimed_until`), so two server instances never send one row at
//! once: PostgreSQL's `FOR UPDATE SKIP LOCKED` lets them claim side by side, SQLite's single
//! writer serialises the claims.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{ClientAppUrl, OutboxEntry, OutboxStatus, UserId};

use crate::db::{Backed, Pools, execute, in_transaction, on_pool};
use crate::deadline::Within;
use crate::rows::{EntryRow, StatusRow};
use crate::time_utc::{stored_opt, stored_time};
use crate::{Result, StoreError};

/// The client apps a user change must reach, and when it was made.
#[derive(Debug, Clone, Copy)]
pub struct SyncTo<'a> {
    /// Every configured client app (none: nothing is recorded).
    pub client_apps: &'a [ClientAppUrl],
    /// The time of the change.
    pub now: OffsetDateTime,
}

impl SyncTo<'static> {
    /// For writes client apps need not hear of (a login time, a password).
    pub const NOBODY: Self = Self {
        client_apps: &[],
        now: OffsetDateTime::UNIX_EPOCH,
    };
}

/// The durable client-sync outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` due rows of `target` until `claimed_until`, oldest due first.
    async fn claim_outbox_entries(
        &self,
        target: &str,
        now: OffsetDateTime,
        claimed_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>>;
    /// Records that `version` of the row was delivered and releases the claim. `false` when
    /// a change came meanwhile: the row stays pending and is due at once.
    async fn settle_outbox_delivery(
        &self,
        id: i64,
        version: i64,
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Records a failed attempt and releases the claim; `retry_at = None` gives up and marks
    /// the row dead.
    async fn record_outbox_failure(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Makes pending rows due at once (skipping their backoff), or with `dead` revives dead
    /// ones; only `target`'s when given. Returns how many rows changed.
    async fn retry_outbox(
        &self,
        dead: bool,
        target: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<u64>;
    /// Marks every user for `sync`'s client apps (a client app added later catches up).
    async fn mark_all_users_for_sync(&self, sync: SyncTo<'_>) -> Result<u64>;
    /// Per client app: pending and dead rows, the oldest undelivered change, the last error.
    async fn outbox_status(&self) -> Result<Vec<OutboxStatus>>;
    /// The row of one client app and user.
    async fn outbox_entry(&self, target: &str, user: UserId) -> Result<Option<OutboxEntry>>;
}

/// Marks one user as changed for one client app. A delivered or dead row becomes pending and
/// due now; a pending row keeps its schedule (its next attempt sends the newer record).
pub(crate) const MARK_SQL: &str = "INSERT INTO sync_outbox (target, user_id, version, pending_since, attempts, next_attempt_at)
     VALUES ($1, $2, 1, $3, 0, $3)
     ON CONFLICT (target, user_id) DO UPDATE SET version = sync_outbox.version + 1,
     pending_since = CASE WHEN sync_outbox.pending_since IS NULL OR sync_outbox.dead_at IS NOT NULL
         THEN excluded.pending_since ELSE sync_outbox.pending_since END,
     attempts = CASE WHEN sync_outbox.pending_since IS NULL OR sync_outbox.dead_at IS NOT NULL
         THEN 0 ELSE sync_outbox.attempts END,
     next_attempt_at = CASE WHEN sync_outbox.pending_since IS NULL OR sync_outbox.dead_at IS NOT NULL
         THEN excluded.next_attempt_at ELSE sync_outbox.next_attempt_at END,
     dead_at = NULL";

/// Marks `$user` for every client app of `$sync` inside the transaction `$tx`.
macro_rules! mark_for_sync {
    ($tx:expr, $user:expr, $sync:expr, $deadline:expr) => {
        for app in $sync.client_apps {
            sqlx::query($crate::outbox::MARK_SQL)
                .bind(app.as_str())
                .bind($user)
                .bind($crate::time_utc::stored_time($sync.now))
                .execute(&mut *$tx)
                .within($deadline)
                .await?;
        }
    };
}
pub(crate) use mark_for_sync;

macro_rules! entry_columns {
    () => {
        "id, target, user_id, version, pending_since, attempts, next_attempt_at, last_error, \
    delivered_at, dead_at"
    };
}

/// The claim, up to its inner SELECT's end: PostgreSQL ends it with row locks (see
/// [`claim_sql`]).
macro_rules! claim_statement {
    ($lock:literal) => {
        concat!(
            "UPDATE sync_outbox SET claimed_until = $3 WHERE id IN (
             SELECT id FROM sync_outbox WHERE target = $1 AND pending_since IS NOT NULL
             AND dead_at IS NULL AND next_attempt_at <= $2
             AND (claimed_until IS NULL OR claimed_until <= $2)
             ORDER BY next_attempt_at, id LIMIT $4",
            $lock,
            ") RETURNING ",
            entry_columns!()
        )
    };
}

/// The claim for the store's backend: PostgreSQL's row locks let instances claim side by
/// side; SQLite has none and needs none (its one writer serialises the claims).
fn claim_sql(pools: &Pools) -> &'static str {
    match *pools {
        #[cfg(feature = "sqlite")]
        Pools::Sqlite { .. } => claim_statement!(""),
        #[cfg(feature = "postgres")]
        Pools::Postgres(_) => claim_statement!(" FOR UPDATE SKIP LOCKED"),
    }
}

#[async_trait]
impl<S: Backed> OutboxStore for S {
    async fn claim_outbox_entries(
        &self,
        target: &str,
        now: OffsetDateTime,
        claimed_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        let sql = claim_sql(&self.db().pools);
        let rows: Vec<EntryRow> = on_pool!(self, writer, |pool| sqlx::query_as(sql)
            .bind(target)
            .bind(stored_time(now))
            .bind(stored_time(claimed_until))
            .bind(i64::from(limit))
            .fetch_all(pool))?;
        let mut entries: Vec<OutboxEntry> = rows.into_iter().map(OutboxEntry::from).collect();
        entries.sort_by_key(|entry| (entry.next_attempt_at, entry.id));
        Ok(entries)
    }

    async fn settle_outbox_delivery(
        &self,
        id: i64,
        version: i64,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let sql = "UPDATE sync_outbox SET claimed_until = NULL, delivered_at = $3,
             last_attempt_at = $3,
             pending_since = CASE WHEN version = $2 THEN NULL ELSE pending_since END,
             last_error = CASE WHEN version = $2 THEN NULL ELSE last_error END,
             attempts = 0, next_attempt_at = $3
             WHERE id = $1 RETURNING pending_since";
        let settled: Option<(Option<OffsetDateTime>,)> =
            on_pool!(self, writer, |pool| sqlx::query_as(sql)
                .bind(id)
                .bind(version)
                .bind(stored_time(now))
                .fetch_optional(pool))?;
        let (pending_since,) = settled.ok_or(StoreError::NotFound)?;
        Ok(pending_since.is_none())
    }

    async fn record_outbox_failure(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let sql = "UPDATE sync_outbox SET claimed_until = NULL, attempts = attempts + 1,
             last_error = $2, last_attempt_at = $4,
             next_attempt_at = COALESCE($3, next_attempt_at),
             dead_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END
             WHERE id = $1 AND pending_since IS NOT NULL";
        let changed = execute!(self, sql, id, error, stored_opt(retry_at), stored_time(now))?;
        Ok(changed == 1)
    }

    async fn retry_outbox(
        &self,
        dead: bool,
        target: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let sql = if dead {
            "UPDATE sync_outbox SET dead_at = NULL, attempts = 0, pending_since = $1,
             next_attempt_at = $1 WHERE dead_at IS NOT NULL AND ($2 IS NULL OR target = $2)"
        } else {
            "UPDATE sync_outbox SET next_attempt_at = $1
             WHERE pending_since IS NOT NULL AND dead_at IS NULL AND ($2 IS NULL OR target = $2)"
        };
        let changed = execute!(self, sql, stored_time(now), target)?;
        Ok(changed)
    }

    async fn mark_all_users_for_sync(&self, sync: SyncTo<'_>) -> Result<u64> {
        let marked = in_transaction!(self, |tx, deadline| {
            let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM users ORDER BY id")
                .fetch_all(&mut *tx)
                .within(deadline)
                .await?;
            for (id,) in &ids {
                mark_for_sync!(tx, *id, sync, deadline);
            }
            ids.len() as u64
        });
        Ok(marked)
    }

    async fn outbox_status(&self) -> Result<Vec<OutboxStatus>> {
        let sql = "SELECT target,
             SUM(CASE WHEN pending_since IS NOT NULL AND dead_at IS NULL THEN 1 ELSE 0 END) AS pending,
             SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END) AS dead,
             MIN(pending_since) AS oldest_pending_since,
             MAX(delivered_at) AS last_delivered_at,
             (SELECT failing.last_error FROM sync_outbox failing
              WHERE failing.target = sync_outbox.target
              AND failing.pending_since IS NOT NULL AND failing.last_error IS NOT NULL
              ORDER BY failing.last_attempt_at DESC, failing.id DESC LIMIT 1) AS last_error
             FROM sync_outbox GROUP BY target ORDER BY target";
        let rows: Vec<StatusRow> =
            on_pool!(self, reader, |pool| sqlx::query_as(sql).fetch_all(pool))?;
        Ok(rows
            .into_iter()
            .map(|row| OutboxStatus {
                target: row.target,
                pending: row.pending.unsigned_abs(),
                dead: row.dead.unsigned_abs(),
                oldest_pending_since: row.oldest_pending_since,
                last_delivered_at: row.last_delivered_at,
                last_error: row.last_error,
            })
            .collect())
    }

    async fn outbox_entry(&self, target: &str, user: UserId) -> Result<Option<OutboxEntry>> {
        let sql = concat!(
            "SELECT ",
            entry_columns!(),
            " FROM sync_outbox WHERE target = $1 AND user_id = $2"
        );
        let row: Option<EntryRow> = on_pool!(self, reader, |pool| sqlx::query_as(sql)
            .bind(target)
            .bind(user.0)
            .fetch_optional(pool))?;
        Ok(row.map(OutboxEntry::from))
    }
}
