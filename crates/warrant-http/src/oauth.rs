//! `POST /o/token/`, `/o/par/`, `/o/revoke_token/`, `/o/introspect/`,
//! `/o/device_authorization/`: form bodies in, JSON out; all
//! decisions are the grant engine's.

use std::net::IpAddr;

use rocket::data::Data;
use rocket::http::{ContentType, Status};
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome};
use rocket::serde::json::{Value, json};
use rocket::{Route, State, post, routes};
use time::OffsetDateTime;
use warrant_grants::{
    AuthorizationParams, ClientCredentials, DpopHeader, Introspection, OAuthError, TokenRequest,
    TokenResponse, TokenTypeHint, requested_resources, requested_scope,
};

use crate::AppState;
use crate::access_log::KnownClient;
use crate::cors::{RequestOrigin, client_allows};
use crate::form::{AuthorizationHeader, BodyError, FormParams};
use warrant_guards::OAuthJson;

pub(crate) fn routes() -> Vec<Route> {
    routes![
        token,
        revoke,
        introspect,
        device_authorization,
        pushed_authorization_request
    ]
}

/// A 413 for oversized bodies, otherwise the OAuth answer.
pub enum EndpointReply {
    /// The body exceeded `server.max_body_bytes`.
    TooLarge(Status),
    /// Everything else.
    OAuth(OAuthJson),
}

impl<'r> rocket::response::Responder<'r, 'static> for EndpointReply {
    fn respond_to(self, request: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        match self {
            Self::TooLarge(status) => Err(status),
            Self::OAuth(json) => json.respond_to(request),
        }
    }
}

impl From<OAuthError> for EndpointReply {
    fn from(error: OAuthError) -> Self {
        Self::OAuth(error.into())
    }
}

async fn read_form(
    state: &AppState,
    content_type: Option<&ContentType>,
    data: Data<'_>,
) -> Result<FormParams, EndpointReply> {
    FormParams::read(content_type, data, state.max_body_bytes)
        .await
        .map_err(|error| match error {
            BodyError::TooLarge => EndpointReply::TooLarge(Status::PayloadTooLarge),
            BodyError::Invalid(error) => error.into(),
        })
}

/// Reads the form and the client's credentials, then runs `endpoint`: a 413 for an
/// oversized body, otherwise the endpoint's JSON or its OAuth error.
/// A browser origin the client allows gets the answer, errors included (CORS).
async fn run_endpoint(
    state: &AppState,
    headers: EndpointHeaders<'_>,
    data: Data<'_>,
    endpoint: impl AsyncFnOnce(ClientCredentials, FormParams) -> Result<OAuthJson, OAuthError>,
) -> EndpointReply {
    let form = match read_form(state, headers.content_type, data).await {
        Ok(form) => form,
        Err(reply) => return reply,
    };
    let endpoint_url = format!("{}{}", state.grants.settings.issuer, headers.path);
    let client = match ClientCredentials::from_request(
        headers.auth.0.as_deref(),
        |name| form.get(name),
        &endpoint_url,
    ) {
        Ok(client) => client,
        Err(error) => return error.into(),
    };
    headers.known_client.set(client.client_id().as_str());
    // Only a browser's cross-origin request needs its client remembered for CORS.
    let cors = headers
        .origin
        .0
        .map(|origin| (origin, client.client_id().clone()));
    let json = endpoint(client, form).await.unwrap_or_else(OAuthJson::from);
    match cors {
        Some((origin, client_id)) if client_allows(state, &client_id, &origin).await => {
            EndpointReply::OAuth(json.allow_origin(origin))
        }
        _ => EndpointReply::OAuth(json),
    }
}

/// What the endpoints read from a request's headers, and where it comes from.
struct EndpointHeaders<'r> {
    content_type: Option<&'r ContentType>,
    auth: AuthorizationHeader,
    origin: RequestOrigin,
    address: Option<IpAddr>,
    /// The request's path, without the query.
    path: String,
    /// Its DPoP proof (RFC 9449), the one `DPoP` header.
    dpop: Option<String>,
    /// Where the client's id goes for the access log.
    known_client: &'r KnownClient,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for EndpointHeaders<'r> {
    type Error = ();

    async fn from_request(request: &'r rocket::Request<'_>) -> Outcome<Self, ()> {
        let auth = try_outcome!(request.guard::<AuthorizationHeader>().await);
        let mut proofs = request.headers().get("DPoP");
        let dpop = proofs.next().map(str::to_owned);
        if proofs.next().is_some() {
            // Two proofs: ambiguous, refuse rather than pick one.
            return Outcome::Error((Status::BadRequest, ()));
        }
        let origin = try_outcome!(request.guard::<RequestOrigin>().await);
        Outcome::Success(Self {
            content_type: request.content_type(),
            auth,
            origin,
            address: request.client_ip(),
            path: request.uri().path().to_string(),
            dpop,
            known_client: KnownClient::of(request),
        })
    }
}

#[post("/o/token", data = "<data>")]
async fn token(
    state: &State<AppState>,
    headers: EndpointHeaders<'_>,
    data: Data<'_>,
) -> EndpointReply {
    let engine = state.engine().from_address(headers.address);
    let dpop = dpop_header(state, &headers);
    run_endpoint(state, headers, data, async |client, form| {
        let request = TokenRequest::from_lookup(|name| form.get(name))?;
        let resources = requested_resources(form.get("resource"))?;
        let response = engine
            .token_with(
                &client,
                request,
                resources,
                dpop.as_ref(),
                OffsetDateTime::now_utc(),
            )
            .await?;
        Ok(OAuthJson::ok(token_json(response)))
    })
    .await
}

/// The request's DPoP proof and the URL it was sent to, which the proof must name.
fn dpop_header(state: &AppState, headers: &EndpointHeaders<'_>) -> Option<DpopHeader> {
    headers.dpop.clone().map(|proof| DpopHeader {
        proof,
        url: format!("{}{}", state.grants.settings.issuer, headers.path),
    })
}

fn token_json(response: TokenResponse) -> Value {
    let mut body = json!({
        "access_token": response.access_token.expose(),
        "token_type": response.token_type,
        "expires_in": response.expires_in,
        "scope": response.scope.to_string(),
    });
    if let Some(refresh) = &response.refresh_token {
        body["refresh_token"] = Value::from(refresh.expose().as_str());
    }
    if let Some(id_token) = &response.id_token {
        body["id_token"] = Value::from(id_token.expose().as_str());
    }
    body
}

/// The `token_type_hint`. A hint Warrant does not know is ignored, as RFC 7009 §2.1 allows
/// and oauthlib (Django OAuth Toolkit) does: Warrant finds the token by its hash either way.
fn hint(form: &FormParams) -> Option<TokenTypeHint> {
    form.get("token_type_hint").and_then(TokenTypeHint::parse)
}

/// RFC 9126 §2: a client pushes its authorization request, authenticated as here at the
/// token endpoint, and gets the `request_uri` its browser brings instead (201).
#[post("/o/par", data = "<data>")]
async fn pushed_authorization_request(
    state: &State<AppState>,
    headers: EndpointHeaders<'_>,
    data: Data<'_>,
) -> EndpointReply {
    let engine = state.engine().from_address(headers.address);
    let dpop = dpop_header(state, &headers);
    run_endpoint(state, headers, data, async |client, form| {
        let now = OffsetDateTime::now_utc();
        let application = engine.authenticate_client(&client, now).await?;
        let params = AuthorizationParams::from_lookup(|name| form.get(name));
        let pushed = engine
            .push_authorization_request(&application, params, dpop.as_ref(), now)
            .await?;
        Ok(OAuthJson::new(
            Status::Created,
            json!({ "request_uri": pushed.request_uri, "expires_in": pushed.expires_in }),
        ))
    })
    .await
}

/// RFC 8628 §3.1: a device asks for a device code and a user code.
#[post("/o/device_authorization", data = "<data>")]
async fn device_authorization(
    state: &State<AppState>,
    headers: EndpointHeaders<'_>,
    data: Data<'_>,
) -> EndpointReply {
    let engine = state.engine().from_address(headers.address);
    run_endpoint(state, headers, data, async |client, form| {
        let codes = engine
            .device_authorization(
                &client,
                requested_scope(form.get("scope"))?.as_ref(),
                OffsetDateTime::now_utc(),
            )
            .await?;
        let verification_uri = format!("{}/o/device/", state.grants.settings.issuer);
        let complete = format!(
            "{verification_uri}?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("user_code", &codes.user_code.display())
                .finish()
        );
        Ok(OAuthJson::ok(json!({
            "device_code": codes.device_code.expose(),
            "user_code": codes.user_code.display(),
            "verification_uri": verification_uri,
            "verification_uri_complete": complete,
            "expires_in": codes.expires_in,
            "interval": codes.interval,
        })))
    })
    .await
}

#[post("/o/revoke_token", data = "<data>")]
async fn revoke(
    state: &State<AppState>,
    headers: EndpointHeaders<'_>,
    data: Data<'_>,
) -> EndpointReply {
    let engine = state.engine().from_address(headers.address);
    run_endpoint(state, headers, data, async |client, form| {
        let token = form.require_secret("token")?;
        engine
            .revoke(&client, &token, hint(&form), OffsetDateTime::now_utc())
            .await?;
        Ok(OAuthJson::ok(json!({})))
    })
    .await
}

#[post("/o/introspect", data = "<data>")]
async fn introspect(
    state: &State<AppState>,
    headers: EndpointHeaders<'_>,
    data: Data<'_>,
) -> EndpointReply {
    let engine = state.engine().from_address(headers.address);
    run_endpoint(state, headers, data, async |client, form| {
        let now = OffsetDateTime::now_utc();
        engine.authenticate_resource_server(&client, now).await?;
        let token = form.require_secret("token")?;
        let introspection = engine.introspect(&token, hint(&form), now).await?;
        Ok(OAuthJson::ok(match introspection {
            Introspection::Inactive => json!({ "active": false }),
            Introspection::Active(token) => {
                let mut answer = json!({
                    "active": true,
                    "iss": state.grants.settings.issuer,
                    "scope": token.scope.to_string(),
                    "client_id": token.client_id,
                    "username": token.username,
                    "sub": token.sub.map(|id| id.to_string()),
                    "token_type": token.token_type,
                    "exp": token.exp,
                    "iat": token.iat,
                });
                if let Some(jkt) = &token.dpop_jkt {
                    answer["cnf"] = warrant_generators::confirmation(jkt);
                }
                // RFC 7662 §2.2: the audience, the resources the token is for (RFC 8707).
                if !token.aud.is_empty() {
                    let aud: Vec<&str> = token.aud.iter().map(|uri| uri.as_str()).collect();
                    answer["aud"] = json!(aud);
                }
                answer
            }
        }))
    })
    .await
}
