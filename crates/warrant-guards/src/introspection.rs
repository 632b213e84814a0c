//! Checking tokens remotely through an introspection endpoint (RFC 7662), for resource
//! servers that do not share Warrant's database (Django OAuth Toolkit's
//! `RESOURCE_SERVER_INTROSPECTION_URL` and `RESOURCE_SERVER_TOKEN_CACHING_SECONDS`).

use std::time::Duration;

use base64::Engine as _;
use rocket::serde::json::Value;
use time::OffsetDateTime;
use url::Url;
use url::form_urlencoded::byte_serialize;
use warrant_cache::TtlMap;
use warrant_generators::hash_token;
use warrant_model::OAuthError;
use warrant_model::{ClientId, ScopeSet, Secret, TokenHash, Username};
use warrant_outgoing::{Body, Client, ClientOptions, Request};

use crate::{BearerToken, GuardsError, Refusal};

/// At most this many answers are cached; past it, stale ones go, then all of them.
const CAPACITY: usize = 10_000;

/// A client of an introspection endpoint that caches answers for a short time.
///
/// A token revoked at Warrant is still accepted here for up to the cache time (default
/// 10 s; zero turns caching off). A live token is never cached past its expiry.
pub struct IntrospectionClient {
    endpoint: Url,
    authorization: Secret<String>,
    cache_time: Duration,
    /// The answer for each token (`None`: inactive), by the token's hash.
    cache: TtlMap<TokenHash, Option<BearerToken>>,
    http: Client,
}

impl IntrospectionClient {
    /// A client of `endpoint` (for example `https://warrant.example/o/introspect/`) that
    /// authenticates as the confidential application `client_id` with HTTP Basic, trusts
    /// the public roots and gives up after 5 s, answering 503.
    pub fn new(
        endpoint: &Url,
        client_id: &ClientId,
        client_secret: &Secret<String>,
    ) -> Result<Self, GuardsError> {
        let options = ClientOptions::new(Duration::from_secs(5));
        Self::with_options(endpoint, client_id, client_secret, &options)
    }

    /// As [`IntrospectionClient::new`], reaching the endpoint as `options` say: its
    /// deadline, a private CA to trust, plain http off loopback.
    pub fn with_options(
        endpoint: &Url,
        client_id: &ClientId,
        client_secret: &Secret<String>,
        options: &ClientOptions,
    ) -> Result<Self, GuardsError> {
        let endpoint_error = |error: warrant_outgoing::OutgoingError| {
            GuardsError::IntrospectionEndpoint(error.to_string())
        };
        let http = Client::new(options).map_err(endpoint_error)?;
        http.check_url(endpoint).map_err(endpoint_error)?;
        // The endpoint is logged when it fails: it must hold no credentials.
        if !endpoint.username().is_empty() || endpoint.password().is_some() {
            return Err(GuardsError::IntrospectionEndpoint(
                "the URL must not carry credentials: pass the client's id and secret".into(),
            ));
        }
        let encode = |s: &str| byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = format!(
            "{}:{}",
            encode(client_id.as_str()),
            encode(client_secret.expose())
        );
        Ok(Self {
            endpoint: endpoint.clone(),
            authorization: Secret::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            )),
            cache_time: Duration::from_secs(10),
            cache: TtlMap::new(CAPACITY),
            http,
        })
    }

    /// Caches each answer for `time` (zero: ask the endpoint for every request).
    pub fn cache_for(mut self, time: Duration) -> Self {
        self.cache_time = time;
        self
    }

    /// Checks `token`, from the cache when a recent answer is there.
    pub(super) async fn check(
        &self,
        token: &Secret<String>,
        now: OffsetDateTime,
    ) -> Result<BearerToken, Refusal> {
        let hash = hash_token(token.expose());
        let answer = match self.cache.get(&hash) {
            Some(answer) => answer,
            None => {
                let answer = self.introspect(token, now).await?;
                self.keep(hash, &answer, now);
                answer
            }
        };
        answer.ok_or_else(|| {
            Refusal::Token(OAuthError::InvalidToken(
                "the access token is unknown, expired or revoked".into(),
            ))
        })
    }

    /// Asks the endpoint; `None` for an inactive token.
    async fn introspect(
        &self,
        token: &Secret<String>,
        now: OffsetDateTime,
    ) -> Result<Option<BearerToken>, Refusal> {
        let unavailable = |what: &str| {
            tracing::warn!(endpoint = %self.endpoint, "token introspection failed: {what}");
            Refusal::Token(OAuthError::TemporarilyUnavailable)
        };
        let body = Body::form([
            ("token", token.expose().as_str()),
            ("token_type_hint", "access_token"),
        ]);
        let request =
            Request::post(self.endpoint.clone(), body).authorized(self.authorization.clone());
        let answer = self
            .http
            .send(request)
            .await
            .map_err(|error| unavailable(&error.to_string()))?;
        if !answer.is_success() {
            return Err(unavailable(&refusal(answer.status, &answer.body)));
        }
        let answer: Value = serde_json::from_slice(&answer.body)
            .map_err(|_| unavailable("the answer is not JSON"))?;
        Ok(bearer_from(&answer, now))
    }

    fn keep(&self, hash: TokenHash, answer: &Option<BearerToken>, now: OffsetDateTime) {
        let mut time = self.cache_time;
        if let Some(token) = answer {
            let left = (token.expires_at - now).max(time::Duration::ZERO);
            time = time.min(left.unsigned_abs());
        }
        self.cache.insert(hash, answer.clone(), time);
    }
}

/// What the log says of a refused introspection: the status, and the OAuth error the
/// server gave (`invalid_client` for wrong credentials) with its description.
fn refusal(status: u16, body: &[u8]) -> String {
    let answer: Value = serde_json::from_slice(body).unwrap_or_default();
    let said = |name: &str| {
        answer[name]
            .as_str()
            .map(|text| text.chars().take(200).collect::<String>())
    };
    match (said("error"), said("error_description")) {
        (Some(error), Some(description)) => format!("status {status}: {error} ({description})"),
        (Some(error), None) => format!("status {status}: {error}"),
        _ => format!("status {status}"),
    }
}

/// The live access token an introspection answer describes; `None` unless it is active,
/// unexpired and an access token, bearer or DPoP-bound (an active refresh token is not a
/// credential at a resource).
fn bearer_from(answer: &Value, now: OffsetDateTime) -> Option<BearerToken> {
    if answer["active"] != Value::Bool(true) {
        return None;
    }
    let is_access_token = answer["token_type"].as_str().is_none_or(|kind| {
        kind.eq_ignore_ascii_case("bearer") || kind.eq_ignore_ascii_case("dpop")
    });
    let expires_at = OffsetDateTime::from_unix_timestamp(answer["exp"].as_i64()?).ok()?;
    if !is_access_token || expires_at <= now {
        return None;
    }
    Some(BearerToken {
        client_id: ClientId::parse(answer["client_id"].as_str()?).ok()?,
        scopes: ScopeSet::parse(answer["scope"].as_str().unwrap_or_default()).ok()?,
        expires_at,
        // RFC 7662 §2.2: a string or an array of strings.
        audience: match &answer["aud"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(several) => several
                .iter()
                .map(|aud| aud.as_str().map(str::to_owned))
                .collect::<Option<_>>()?,
            _ => Vec::new(),
        },
        username: match answer["username"].as_str() {
            Some(name) => Some(Username::parse(name).ok()?),
            None => None,
        },
        user: None,
        // RFC 9449 §6.2: the key a bound token is for.
        dpop_jkt: answer["cnf"]["jkt"].as_str().map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use rocket::serde::json::json;

    use super::*;

    #[test]
    fn endpoints_are_https_or_loopback_and_carry_no_credentials() {
        let client_id = ClientId::parse("resource-server").unwrap();
        let secret = Secret::new("secret".to_owned());
        let new =
            |url: &str| IntrospectionClient::new(&Url::parse(url).unwrap(), &client_id, &secret);
        for accepted in [
            "https://warrant.example/o/introspect/",
            "http://127.0.0.1:8000/o/introspect/",
        ] {
            assert!(new(accepted).is_ok(), "{accepted}");
        }
        for refused in [
            "http://warrant.internal/o/introspect/",
            "https://user:pass@warrant.example/o/introspect/",
        ] {
            assert!(
                matches!(new(refused), Err(GuardsError::IntrospectionEndpoint(_))),
                "{refused}"
            );
        }
        let insecure = ClientOptions {
            allow_insecure_http: true,
            ..ClientOptions::new(Duration::from_secs(5))
        };
        let endpoint = Url::parse("http://warrant.internal/o/introspect/").unwrap();
        assert!(
            IntrospectionClient::with_options(&endpoint, &client_id, &secret, &insecure).is_ok(),
            "plain http is allowed when asked for"
        );
    }

    #[test]
    fn refusals_name_the_servers_error() {
        let body = br#"{"error":"invalid_client","error_description":"unknown client"}"#;
        assert_eq!(
            refusal(401, body),
            "status 401: invalid_client (unknown client)"
        );
        assert_eq!(refusal(502, b"<html>"), "status 502");
    }

    #[test]
    fn only_live_access_tokens_become_bearer_tokens() {
        let now = OffsetDateTime::now_utc();
        let exp = now.unix_timestamp() + 60;
        let live = json!({"active": true, "client_id": "app", "scope": "read write",
                          "username": "alice", "exp": exp, "token_type": "Bearer"});
        let token = bearer_from(&live, now).unwrap();
        assert!(token.has_scopes(["read", "write"]));
        assert!(token.audience.is_empty());
        assert_eq!(token.username.unwrap().as_str(), "alice");
        for (aud, audience) in [
            (json!("https://a.example/"), vec!["https://a.example/"]),
            (
                json!(["https://a.example/", "https://b.example/"]),
                vec!["https://a.example/", "https://b.example/"],
            ),
        ] {
            let mut with_aud = live.clone();
            with_aud["aud"] = aud;
            assert_eq!(bearer_from(&with_aud, now).unwrap().audience, audience);
        }

        let mut refresh = live.clone();
        refresh["token_type"] = json!("refresh_token");
        let mut expired = live.clone();
        expired["exp"] = json!(now.unix_timestamp() - 1);
        let mut no_expiry = live.clone();
        no_expiry["exp"] = Value::Null;
        for inactive in [json!({"active": false}), refresh, expired, no_expiry] {
            assert_eq!(bearer_from(&inactive, now), None, "{inactive}");
        }
    }
}
