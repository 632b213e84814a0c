//! `cleartokens`: deleting expired codes, tokens, sessions and device authorizations.

use std::time::{Duration, Instant};

use time::OffsetDateTime;
use warrant_storage::{Expired, Store, StoreError};

use crate::AuditPolicy;

/// How many rows of each kind were deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleared(pub Vec<(Expired, u64)>);

impl Cleared {
    /// All rows deleted.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, n)| n).sum()
    }
}

/// Deletes every expired row, and audit events older than `audit.retention`, at most
/// `batch_size` rows per statement so no transaction holds many locks (Django OAuth
/// Toolkit's `CLEAR_EXPIRED_TOKENS_BATCH_SIZE`), fewer when a statement would hold the
/// database long (see [`Pace`]). `progress` hears each batch, for a long first run.
pub async fn clear_expired(
    store: &dyn Store,
    now: OffsetDateTime,
    batch_size: u32,
    audit: AuditPolicy,
    mut progress: impl FnMut(Expired, u64),
) -> Result<Cleared, StoreError> {
    let batch_size = batch_size.max(1);
    let mut pace = Pace::new(batch_size);
    let mut cleared = Vec::new();
    for kind in Expired::ALL {
        let before = match (kind, audit.retention) {
            (Expired::AuditEvents, Some(retention)) => now - retention,
            (Expired::AuditEvents, None) => continue,
            _ => now,
        };
        let mut total = 0;
        loop {
            let limit = pace.limit;
            let started = Instant::now();
            let deleted = store.delete_expired(kind, before, limit).await?;
            total += deleted;
            if deleted > 0 {
                progress(kind, total);
            }
            if deleted < u64::from(limit) {
                break;
            }
            pace.after(started.elapsed()).await;
        }
        cleared.push((kind, total));
    }
    Ok(Cleared(cleared))
}

/// How the clean-up shares the database with the traffic it runs beside. SQLite has one
/// writer, and statements deleting 10,000 tokens each held it so long that while a million
/// expired tokens were deleted, issuance fell to 13 tokens/s with a p99 of 2.7 s
/// (docs/benchmarks.md). So each statement deletes as many rows as fit in about
/// [`Pace::SLICE`] (at most `batch_size`), and the next waits as long as the last took: the
/// clean-up has at most half of the writer.
struct Pace {
    limit: u32,
    most: u32,
}

impl Pace {
    /// The time one statement should take.
    const SLICE: Duration = Duration::from_millis(5);
    /// Rows in the first statement.
    const FIRST: u32 = 100;

    fn new(batch_size: u32) -> Self {
        Self {
            limit: Self::FIRST.min(batch_size),
            most: batch_size,
        }
    }

    /// Adjusts the limit to a full statement that took `took`, then pauses as long.
    async fn after(&mut self, took: Duration) {
        if took > Self::SLICE {
            self.limit = (self.limit / 2).max(1);
        } else if took < Self::SLICE / 2 {
            self.limit = self.limit.saturating_mul(2).min(self.most);
        }
        tokio::time::sleep(took).await;
    }
}
