//! Warrant's Rocket frontend: it translates HTTP into calls of `warrant-grants` and
//! `warrant-storage` and their outcomes back into HTTP.
//!
//! So far: the token, revocation and introspection endpoints (`POST /o/token/`,
//! `/o/revoke_token/`, `/o/introspect/`), liveness (`GET /healthz`) and readiness
//! (`GET /readyz`), and JSON bodies for every error status. The authorization endpoint,
//! login and consent pages, guards, sessions and CSRF protection come next.
//!
//! This crate must not hold business rules: if a frontend for another framework would have
//! to copy logic out of here, that logic belongs in `warrant-grants`.

#![forbid(unsafe_code)]

mod accounts;
mod authorize;
mod form;
mod health;
mod html;
mod oauth;
mod oauth_response;
mod profile;
mod session;

use std::sync::Arc;

use rocket::serde::json::{Json, Value, json};
use rocket::shield::{Frame, Shield};
use rocket::{Build, Request, Rocket, catch, catchers, http::Status};
use warrant_generators::{Generators, PasswordHasher, SealingKey};
use warrant_grants::{ClientCache, Engine, GrantSettings};
use warrant_storage::Store;

pub use oauth_response::status_of;

/// What every request handler can reach.
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Applications recently read (`oauth2.client_cache_seconds`).
    pub clients: ClientCache,
    /// Token and secret generators.
    pub generators: Generators,
    /// User password hashing.
    pub hasher: PasswordHasher,
    /// Seals values that must be read back (API tokens), derived from `secret_key`.
    pub sealing: SealingKey,
    /// Lifetimes, rotation, scopes.
    pub settings: GrantSettings,
    /// Largest accepted request body, in bytes (larger ones get 413).
    pub max_body_bytes: u64,
    /// Mark cookies `Secure` (the issuer is https).
    pub secure_cookies: bool,
}

impl AppState {
    /// The grant engine over this state.
    pub fn engine(&self) -> Engine<'_> {
        Engine {
            store: &*self.store,
            clients: &self.clients,
            generators: &self.generators,
            hasher: &self.hasher,
            settings: &self.settings,
        }
    }
}

/// Builds the Rocket application on `config` (address, port, limits).
pub fn build(config: rocket::Config, state: AppState) -> Rocket<Build> {
    rocket::custom(config)
        .manage(state)
        .mount("/", health::routes())
        .mount("/", oauth::routes())
        .mount("/", authorize::routes())
        .mount("/", accounts::routes())
        .mount("/", profile::routes())
        .attach(Shield::default().enable(Frame::Deny))
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
