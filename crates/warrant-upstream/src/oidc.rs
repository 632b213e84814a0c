//! OpenID Connect providers: discovery (kept for an hour), and ID tokens verified against
//! the provider's published keys.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use url::Url;
use warrant_generators::{constant_time_eq, jwt_key_id, verify_jwt};
use warrant_model::Secret;

use crate::UpstreamError;
use warrant_outgoing::Request;

use crate::http_client::HttpClient;
use crate::provider::{UpstreamUser, get_json, json};

/// How long discovery and keys are kept before they are read again (a key the provider
/// rotated in sooner is fetched when an ID token names it).
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// Seconds of clock difference allowed when checking `exp`.
const LEEWAY_SECONDS: i64 = 60;

#[derive(Debug)]
pub(crate) struct Oidc {
    pub issuer: Url,
    pub trust_email: bool,
    pub discovered: Mutex<Option<(Instant, Arc<Discovered>)>>,
}

/// What discovery says.
#[derive(Debug)]
pub(crate) struct Discovered {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub userinfo_endpoint: Option<Url>,
    /// RFC 9207: every authorization response carries `iss`.
    pub iss_parameter_supported: bool,
    pub jwks: Value,
}

impl Oidc {
    /// The user of an OpenID Connect login: `sub` and the ID token's claims, with the email
    /// from userinfo when the ID token carries none; the email only when verified (or
    /// trusted).
    pub async fn user(
        &self,
        http: &dyn HttpClient,
        discovered: &Discovered,
        claims: &Value,
        access_token: &Secret<String>,
    ) -> Result<UpstreamUser, UpstreamError> {
        let mut record = claims.clone();
        if record.get("email").is_none()
            && let Some(userinfo) = &discovered.userinfo_endpoint
        {
            let info = get_json(http, userinfo, access_token).await?;
            // Userinfo must speak of the same subject (OIDC Core §5.3.2).
            if info["sub"] == claims["sub"] {
                record = info;
            }
        }
        let id = claims["sub"].as_str().unwrap_or_default().to_owned();
        let verified = self.trust_email || record["email_verified"] == Value::Bool(true);
        let email = verified
            .then(|| record["email"].as_str().map(str::to_owned))
            .flatten();
        let username = record["preferred_username"]
            .as_str()
            .or(record["nickname"].as_str())
            .map(str::to_owned)
            .or_else(|| {
                email
                    .as_deref()
                    .and_then(|e| e.split('@').next())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| id.clone());
        Ok(UpstreamUser {
            id,
            username,
            email,
            record,
        })
    }

    /// The provider's metadata and keys, from the cache unless `refresh` or stale.
    pub async fn discovered(
        &self,
        http: &dyn HttpClient,
        refresh: bool,
    ) -> Result<Arc<Discovered>, UpstreamError> {
        let mut cached = self.discovered.lock().await;
        if let Some((at, discovered)) = cached.as_ref()
            && !refresh
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(discovered.clone());
        }
        let discovered = Arc::new(self.discover(http).await?);
        *cached = Some((Instant::now(), discovered.clone()));
        Ok(discovered)
    }

    async fn discover(&self, http: &dyn HttpClient) -> Result<Discovered, UpstreamError> {
        let configured = self.issuer.as_str().trim_end_matches('/');
        let url = parse(
            &format!("{configured}/.well-known/openid-configuration"),
            configured,
        )?;
        let metadata = get_public(http, &url).await?;
        let protocol = |what: String| UpstreamError::Protocol {
            endpoint: url.to_string(),
            what,
        };
        let issuer = metadata["issuer"].as_str().unwrap_or_default();
        // OpenID Connect Discovery §4.3: the document must name the issuer it was read from.
        if issuer.trim_end_matches('/') != configured {
            return Err(protocol(format!(
                "it names the issuer {issuer:?}, not the configured {configured:?}"
            )));
        }
        let endpoint = |name: &str| -> Result<Url, UpstreamError> {
            let value = metadata[name]
                .as_str()
                .ok_or_else(|| protocol(format!("no {name}")))?;
            parse(value, url.as_str())
        };
        let jwks_uri = endpoint("jwks_uri")?;
        let jwks = get_public(http, &jwks_uri).await?;
        Ok(Discovered {
            issuer: issuer.to_owned(),
            authorization_endpoint: endpoint("authorization_endpoint")?,
            token_endpoint: endpoint("token_endpoint")?,
            userinfo_endpoint: endpoint("userinfo_endpoint").ok(),
            iss_parameter_supported: metadata["authorization_response_iss_parameter_supported"]
                == Value::Bool(true),
            jwks,
        })
    }

    /// The claims of `id_token` if it is signed by one of the provider's keys and names
    /// this provider, this client, a time not yet past and this login's nonce.
    pub async fn verify_id_token(
        &self,
        http: &dyn HttpClient,
        id_token: &str,
        client_id: &str,
        nonce: &Secret<String>,
        now: OffsetDateTime,
    ) -> Result<Value, UpstreamError> {
        let mut discovered = self.discovered(http, false).await?;
        let key = match signing_key(&discovered.jwks, id_token) {
            Some(key) => key,
            None => {
                // A key rotated in since the keys were read.
                discovered = self.discovered(http, true).await?;
                signing_key(&discovered.jwks, id_token)
                    .ok_or(UpstreamError::IdToken("no published key matches its kid"))?
            }
        };
        let claims = verify_jwt(&key, id_token)
            .ok_or(UpstreamError::IdToken("the signature does not verify"))?;
        if claims["iss"].as_str() != Some(discovered.issuer.as_str()) {
            return Err(UpstreamError::IdToken("it names another issuer"));
        }
        let audience_ok = match &claims["aud"] {
            Value::String(audience) => audience == client_id,
            Value::Array(audiences) => audiences.iter().any(|a| a.as_str() == Some(client_id)),
            _ => false,
        };
        if !audience_ok {
            return Err(UpstreamError::IdToken("it is for another client"));
        }
        match claims["exp"].as_i64() {
            Some(exp) if exp + LEEWAY_SECONDS > now.unix_timestamp() => {}
            _ => return Err(UpstreamError::IdToken("it has expired")),
        }
        let nonce_ok = claims["nonce"]
            .as_str()
            .is_some_and(|claimed| constant_time_eq(claimed.as_bytes(), nonce.expose().as_bytes()));
        if !nonce_ok {
            return Err(UpstreamError::IdToken("its nonce is not this login's"));
        }
        if claims["sub"].as_str().is_none_or(str::is_empty) {
            return Err(UpstreamError::IdToken("it has no subject"));
        }
        Ok(claims)
    }
}

/// The published key the token's `kid` names (the only key when it names none), with its
/// `alg` filled in from the token's header when the JWKS leaves it out and the key type
/// allows it.
fn signing_key(jwks: &Value, id_token: &str) -> Option<Value> {
    let keys = jwks["keys"].as_array()?;
    let mut key = match jwt_key_id(id_token) {
        Some(kid) => keys
            .iter()
            .find(|key| key["kid"].as_str() == Some(kid.as_str()))?,
        None if keys.len() == 1 => &keys[0],
        None => return None,
    }
    .clone();
    if key.get("alg").is_none() {
        let header = id_token.split('.').next()?;
        let header: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header)
                .ok()?,
        )
        .ok()?;
        let alg = header["alg"].as_str()?;
        let fits = matches!(
            (key["kty"].as_str(), alg),
            (Some("RSA"), "RS256") | (Some("EC"), "ES256") | (Some("OKP"), "EdDSA")
        );
        if !fits {
            return None;
        }
        key["alg"] = Value::String(alg.to_owned());
    }
    Some(key)
}

async fn get_public(http: &dyn HttpClient, url: &Url) -> Result<Value, UpstreamError> {
    let response = http.send(Request::get(url.clone())).await?;
    json(url, &response)
}

fn parse(value: &str, context: &str) -> Result<Url, UpstreamError> {
    Url::parse(value).map_err(|error| UpstreamError::Protocol {
        endpoint: context.to_owned(),
        what: format!("{value:?} is not a URL: {error}"),
    })
}
