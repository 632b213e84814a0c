//! `warrant check`: what the configuration and the database disagree about. Django's
//! `manage.py check --database default`, with django-oauth-login's check of provider keys.

use std::collections::BTreeSet;

use anyhow::bail;
use warrant_grants::{sync_status, unreadable_signing_keys};
use warrant_upstream::UpstreamError;

use crate::config::Config;
use crate::context::Context;
use crate::secret_key::UsedBy;

pub async fn run(config: &Config) -> anyhow::Result<()> {
    let (_, sealing) = crate::secret_key::resolve(config, UsedBy::Command)?;
    let context = Context::open(config, true).await?;
    let result = problems(config, &context, &sealing).await;
    context.store.close().await;
    let (problems, notes) = result?;
    for warning in config.warnings() {
        println!("warning: {warning}");
    }
    for note in &notes {
        println!("note: {note}");
    }
    for problem in &problems {
        println!("problem: {problem}");
    }
    match problems.len() {
        0 => {
            println!("no problems found");
            Ok(())
        }
        1 => bail!("1 problem found"),
        n => bail!("{n} problems found"),
    }
}

fn users(count: u64) -> String {
    match count {
        1 => "1 user".into(),
        n => format!("{n} users"),
    }
}

/// The problems (exit status 1) and notes (worth knowing, not wrong).
async fn problems(
    config: &Config,
    context: &Context,
    sealing: &warrant_generators::SealingKey,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();

    if let Err(error) = config.public_issuer() {
        problems.push(format!("{error} (serve refuses to start)"));
    }
    problems.extend(unusable_providers(config).await?);

    let configured: BTreeSet<&str> = config.upstream.keys().map(String::as_str).collect();
    let orphaned: Vec<String> = context
        .store
        .providers_in_use()
        .await?
        .into_iter()
        .filter(|provider| !configured.contains(provider.as_str()))
        .map(|provider| provider.to_string())
        .collect();
    if !orphaned.is_empty() {
        problems.push(format!(
            "the database has upstream connections for providers that are not configured: {} \
             (add [upstream.<key>] back, or their users cannot log in with them)",
            orphaned.join(", ")
        ));
    }

    for client_app in sync_status(&*context.store, &context.grants.client_apps).await? {
        let status = &client_app.status;
        if !client_app.configured && status.pending + status.dead > 0 {
            problems.push(format!(
                "client sync: {} queued for {}, which is not in sync.client_apps \
                 (add it back, or they are never sent)",
                users(status.pending + status.dead),
                status.target
            ));
        } else if status.dead > 0 {
            notes.push(format!(
                "client sync: deliveries of {} to {} were given up (warrant sync retry --dead)",
                users(status.dead),
                status.target
            ));
        }
    }

    let unreadable = unreadable_signing_keys(&*context.store, sealing).await?;
    if !unreadable.is_empty() {
        problems.push(format!(
            "signing keys {} cannot be opened with this secret_key (was it changed?)",
            unreadable.join(", ")
        ));
    }
    Ok((problems, notes))
}

/// OpenID Connect providers whose discovery document does not answer, or names another
/// issuer than the configured one (the classic mistake: a Django OAuth Toolkit issuer is
/// `<site>/o`).
async fn unusable_providers(config: &Config) -> anyhow::Result<Vec<String>> {
    let http = config.upstream_client.http_client(&config.outgoing)?;
    let mut problems = Vec::new();
    for provider in warrant_upstream::providers(&config.upstream)? {
        if let Err(error) = provider.check_discovery(&http).await {
            let hint = match error {
                UpstreamError::Refused { status: 404, .. } => {
                    " (is the issuer right? A Django OAuth Toolkit issuer ends in /o)"
                }
                _ => "",
            };
            problems.push(format!(
                "upstream.{}: discovery failed: {error}{hint}",
                provider.key()
            ));
        }
    }
    Ok(problems)
}
