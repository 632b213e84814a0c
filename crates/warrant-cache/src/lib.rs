//! What Warrant's crates keep of recent reads and answers for a short time: [`TtlMap`], a
//! bounded map whose entries expire (applications by client id in the grant engine,
//! introspection answers in the request guards), and [`TtlCell`], one value that expires
//! (the origins applications allow, the signing keys).
//!
//! This crate must not know what it holds: no Warrant type, no I/O; time is the process's
//! monotonic clock.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A map from `K` to `V` in which each entry lives for the time it was inserted with.
///
/// It holds at most `capacity` entries: an insert past it first drops the expired ones,
/// then, if the map is still full, all of them (a flood of distinct keys costs a refill,
/// never unbounded memory). Safe to share between threads; reads clone the value.
#[derive(Debug)]
pub struct TtlMap<K, V> {
    capacity: usize,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    until: Instant,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    /// An empty map that holds at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key`, unless it is absent or expired.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries();
        let entry = entries.get(key)?;
        (entry.until > Instant::now()).then(|| entry.value.clone())
    }

    /// Keeps `value` under `key` for `time_to_live`; a zero time keeps nothing.
    pub fn insert(&self, key: K, value: V, time_to_live: Duration) {
        if time_to_live.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut entries = self.entries();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, entry| entry.until > now);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        let until = now + time_to_live;
        entries.insert(key, Entry { value, until });
    }

    /// Drops the entry of `key`, if any.
    pub fn remove(&self, key: &K) {
        self.entries().remove(key);
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, Entry<V>>> {
        // The map holds no invariant a panicking holder could have broken halfway.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One value that lives for the time it was set with.
#[derive(Debug)]
pub struct TtlCell<T> {
    value: Mutex<Option<Entry<T>>>,
}

impl<T: Clone> TtlCell<T> {
    /// An empty cell.
    pub fn new() -> Self {
        Self {
            value: Mutex::new(None),
        }
    }

    /// The value, unless it is unset or expired.
    pub fn get(&self) -> Option<T> {
        let value = self.value();
        let entry = value.as_ref()?;
        (entry.until > Instant::now()).then(|| entry.value.clone())
    }

    /// Keeps `value` for `time_to_live`; a zero time keeps nothing.
    pub fn set(&self, value: T, time_to_live: Duration) {
        *self.value() = (!time_to_live.is_zero()).then(|| Entry {
            value,
            until: Instant::now() + time_to_live,
        });
    }

    /// Drops the value.
    pub fn clear(&self) {
        *self.value() = None;
    }

    fn value(&self) -> MutexGuard<'_, Option<Entry<T>>> {
        // The value is replaced whole; a panicking holder cannot leave half of one.
        self.value.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Clone> Default for TtlCell<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(3600);

    #[test]
    fn entries_are_read_until_they_expire_or_are_removed() {
        let map = TtlMap::new(10);
        map.insert("kept", 1, LONG);
        map.insert("expired", 2, Duration::from_nanos(1));
        map.insert("never", 3, Duration::ZERO);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(map.get(&"kept"), Some(1));
        assert_eq!(map.get(&"expired"), None);
        assert_eq!(map.get(&"never"), None);
        map.remove(&"kept");
        assert_eq!(map.get(&"kept"), None);
    }

    #[test]
    fn a_full_map_drops_expired_entries_then_everything() {
        let map = TtlMap::new(2);
        map.insert(1, "short", Duration::from_nanos(1));
        map.insert(2, "long", LONG);
        std::thread::sleep(Duration::from_millis(2));
        map.insert(3, "new", LONG);
        assert_eq!((map.get(&2), map.get(&3)), (Some("long"), Some("new")));
        map.insert(2, "replaced", LONG);
        assert_eq!(
            map.get(&2),
            Some("replaced"),
            "a key already held needs no room"
        );
        map.insert(4, "newest", LONG);
        assert_eq!(
            (map.get(&2), map.get(&3), map.get(&4)),
            (None, None, Some("newest"))
        );
    }

    #[test]
    fn a_cell_holds_its_value_until_it_expires_or_is_cleared() {
        let cell = TtlCell::new();
        assert_eq!(cell.get(), None);
        cell.set(1, LONG);
        assert_eq!(cell.get(), Some(1));
        cell.clear();
        assert_eq!(cell.get(), None);
        cell.set(2, Duration::from_nanos(1));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(cell.get(), None);
        cell.set(3, LONG);
        cell.set(4, Duration::ZERO);
        assert_eq!(
            cell.get(),
            None,
            "a zero time replaces the value with nothing"
        );
    }
}
