//! Warrant's Rocket frontend: it translates HTTP into calls of `warrant-grants` and
//! `warrant-storage` and their outcomes back into HTTP.
//!
//! So far: liveness (`GET /healthz`) and readiness (`GET /readyz`, which asks the
//! database), and JSON bodies for every error status. The OAuth endpoints, pages, guards,
//! sessions and CSRF protection join it with the authorization-server issue.
//!
//! This crate must not hold business rules: if a frontend for another framework would have
//! to copy logic out of here, that logic belongs in `warrant-grants`.

#![forbid(unsafe_code)]

mod health;

use std::sync::Arc;

use rocket::serde::json::{Json, Value, json};
use rocket::{Build, Request, Rocket, catch, catchers, http::Status};
use warrant_storage::Store;

/// What every request handler can reach.
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
}

/// Builds the Rocket application on `config` (address, port, limits).
pub fn build(config: rocket::Config, state: AppState) -> Rocket<Build> {
    rocket::custom(config)
        .manage(state)
        .mount("/", health::routes())
        .register("/", catchers![json_error])
}

/// Every status without a handler-made body gets a small JSON one, never an HTML page.
#[catch(default)]
fn json_error(status: Status, _request: &Request<'_>) -> (Status, Json<Value>) {
    let reason = status.reason().unwrap_or("error");
    (
        status,
        Json(json!({ "error": reason.to_lowercase().replace(' ', "_") })),
    )
}
