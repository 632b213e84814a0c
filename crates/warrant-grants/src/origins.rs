//! The browser origins applications allow (CORS), read at most once per time to live, so
//! that a preflight request, which names no client, costs no query.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use warrant_cache::TtlCell;
use warrant_model::Origin;
use warrant_storage::{Store, StoreError};

/// Every origin some application allows, refreshed after a time to live.
///
/// Like [`crate::ClientCache`], a change made through this cache ([`AllowedOrigins::forget`])
/// is seen at once, one made elsewhere within the time to live.
#[derive(Debug)]
pub struct AllowedOrigins {
    time_to_live: Duration,
    origins: TtlCell<Arc<HashSet<Origin>>>,
}

impl AllowedOrigins {
    /// A cache that reads the origins again after `time_to_live` (zero: every time).
    pub fn new(time_to_live: Duration) -> Self {
        Self {
            time_to_live,
            origins: TtlCell::new(),
        }
    }

    /// Whether some application allows `origin`.
    pub async fn allows(&self, store: &dyn Store, origin: &Origin) -> Result<bool, StoreError> {
        if let Some(origins) = self.origins.get() {
            return Ok(origins.contains(origin));
        }
        let origins: HashSet<Origin> = store.allowed_origins().await?.into_iter().collect();
        let allowed = origins.contains(origin);
        self.origins.set(Arc::new(origins), self.time_to_live);
        Ok(allowed)
    }

    /// Reads the origins again at the next question, after an application changed.
    pub fn forget(&self) {
        self.origins.clear();
    }
}
