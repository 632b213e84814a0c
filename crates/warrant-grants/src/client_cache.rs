//! Applications recently read, by client id, so that the token, revocation and
//! introspection endpoints need not read the application row on every request.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use warrant_model::{Application, ClientId};
use warrant_storage::{Store, StoreError};

/// At most this many applications are kept; past it, stale ones go, then all of them.
const CAPACITY: usize = 10_000;

/// A cache of application records with a time to live.
///
/// A change made through the same [`ClientCache`] (see [`ClientCache::forget`]) is seen at
/// once; one made elsewhere (the CLI, another server instance) within the time to live.
/// Unknown client ids are never cached, so guessing ids cannot fill it.
#[derive(Debug)]
pub struct ClientCache {
    time_to_live: Duration,
    entries: Mutex<HashMap<ClientId, Cached>>,
}

#[derive(Debug)]
struct Cached {
    application: Application,
    read_at: Instant,
}

impl ClientCache {
    /// A cache that keeps each application for `time_to_live` (zero: no caching).
    pub fn new(time_to_live: Duration) -> Self {
        Self {
            time_to_live,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The application with `client_id`, from the cache while it is fresh.
    pub async fn application(
        &self,
        store: &dyn Store,
        client_id: &ClientId,
    ) -> Result<Option<Application>, StoreError> {
        if let Some(cached) = self.fresh(client_id) {
            return Ok(Some(cached));
        }
        let application = store.application_by_client_id(client_id).await?;
        if let Some(application) = &application {
            self.keep(application);
        }
        Ok(application)
    }

    /// Drops the cached record of `client_id`, after a change to that application.
    pub fn forget(&self, client_id: &ClientId) {
        self.entries().remove(client_id);
    }

    fn fresh(&self, client_id: &ClientId) -> Option<Application> {
        let entries = self.entries();
        let cached = entries.get(client_id)?;
        (cached.read_at.elapsed() < self.time_to_live).then(|| cached.application.clone())
    }

    fn keep(&self, application: &Application) {
        if self.time_to_live.is_zero() {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= CAPACITY {
            entries.retain(|_, cached| cached.read_at.elapsed() < self.time_to_live);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            application.client_id.clone(),
            Cached {
                application: application.clone(),
                read_at: Instant::now(),
            },
        );
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<ClientId, Cached>> {
        // The map holds no invariant a panicking holder could have broken halfway.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
