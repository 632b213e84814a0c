//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): checking where a relying
//! party may send the browser after the user logs out, and whether the user must confirm.

use serde_json::Value;
use time::OffsetDateTime;
use url::Url;
use warrant_model::{Application, ClientId, RedirectUri, RedirectUriPolicy, User, UserId};

use crate::oidc::subject;
use crate::{Engine, OAuthError};

/// The logout request's parameters as received.
#[derive(Debug, Clone, Default)]
pub struct LogoutParams {
    /// An ID token Warrant issued to the relying party (expired ones are fine).
    pub id_token_hint: Option<String>,
    /// The relying party, when it sends no `id_token_hint`.
    pub client_id: Option<String>,
    /// Where to send the browser afterwards; must be registered for the client.
    pub post_logout_redirect_uri: Option<String>,
    /// Echoed back on that redirect.
    pub state: Option<String>,
}

/// A valid logout request.
#[derive(Debug, Clone)]
pub struct LogoutRequest {
    /// The relying party, when the request names one.
    pub application: Option<Application>,
    /// Where to send the browser afterwards (the registered URI with `state`), if anywhere.
    pub redirect: Option<String>,
    hinted_subject: Option<String>,
}

impl LogoutRequest {
    /// Whether `user` must confirm before being logged out: unless the relying party proved
    /// with an ID token that it is this user's session it ends (anyone can link to the
    /// logout endpoint).
    pub fn needs_confirmation(&self, user: &User) -> bool {
        self.hinted_subject.as_deref() != Some(subject(user).as_str())
    }
}

impl Engine<'_> {
    /// Checks a logout request. Every error is shown to the user, never redirected: the
    /// redirect URI is trusted only once it is known to be registered.
    pub async fn validate_logout(
        &self,
        params: &LogoutParams,
        now: OffsetDateTime,
    ) -> Result<LogoutRequest, OAuthError> {
        let invalid = |text: &str| OAuthError::InvalidRequest(text.to_owned());
        let hint = match &params.id_token_hint {
            Some(jwt) => {
                let keys = self.keys.current(self.store, now).await?;
                let claims = keys
                    .verify(jwt)
                    .filter(|claims| claims["iss"].as_str() == Some(self.settings.issuer.as_str()))
                    .ok_or_else(|| invalid("id_token_hint is not an ID token issued here"))?;
                Some(claims)
            }
            None => None,
        };
        let audience = hint.as_ref().and_then(|claims| match &claims["aud"] {
            Value::String(aud) => Some(aud.clone()),
            Value::Array(auds) => auds.first().and_then(Value::as_str).map(str::to_owned),
            _ => None,
        });
        let client_id = match (audience, &params.client_id) {
            (Some(aud), Some(given)) if aud != *given => {
                return Err(invalid("client_id is not the audience of id_token_hint"));
            }
            (Some(aud), _) => Some(aud),
            (None, given) => given.clone(),
        };
        let application = match client_id {
            Some(id) => {
                let id = ClientId::parse(&id).map_err(|_| invalid("unknown client"))?;
                Some(
                    self.clients
                        .application(self.store, &id)
                        .await?
                        .ok_or_else(|| invalid("unknown client"))?,
                )
            }
            None => None,
        };
        let redirect = match (&params.post_logout_redirect_uri, &application) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(invalid(
                    "post_logout_redirect_uri needs id_token_hint or client_id",
                ));
            }
            (Some(uri), Some(application)) => Some(registered_after_logout(
                application,
                uri,
                params.state.as_deref(),
            )?),
        };
        Ok(LogoutRequest {
            application,
            redirect,
            hinted_subject: hint.and_then(|claims| claims["sub"].as_str().map(str::to_owned)),
        })
    }

    /// What a relying-party logout ending `user`'s session does to their tokens: with
    /// [`GrantSettings::logout_revokes_tokens`](crate::GrantSettings::logout_revokes_tokens)
    /// every access and refresh token they granted is revoked, as Django OAuth Toolkit does
    /// by default. Returns how many were live.
    pub async fn revoke_tokens_at_logout(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<u64, OAuthError> {
        if !self.settings.logout_revokes_tokens {
            return Ok(0);
        }
        Ok(self.store.revoke_user_tokens(user, now).await?)
    }
}

/// `uri`, when it is one of the application's post-logout redirect URIs (exact match),
/// with `state` added to its query.
fn registered_after_logout(
    application: &Application,
    uri: &str,
    state: Option<&str>,
) -> Result<String, OAuthError> {
    let lenient = RedirectUriPolicy {
        allow_insecure_http: true,
    };
    let registered = RedirectUri::parse(uri, lenient)
        .ok()
        .filter(|uri| application.post_logout_redirect_uris.contains(uri))
        .ok_or_else(|| {
            OAuthError::InvalidRequest(
                "post_logout_redirect_uri is not registered for this client".into(),
            )
        })?;
    let mut url = Url::parse(registered.as_str())
        .map_err(|_| OAuthError::InvalidRequest("post_logout_redirect_uri is malformed".into()))?;
    if let Some(state) = state {
        url.query_pairs_mut().append_pair("state", state);
    }
    Ok(url.into())
}
