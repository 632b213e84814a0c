use std::net::IpAddr;

use warrant_generators::{Generators, PasswordPool};
use warrant_model::ClientAppUrl;
use warrant_storage::Store;

use crate::{
    ClientCache, ClientDocuments, ClientKeySets, Events, GrantSettings, KeyRing, ThrottleCache,
};

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
    /// Client ID metadata documents: their fetcher and which are fresh.
    pub documents: &'a ClientDocuments,
    /// The public keys clients publish at their `jwks_uri`.
    pub key_sets: &'a ClientKeySets,
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
    /// Told what happens (metrics).
    pub events: &'a dyn Events,
    /// Who acts, for the audit log ([`Engine::acting_as`]).
    pub actor: crate::Actor<'a>,
}

/// What an [`Engine`] borrows besides the store, owned: what a frontend keeps for as long
/// as it runs (the server's state, the CLI's context, a test's world).
pub struct EngineParts {
    /// Applications recently read.
    pub clients: ClientCache,
    /// Client ID metadata documents (off: [`ClientDocuments::disabled`]).
    pub documents: ClientDocuments,
    /// Clients' published keys (none fetched: [`ClientKeySets::without_fetching`]).
    pub key_sets: ClientKeySets,
    /// Token and secret generators.
    pub generators: Generators,
    /// User password hashing.
    pub hasher: PasswordPool,
    /// Lifetimes, rotation, scopes, the issuer.
    pub settings: GrantSettings,
    /// The signing keys, and the sealing key they are kept under.
    pub keys: KeyRing,
    /// What this instance knows of the brute-force counters.
    pub throttles: ThrottleCache,
    /// The client apps that mirror users (`sync.client_apps`).
    pub client_apps: Vec<ClientAppUrl>,
    /// Told what happens ([`NoEvents`](crate::NoEvents): nothing is).
    pub events: std::sync::Arc<dyn Events>,
}

impl EngineParts {
    /// The engine over `store` with these parts, for a request from no known address.
    pub fn engine<'a>(&'a self, store: &'a dyn Store) -> Engine<'a> {
        Engine {
            store,
            clients: &self.clients,
            documents: &self.documents,
            key_sets: &self.key_sets,
            generators: &self.generators,
            hasher: &self.hasher,
            settings: &self.settings,
            keys: &self.keys,
            throttles: &self.throttles,
            client_apps: &self.client_apps,
            client_address: None,
            events: &*self.events,
            actor: crate::Actor::Unknown,
        }
    }
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
