//! What the commands share: the store, the generators and the grant engine over them,
//! built from config.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use warrant_generators::{Generators, PasswordPool};
use warrant_grants::{ClientCache, Engine, GrantSettings, KeyRing, ThrottleCache};
use warrant_model::{ClientAppUrl, RedirectUriPolicy};
use warrant_storage::{ConnectOptions, Store};

use crate::config::Config;
use crate::secret_key::UsedBy;

pub struct Context {
    pub store: Arc<dyn Store>,
    pub generators: Generators,
    pub hasher: PasswordPool,
    pub redirect_policy: RedirectUriPolicy,
    /// `sync.client_apps`: user changes made by any command are queued for them.
    pub client_apps: Vec<ClientAppUrl>,
    settings: GrantSettings,
    /// Without `secret_key` unless a command asks for it ([`Context::use_secret_key`]).
    keys: KeyRing,
    /// A command is one short process: nothing is kept between its calls.
    clients: ClientCache,
    throttles: ThrottleCache,
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
        Ok(Self {
            store,
            generators,
            hasher,
            redirect_policy,
            client_apps: config.sync.client_apps()?,
            settings: config.grant_settings()?,
            keys: KeyRing::without_secret_key(),
            clients: ClientCache::new(Duration::ZERO),
            throttles: ThrottleCache::new(Duration::ZERO),
        })
    }

    /// Gives the engine the `secret_key` (configured, or the development key), for the
    /// commands that seal or open stored values.
    pub fn use_secret_key(&mut self, config: &Config) -> anyhow::Result<()> {
        let (_, sealing) = crate::secret_key::resolve(config, UsedBy::Command)?;
        self.keys = KeyRing::new(sealing, Duration::ZERO, self.settings.id_token_lifetime);
        Ok(())
    }

    /// The grant engine, for the management operations.
    pub fn engine(&self) -> Engine<'_> {
        Engine {
            store: &*self.store,
            clients: &self.clients,
            generators: &self.generators,
            hasher: &self.hasher,
            settings: &self.settings,
            keys: &self.keys,
            throttles: &self.throttles,
            client_apps: &self.client_apps,
            client_address: None,
        }
    }
}
