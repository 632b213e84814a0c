//! CORS on the token, pushed-request, revocation, introspection and userinfo endpoints, so that a browser app (a
//! public client with PKCE) can call them: each application lists the origins it allows.
//!
//! A preflight names no client, so it is answered for any origin some application allows;
//! the real request then carries `Access-Control-Allow-Origin` only when its own client
//! allows the origin. Never a wildcard and never `Access-Control-Allow-Credentials`: these
//! endpoints take no cookies.

use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder};
use rocket::{Response, Route, State, options, routes};
use warrant_model::{ClientId, Origin};

use crate::AppState;

pub(crate) fn routes() -> Vec<Route> {
    routes![
        token_preflight,
        par_preflight,
        revoke_preflight,
        introspect_preflight
    ]
}

/// The request's `Origin` header, when it is a valid origin (browsers send one on every
/// cross-origin request).
pub struct RequestOrigin(pub Option<Origin>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RequestOrigin {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let origin = request
            .headers()
            .get_one("Origin")
            .and_then(|value| Origin::parse(value).ok());
        Outcome::Success(Self(origin))
    }
}

/// Whether the application `client_id` allows `origin`.
pub(crate) async fn client_allows(state: &AppState, client_id: &ClientId, origin: &Origin) -> bool {
    match state
        .grants
        .clients
        .application(&*state.store, client_id)
        .await
    {
        Ok(Some(application)) => application.allowed_origins.contains(origin),
        Ok(None) => false,
        Err(error) => {
            tracing::warn!(%error, "CORS: could not read the application");
            false
        }
    }
}

/// The answer to a preflight: 204, with the CORS headers when the origin is allowed.
pub struct Preflight {
    origin: Option<Origin>,
    methods: &'static str,
}

impl<'r> Responder<'r, 'static> for Preflight {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build();
        response
            .status(Status::NoContent)
            .header(Header::new("Vary", "Origin"));
        if let Some(origin) = self.origin {
            response
                .header(Header::new(
                    "Access-Control-Allow-Origin",
                    origin.as_str().to_owned(),
                ))
                .header(Header::new("Access-Control-Allow-Methods", self.methods))
                .header(Header::new(
                    "Access-Control-Allow-Headers",
                    "Authorization, Content-Type",
                ))
                .header(Header::new("Access-Control-Max-Age", "600"));
        }
        response.ok()
    }
}

/// Answers a preflight of an endpoint taking `methods`.
pub(crate) async fn preflight(
    state: &AppState,
    origin: RequestOrigin,
    methods: &'static str,
) -> Preflight {
    let allowed = match origin.0 {
        None => None,
        Some(origin) => match state.origins.allows(&*state.store, &origin).await {
            Ok(true) => Some(origin),
            Ok(false) => None,
            Err(error) => {
                tracing::warn!(%error, "CORS: could not read the allowed origins");
                None
            }
        },
    };
    Preflight {
        origin: allowed,
        methods,
    }
}

#[options("/o/token")]
async fn token_preflight(state: &State<AppState>, origin: RequestOrigin) -> Preflight {
    preflight(state, origin, "POST").await
}

#[options("/o/revoke_token")]
async fn revoke_preflight(state: &State<AppState>, origin: RequestOrigin) -> Preflight {
    preflight(state, origin, "POST").await
}

#[options("/o/par")]
async fn par_preflight(state: &State<AppState>, origin: RequestOrigin) -> Preflight {
    preflight(state, origin, "POST").await
}

#[options("/o/introspect")]
async fn introspect_preflight(state: &State<AppState>, origin: RequestOrigin) -> Preflight {
    preflight(state, origin, "POST").await
}
