//! Liveness and readiness for load balancers and orchestrators.

use rocket::serde::json::{Json, Value, json};
use std::time::Duration;

use rocket::{Route, State, get, http::Status, routes};
use warrant_storage::StoreError;

use crate::AppState;

pub(crate) fn routes() -> Vec<Route> {
    routes![healthz, readyz]
}

/// The process is up and serving.
#[get("/healthz")]
fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// How long the readiness check waits for the database: a probe answers quickly either
/// way, shorter than the database's own deadline.
const READINESS_DEADLINE: Duration = Duration::from_secs(2);

/// The process can do its work: the database answers within [`READINESS_DEADLINE`]. 503
/// otherwise, so a load balancer stops sending traffic to this instance.
#[get("/readyz")]
async fn readyz(state: &State<AppState>) -> (Status, Json<Value>) {
    let ping = tokio::time::timeout(READINESS_DEADLINE, state.store.ping()).await;
    match ping.unwrap_or(Err(StoreError::TimedOut(READINESS_DEADLINE))) {
        Ok(()) => (
            Status::Ok,
            Json(json!({ "status": "ready", "database": "ok" })),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                Status::ServiceUnavailable,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}
