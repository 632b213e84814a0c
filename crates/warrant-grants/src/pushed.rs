//! Pushed authorization requests (RFC 9126): a client sends its authorization request to
//! the server directly, authenticated as at the token endpoint, and the browser brings only
//! a `request_uri` naming it. The request is checked when it is pushed, kept sealed under a
//! hash of its `request_uri`, and used once: the user's decision consumes it.

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};
use warrant_generators::{hash_token, random_urlsafe};
use warrant_model::{Application, ClientId, PushedRequest, TokenHash, sealing_purpose};

use crate::{AuthorizationParams, AuthorizationRejection, DpopHeader, Engine, OAuthError};

/// Every `request_uri` Warrant hands out starts with this (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// How long a browser may take, once it brought a pushed request, to log in and decide.
const DECISION_TIME: Duration = Duration::minutes(10);

/// The server's rules for pushed requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRequestPolicy {
    /// How long a pushed request waits for its browser (`expires_in`; RFC 9126 suggests 5 to
    /// 600 seconds, FAPI 2.0 requires that range).
    pub lifetime: Duration,
    /// Every client must push its authorization requests (a client can also be required
    /// alone: `ClientSecurity::require_pushed_requests`).
    pub required: bool,
}

impl Default for PushedRequestPolicy {
    fn default() -> Self {
        Self {
            lifetime: Duration::seconds(60),
            required: false,
        }
    }
}

/// The answer to a push (RFC 9126 §2.2).
#[derive(Debug, Clone)]
pub struct PushedAuthorization {
    /// What the browser brings to the authorization endpoint instead of the parameters.
    pub request_uri: String,
    /// Seconds until it expires unused.
    pub expires_in: i64,
}

/// A request that came by `request_uri`: which, and since when a browser has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The hash it is stored under.
    pub request_uri_hash: TokenHash,
    /// When a browser first brought it: a login since then satisfies `prompt=login` and
    /// `max_age`.
    pub opened_at: OffsetDateTime,
}

impl Engine<'_> {
    /// Keeps `params`, an authorization request `client` (authenticated) pushed, once it
    /// is checked as the authorization endpoint would check it; its errors are answered
    /// to the client directly. A DPoP proof sent with it binds the code to its key (RFC
    /// 9449 §10.1), as `dpop_jkt` does.
    pub async fn push_authorization_request(
        &self,
        client: &Application,
        mut params: AuthorizationParams,
        dpop: Option<&DpopHeader>,
        now: OffsetDateTime,
    ) -> Result<PushedAuthorization, OAuthError> {
        if params.request_uri.is_some() {
            return Err(OAuthError::InvalidRequest(
                "a pushed request cannot name a request_uri".into(),
            ));
        }
        match &params.client_id {
            Some(named) if named != client.client_id.as_str() => {
                return Err(OAuthError::InvalidRequest(
                    "client_id differs from the authenticated client".into(),
                ));
            }
            _ => params.client_id = Some(client.client_id.as_str().to_owned()),
        }
        if let Some(dpop) = dpop {
            let jkt = self.proved_key(client, dpop, now).await?;
            if params.dpop_jkt.as_ref().is_some_and(|named| *named != jkt) {
                return Err(OAuthError::InvalidDpopProof(
                    "dpop_jkt is not the thumbprint of the proof's key".into(),
                ));
            }
            params.dpop_jkt = Some(jkt);
        }
        self.check_authorization(&params)
            .await
            .map_err(|rejection| match rejection {
                AuthorizationRejection::ShowError(error)
                | AuthorizationRejection::Redirect { error, .. } => error,
            })?;
        let request_uri = format!(
            "{REQUEST_URI_PREFIX}{}",
            random_urlsafe(32)?.expose().as_str()
        );
        let sealed = self.keys.sealing()?.seal(
            sealing_purpose::PUSHED_REQUEST,
            &serde_json::to_vec(&to_json(&params)).map_err(|_| OAuthError::ServerError)?,
        )?;
        let lifetime = self.settings.pushed_requests.lifetime;
        self.store
            .create_pushed_request(&PushedRequest {
                request_uri_hash: hash_token(&request_uri),
                application_id: client.id,
                params: sealed,
                created_at: now,
                expires_at: now + lifetime,
                opened_at: None,
            })
            .await?;
        Ok(PushedAuthorization {
            request_uri,
            expires_in: lifetime.whole_seconds(),
        })
    }

    /// The parameters pushed as `request_uri` by the client `params` names: only those
    /// count (RFC 9126 §4), and only while the request is neither expired nor decided.
    pub(crate) async fn open_pushed(
        &self,
        params: &AuthorizationParams,
        request_uri: &str,
        now: OffsetDateTime,
    ) -> Result<(AuthorizationParams, Pushed), OAuthError> {
        let unusable =
            || OAuthError::InvalidRequestUri("request_uri is unknown, expired or used".into());
        let client_id = params
            .client_id
            .as_deref()
            .ok_or_else(|| OAuthError::InvalidRequest("client_id is missing".into()))?;
        let unknown_client = || OAuthError::InvalidClient("unknown client".into());
        let client_id = ClientId::parse(client_id).map_err(|_| unknown_client())?;
        let application = self.client(&client_id).await?.ok_or_else(unknown_client)?;
        if !request_uri.starts_with(REQUEST_URI_PREFIX) {
            return Err(unusable());
        }
        let request_uri_hash = hash_token(request_uri);
        // Another client's request is as unknown to this one as one never pushed.
        let stored = self
            .store
            .open_pushed_request(&request_uri_hash, application.id, now, now + DECISION_TIME)
            .await?
            .ok_or_else(unusable)?;
        let json = self
            .keys
            .sealing()?
            .open(sealing_purpose::PUSHED_REQUEST, &stored.params)?;
        let pushed: Map<String, Value> =
            serde_json::from_slice(json.expose()).map_err(|_| OAuthError::ServerError)?;
        let pushed = AuthorizationParams::from_lookup(|name| pushed.get(name)?.as_str());
        let opened_at = stored.opened_at.unwrap_or(now);
        Ok((
            pushed,
            Pushed {
                request_uri_hash,
                opened_at,
            },
        ))
    }

    /// Whether `application` must push its authorization requests.
    pub(crate) fn must_push(&self, application: &Application) -> bool {
        self.settings.pushed_requests.required
            || application.security.require_pushed_requests
            || self.is_fapi2(application)
    }

    /// Marks a pushed request decided; a second decision is refused.
    pub(crate) async fn use_pushed(
        &self,
        pushed: &Pushed,
        now: OffsetDateTime,
    ) -> Result<(), OAuthError> {
        if self
            .store
            .use_pushed_request(&pushed.request_uri_hash, now)
            .await?
        {
            Ok(())
        } else {
            Err(OAuthError::InvalidRequestUri(
                "this request was already decided".into(),
            ))
        }
    }
}

/// The parameters present, as a JSON object by name.
fn to_json(params: &AuthorizationParams) -> Value {
    let present = params
        .values()
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), Value::from(value?.as_str()))));
    Value::Object(present.collect())
}
