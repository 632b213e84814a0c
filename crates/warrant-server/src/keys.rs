//! `warrant keys list|rotate`, and the key ring `serve` signs with.

use anyhow::Context as _;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use warrant_generators::{SealingKey, import_signing_key};
use warrant_grants::{GrantSettings, KeyRing, replace_signing_key, rotate_signing_key};
use warrant_model::{Secret, SigningAlgorithm, SigningKey};

use crate::cli::KeysCommand;
use crate::config::Config;
use crate::context::Context;
use crate::secret_key::UsedBy;

/// The key ring of a running server: keys re-read every `oidc.keys_cache_seconds`, a
/// retired key published as long as a token it signed may live.
pub fn key_ring(
    config: &Config,
    secret_key: &Secret<String>,
    settings: &GrantSettings,
) -> anyhow::Result<KeyRing> {
    Ok(KeyRing::new(
        SealingKey::derive(secret_key)?,
        std::time::Duration::from_secs(config.oidc.keys_cache_seconds),
        settings
            .id_token_lifetime
            .max(settings.access_token_lifetime),
    ))
}

pub async fn run(config: &Config, command: KeysCommand) -> anyhow::Result<()> {
    let context = Context::open(config, true).await?;
    let result = match command {
        // Listing reads no private key, so it needs no secret_key.
        KeysCommand::List { json } => list(&context, json).await,
        KeysCommand::Rotate { algorithm } => rotate(config, &context, &algorithm).await,
        KeysCommand::Import {
            algorithm,
            pem_file,
        } => import(config, &context, &algorithm, &pem_file).await,
    };
    context.store.close().await;
    result
}

async fn rotate(config: &Config, context: &Context, algorithm: &str) -> anyhow::Result<()> {
    let algorithm = SigningAlgorithm::parse(algorithm)?;
    let (_, sealing) = crate::secret_key::resolve(config, UsedBy::Command)?;
    let key = rotate_signing_key(
        &*context.store,
        &sealing,
        algorithm,
        OffsetDateTime::now_utc(),
    )
    .await?;
    report_new(&key);
    Ok(())
}

async fn import(
    config: &Config,
    context: &Context,
    algorithm: &str,
    pem_file: &std::path::Path,
) -> anyhow::Result<()> {
    let algorithm = SigningAlgorithm::parse(algorithm)?;
    let (_, sealing) = crate::secret_key::resolve(config, UsedBy::Command)?;
    let pem = std::fs::read_to_string(pem_file)
        .with_context(|| format!("reading {}", pem_file.display()))?;
    let pkcs8 = import_signing_key(algorithm, &pem).context(pem_file.display().to_string())?;
    let key = replace_signing_key(
        &*context.store,
        &sealing,
        algorithm,
        &pkcs8,
        OffsetDateTime::now_utc(),
    )
    .await?;
    report_new(&key);
    Ok(())
}

fn report_new(key: &SigningKey) {
    println!(
        "new {} signing key {}; the previous one stays published until its tokens expire",
        key.algorithm, key.kid
    );
}

async fn list(context: &Context, json: bool) -> anyhow::Result<()> {
    let keys = context.store.signing_keys().await?;
    let time = |at: OffsetDateTime| at.format(&Rfc3339).unwrap_or_else(|_| at.to_string());
    if json {
        let described: Vec<_> = keys
            .iter()
            .map(|key: &SigningKey| {
                json!({
                    "kid": key.kid,
                    "algorithm": key.algorithm.as_str(),
                    "created_at": time(key.created_at),
                    "retired_at": key.retired_at.map(time),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&described)?);
        return Ok(());
    }
    println!("{:<44} {:<6} {:<21} RETIRED", "KID", "ALG", "CREATED");
    for key in keys {
        println!(
            "{:<44} {:<6} {:<21} {}",
            key.kid,
            key.algorithm.as_str(),
            time(key.created_at),
            key.retired_at.map(time).unwrap_or_else(|| "-".into())
        );
    }
    Ok(())
}
