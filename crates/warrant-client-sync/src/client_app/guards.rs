//! Request guards: [`IsServer`] for what the server delivers, [`ApiTokenUser`] for the
//! app's API callers.

use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder};
use rocket::serde::json::{Json, json};
use rocket::{Catcher, catch, catchers};
use warrant_generators::{constant_time_eq, hash_token};

use super::{ClientSync, MirroredUser};

/// The request carries `Authorization: Server <key>` with this app's server key
/// (ocs-authentication's `IsServer`). Without the header: 401; with another key: 403.
#[derive(Debug)]
pub struct IsServer;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IsServer {
    type Error = &'static str;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let (sync, key) =
            match sync_and_credential(request, "Server", "Invalid or missing API Key.") {
                Ok(found) => found,
                Err(refusal) => return refusal,
            };
        if constant_time_eq(key.as_bytes(), sync.settings.server_key.expose().as_bytes()) {
            Outcome::Success(Self)
        } else {
            tracing::warn!("client sync: a delivery with a wrong server key was refused");
            refuse(request, Status::Forbidden, "Invalid or missing API Key.")
        }
    }
}

/// The user of an `Authorization: Token <key>` header: one of the app's own API tokens,
/// else the user's API token mirrored from the server (ocs-authentication's
/// `OCSTokenAuthentication`). Unknown tokens and inactive users: 401.
#[derive(Debug)]
pub struct ApiTokenUser(pub MirroredUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiTokenUser {
    type Error = &'static str;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let (sync, key) = match sync_and_credential(
            request,
            "Token",
            "Authentication credentials were not provided.",
        ) {
            Ok(found) => found,
            Err(refusal) => return refusal,
        };
        let hash = hash_token(key);
        let found = match sync.store.user_by_app_token(&hash).await {
            Ok(Some(user)) => Ok(Some(user)),
            Ok(None) => sync.store.user_by_api_token(&hash).await,
            Err(error) => Err(error),
        };
        match found {
            Ok(Some(user)) if user.is_active => Outcome::Success(Self(user)),
            Ok(Some(_)) => refuse(request, Status::Unauthorized, "User inactive or deleted."),
            Ok(None) => refuse(request, Status::Unauthorized, "Invalid token."),
            Err(error) => {
                tracing::warn!(%error, "client sync: the mirror cannot be read");
                refuse(
                    request,
                    Status::ServiceUnavailable,
                    "The user mirror is unavailable.",
                )
            }
        }
    }
}

/// The managed [`ClientSync`] and the credential of `Authorization: <scheme> <value>`;
/// else the refusal: 500 when the app does not manage a `ClientSync`, 401 with `missing`
/// without such a header.
fn sync_and_credential<'r, T>(
    request: &'r Request<'_>,
    scheme: &str,
    missing: &'static str,
) -> Result<(&'r ClientSync, &'r str), Outcome<T, &'static str>> {
    let Some(sync) = request.rocket().state::<ClientSync>() else {
        return Err(refuse(
            request,
            Status::InternalServerError,
            "ClientSync is not managed",
        ));
    };
    match credential(request, scheme) {
        Some(key) => Ok((sync, key)),
        None => Err(refuse(request, Status::Unauthorized, missing)),
    }
}

/// The value of `Authorization: <scheme> <value>`, one word after the scheme.
fn credential<'r>(request: &'r Request<'_>, scheme: &str) -> Option<&'r str> {
    let header = request.headers().get_one("Authorization")?;
    let (given, value) = header.split_once(' ')?;
    let value = value.trim();
    (given.eq_ignore_ascii_case(scheme) && !value.is_empty() && !value.contains(' '))
        .then_some(value)
}

/// Why a guard refused this request, kept for the catcher (Rocket hands a guard's error to
/// no one).
struct Refusal(Option<&'static str>);

fn refuse<T>(
    request: &Request<'_>,
    status: Status,
    detail: &'static str,
) -> Outcome<T, &'static str> {
    request.local_cache(|| Refusal(Some(detail)));
    Outcome::Error((status, detail))
}

/// The catchers that answer the guards' refusals as Django REST framework does:
/// `{"detail": …}`, and `WWW-Authenticate: Token` with a 401. Register them with
/// `rocket.register("/", catchers())`.
pub fn catchers() -> Vec<Catcher> {
    catchers![unauthorized, forbidden, unavailable]
}

/// A refusal's JSON body.
struct Detail {
    status: Status,
    detail: &'static str,
}

impl<'r> Responder<'r, 'static> for Detail {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Json(json!({ "detail": self.detail })).respond_to(request)?;
        response.set_status(self.status);
        if self.status == Status::Unauthorized {
            response.set_header(Header::new("WWW-Authenticate", "Token"));
        }
        Ok(response)
    }
}

fn detail(request: &Request<'_>, status: Status, fallback: &'static str) -> Detail {
    let detail = request.local_cache(|| Refusal(None)).0.unwrap_or(fallback);
    Detail { status, detail }
}

#[catch(401)]
fn unauthorized(request: &Request<'_>) -> Detail {
    detail(
        request,
        Status::Unauthorized,
        "Authentication credentials were not provided.",
    )
}

#[catch(403)]
fn forbidden(request: &Request<'_>) -> Detail {
    detail(
        request,
        Status::Forbidden,
        "You do not have permission to perform this action.",
    )
}

#[catch(503)]
fn unavailable(request: &Request<'_>) -> Detail {
    detail(request, Status::ServiceUnavailable, "Service unavailable.")
}
