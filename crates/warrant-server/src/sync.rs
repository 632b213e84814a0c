//! `warrant sync status|retry|push-all`.

use anyhow::bail;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use warrant_grants::{ClientAppStatus, sync_status};
use warrant_model::ClientAppUrl;
use warrant_storage::SyncTo;

use crate::cli::SyncCommand;
use crate::config::Config;
use crate::context::Context;

pub async fn run(config: &Config, command: SyncCommand) -> anyhow::Result<()> {
    let context = Context::open(config, true).await?;
    let result = match command {
        SyncCommand::Status { json } => status(&context, json).await,
        SyncCommand::Retry { dead, target } => retry(&context, dead, target).await,
        SyncCommand::PushAll { target } => push_all(&context, target).await,
    };
    context.store.close().await;
    result
}

fn time_text(time: Option<OffsetDateTime>) -> String {
    time.and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".into())
}

async fn status(context: &Context, json: bool) -> anyhow::Result<()> {
    let statuses = sync_status(&*context.store, &context.grants.client_apps).await?;
    let now = OffsetDateTime::now_utc();
    if json {
        let rows: Vec<_> = statuses
            .iter()
            .map(|ClientAppStatus { status, configured }| {
                json!({
                    "target": status.target, "configured": configured,
                    "pending": status.pending, "dead": status.dead,
                    "oldest_pending_since": status.oldest_pending_since.and_then(|t| t.format(&Rfc3339).ok()),
                    "oldest_age_seconds": status.oldest_pending_since.map(|t| (now - t).whole_seconds()),
                    "last_delivered_at": status.last_delivered_at.and_then(|t| t.format(&Rfc3339).ok()),
                    "last_error": status.last_error,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if statuses.is_empty() {
        println!("no client apps (sync.client_apps is empty and nothing is queued)");
        return Ok(());
    }
    for ClientAppStatus { status, configured } in statuses {
        let note = if configured { "" } else { " (not configured)" };
        let oldest = match status.oldest_pending_since {
            Some(since) => format!("{} s", (now - since).whole_seconds()),
            None => "-".into(),
        };
        println!("{}{note}", status.target);
        println!(
            "  pending {}  dead {}  oldest undelivered {oldest}  last delivery {}",
            status.pending,
            status.dead,
            time_text(status.last_delivered_at)
        );
        if let Some(error) = status.last_error {
            println!("  last error: {error}");
        }
    }
    Ok(())
}

async fn retry(context: &Context, dead: bool, target: Option<String>) -> anyhow::Result<()> {
    let target = target.map(|url| ClientAppUrl::parse(&url)).transpose()?;
    let now = OffsetDateTime::now_utc();
    let changed = context
        .store
        .retry_outbox(dead, target.as_ref().map(ClientAppUrl::as_str), now)
        .await?;
    let what = if dead { "dead" } else { "pending" };
    println!("{changed} {what} deliveries are due now");
    Ok(())
}

async fn push_all(context: &Context, target: Option<String>) -> anyhow::Result<()> {
    let client_apps = match target {
        Some(url) => {
            let app = ClientAppUrl::parse(&url)?;
            if !context.grants.client_apps.contains(&app) {
                bail!("{app} is not one of sync.client_apps");
            }
            vec![app]
        }
        None if context.grants.client_apps.is_empty() => bail!("sync.client_apps is empty"),
        None => context.grants.client_apps.clone(),
    };
    let sync = SyncTo {
        client_apps: &client_apps,
        now: OffsetDateTime::now_utc(),
    };
    let users = context.store.mark_all_users_for_sync(sync).await?;
    println!(
        "{users} users queued for {} client app(s); a running server sends them",
        client_apps.len()
    );
    Ok(())
}
