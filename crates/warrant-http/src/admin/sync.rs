//! `/api/admin/sync`: where each client app stands (`warrant sync status` over HTTP).

use rocket::serde::json::{Value, json};
use rocket::{Route, State, get, routes};
use warrant_grants::{ClientAppStatus, sync_status};

use super::{Admin, store_error, timestamp};
use crate::AppState;
use warrant_guards::OAuthJson;

pub(super) fn routes() -> Vec<Route> {
    routes![status]
}

#[get("/api/admin/sync")]
async fn status(_admin: Admin, state: &State<AppState>) -> Result<OAuthJson, OAuthJson> {
    let statuses = sync_status(&*state.store, &state.grants.client_apps)
        .await
        .map_err(store_error)?;
    let client_apps: Vec<Value> = statuses
        .iter()
        .map(
            |ClientAppStatus {
                 status: row,
                 configured,
             }| {
                json!({
                    "target": row.target,
                    "configured": configured,
                    "pending": row.pending,
                    "dead": row.dead,
                    "oldest_pending_since": row.oldest_pending_since.map(timestamp),
                    "last_delivered_at": row.last_delivered_at.map(timestamp),
                    "last_error": row.last_error,
                })
            },
        )
        .collect();
    Ok(OAuthJson::ok(json!({ "client_apps": client_apps })))
}
