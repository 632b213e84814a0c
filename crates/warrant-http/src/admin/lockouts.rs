//! `/api/admin/lockouts…`: brute-force counters (failed logins, client secrets and device
//! codes per login name, client, user and address), and lifting them (Keycloak's attack
//! detection endpoints).

use rocket::http::Status;
use rocket::http::uri::Origin;
use rocket::serde::json::{Value, json};
use rocket::{Route, State, delete, get, routes};
use time::OffsetDateTime;
use warrant_model::{MAX_SUBJECT_CHARS, Throttle, ThrottleKey, ThrottleKind};

use super::query::Query;
use super::users::find;
use super::{Admin, grants_error, invalid, not_found, store_error, timestamp};
use crate::AppState;
use warrant_guards::OAuthJson;

pub(super) fn routes() -> Vec<Route> {
    routes![list, clear, clear_user]
}

/// The longest subject the counters keep.
pub(super) const MAX_SUBJECT: usize = MAX_SUBJECT_CHARS;

fn throttle_json(throttle: &Throttle, now: OffsetDateTime) -> Value {
    json!({
        "kind": throttle.key.kind.as_str(),
        "subject": throttle.key.subject,
        "failures": throttle.failures,
        "last_failure_at": timestamp(throttle.last_failure_at),
        "locked_until": throttle.locked_until.map(timestamp),
        "permanent": throttle.permanent,
        "locked": throttle.is_locked(now),
    })
}

/// A kind named in a path or query.
fn parse_kind(name: &str, text: &str) -> Result<ThrottleKind, OAuthJson> {
    ThrottleKind::parse(text).map_err(|_| {
        let kinds: Vec<&str> = ThrottleKind::ALL.iter().map(|kind| kind.as_str()).collect();
        invalid(format!(
            "{name}: expected one of {}, got {text:?}",
            kinds.join(", ")
        ))
    })
}

/// A subject named in a path or query: at most 255 characters.
fn parse_subject<'a>(name: &str, text: &'a str) -> Result<&'a str, OAuthJson> {
    if text.chars().count() > MAX_SUBJECT {
        return Err(invalid(format!(
            "{name}: expected at most {MAX_SUBJECT} characters"
        )));
    }
    Ok(text)
}

#[get("/api/admin/lockouts")]
async fn list(
    _admin: Admin,
    state: &State<AppState>,
    uri: &Origin<'_>,
) -> Result<OAuthJson, OAuthJson> {
    let query = Query::parse(uri)?;
    let kind = query
        .text("kind")
        .map(|text| parse_kind("kind", text))
        .transpose()?;
    let subject = query
        .text("subject")
        .map(|text| parse_subject("subject", text))
        .transpose()?;
    let limit = query.limit()?;
    let now = OffsetDateTime::now_utc();
    let throttles = state
        .store
        .list_throttles(kind, subject, now, limit)
        .await
        .map_err(store_error)?;
    let items: Vec<Value> = throttles.iter().map(|t| throttle_json(t, now)).collect();
    Ok(OAuthJson::ok(json!({ "items": items })))
}

/// Forgets one counter and the lock it earned.
#[delete("/api/admin/lockouts/<kind>/<subject>")]
async fn clear(
    admin: Admin,
    state: &State<AppState>,
    kind: &str,
    subject: &str,
) -> Result<Status, OAuthJson> {
    let key = ThrottleKey::new(
        parse_kind("kind", kind)?,
        parse_subject("subject", subject)?,
    );
    match admin.engine(state).clear_throttle(&key).await {
        Ok(true) => Ok(Status::NoContent),
        Ok(false) => Err(not_found()),
        Err(error) => Err(grants_error(error)),
    }
}

/// Forgets every counter that concerns a user: their username and email address as login
/// names, and their device-code guesses. Addresses they used stay counted.
#[delete("/api/admin/users/<id>/lockouts")]
async fn clear_user(admin: Admin, state: &State<AppState>, id: &str) -> Result<Status, OAuthJson> {
    let user = find(state, id).await?;
    admin
        .engine(state)
        .unlock_user(&user)
        .await
        .map_err(grants_error)?;
    Ok(Status::NoContent)
}
