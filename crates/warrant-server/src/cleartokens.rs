//! `warrant cleartokens`, and the same clean-up run periodically by `serve`.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use warrant_grants::{Cleared, clear_expired};
use warrant_storage::Store;

use crate::config::Config;
use crate::context::Context;

pub async fn run(config: &Config, batch_size: Option<u32>) -> anyhow::Result<()> {
    let context = Context::open(config, true).await?;
    let batch_size = batch_size.unwrap_or(config.oauth2.clear_expired_tokens_batch_size);
    let progress = |kind: warrant_storage::Expired, so_far: u64| {
        if so_far >= u64::from(batch_size) {
            eprintln!("… {so_far} {} deleted so far", kind.name());
        }
    };
    let result = clear_expired(
        &*context.store,
        OffsetDateTime::now_utc(),
        batch_size,
        progress,
    )
    .await;
    context.store.close().await;
    println!("{}", report(&result?));
    Ok(())
}

/// `deleted 12 rows: 3 authorization codes, 9 access tokens, …`.
fn report(cleared: &Cleared) -> String {
    let parts: Vec<String> = cleared
        .0
        .iter()
        .map(|(kind, n)| format!("{n} {}", kind.name()))
        .collect();
    format!("deleted {} rows: {}", cleared.total(), parts.join(", "))
}

/// Runs the clean-up every `interval` while the server runs (0: never). Several instances
/// may do this at once: deleting an already-deleted row is a no-op.
pub fn spawn_periodic(store: Arc<dyn Store>, interval_seconds: u64, batch_size: u32) {
    if interval_seconds == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(interval_seconds));
        loop {
            ticks.tick().await;
            match clear_expired(&*store, OffsetDateTime::now_utc(), batch_size, |_, _| {}).await {
                Ok(cleared) if cleared.total() > 0 => tracing::info!("{}", report(&cleared)),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "clearing expired tokens failed; will retry"),
            }
        }
    });
}
