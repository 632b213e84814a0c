//! `cleartokens`: deleting expired codes, tokens, sessions and device authorizations.

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

/// Deletes every expired row, and audit events older than `audit.retention`, `batch_size`
/// rows per statement so no transaction holds many locks (Django OAuth Toolkit's
/// `CLEAR_EXPIRED_TOKENS_BATCH_SIZE`). `progress` hears each batch, for a long first run.
pub async fn clear_expired(
    store: &dyn Store,
    now: OffsetDateTime,
    batch_size: u32,
    audit: AuditPolicy,
    mut progress: impl FnMut(Expired, u64),
) -> Result<Cleared, StoreError> {
    let batch_size = batch_size.max(1);
    let mut cleared = Vec::new();
    for kind in Expired::ALL {
        let before = match (kind, audit.retention) {
            (Expired::AuditEvents, Some(retention)) => now - retention,
            (Expired::AuditEvents, None) => continue,
            _ => now,
        };
        let mut total = 0;
        loop {
            let deleted = store.delete_expired(kind, before, batch_size).await?;
            total += deleted;
            if deleted > 0 {
                progress(kind, total);
            }
            if deleted < u64::from(batch_size) {
                break;
            }
        }
        cleared.push((kind, total));
    }
    Ok(Cleared(cleared))
}
