//! What the commands share: the store, the generators and the grant engine over them,
//! built from config.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use warrant_grants::{ClientCache, ClientDocuments, Engine, EngineParts, KeyRing, ThrottleCache};
use warrant_model::RedirectUriPolicy;
use warrant_storage::{ConnectOptions, Store};

use crate::config::Config;
use crate::secret_key::UsedBy;

pub struct Context {
    pub store: Arc<dyn Store>,
    /// What the engine works with. Its key ring has no `secret_key` unless a command asks
    /// for it ([`Context::use_secret_key`]); its caches keep nothing, since a command is one
    /// short process. `client_apps` (`sync.client_apps`): user changes made by any command
    /// are queued for them.
    pub grants: EngineParts,
    pub redirect_policy: RedirectUriPolicy,
}

impl Context {
    /// Checks the generator config, opens the database and, if `migrate`, applies
    /// migrations.
    pub async fn open(config: &Config, migrate: bool) -> anyhow::Result<Self> {
        let generators = config
            .extensions
            .generator_kinds
            .build(&config.generators)?;
        let hasher = config.passwords.pool()?;
        let options = ConnectOptions {
            max_connections: config.database.max_connections,
            acquire_timeout: Duration::from_secs(config.database.acquire_timeout_seconds),
            query_timeout: Duration::from_secs(config.database.query_timeout_seconds),
        };
        // Its errors name the database and what to check.
        let store = warrant_storage::connect(&config.database.url, &options).await?;
        if migrate {
            store.migrate().await.context("applying migrations")?;
        }
        let redirect_policy = RedirectUriPolicy {
            allow_insecure_http: config.redirect_uris.allow_insecure_http,
        };
        let grants = EngineParts {
            clients: ClientCache::new(Duration::ZERO),
            documents: ClientDocuments::disabled(),
            key_sets: warrant_grants::ClientKeySets::without_fetching(),
            generators,
            hasher,
            settings: config.grant_settings()?,
            keys: KeyRing::without_secret_key(),
            throttles: ThrottleCache::new(Duration::ZERO),
            client_apps: config.sync.client_apps()?,
            events: Arc::new(warrant_grants::NoEvents),
        };
        Ok(Self {
            store,
            grants,
            redirect_policy,
        })
    }

    /// Gives the engine the `secret_key` (configured, or the development key), for the
    /// commands that seal or open stored values.
    pub fn use_secret_key(&mut self, config: &Config) -> anyhow::Result<()> {
        let (_, sealing) = crate::secret_key::resolve(config, UsedBy::Command)?;
        let lifetime = self.grants.settings.id_token_lifetime;
        self.grants.keys = KeyRing::new(sealing, Duration::ZERO, lifetime);
        Ok(())
    }

    /// The grant engine, for the management operations, acting for the operator at the
    /// command line (as the audit log records).
    pub fn engine(&self) -> Engine<'_> {
        self.grants
            .engine(&*self.store)
            .acting_as(warrant_grants::Actor::CommandLine)
    }
}
