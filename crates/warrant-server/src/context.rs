//! What the commands share: the store and the generators, built from config.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use warrant_generators::{Generators, PasswordPool};
use warrant_model::{ClientAppUrl, RedirectUriPolicy};
use warrant_storage::{ConnectOptions, Store};

use crate::config::Config;

pub struct Context {
    pub store: Arc<dyn Store>,
    pub generators: Generators,
    pub hasher: PasswordPool,
    pub redirect_policy: RedirectUriPolicy,
    /// `sync.client_apps`: user changes made by any command are queued for them.
    pub client_apps: Vec<ClientAppUrl>,
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
        })
    }
}
