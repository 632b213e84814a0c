use std::net::IpAddr;

use warrant_generators::{Generators, PasswordPool};
use warrant_storage::Store;

use crate::{ClientCache, GrantSettings, KeyRing, ThrottleCache};

/// What the flows work with, borrowed from the caller (the HTTP frontend, a test, another
/// framework's frontend). Every flow takes the current time as an argument.
#[derive(Clone, Copy)]
pub struct Engine<'a> {
    /// The database.
    pub store: &'a dyn Store,
    /// Applications recently read, shared by every request.
    pub clients: &'a ClientCache,
    /// Token and secret generators.
    pub generators: &'a Generators,
    /// User password hashing.
    pub hasher: &'a PasswordPool,
    /// Lifetimes, rotation, scopes.
    pub settings: &'a GrantSettings,
    /// The keys that sign ID tokens.
    pub keys: &'a KeyRing,
    /// What this instance knows of the brute-force counters.
    pub throttles: &'a ThrottleCache,
    /// Where the request comes from, when known: failures are counted against it too.
    pub client_address: Option<IpAddr>,
}

impl Engine<'_> {
    /// This engine for a request from `address`.
    pub fn from_address(self, address: Option<IpAddr>) -> Self {
        Self {
            client_address: address,
            ..self
        }
    }
}
