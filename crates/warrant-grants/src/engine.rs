use std::net::IpAddr;

use warrant_generators::{Generators, PasswordPool};
use warrant_model::ClientAppUrl;
use warrant_storage::Store;

use crate::{ClientCache, GrantSettings, KeyRing, ThrottleCache};

/// What the flows and the management operations work with, borrowed from the caller (the
/// HTTP frontend, the CLI, a test, another framework's frontend): the one handle, whose
/// operations all fail with [`GrantsError`](crate::GrantsError) (those that answer a
/// request with [`OAuthError`](crate::OAuthError)). Every operation that depends on the
/// time takes it as an argument.
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
    /// The client apps that mirror users (`sync.client_apps`): user changes made through
    /// the engine are queued for them in the change's own transaction.
    pub client_apps: &'a [ClientAppUrl],
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
