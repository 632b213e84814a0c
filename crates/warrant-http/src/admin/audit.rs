//! `/api/admin/audit-events`: the audit log, oldest first, filtered by action, acting user,
//! target and time, a page at a time.

use rocket::http::uri::Origin;
use rocket::serde::json::{Value, json};
use rocket::{Route, State, get, routes};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use warrant_model::{AuditAction, AuditEvent, UserId};
use warrant_storage::AuditFilter;

use super::query::Query;
use super::{Admin, invalid, listed, store_error, timestamp};
use crate::AppState;
use warrant_guards::OAuthJson;

pub(super) fn routes() -> Vec<Route> {
    routes![list]
}

fn event_json(event: &AuditEvent) -> Value {
    let kept = &event.event;
    json!({
        "id": event.id,
        "occurred_at": timestamp(kept.occurred_at),
        "action": kept.action.as_str(),
        "actor_user_id": kept.actor_user_id.map(|id| id.0),
        "actor": kept.actor,
        "target": kept.target,
        "client_address": kept.client_address,
        "detail": kept.detail,
    })
}

#[get("/api/admin/audit-events")]
async fn list(
    _admin: Admin,
    state: &State<AppState>,
    uri: &Origin<'_>,
) -> Result<OAuthJson, OAuthJson> {
    let query = Query::parse(uri)?;
    let action = match query.text("action") {
        Some(text) => Some(text.parse::<AuditAction>().map_err(|_| {
            let known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
            invalid(format!("action: {text:?} is none of {}", known.join(", ")))
        })?),
        None => None,
    };
    let filter = AuditFilter {
        action,
        actor_user_id: query.id("actor_user_id")?.map(UserId),
        target: query.text("target").map(str::to_owned),
        since: time_of(&query, "since")?,
        until: time_of(&query, "until")?,
    };
    let page = query.page()?;
    let events = state
        .store
        .audit_events(&filter, page)
        .await
        .map_err(store_error)?;
    Ok(listed(&events, page, |event| event.id, event_json))
}

/// `name` as an RFC 3339 time (`2026-12-07T16:00:00Z`).
fn time_of(query: &Query, name: &str) -> Result<Option<OffsetDateTime>, OAuthJson> {
    query
        .text(name)
        .map(|text| {
            OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
                invalid(format!(
                    "{name}: expected an RFC 3339 time such as 2026-12-07T16:00:00Z, got {text:?}"
                ))
            })
        })
        .transpose()
}
