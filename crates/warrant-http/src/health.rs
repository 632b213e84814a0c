//! Liveness and readiness for load balancers and orchestrators.

use rocket::serde::json::{Json, Value, json};
use rocket::{Route, State, get, http::Status, routes};

use crate::AppState;

pub(crate) fn routes() -> Vec<Route> {
    routes![healthz, readyz]
}

/// The process is up and serving.
#[get("/healthz")]
fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can do its work: the database answers. 503 otherwise, so a load balancer
/// stops sending traffic to this instance.
#[get("/readyz")]
async fn readyz(state: &State<AppState>) -> (Status, Json<Value>) {
    match state.store.ping().await {
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
