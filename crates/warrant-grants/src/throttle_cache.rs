//! What one server instance knows of the brute-force counters, so that an attempt does not
//! cost a database read: every live counter, read at most a time to live ago (one
//! statement for all of them), plus what this instance changed since. Counts and locks
//! made by other instances are seen within the time to live; this instance's at once.
//! While the table holds more live counters than the cache's capacity (a spray of
//! failures from many addresses), each attempt reads its own counters instead, and the
//! whole table is tried again a time to live later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use warrant_model::{Throttle, ThrottleKey};
use warrant_storage::{Store, StoreError};

/// The most live counters kept in memory.
pub const MAX_CACHED: u32 = 10_000;

/// The counters as this instance last read them.
#[derive(Debug)]
pub struct ThrottleCache {
    time_to_live: Duration,
    capacity: u32,
    snapshot: Mutex<Snapshot>,
    refreshing: AtomicBool,
}

#[derive(Debug, Default)]
struct Snapshot {
    read_at: Option<Instant>,
    /// False when there were more live counters than the capacity.
    complete: bool,
    counters: HashMap<ThrottleKey, Throttle>,
}

/// What the snapshot can tell of some keys.
enum Lookup {
    /// Their counters (none: nothing counted).
    Found(Vec<Throttle>),
    /// Too many counters to keep: ask the database for these.
    Incomplete,
    /// Time to read the snapshot again.
    Stale,
}

impl ThrottleCache {
    /// A cache read again after `time_to_live` (zero: every attempt reads the database),
    /// holding at most [`MAX_CACHED`] counters.
    pub fn new(time_to_live: Duration) -> Self {
        Self::with_capacity(time_to_live, MAX_CACHED)
    }

    /// A cache holding at most `capacity` counters.
    pub fn with_capacity(time_to_live: Duration, capacity: u32) -> Self {
        Self {
            time_to_live,
            capacity,
            snapshot: Mutex::new(Snapshot::default()),
            refreshing: AtomicBool::new(false),
        }
    }

    /// The live counters of `key` and `also`.
    pub(crate) async fn counters(
        &self,
        store: &dyn Store,
        key: &ThrottleKey,
        also: Option<&ThrottleKey>,
        now: OffsetDateTime,
    ) -> Result<Vec<Throttle>, StoreError> {
        match self.lookup(key, also) {
            Lookup::Found(counters) => return Ok(counters),
            Lookup::Incomplete => return store.throttles(key, also, now).await,
            Lookup::Stale => {}
        }
        // One attempt reads them all again; the others meanwhile ask for their own.
        if let Some(_refreshing) = self.start_refresh() {
            let read_at = Instant::now();
            let rows = store
                .list_throttles(None, None, now, self.capacity.saturating_add(1))
                .await?;
            let complete = rows.len() <= self.capacity as usize;
            let was_complete = {
                let snapshot = self.snapshot();
                snapshot.complete || snapshot.read_at.is_none()
            };
            if !complete && was_complete {
                tracing::info!(
                    capacity = self.capacity,
                    "more brute-force counters than the cache holds: attempts read their own"
                );
            }
            let counters = if complete {
                rows.into_iter()
                    .map(|throttle| (throttle.key.clone(), throttle))
                    .collect()
            } else {
                HashMap::new()
            };
            *self.snapshot() = Snapshot {
                read_at: Some(read_at),
                complete,
                counters,
            };
            if let Lookup::Found(counters) = self.lookup(key, also) {
                return Ok(counters);
            }
        }
        store.throttles(key, also, now).await
    }

    /// Keeps a counter this instance just changed.
    pub(crate) fn keep(&self, throttle: Throttle) {
        let mut snapshot = self.snapshot();
        if !snapshot.complete {
            return;
        }
        let full = snapshot.counters.len() >= self.capacity as usize;
        if full && !snapshot.counters.contains_key(&throttle.key) {
            snapshot.complete = false;
            snapshot.counters = HashMap::new();
        } else {
            snapshot.counters.insert(throttle.key.clone(), throttle);
        }
    }

    /// Drops a counter this instance just cleared (a success, or staff lifting a lock).
    pub fn forget(&self, key: &ThrottleKey) {
        self.snapshot().counters.remove(key);
    }

    fn lookup(&self, key: &ThrottleKey, also: Option<&ThrottleKey>) -> Lookup {
        let snapshot = self.snapshot();
        let fresh = snapshot
            .read_at
            .is_some_and(|read_at| read_at.elapsed() < self.time_to_live);
        if !fresh {
            return Lookup::Stale;
        }
        if !snapshot.complete {
            return Lookup::Incomplete;
        }
        Lookup::Found(
            std::iter::once(key)
                .chain(also)
                .filter_map(|key| snapshot.counters.get(key).cloned())
                .collect(),
        )
    }

    /// The right to read the snapshot again, unless caching is off or another attempt is
    /// reading it; given back when dropped (also when that attempt is cancelled).
    fn start_refresh(&self) -> Option<Refreshing<'_>> {
        let start = !self.time_to_live.is_zero()
            && self
                .refreshing
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
        start.then_some(Refreshing(&self.refreshing))
    }

    fn snapshot(&self) -> MutexGuard<'_, Snapshot> {
        // A panic elsewhere cannot leave a snapshot half-written: assignments are whole.
        self.snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

struct Refreshing<'a>(&'a AtomicBool);

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
