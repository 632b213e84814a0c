//! An example client app: a small Rocket service that mirrors a Warrant server's users
//! with `warrant-client-sync`, as ocs-authentication's Django client apps do. The
//! end-to-end tests in `tests/it/client_apps.rs` run two of them beside a server.
//!
//! - `POST /authprofile/addupdateuser/`: the server delivers users here (list
//!   `http://<this app>/authprofile/` in the server's `sync.client_apps`);
//! - `POST /api/login` (form `username`, `password`): logs in with the server's password
//!   (username or email) and answers the local user with a new API token of this app;
//! - `GET /api/whoami`: the caller of `Authorization: Token <key>`, this app's token or the
//!   user's API token from the server.
//!
//! Configuration, from the environment: `CLIENT_APP_WARRANT_URL` (the server's base URL),
//! `CLIENT_APP_CLIENT_ID` and `CLIENT_APP_CLIENT_SECRET` (a confidential application of the
//! server with the password grant), `CLIENT_APP_SERVER_KEY` (the server's
//! `sync.server_key`), `CLIENT_APP_DATABASE_URL` (default `sqlite://client-app.db`),
//! `CLIENT_APP_TIMEOUT_SECONDS` (default 10), `CLIENT_APP_CA_FILE` (a private CA the
//! server's certificate is signed by), `CLIENT_APP_PASSWORD_ITERATIONS` (PBKDF2
//! rounds for remembered passwords; default Django's). Rocket reads `ROCKET_PORT` and
//! `ROCKET_ADDRESS`.

#![forbid(unsafe_code)]

use std::time::Duration;

use anyhow::Context;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::serde::json::{Json, Value, json};
use rocket::{State, get, post, routes};
use time::OffsetDateTime;
use warrant_client_sync::client_app::{
    ApiTokenUser, ClientAppSettings, ClientSync, MirrorStore, MirroredUser, catchers,
    routes as sync_routes,
};
use warrant_generators::PasswordHasher;
use warrant_model::Secret;

/// Liveness, for whoever starts the app.
#[get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}

fn user_json(user: &MirroredUser) -> Value {
    json!({
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    })
}

/// The caller of an API token.
#[get("/api/whoami")]
fn whoami(caller: ApiTokenUser) -> Json<Value> {
    Json(user_json(&caller.0))
}

#[derive(FromForm)]
struct Login {
    username: String,
    password: String,
}

/// A login checked by the server; the answer carries a new API token of this app.
#[post("/api/login", data = "<login>")]
async fn login(sync: &State<ClientSync>, login: Form<Login>) -> (Status, Json<Value>) {
    let password = Secret::new(login.password.clone());
    let user = match sync.authenticate(&login.username, &password).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return (
                Status::Unauthorized,
                Json(json!({ "detail": "Invalid credentials." })),
            );
        }
        Err(error) => {
            return (
                Status::BadGateway,
                Json(json!({ "detail": error.to_string() })),
            );
        }
    };
    match sync
        .store()
        .create_app_token(user.id, OffsetDateTime::now_utc())
        .await
    {
        Ok(token) => {
            let mut answer = user_json(&user);
            answer["token"] = json!(token.expose());
            (Status::Ok, Json(answer))
        }
        Err(error) => (
            Status::ServiceUnavailable,
            Json(json!({ "detail": error.to_string() })),
        ),
    }
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set"))
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}: not a number")),
        Err(_) => Ok(default),
    }
}

async fn client_sync() -> anyhow::Result<ClientSync> {
    let mut settings = ClientAppSettings::from_server(
        &env("CLIENT_APP_WARRANT_URL")?,
        &env("CLIENT_APP_CLIENT_ID")?,
        Secret::new(env("CLIENT_APP_CLIENT_SECRET")?),
        Secret::new(env("CLIENT_APP_SERVER_KEY")?),
    )?;
    settings.requests_timeout = Duration::from_secs(env_number("CLIENT_APP_TIMEOUT_SECONDS", 10)?);
    if let Ok(path) = std::env::var("CLIENT_APP_CA_FILE") {
        settings.trusted_ca_pem =
            std::fs::read(&path).with_context(|| format!("CLIENT_APP_CA_FILE: {path}"))?;
    }
    let database = std::env::var("CLIENT_APP_DATABASE_URL")
        .unwrap_or_else(|_| "sqlite://client-app.db".into());
    let store = MirrorStore::connect(&database)
        .await
        .with_context(|| format!("opening {database}"))?;
    let iterations = env_number(
        "CLIENT_APP_PASSWORD_ITERATIONS",
        PasswordHasher::DEFAULT_ITERATIONS,
    )?;
    let hasher = PasswordHasher::new(iterations).context("CLIENT_APP_PASSWORD_ITERATIONS")?;
    Ok(ClientSync::start(settings, store)
        .await?
        .with_password_hasher(hasher))
}

#[rocket::main]
async fn main() -> anyhow::Result<()> {
    rocket::build()
        .manage(client_sync().await?)
        .register("/", catchers())
        .mount("/authprofile", sync_routes())
        .mount("/", routes![healthz, whoami, login])
        .launch()
        .await?;
    Ok(())
}
