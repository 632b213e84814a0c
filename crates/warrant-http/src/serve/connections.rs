//! The open connections: how many there may be, what each is doing, and which to close
//! when a new one needs its place.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::ServeSettings;

/// What a connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for a request's first byte since `since`: a new connection (`fresh`), or a
    /// kept-alive one after an answer.
    Waiting { since: Instant, fresh: bool },
    /// Reading a request's headers; the deadline runs from `since`.
    ReadingHead { since: Instant },
    /// A request is being answered.
    Busy,
}

/// One connection's phase, and the signal that closes it early.
#[derive(Debug)]
pub(super) struct Tracker {
    phase: Mutex<Phase>,
    pub(super) evicted: Notify,
}

impl Tracker {
    fn new(now: Instant) -> Self {
        Self {
            phase: Mutex::new(Phase::Waiting {
                since: now,
                fresh: true,
            }),
            evicted: Notify::new(),
        }
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        // A phase is a plain value: a panicking holder leaves a valid one.
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived: a waiting connection starts reading a request's headers (a new
    /// connection's deadline still runs from when it was accepted).
    pub(super) fn bytes_arrived(&self, now: Instant) {
        let mut phase = self.phase();
        if let Phase::Waiting { since, fresh } = *phase {
            let since = if fresh { since } else { now };
            *phase = Phase::ReadingHead { since };
        }
    }

    pub(super) fn request_started(&self) {
        *self.phase() = Phase::Busy;
    }

    pub(super) fn request_answered(&self, now: Instant) {
        *self.phase() = Phase::Waiting {
            since: now,
            fresh: false,
        };
    }

    /// When this connection is to be closed as it stands (`None` while a request is being
    /// answered: that has its own deadline).
    pub(super) fn deadline(&self, settings: &ServeSettings) -> Option<Instant> {
        match *self.phase() {
            Phase::Waiting { since, fresh: true } | Phase::ReadingHead { since } => {
                Some(since + settings.header_read_timeout)
            }
            Phase::Waiting {
                since,
                fresh: false,
            } => Some(since + settings.keep_alive_timeout),
            Phase::Busy => None,
        }
    }

    /// Since when it has been without a request in progress, if it is.
    fn idle_since(&self) -> Option<Instant> {
        match *self.phase() {
            Phase::Waiting { since, .. } | Phase::ReadingHead { since } => Some(since),
            Phase::Busy => None,
        }
    }
}

/// Every open connection, at most `cap` of them.
pub(super) struct Connections {
    slots: Arc<Semaphore>,
    open: Mutex<HashMap<u64, Arc<Tracker>>>,
    next_id: AtomicU64,
    cap: usize,
    cap_reported: AtomicBool,
}

/// Room for one more connection, before it is accepted.
pub(super) struct Slot(OwnedSemaphorePermit);

/// A connection's place among [`Connections`], given up when dropped.
pub(super) struct Admission {
    connections: Arc<Connections>,
    id: u64,
    pub(super) tracker: Arc<Tracker>,
    _slot: OwnedSemaphorePermit,
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.connections.open().remove(&self.id);
    }
}

impl Connections {
    pub(super) fn new(cap: usize) -> Arc<Self> {
        let cap = cap.max(1);
        Arc::new(Self {
            slots: Arc::new(Semaphore::new(cap)),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            cap,
            cap_reported: AtomicBool::new(false),
        })
    }

    fn open(&self) -> MutexGuard<'_, HashMap<u64, Arc<Tracker>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for the next connection. At the cap, the connection that has waited longest
    /// without a request in progress is closed to make room; when every one is busy, this
    /// waits for one to end.
    pub(super) async fn make_room(&self) -> Slot {
        let slot = match self.slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if !self.cap_reported.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        max_connections = self.cap,
                        "connection cap reached: idle connections are closed to make room (reported once)"
                    );
                }
                self.evict_longest_idle();
                match self.slots.clone().acquire_owned().await {
                    Ok(slot) => slot,
                    // The semaphore is never closed.
                    Err(_) => return std::future::pending().await,
                }
            }
        };
        Slot(slot)
    }

    /// Takes a connection accepted `now` into its `slot`.
    pub(super) fn admit(self: &Arc<Self>, slot: Slot, now: Instant) -> Admission {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let tracker = Arc::new(Tracker::new(now));
        self.open().insert(id, tracker.clone());
        Admission {
            connections: self.clone(),
            id,
            tracker,
            _slot: slot.0,
        }
    }

    fn evict_longest_idle(&self) {
        let open = self.open();
        // Ties go to the older connection (the lower id).
        let longest = open
            .iter()
            .filter_map(|(id, tracker)| tracker.idle_since().map(|since| ((since, *id), tracker)))
            .min_by_key(|(order, _)| *order);
        if let Some((_, tracker)) = longest {
            // Stored if the connection is not waiting on it yet.
            tracker.evicted.notify_one();
        }
    }

    /// After the listener stopped: closes idle connections at once and waits up to `grace`
    /// for requests in progress.
    pub(super) async fn drain(&self, grace: Duration) {
        let deadline = Instant::now() + grace;
        loop {
            let busy = {
                let open = self.open();
                for tracker in open.values() {
                    if tracker.idle_since().is_some() {
                        tracker.evicted.notify_one();
                    }
                }
                open.len()
            };
            if busy == 0 || Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ServeSettings {
        ServeSettings {
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            max_connections: 2,
            max_body_bytes: 1024,
            trusted_proxies: Vec::new(),
            tls: None,
        }
    }

    #[test]
    fn each_phase_has_its_deadline() {
        let settings = settings();
        let accepted = Instant::now();
        let at = |seconds| accepted + Duration::from_secs(seconds);
        let tracker = Tracker::new(accepted);
        assert_eq!(tracker.deadline(&settings), Some(at(10)));
        tracker.bytes_arrived(at(3));
        // A new connection's header deadline runs from its acceptance.
        assert_eq!(tracker.deadline(&settings), Some(at(10)));
        tracker.request_started();
        assert_eq!(tracker.deadline(&settings), None);
        tracker.request_answered(at(4));
        assert_eq!(tracker.deadline(&settings), Some(at(34)));
        tracker.bytes_arrived(at(24));
        assert_eq!(
            tracker.deadline(&settings),
            Some(at(34)),
            "a kept-alive connection's next request has the header deadline from its first byte"
        );
    }

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_makes_room() {
        let connections = Connections::new(2);
        let admit = async || {
            let slot = connections.make_room().await;
            connections.admit(slot, Instant::now())
        };
        let first = admit().await;
        let second = admit().await;
        second.tracker.request_started();
        let (third, ()) = tokio::join!(admit(), async {
            first.tracker.evicted.notified().await;
            drop(first);
        });
        assert_eq!(connections.open().len(), 2, "the busy one stays");
        drop((second, third));
        assert!(connections.open().is_empty());
    }
}
