//! `POST addupdateuser/`: where the server delivers user records (ocs-authentication's
//! `AddUpdateUserView`). Mount it where the server's `sync.client_apps` entry points.

use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{Route, State, post, routes};
use time::OffsetDateTime;

use super::record::not_a_record;
use super::{ClientSync, IsServer, UserRecord};

/// The routes to mount (one: `addupdateuser/`).
pub fn routes() -> Vec<Route> {
    routes![add_update_user]
}

/// Reads the body as JSON whatever its content type, as ocs-authentication does (its server
/// sends none).
#[post("/addupdateuser", data = "<body>")]
async fn add_update_user(
    _server: IsServer,
    sync: &State<ClientSync>,
    body: Vec<u8>,
) -> (Status, Json<Value>) {
    let record: UserRecord = match serde_json::from_slice(&body) {
        Ok(record) => record,
        Err(error) => {
            return (
                Status::BadRequest,
                Json(json!({ "detail": not_a_record(&error) })),
            );
        }
    };
    if record.username.is_empty() {
        return (
            Status::BadRequest,
            Json(json!({ "detail": "the record has no username" })),
        );
    }
    match sync.store.upsert(&record, OffsetDateTime::now_utc()).await {
        Ok(user) => {
            tracing::info!(username = %user.username, "client sync: user record received");
            (
                Status::Ok,
                Json(json!({ "message": "User account updated" })),
            )
        }
        Err(error) => {
            tracing::warn!(%error, "client sync: cannot store a user record");
            (
                Status::ServiceUnavailable,
                Json(json!({ "detail": "the user mirror is unavailable" })),
            )
        }
    }
}
