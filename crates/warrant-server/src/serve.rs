//! `warrant serve`.

use anyhow::Context as _;
use rocket::data::{Limits, ToByteUnit};
use rocket::fairing::AdHoc;

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::context::Context;
use crate::secret_key::UsedBy;

pub async fn run(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    // What can stop the server is checked before anything is created: the issuer, the
    // port, then the key (dev mode writes its key file), then the database.
    let issuer = config.public_issuer()?;
    ensure_port_free(&config)?;
    let (secret_key, sealing) = crate::secret_key::resolve(&config, UsedBy::Server)?;
    let settings = config.grant_settings()?;
    let context = Context::open(&config, !args.no_migrate).await?;
    let created = warrant_grants::ensure_signing_keys(
        &*context.store,
        &sealing,
        &warrant_model::SigningAlgorithm::ALL,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    for key in created {
        tracing::info!(kid = %key.kid, algorithm = %key.algorithm, "signing key created");
    }
    if args.demo {
        println!("{}", crate::demo::seed(&context, &issuer).await?);
    }
    let body_limit = config.server.max_body_bytes.bytes();
    let rocket_config = rocket::Config {
        address: config.server.address,
        port: config.server.port,
        limits: Limits::default()
            .limit("form", body_limit)
            .limit("json", body_limit)
            .limit("string", body_limit),
        log_level: rocket::config::LogLevel::Off,
        cli_colors: false,
        ..rocket::Config::default()
    };
    let cache_time = std::time::Duration::from_secs(config.oauth2.client_cache_seconds);
    let state = warrant_http::AppState {
        store: context.store.clone(),
        clients: warrant_grants::ClientCache::new(cache_time),
        origins: warrant_grants::AllowedOrigins::new(cache_time),
        generators: context.generators.clone(),
        hasher: context.hasher,
        sealing,
        keys: crate::keys::key_ring(&config, &secret_key, &settings)?,
        settings,
        max_body_bytes: config.server.max_body_bytes,
        redirect_policy: context.redirect_policy,
        secure_cookies: issuer.starts_with("https://"),
        client_apps: context.client_apps.clone(),
        upstream: warrant_http::Upstream::new(
            warrant_upstream::providers(&config.upstream)?,
            Box::new(config.upstream_client.http_client()?),
        ),
    };
    // Every instance delivers; claims keep them from sending one row twice at once.
    let _pushers = match config.sync.push_settings()? {
        Some(push) => {
            tracing::info!(
                client_apps = push.client_apps.len(),
                "client sync: delivering user changes"
            );
            let sealing = warrant_generators::SealingKey::derive(&secret_key)?;
            Some(warrant_client_sync::Pusher::new(context.store.clone(), sealing, push).spawn())
        }
        None => None,
    };
    crate::cleartokens::spawn_periodic(
        context.store.clone(),
        config.oauth2.clear_expired_tokens_interval_seconds,
        config.oauth2.clear_expired_tokens_batch_size,
    );
    let database = warrant_storage::redact_url(&config.database.url);
    let rocket = warrant_http::build(rocket_config, state).attach(AdHoc::on_liftoff("log", move |rocket| {
        Box::pin(async move {
            let config = rocket.config();
            tracing::info!(address = %config.address, port = config.port, %issuer, %database, "warrant is listening");
        })
    }));
    rocket.launch().await.context("HTTP server")?;
    context.store.close().await;
    Ok(())
}

/// Fails, naming the address, when the listener's port is taken. Rocket would say so only
/// after the key file, the database and the signing keys were made, and without naming it.
fn ensure_port_free(config: &Config) -> anyhow::Result<()> {
    let address = std::net::SocketAddr::new(config.server.address, config.server.port);
    std::net::TcpListener::bind(address)
        .map(drop)
        .with_context(|| {
            format!(
                "server.port: cannot listen on {address} (is another server running there? \
                 stop it or choose another server.port)"
            )
        })
}
