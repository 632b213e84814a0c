//! The audit log: security events appended by every instance, listed by staff with filters
//! and keyset pagination (deleted past their retention by [`CleanupStore`](crate::CleanupStore)).

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{AuditAction, AuditEvent, NewAuditEvent, UserId};

use crate::db::{Backed, execute, fetch_all};
use crate::error::corrupt;
use crate::time_utc::stored_time;
use crate::{Page, Result, StoreError};

/// Which events to list; `None` matches any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only events of this acting user.
    pub actor_user_id: Option<UserId>,
    /// Only events done to this target (`user:alice`, `application:<client id>`).
    pub target: Option<String>,
    /// Only events at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only events before this time.
    pub until: Option<OffsetDateTime>,
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an event.
    async fn record_audit_event(&self, event: &NewAuditEvent) -> Result<()>;
    /// Events matching `filter`, oldest first, after `page.after`.
    async fn audit_events(&self, filter: &AuditFilter, page: Page) -> Result<Vec<AuditEvent>>;
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    occurred_at: OffsetDateTime,
    action: String,
    actor_user_id: Option<i64>,
    actor: Option<String>,
    target: Option<String>,
    client_address: Option<String>,
    detail: Option<String>,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;
    fn try_from(row: AuditRow) -> Result<Self> {
        Ok(AuditEvent {
            id: row.id,
            event: NewAuditEvent {
                occurred_at: row.occurred_at,
                action: row.action.parse().map_err(corrupt)?,
                actor_user_id: row.actor_user_id.map(UserId),
                actor: row.actor,
                target: row.target,
                client_address: row.client_address,
                detail: row.detail,
            },
        })
    }
}

#[async_trait]
impl<S: Backed> AuditStore for S {
    async fn record_audit_event(&self, event: &NewAuditEvent) -> Result<()> {
        let sql = "INSERT INTO audit_events (occurred_at, action, actor_user_id, actor, target,
             client_address, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        execute!(
            self,
            sql,
            stored_time(event.occurred_at),
            event.action.as_str(),
            event.actor_user_id.map(|id| id.0),
            event.actor.as_deref(),
            event.target.as_deref(),
            event.client_address.as_deref(),
            event.detail.as_deref(),
        )?;
        Ok(())
    }

    async fn audit_events(&self, filter: &AuditFilter, page: Page) -> Result<Vec<AuditEvent>> {
        let sql = "SELECT id, occurred_at, action, actor_user_id, actor, target, client_address,
             detail FROM audit_events WHERE id > $1
             AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR actor_user_id = $3)
             AND ($4 IS NULL OR target = $4) AND ($5 IS NULL OR occurred_at >= $5)
             AND ($6 IS NULL OR occurred_at < $6) ORDER BY id LIMIT $7";
        fetch_all!(
            self,
            reader,
            AuditRow,
            sql,
            page.after.unwrap_or(0),
            filter.action.map(AuditAction::as_str),
            filter.actor_user_id.map(|id| id.0),
            filter.target.as_deref(),
            filter.since.map(stored_time),
            filter.until.map(stored_time),
            i64::from(page.limit),
        )
    }
}
