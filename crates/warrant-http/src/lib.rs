//! Warrant's Rocket frontend: it translates HTTP into calls of `warrant-grants` and
//! `warrant-storage` and their outcomes back into HTTP.
//!
//! Two users: the Warrant server, which [`build`]s its Rocket application here (the OAuth
//! and OpenID Connect endpoints, the login, consent, device and logout pages, login with
//! upstream providers, the management pages and admin API, `/api/profile/`, health). Other
//! Rocket APIs protect their routes with the request guards of `warrant-guards`, which this
//! crate uses too.
//!
//! This crate must not hold business rules: if a frontend for another framework would have
//! to copy logic out of here, that logic belongs in `warrant-grants`.

#![forbid(unsafe_code)]

mod access_log;
mod accounts;
mod address;
mod admin;
mod api_user;
mod applications;
mod authorize;
mod authorized_tokens;
mod cors;
mod device;
mod error;
mod form;
mod health;
mod html;
mod logout;
mod metrics;
mod oauth;
mod oidc;
mod pages;
mod profile;
mod registration;
pub mod serve;
mod session;
mod upstream;

use std::sync::Arc;

use rocket::shield::{Frame, Shield};
use rocket::{Build, Request, Rocket, catch, catchers, http::Status};
use warrant_generators::SealingKey;
use warrant_grants::{AllowedOrigins, Engine, EngineParts, GrantSettings};
use warrant_guards::{OAuthJson, ProtectedResource, ResourceServer};
use warrant_model::{ClientId, RedirectUriPolicy, ResourceUri};
use warrant_storage::Store;

pub use error::HttpError;
pub use metrics::{Metrics, MetricsAccess};
pub use upstream::Upstream;

/// What every request handler can reach.
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// What the grant engine works with: the client cache (`oauth2.client_cache_seconds`),
    /// the brute-force counters (`brute_force.cache_seconds`), the generators, password
    /// hashing, the settings, the keys that sign ID tokens (published as the JWKS) and the
    /// client apps that mirror users.
    pub grants: EngineParts,
    /// The origins applications allow, for CORS preflights (the client cache's time to
    /// live).
    pub origins: AllowedOrigins,
    /// Seals values that must be read back (upstream tokens, login flows), derived from
    /// `secret_key`.
    pub sealing: SealingKey,
    /// Largest accepted request body, in bytes (larger ones get 413).
    pub max_body_bytes: u64,
    /// What redirect URIs applications may register.
    pub redirect_policy: RedirectUriPolicy,
    /// Mark cookies `Secure` (the issuer is https).
    pub secure_cookies: bool,
    /// The providers users may log in with (`[upstream.<key>]`).
    pub upstream: Upstream,
    /// What this instance counts (also the engine's [`Events`](warrant_grants::Events)).
    pub metrics: Arc<Metrics>,
    /// Who may scrape `/metrics`.
    pub metrics_access: MetricsAccess,
}

impl AppState {
    /// Drops what the caches hold about an application registered, changed or deleted
    /// through this server, so the next request sees the change.
    pub fn application_changed(&self, client_id: &ClientId) {
        self.grants.clients.forget(client_id);
        self.origins.forget();
    }

    /// The grant engine over this state.
    pub fn engine(&self) -> Engine<'_> {
        self.grants.engine(&*self.store)
    }

    /// The grant engine, acting as `user` (as the audit log records).
    pub fn engine_as<'a>(&'a self, user: &'a warrant_model::User) -> Engine<'a> {
        self.engine().acting_as(warrant_grants::Actor::User(user))
    }
}

/// Builds the Rocket application on `config` (address, port, limits).
pub fn build(config: rocket::Config, state: AppState) -> Rocket<Build> {
    let store = Arc::clone(&state.store);
    // DPoP proofs name the issuer's URL: the path a proxy strips included.
    let server = ResourceServer::database(store).with_public_url(&state.grants.settings.issuer);
    let resource_server = match own_resource(&state.grants.settings) {
        Some(resource) => server.with_protected_resource(resource),
        None => server,
    };
    let request_metrics = metrics::RequestMetrics(Arc::clone(&state.metrics));
    rocket::custom(config)
        .manage(state)
        .mount("/", health::routes())
        .mount("/", metrics::routes())
        .mount("/", oauth::routes())
        .mount("/", oidc::routes())
        .mount("/", cors::routes())
        .mount("/", authorize::routes())
        .mount("/", accounts::routes())
        .mount("/", logout::routes())
        .mount("/", registration::routes())
        .mount("/", upstream::routes())
        .mount("/", device::routes())
        .mount("/", profile::routes())
        .mount("/", applications::routes())
        .mount("/", authorized_tokens::routes())
        .mount("/", admin::routes())
        .attach(Shield::default().enable(Frame::Deny))
        .attach(resource_server.fairing())
        .attach(request_metrics)
        .attach(access_log::AccessLog)
        .register("/", catchers![json_error])
}

/// Warrant's own APIs (`/api/…`, `/o/userinfo/`) as a protected resource (RFC 9728) whose
/// identifier is the issuer. Tokens requested for no resource open them, as before; a token
/// requested for other resources (RFC 8707) does not, unless it names the issuer too.
fn own_resource(settings: &GrantSettings) -> Option<ProtectedResource> {
    let identifier = ResourceUri::parse(&settings.issuer).ok()?;
    let scopes: Vec<&str> = settings
        .scopes
        .names()
        .map(|scope| scope.as_str())
        .collect();
    Some(
        ProtectedResource::new(identifier, &settings.issuer)
            .with_scopes(scopes)
            .with_name("Warrant")
            .accepting_tokens_without_audience(),
    )
}

/// Every status without a handler-made body gets a small JSON one, never an HTML page.
#[catch(default)]
fn json_error(status: Status, _request: &Request<'_>) -> OAuthJson {
    OAuthJson::status(status)
}
