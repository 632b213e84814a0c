//! An example API protected by Warrant's request guards: each guard protects one route
//! here, and the end-to-end tests in `tests/it/guards.rs` show what each accepts and
//! refuses. `/mcp` serves the library to MCP clients (`mcp.rs`).
//!
//! Rocket reads its own settings (`ROCKET_PORT`, `ROCKET_ADDRESS`, …). Tokens are checked
//! against Warrant's database when `MUSIC_API_DATABASE_URL` is set, otherwise through
//! Warrant's introspection endpoint: `MUSIC_API_INTROSPECTION_URL`,
//! `MUSIC_API_CLIENT_ID`, `MUSIC_API_CLIENT_SECRET` (a confidential application of the
//! Warrant server), `MUSIC_API_CACHE_SECONDS` (default 10) and `MUSIC_API_CA_FILE` (a
//! private CA to trust).
//!
//! With `MUSIC_API_RESOURCE` (its resource identifier, e.g. `https://music.example.com/`)
//! and `MUSIC_API_AUTHORIZATION_SERVER` (Warrant's issuer) it publishes its protected-
//! resource metadata (RFC 9728), names it in its challenges, and takes only tokens issued
//! for it (RFC 8707): what an MCP client needs to find Warrant and ask it for a token.
//!
//! Built with `--no-default-features` it checks tokens by introspection only and compiles
//! nothing of sqlx or Warrant's storage and grant engine.

#![forbid(unsafe_code)]

mod mcp;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::Context;
use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{State, get, options, post, put, routes};
use url::Url;
use warrant_guards::{
    BearerToken, ClientOptions, IntrospectionClient, IsAdminOrReadOnly,
    IsAuthenticatedOrTokenHasScope, ProtectedResource, ResourceServer, TokenHasReadWriteScope,
    TokenHasResourceScope, TokenHasScope, required_scopes,
};
use warrant_model::{ClientId, ResourceUri, Secret};

required_scopes!(Music = ["music"]);
required_scopes!(Stats = ["read", "stats"]);
required_scopes!(Playlists = ["playlists"]);

/// The API's data, kept in memory: this is an example of the guards, not of storage.
#[derive(Default)]
struct Library {
    albums: Mutex<Vec<String>>,
    songs: Mutex<Vec<String>>,
    charts: Mutex<Vec<String>>,
}

/// A list of the library; a panicking holder cannot leave a `Vec` half-changed.
fn lock(list: &Mutex<Vec<String>>) -> MutexGuard<'_, Vec<String>> {
    list.lock().unwrap_or_else(PoisonError::into_inner)
}

fn listed(list: &Mutex<Vec<String>>) -> Json<Value> {
    Json(json!(*lock(list)))
}

fn added(list: &Mutex<Vec<String>>, title: &str) -> (Status, Json<Value>) {
    lock(list).push(title.to_owned());
    (Status::Created, Json(json!({ "title": title })))
}

/// Liveness, for whoever starts the API.
#[get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}

/// Any live token: what it says about itself.
#[get("/whoami")]
fn whoami(token: BearerToken) -> Json<Value> {
    Json(json!({
        "client_id": token.client_id.as_str(),
        "username": token.username.as_ref().map(|name| name.as_str()),
        "scopes": token.scopes,
    }))
}

/// `read` to list, `write` to add (`TokenHasReadWriteScope`).
#[get("/albums")]
fn albums(_access: TokenHasReadWriteScope, library: &State<Library>) -> Json<Value> {
    listed(&library.albums)
}

#[post("/albums", data = "<title>")]
fn add_album(
    _access: TokenHasReadWriteScope,
    library: &State<Library>,
    title: &str,
) -> (Status, Json<Value>) {
    added(&library.albums, title)
}

/// A CORS preflight passes the guard without a token.
#[options("/albums")]
fn albums_preflight(_access: TokenHasReadWriteScope) -> Status {
    Status::NoContent
}

/// `music:read` to list, `music:write` to add (`TokenHasResourceScope`).
#[get("/songs")]
fn songs(_access: TokenHasResourceScope<Music>, library: &State<Library>) -> Json<Value> {
    listed(&library.songs)
}

#[post("/songs", data = "<title>")]
fn add_song(
    _access: TokenHasResourceScope<Music>,
    library: &State<Library>,
    title: &str,
) -> (Status, Json<Value>) {
    added(&library.songs, title)
}

/// Both `read` and `stats` (`TokenHasScope`).
#[get("/stats")]
fn stats(_access: TokenHasScope<Stats>, library: &State<Library>) -> Json<Value> {
    let count = |list: &Mutex<Vec<String>>| lock(list).len();
    Json(json!({ "albums": count(&library.albums), "songs": count(&library.songs) }))
}

/// A user logged in to Warrant, or a token with `playlists`
/// (`IsAuthenticatedOrTokenHasScope`).
#[get("/playlists")]
fn playlists(access: IsAuthenticatedOrTokenHasScope<Playlists>) -> Json<Value> {
    let user = access.user.as_ref().map(|user| user.username.as_str());
    let via = if access.token.is_some() {
        "token"
    } else {
        "session"
    };
    Json(json!({ "owner": user, "authenticated_by": via, "playlists": [] }))
}

/// Anyone reads the charts; only staff change them (`IsAdminOrReadOnly`).
#[get("/charts")]
fn charts(_access: IsAdminOrReadOnly, library: &State<Library>) -> Json<Value> {
    listed(&library.charts)
}

#[put("/charts", data = "<title>")]
fn set_charts(
    _access: IsAdminOrReadOnly,
    library: &State<Library>,
    title: &str,
) -> (Status, Json<Value>) {
    lock(&library.charts).clear();
    added(&library.charts, title)
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set"))
}

/// The resource server the environment describes.
async fn resource_server() -> anyhow::Result<ResourceServer> {
    let server = token_source().await?;
    Ok(match std::env::var("MUSIC_API_RESOURCE") {
        Ok(identifier) => {
            let resource = ResourceUri::parse(&identifier).context("MUSIC_API_RESOURCE")?;
            let issuer = env("MUSIC_API_AUTHORIZATION_SERVER")?;
            server.with_protected_resource(
                ProtectedResource::new(resource, &issuer)
                    .with_scopes(SCOPES)
                    .with_name("Music API"),
            )
        }
        Err(_) => server,
    })
}

/// Every scope a route here asks for.
const SCOPES: [&str; 6] = [
    "read",
    "write",
    "music:read",
    "music:write",
    "stats",
    "playlists",
];

/// Where tokens are checked: Warrant's database, or its introspection endpoint.
async fn token_source() -> anyhow::Result<ResourceServer> {
    if let Ok(url) = std::env::var("MUSIC_API_DATABASE_URL") {
        return database(&url).await;
    }
    let endpoint =
        Url::parse(&env("MUSIC_API_INTROSPECTION_URL")?).context("MUSIC_API_INTROSPECTION_URL")?;
    let client_id = ClientId::parse(&env("MUSIC_API_CLIENT_ID")?).context("MUSIC_API_CLIENT_ID")?;
    let secret = Secret::new(env("MUSIC_API_CLIENT_SECRET")?);
    let cache_seconds = match std::env::var("MUSIC_API_CACHE_SECONDS") {
        Ok(seconds) => seconds.parse().context("MUSIC_API_CACHE_SECONDS")?,
        Err(_) => 10,
    };
    let mut options = ClientOptions::new(Duration::from_secs(5));
    if let Ok(path) = std::env::var("MUSIC_API_CA_FILE") {
        options.trusted_pem =
            std::fs::read(&path).with_context(|| format!("MUSIC_API_CA_FILE: {path}"))?;
    }
    let client = IntrospectionClient::with_options(&endpoint, &client_id, &secret, &options)?
        .cache_for(Duration::from_secs(cache_seconds));
    Ok(ResourceServer::introspection(client))
}

/// Checks tokens in Warrant's database at `url`.
#[cfg(feature = "database")]
async fn database(url: &str) -> anyhow::Result<ResourceServer> {
    let options = warrant_storage::ConnectOptions::default();
    let store = warrant_storage::connect(url, &options)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    Ok(ResourceServer::database(store))
}

#[cfg(not(feature = "database"))]
async fn database(_url: &str) -> anyhow::Result<ResourceServer> {
    anyhow::bail!(
        "MUSIC_API_DATABASE_URL is set, but music-api was built without its `database` feature: unset it, or build with the feature"
    )
}

#[rocket::main]
async fn main() -> anyhow::Result<()> {
    rocket::build()
        .attach(resource_server().await?.fairing())
        .manage(Library::default())
        .mount(
            "/",
            routes![
                healthz,
                whoami,
                albums,
                add_album,
                albums_preflight,
                songs,
                add_song,
                stats,
                playlists,
                charts,
                set_charts
            ],
        )
        .mount("/", mcp::routes())
        .launch()
        .await?;
    Ok(())
}
