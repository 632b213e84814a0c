//! Applications recently read, by client id, so that the token, revocation and
//! introspection endpoints need not read the application row on every request.

use std::time::Duration;

use warrant_cache::TtlMap;
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
    applications: TtlMap<ClientId, Application>,
}

impl ClientCache {
    /// A cache that keeps each application for `time_to_live` (zero: no caching).
    pub fn new(time_to_live: Duration) -> Self {
        Self {
            time_to_live,
            applications: TtlMap::new(CAPACITY),
        }
    }

    /// The application with `client_id`, from the cache while it is fresh.
    pub async fn application(
        &self,
        store: &dyn Store,
        client_id: &ClientId,
    ) -> Result<Option<Application>, StoreError> {
        if let Some(cached) = self.applications.get(client_id) {
            return Ok(Some(cached));
        }
        let application = store.application_by_client_id(client_id).await?;
        if let Some(application) = &application {
            self.applications.insert(
                application.client_id.clone(),
                application.clone(),
                self.time_to_live,
            );
        }
        Ok(application)
    }

    /// Drops the cached record of `client_id`, after a change to that application.
    pub fn forget(&self, client_id: &ClientId) {
        self.applications.remove(client_id);
    }
}
