//! `warrant serve`.

use std::sync::Arc;

use anyhow::Context as _;
use rocket::data::{Limits, ToByteUnit};
use warrant_client_sync::Delivery;

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::context::Context;
use crate::secret_key::UsedBy;

pub async fn run(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    // What can stop the server is checked before anything is created: the issuer, the
    // port, then the key (dev mode writes its key file), then the database.
    let issuer = config.public_issuer()?;
    let serve_settings = config.serve_settings()?;
    let metrics_access = config.metrics.access(config.server.address)?;
    if config.metrics.enabled && matches!(metrics_access, warrant_http::MetricsAccess::Off) {
        tracing::info!(
            "/metrics is off on a listener beyond loopback: set metrics.bearer_token or metrics.allow to serve it"
        );
    }
    let listener = listen(&config)?;
    let (secret_key, sealing) = crate::secret_key::resolve(&config, UsedBy::Server)?;
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
    // The listener is ours (`warrant_http::serve`); Rocket only dispatches.
    let rocket_config = rocket::Config {
        limits: Limits::default()
            .limit("form", body_limit)
            .limit("json", body_limit)
            .limit("string", body_limit),
        log_level: rocket::config::LogLevel::Off,
        // Rocket trusts X-Real-IP by default; only a configured proxy's header may name
        // the address failures are counted against.
        ip_header: config.server.client_ip_header.clone().map(Into::into),
        cli_colors: false,
        ..rocket::Config::default()
    };
    let metrics = Arc::new(warrant_http::Metrics::new(env!("CARGO_PKG_VERSION")));
    let cache_time = std::time::Duration::from_secs(config.oauth2.client_cache_seconds);
    let keys = crate::keys::key_ring(&config, &secret_key, &context.grants.settings)?;
    let grants = warrant_grants::EngineParts {
        clients: warrant_grants::ClientCache::new(cache_time),
        documents: config.cimd.documents(&config.outgoing)?,
        // Clients' jwks_uri: their keys, for private_key_jwt.
        key_sets: warrant_grants::ClientKeySets::new(
            config.outgoing.client(std::time::Duration::from_secs(5))?,
        ),
        throttles: warrant_grants::ThrottleCache::new(std::time::Duration::from_secs(
            config.brute_force.cache_seconds,
        )),
        keys,
        events: metrics.clone(),
        ..context.grants
    };
    let state = warrant_http::AppState {
        store: context.store.clone(),
        grants,
        origins: warrant_grants::AllowedOrigins::new(cache_time),
        sealing,
        max_body_bytes: config.server.max_body_bytes,
        redirect_policy: context.redirect_policy,
        secure_cookies: issuer.starts_with("https://"),
        upstream: warrant_http::Upstream::new(
            warrant_upstream::providers(&config.upstream)?,
            Box::new(config.upstream_client.http_client(&config.outgoing)?),
        ),
        metrics: metrics.clone(),
        metrics_access,
    };
    // Every instance delivers; claims keep them from sending one row twice at once.
    let _pushers = match config.sync.push_settings(&config.outgoing)? {
        Some(push) => {
            tracing::info!(
                client_apps = push.client_apps.len(),
                "client sync: delivering user changes"
            );
            let sealing = warrant_generators::SealingKey::derive(&secret_key)?;
            let pusher = warrant_client_sync::Pusher::new(context.store.clone(), sealing, push)
                .observed_by(Arc::new(move |app, delivery| {
                    metrics.sync_delivery(app.as_str(), delivery_label(delivery));
                }));
            Some(pusher.spawn())
        }
        None => None,
    };
    crate::cleartokens::spawn_periodic(
        context.store.clone(),
        config.oauth2.clear_expired_tokens_interval_seconds,
        config.oauth2.clear_expired_tokens_batch_size,
        state.grants.settings.registration.clone(),
        state.grants.settings.audit,
    );
    let mut rocket = warrant_http::build(rocket_config, state);
    if let Some(customize) = &config.extensions.rocket {
        rocket = customize(rocket);
    }
    let listener = tokio::net::TcpListener::from_std(listener).context("server.port")?;
    tracing::info!(
        address = %listener.local_addr().context("server.port")?,
        %issuer,
        database = %warrant_storage::redact_url(&config.database.url),
        max_connections = serve_settings.max_connections,
        "warrant is listening"
    );
    warrant_http::serve::serve(rocket, listener, serve_settings, shutdown_signal(), GRACE)
        .await
        .context("HTTP server")?;
    context.store.close().await;
    Ok(())
}

fn delivery_label(delivery: Delivery) -> &'static str {
    match delivery {
        Delivery::Delivered => "delivered",
        Delivery::Failed => "failed",
        Delivery::GaveUp => "gave_up",
    }
}

/// How long requests in progress may finish after a shutdown signal.
const GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Binds the listener first, so a taken port fails before anything is made, naming the
/// address.
fn listen(config: &Config) -> anyhow::Result<std::net::TcpListener> {
    let address = std::net::SocketAddr::new(config.server.address, config.server.port);
    let listener = std::net::TcpListener::bind(address).with_context(|| {
        format!(
            "server.port: cannot listen on {address} (is another server running there? \
             stop it or choose another server.port)"
        )
    })?;
    listener.set_nonblocking(true).context("server.port")?;
    Ok(listener)
}

/// Completes on Ctrl-C or, on Unix, SIGTERM (what service managers send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::warn!(%error, "SIGTERM cannot be watched; stop with Ctrl-C");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down: no new connections; requests in progress may finish");
}
