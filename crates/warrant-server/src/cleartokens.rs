//! `warrant cleartokens`, and the same clean-up run periodically by `serve`: expired rows,
//! and dynamically registered clients never used (`[registration] unused_client_seconds`).

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use warrant_grants::{
    AuditPolicy, Cleared, RegistrationPolicy, clear_expired, clear_unused_registrations,
};
use warrant_storage::Store;

use crate::config::Config;
use crate::context::Context;

pub async fn run(config: &Config, batch_size: Option<u32>) -> anyhow::Result<()> {
    let settings = config.grant_settings()?;
    let context = Context::open(config, true).await?;
    let batch_size = batch_size.unwrap_or(config.oauth2.clear_expired_tokens_batch_size);
    let progress = |kind: warrant_storage::Expired, so_far: u64| {
        if so_far >= u64::from(batch_size) {
            eprintln!("… {so_far} {} deleted so far", kind.name());
        }
    };
    let now = OffsetDateTime::now_utc();
    let result = clear_expired(&*context.store, now, batch_size, settings.audit, progress).await;
    let unused = match result {
        Ok(_) => clear_unused_registrations(&*context.store, &settings.registration, now).await,
        Err(_) => Ok(0),
    };
    context.store.close().await;
    println!("{}", report(&result?, unused?));
    Ok(())
}

/// `deleted 12 rows: 3 authorization codes, 9 access tokens, …, 1 unused registered
/// clients`.
fn report(cleared: &Cleared, unused_clients: u64) -> String {
    let parts: Vec<String> = cleared
        .0
        .iter()
        .map(|(kind, n)| format!("{n} {}", kind.name()))
        .chain([format!("{unused_clients} unused registered clients")])
        .collect();
    format!(
        "deleted {} rows: {}",
        cleared.total() + unused_clients,
        parts.join(", ")
    )
}

/// Runs the clean-up every `interval` while the server runs (0: never). Several instances
/// may do this at once: deleting an already-deleted row is a no-op.
pub fn spawn_periodic(
    store: Arc<dyn Store>,
    interval_seconds: u64,
    batch_size: u32,
    registration: RegistrationPolicy,
    audit: AuditPolicy,
) {
    if interval_seconds == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(interval_seconds));
        loop {
            ticks.tick().await;
            let now = OffsetDateTime::now_utc();
            let cleared = match clear_expired(&*store, now, batch_size, audit, |_, _| {}).await {
                Ok(cleared) => cleared,
                Err(error) => {
                    tracing::warn!(%error, "clearing expired tokens failed; will retry");
                    continue;
                }
            };
            match clear_unused_registrations(&*store, &registration, now).await {
                Ok(unused) if cleared.total() + unused > 0 => {
                    tracing::info!("{}", report(&cleared, unused));
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "clearing unused registered clients failed; will retry");
                }
            }
        }
    });
}
