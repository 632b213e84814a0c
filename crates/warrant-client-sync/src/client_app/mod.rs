//! The client-app half (feature `client-app`), for Rocket services that mirror a Warrant
//! server's users as ocs-authentication's Django client apps do:
//!
//! - [`routes`]: `POST addupdateuser/`, where the server delivers user records, behind
//!   [`IsServer`] (`Authorization: Server <key>`, compared in constant time);
//! - [`MirrorStore`]: the users, their flags and the hash of their API token, in the app's
//!   SQLite or PostgreSQL database (own migrations, own migrations table);
//! - [`ClientSync::authenticate`]: a login checked by the server (password grant, then
//!   `/api/profile/`), creating or updating the local user;
//! - [`ApiTokenUser`]: `Authorization: Token <key>`, the app's own tokens first, then the
//!   mirrored API token; inactive users refused;
//! - [`catchers`]: the refusals as Django REST framework writes them (`{"detail": …}`).
//!
//! ```no_run
//! # async fn app() -> Result<(), Box<dyn std::error::Error>> {
//! use warrant_client_sync::client_app::{ApiTokenUser, ClientAppSettings, ClientSync, MirrorStore};
//!
//! #[rocket::get("/api/whoami")]
//! fn whoami(user: ApiTokenUser) -> String {
//!     user.0.username
//! }
//!
//! let settings = ClientAppSettings::from_server(
//!     "https://warrant.example",
//!     "client-id",
//!     "client-secret".to_owned().into(),
//!     "the-shared-server-key".to_owned().into(),
//! )?;
//! let store = MirrorStore::connect("sqlite://app.db").await?;
//! let sync = ClientSync::start(settings, store).await?;
//! let _rocket = rocket::build()
//!     .manage(sync)
//!     .register("/", warrant_client_sync::client_app::catchers())
//!     .mount("/authprofile", warrant_client_sync::client_app::routes())
//!     .mount("/", rocket::routes![whoami]);
//! # Ok(()) }
//! ```

mod authenticate;
mod guards;
mod record;
mod routes;
mod store;

use std::time::Duration;

use url::Url;
use warrant_generators::{HashingLimits, PasswordHasher, PasswordPool};
use warrant_model::Secret;
use warrant_outgoing::{Client, ClientOptions};

use crate::SyncError;

pub use guards::{ApiTokenUser, IsServer, catchers};
pub use record::{ProfileFlags, Tokens, UserRecord};
pub use routes::routes;
pub use store::{MirrorStore, MirroredUser};

/// ocs-authentication's `OCS_AUTHENTICATION` settings.
#[derive(Debug, Clone)]
pub struct ClientAppSettings {
    /// `OAUTH_SERVER_KEY`: what the server sends as `Authorization: Server <key>`.
    pub server_key: Secret<String>,
    /// `OAUTH_TOKEN_URL`: the server's token endpoint (`…/o/token/`).
    pub token_url: Url,
    /// `OAUTH_PROFILE_URL`: the server's `…/api/profile/`.
    pub profile_url: Url,
    /// `OAUTH_CLIENT_ID`: this app's application at the server (with the password grant).
    pub client_id: String,
    /// `OAUTH_CLIENT_SECRET`.
    pub client_secret: Secret<String>,
    /// `REQUESTS_TIMEOUT_SECONDS`: the deadline of each call to the server.
    pub requests_timeout: Duration,
    /// PEM certificates to trust besides the public roots, for a server behind a private
    /// CA (Python's `REQUESTS_CA_BUNDLE`).
    pub trusted_ca_pem: Vec<u8>,
    /// Allow plain `http` to a server that is not on loopback (passwords and tokens then
    /// cross the network in clear).
    pub allow_insecure_http: bool,
}

impl ClientAppSettings {
    /// The settings for a Warrant server at `server` (its token and profile URLs derived),
    /// with a 10-second timeout.
    pub fn from_server(
        server: &str,
        client_id: &str,
        client_secret: Secret<String>,
        server_key: Secret<String>,
    ) -> Result<Self, SyncError> {
        let base = Url::parse(&format!("{}/", server.trim_end_matches('/')))
            .map_err(|error| SyncError::Settings(format!("{server}: {error}")))?;
        let join = |path: &str| {
            base.join(path)
                .map_err(|error| SyncError::Settings(format!("{server}: {error}")))
        };
        Ok(Self {
            server_key,
            token_url: join("o/token/")?,
            profile_url: join("api/profile/")?,
            client_id: client_id.to_owned(),
            client_secret,
            requests_timeout: Duration::from_secs(10),
            trusted_ca_pem: Vec::new(),
            allow_insecure_http: false,
        })
    }
}

/// What the routes and guards use; put it in Rocket's managed state.
pub struct ClientSync {
    settings: ClientAppSettings,
    store: MirrorStore,
    http: Client,
    hasher: PasswordPool,
}

impl ClientSync {
    /// Applies the mirror's migrations and gets ready; the server's URLs must be `https`
    /// (or loopback, or insecure http allowed).
    pub async fn start(settings: ClientAppSettings, store: MirrorStore) -> Result<Self, SyncError> {
        let http = Client::new(&ClientOptions {
            timeout: settings.requests_timeout,
            trusted_pem: settings.trusted_ca_pem.clone(),
            allow_insecure_http: settings.allow_insecure_http,
        })
        .map_err(|error| SyncError::Settings(error.to_string()))?;
        for url in [&settings.token_url, &settings.profile_url] {
            http.check_url(url)
                .map_err(|error| SyncError::Settings(error.to_string()))?;
        }
        store.migrate().await?;
        Ok(Self {
            http,
            settings,
            store,
            hasher: PasswordPool::new(PasswordHasher::default(), HashingLimits::default()),
        })
    }

    /// Uses `hasher` for remembered passwords (tests use fewer iterations), off the async
    /// runtime as always.
    pub fn with_password_hasher(mut self, hasher: PasswordHasher) -> Self {
        self.hasher = PasswordPool::new(hasher, HashingLimits::default());
        self
    }

    /// The mirror.
    pub fn store(&self) -> &MirrorStore {
        &self.store
    }
}
