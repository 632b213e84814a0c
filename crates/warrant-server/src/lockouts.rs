//! `warrant lockout list|clear|unlock-user`.

use anyhow::bail;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use warrant_model::{Throttle, ThrottleKey, ThrottleKind};

use crate::cli::LockoutCommand;
use crate::config::Config;
use crate::context::Context;

/// The most counters `list` prints.
const LIST_LIMIT: u32 = 500;

pub async fn run(config: &Config, command: LockoutCommand) -> anyhow::Result<()> {
    let context = Context::open(config, true).await?;
    let result = match command {
        LockoutCommand::List {
            kind,
            subject,
            json,
        } => list(&context, kind.as_deref(), subject.as_deref(), json).await,
        LockoutCommand::Clear { kind, subject } => clear(&context, &kind, &subject).await,
        LockoutCommand::UnlockUser { username } => unlock(&context, &username).await,
    };
    context.store.close().await;
    result
}

fn kind(text: &str) -> anyhow::Result<ThrottleKind> {
    ThrottleKind::parse(text).map_err(|_| {
        let kinds: Vec<&str> = ThrottleKind::ALL.iter().map(|kind| kind.as_str()).collect();
        anyhow::anyhow!(
            "unknown kind {text:?}: expected one of {}",
            kinds.join(", ")
        )
    })
}

fn time_text(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

/// What a counter's lock is at `now`, in words.
fn state(throttle: &Throttle, now: OffsetDateTime) -> String {
    match throttle.locked_until {
        _ if throttle.permanent => "locked until cleared".into(),
        Some(until) if until > now => format!("locked until {}", time_text(until)),
        _ => "not locked".into(),
    }
}

async fn list(
    context: &Context,
    kind_text: Option<&str>,
    subject: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let kind = kind_text.map(kind).transpose()?;
    let now = OffsetDateTime::now_utc();
    let throttles = context
        .store
        .list_throttles(kind, subject, now, LIST_LIMIT)
        .await?;
    if json {
        let rows: Vec<_> = throttles
            .iter()
            .map(|t| {
                json!({
                    "kind": t.key.kind.as_str(), "subject": t.key.subject, "failures": t.failures,
                    "last_failure_at": time_text(t.last_failure_at),
                    "locked_until": t.locked_until.map(time_text), "permanent": t.permanent,
                    "locked": t.is_locked(now),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if throttles.is_empty() {
        println!("no failures counted");
        return Ok(());
    }
    for throttle in &throttles {
        println!(
            "{} {}: {} failures, the last at {}; {}",
            throttle.key.kind,
            throttle.key.subject,
            throttle.failures,
            time_text(throttle.last_failure_at),
            state(throttle, now),
        );
    }
    Ok(())
}

async fn clear(context: &Context, kind_text: &str, subject: &str) -> anyhow::Result<()> {
    let key = ThrottleKey::new(kind(kind_text)?, subject);
    if !context.engine().clear_throttle(&key).await? {
        bail!(
            "no failures counted against {} {:?} (see warrant lockout list)",
            key.kind,
            key.subject
        );
    }
    println!("cleared {} {}", key.kind, key.subject);
    Ok(())
}

pub(crate) async fn unlock(context: &Context, username: &str) -> anyhow::Result<()> {
    let user = crate::users::find(context, username).await?;
    let cleared = context.engine().unlock_user(&user).await?;
    let plural = if cleared == 1 { "" } else { "s" };
    println!(
        "unlocked {}: {cleared} counter{plural} cleared",
        user.username
    );
    Ok(())
}
