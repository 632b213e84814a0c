//! `/o/register/`: dynamic client registration (RFC 7591) and, at
//! `/o/register/<client_id>/`, its management with the registration access token
//! (RFC 7592). The rules are the grant engine's; this module reads the JSON and the bearer
//! token and writes the answers. With `[registration] mode = "off"` every path is 404.
//! Answers are readable from any origin: browser-based clients register too, and no
//! cookie is involved.

use rocket::data::{Data, ToByteUnit};
use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder};
use rocket::serde::json::{Json, Value, json};
use rocket::{Response, Route, State, delete, get, options, post, put, routes};
use time::OffsetDateTime;
use warrant_grants::RegistrationRefused;
use warrant_guards::{OAuthJson, authorization_credentials};
use warrant_model::{OAuthError, Secret};

use crate::AppState;

pub(crate) fn routes() -> Vec<Route> {
    routes![register, preflight, read, update, remove, preflight_client]
}

/// A registration endpoint's answer.
enum Answer {
    /// A JSON document with this status.
    Document(Status, Value),
    /// A refusal, with its status and challenge.
    Refused(OAuthJson),
    /// No body (deleted).
    Empty(Status),
    /// Too many registrations from the address lately: 429 with `Retry-After`.
    TooMany,
}

impl From<OAuthJson> for Answer {
    fn from(refusal: OAuthJson) -> Self {
        Self::Refused(refusal)
    }
}

impl From<OAuthError> for Answer {
    fn from(error: OAuthError) -> Self {
        Self::Refused(error.into())
    }
}

impl<'r> Responder<'r, 'static> for Answer {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let mut response = match self {
            Self::Document(status, body) => Response::build_from(Json(body).respond_to(request)?)
                .status(status)
                .finalize(),
            Self::Refused(refusal) => refusal.respond_to(request)?,
            Self::Empty(status) => Response::build().status(status).finalize(),
            Self::TooMany => {
                let body = json!({
                    "error": "too_many_requests",
                    "error_description": "too many clients were registered from this address lately; try again later",
                });
                Response::build_from(Json(body).respond_to(request)?)
                    .status(Status::TooManyRequests)
                    .header(Header::new("Retry-After", "3600"))
                    .finalize()
            }
        };
        response.set_header(Header::new("Cache-Control", "no-store"));
        response.set_header(Header::new("Access-Control-Allow-Origin", "*"));
        response.set_header(Header::new(
            "Access-Control-Expose-Headers",
            "WWW-Authenticate, Retry-After",
        ));
        Ok(response)
    }
}

/// The request's bearer token (initial access token or registration access token), if it
/// sent one; a malformed `Authorization` header is `invalid_request`.
struct BearerCredentials(Result<Option<Secret<String>>, OAuthError>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for BearerCredentials {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let token = match request.headers().get_one("Authorization") {
            Some(value) => authorization_credentials(value, "Bearer"),
            None => Ok(None),
        };
        Outcome::Success(Self(token))
    }
}

/// 404 unless registration is on: the endpoint does not exist then.
fn enabled(state: &AppState) -> Result<(), Answer> {
    if state.engine().registration_enabled() {
        Ok(())
    } else {
        Err(OAuthJson::status(Status::NotFound).into())
    }
}

/// The body as a JSON document; malformed JSON is `invalid_client_metadata`, a body past
/// `server.max_body_bytes` 413.
async fn document(state: &AppState, data: Data<'_>) -> Result<Value, Answer> {
    let body = data
        .open(state.max_body_bytes.bytes())
        .into_bytes()
        .await
        .map_err(|_| OAuthError::InvalidClientMetadata("the body could not be read".into()))?;
    if !body.is_complete() {
        return Err(OAuthJson::status(Status::PayloadTooLarge).into());
    }
    serde_json::from_slice(&body.into_inner()).map_err(|error| {
        OAuthError::InvalidClientMetadata(format!("the body is not JSON: {error}")).into()
    })
}

/// The registration access token, required to manage a registration (RFC 7592 §3).
fn registration_token(credentials: BearerCredentials) -> Result<Secret<String>, Answer> {
    credentials
        .0?
        .ok_or_else(|| OAuthJson::bearer_token_required().into())
}

#[post("/o/register", data = "<data>")]
async fn register(
    state: &State<AppState>,
    credentials: BearerCredentials,
    address: crate::address::ClientAddress,
    data: Data<'_>,
) -> Answer {
    let outcome = async {
        enabled(state)?;
        let initial_token = credentials.0?;
        let document = document(state, data).await?;
        let engine = state.engine();
        match engine
            .register_client(
                &document,
                initial_token.as_ref(),
                address.0,
                OffsetDateTime::now_utc(),
            )
            .await
        {
            Ok(registered) => Ok(Answer::Document(Status::Created, registered)),
            Err(RegistrationRefused::Error(error)) => Err(error.into()),
            Err(RegistrationRefused::TooMany) => Err(Answer::TooMany),
        }
    };
    outcome.await.unwrap_or_else(|answer| answer)
}

#[get("/o/register/<client_id>")]
async fn read(state: &State<AppState>, credentials: BearerCredentials, client_id: &str) -> Answer {
    let outcome = async {
        enabled(state)?;
        let token = registration_token(credentials)?;
        let registration = state
            .engine()
            .read_client_registration(client_id, &token)
            .await?;
        Ok::<_, Answer>(Answer::Document(Status::Ok, registration))
    };
    outcome.await.unwrap_or_else(|answer| answer)
}

#[put("/o/register/<client_id>", data = "<data>")]
async fn update(
    state: &State<AppState>,
    credentials: BearerCredentials,
    client_id: &str,
    data: Data<'_>,
) -> Answer {
    let outcome = async {
        enabled(state)?;
        let token = registration_token(credentials)?;
        let document = document(state, data).await?;
        let registration = state
            .engine()
            .update_client_registration(client_id, &token, &document, OffsetDateTime::now_utc())
            .await?;
        Ok::<_, Answer>(Answer::Document(Status::Ok, registration))
    };
    outcome.await.unwrap_or_else(|answer| answer)
}

#[delete("/o/register/<client_id>")]
async fn remove(
    state: &State<AppState>,
    credentials: BearerCredentials,
    client_id: &str,
) -> Answer {
    let outcome = async {
        enabled(state)?;
        let token = registration_token(credentials)?;
        state
            .engine()
            .delete_client_registration(client_id, &token)
            .await?;
        Ok::<_, Answer>(Answer::Empty(Status::NoContent))
    };
    outcome.await.unwrap_or_else(|answer| answer)
}

/// CORS preflight of a browser-based client's registration.
#[options("/o/register")]
fn preflight() -> PreflightAnswer {
    PreflightAnswer
}

#[options("/o/register/<_client_id>")]
fn preflight_client(_client_id: &str) -> PreflightAnswer {
    PreflightAnswer
}

struct PreflightAnswer;

impl<'r> Responder<'r, 'static> for PreflightAnswer {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(Status::NoContent)
            .header(Header::new("Access-Control-Allow-Origin", "*"))
            .header(Header::new(
                "Access-Control-Allow-Methods",
                "GET, POST, PUT, DELETE",
            ))
            .header(Header::new(
                "Access-Control-Allow-Headers",
                "Authorization, Content-Type",
            ))
            .header(Header::new("Access-Control-Max-Age", "3600"))
            .ok()
    }
}
