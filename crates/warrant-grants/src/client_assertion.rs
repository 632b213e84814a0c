//! JWT client assertions (RFC 7523 §3, OIDC Core §9): `private_key_jwt`, signed with the
//! client's private key and checked with its registered JWK Set or the one it publishes at
//! its `jwks_uri` (fetched through the one outgoing client, kept a while, fetched again
//! when an assertion names a key not in it), and `client_secret_jwt`, an HMAC keyed with
//! the client secret (kept sealed for such clients only). An assertion is for this server
//! (`aud`: the issuer or the URL it was sent to), short-lived, and used once: its `jti` is
//! recorded in the database until it expires, so a replay to any instance is refused.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde_json::Value;
use time::{Duration, OffsetDateTime};
use url::Url;
use warrant_cache::TtlMap;
use warrant_generators::{Jws, decode_unverified, hash_token, verify_with_jwk, verify_with_secret};
use warrant_model::{
    Application, AuthMethod, ClientJwks, ClientKeys, OAuthError, Secret, sealing_purpose,
};
use warrant_outgoing::{Client, Request};

use crate::Engine;

/// The longest an assertion may be valid: from its `iat`, or from now until its `exp`.
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::minutes(5);

/// Clock skew forgiven between a client and this server.
const LEEWAY: Duration = Duration::seconds(30);

/// The largest JWK Set read from a `jwks_uri`.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// How long a fetched JWK Set is used, and how soon it may be fetched again for a key it
/// lacks (so that assertions naming unknown keys cannot make Warrant fetch on every request).
const JWKS_LIFETIME: StdDuration = StdDuration::from_secs(300);
const JWKS_REFETCH_AFTER: StdDuration = StdDuration::from_secs(10);

/// The public keys clients publish at their `jwks_uri`, as last fetched.
pub struct ClientKeySets {
    client: Option<Client>,
    fetched: TtlMap<String, Arc<ClientJwks>>,
    recently_fetched: TtlMap<String, ()>,
}

impl ClientKeySets {
    /// Key sets fetched with `client`.
    pub fn new(client: Client) -> Self {
        Self {
            client: Some(client),
            fetched: TtlMap::new(10_000),
            recently_fetched: TtlMap::new(10_000),
        }
    }

    /// No fetching (a frontend that authenticates no clients, such as the CLI): clients
    /// whose keys are at a `jwks_uri` cannot authenticate.
    pub fn without_fetching() -> Self {
        Self {
            client: None,
            fetched: TtlMap::new(1),
            recently_fetched: TtlMap::new(1),
        }
    }

    /// The set at `url`: the one kept, or (none kept, or `again` and not fetched in the last
    /// seconds) fetched now.
    async fn at(&self, url: &Url, again: bool) -> Result<Arc<ClientJwks>, String> {
        let key = url.to_string();
        if let Some(kept) = self.fetched.get(&key)
            && (!again || self.recently_fetched.get(&key).is_some())
        {
            return Ok(kept);
        }
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| "keys at a jwks_uri are not fetched here".to_owned())?;
        self.recently_fetched
            .insert(key.clone(), (), JWKS_REFETCH_AFTER);
        let answer = client
            .send(Request::get(url.clone()))
            .await
            .map_err(|error| format!("its jwks_uri: {error}"))?;
        if answer.status != 200 {
            return Err(format!("its jwks_uri answered {}", answer.status));
        }
        if answer.body.len() > MAX_JWKS_BYTES {
            return Err(format!(
                "its jwks_uri holds more than {MAX_JWKS_BYTES} bytes"
            ));
        }
        let text = std::str::from_utf8(&answer.body)
            .map_err(|_| "its jwks_uri is not UTF-8 text".to_owned())?;
        let set =
            Arc::new(ClientJwks::parse(text).map_err(|error| format!("its jwks_uri: {error}"))?);
        self.fetched.insert(key, set.clone(), JWKS_LIFETIME);
        Ok(set)
    }
}

impl Engine<'_> {
    /// Whether `assertion` authenticates `application` at `endpoint` (the URL it was sent
    /// to): signed as its method says, for this server, current, and never used before.
    /// Why one does not is logged (never the assertion) and the client told only
    /// `invalid_client`, as for a wrong secret.
    pub(crate) async fn verify_client_assertion(
        &self,
        application: &Application,
        assertion: &Secret<String>,
        endpoint: &str,
        now: OffsetDateTime,
    ) -> Result<bool, OAuthError> {
        let client_id = application.client_id.as_str();
        let refuse = |why: &str| {
            tracing::info!(client_id, why, "client assertion refused");
            Ok(false)
        };
        let fapi2 = self.is_fapi2(application);
        let verified = match self.auth_method_of(application) {
            Some(AuthMethod::PrivateKeyJwt) => {
                match self.signed_by_client(application, assertion.expose()).await {
                    Ok(verified) => verified,
                    Err(why) => return refuse(&why),
                }
            }
            Some(AuthMethod::ClientSecretJwt) => {
                let Some(sealed) = &application.sealed_secret else {
                    return refuse(
                        "client_secret_jwt, but no secret is kept for it: rotate the secret",
                    );
                };
                let secret = self
                    .keys
                    .sealing()?
                    .open_str(sealing_purpose::CLIENT_SECRET, sealed)?;
                verify_with_secret(secret.expose().as_bytes(), assertion.expose())
            }
            _ => None,
        };
        let Some(jws) = verified else {
            return refuse("its signature does not verify with the client's keys");
        };
        // FAPI 2.0 §5.3.2.1: the issuer, as a string, is the only audience.
        if fapi2 && jws.claims["aud"].as_str() != Some(self.settings.issuer.as_str()) {
            return refuse("under fapi2 its aud must be the issuer, as a string");
        }
        let claims = match AssertionClaims::check(
            &jws.claims,
            client_id,
            [self.settings.issuer.as_str(), endpoint],
            now,
        ) {
            Ok(claims) => claims,
            Err(why) => return refuse(&why),
        };
        let key = hash_token(&format!("client_assertion {client_id} {}", claims.jti));
        if !self.store.first_use(&key, claims.expires_at).await? {
            return refuse("its jti was used before");
        }
        Ok(true)
    }

    /// The assertion if one of the client's public keys verifies it: the key its `kid`
    /// names (any of them without one); a set from a `jwks_uri` that lacks that key is
    /// fetched again first.
    async fn signed_by_client(
        &self,
        application: &Application,
        jwt: &str,
    ) -> Result<Option<Jws>, String> {
        let header = decode_unverified(jwt)
            .map(|jws| jws.header)
            .ok_or_else(|| "it is not a JWT".to_owned())?;
        let kid = header["kid"].as_str();
        let algorithms = self.proof_algorithms(application);
        let verify = |set: &ClientJwks| {
            set.keys()
                .iter()
                .filter(|key| kid.is_none_or(|kid| key["kid"].as_str() == Some(kid)))
                .find_map(|key| verify_with_jwk(key, jwt, algorithms))
        };
        match &application.security.keys {
            Some(ClientKeys::Jwks(set)) => Ok(verify(set)),
            Some(ClientKeys::Uri(url)) => {
                let set = self.key_sets.at(url, false).await?;
                let names_unknown_key = kid.is_some_and(|kid| {
                    !set.keys()
                        .iter()
                        .any(|key| key["kid"].as_str() == Some(kid))
                });
                if !names_unknown_key {
                    return Ok(verify(&set));
                }
                Ok(verify(&*self.key_sets.at(url, true).await?))
            }
            None => Err("private_key_jwt, but the client has no keys".into()),
        }
    }
}

/// What an assertion's claims must say, and what Warrant keeps of them.
#[derive(Debug, PartialEq, Eq)]
struct AssertionClaims {
    jti: String,
    expires_at: OffsetDateTime,
}

impl AssertionClaims {
    /// RFC 7523 §3: `iss` and `sub` the client id, an `aud` of `audiences`, `exp` not past
    /// and not further than [`MAX_ASSERTION_LIFETIME`] (nor `iat` older), `nbf` reached, a
    /// `jti`.
    fn check(
        claims: &Value,
        client_id: &str,
        audiences: [&str; 2],
        now: OffsetDateTime,
    ) -> Result<Self, String> {
        for claim in ["iss", "sub"] {
            if claims[claim].as_str() != Some(client_id) {
                return Err(format!("its {claim} is not the client id"));
            }
        }
        let for_us = |aud: &Value| aud.as_str().is_some_and(|aud| audiences.contains(&aud));
        let aud_ok = match &claims["aud"] {
            Value::Array(list) => list.iter().any(for_us),
            aud => for_us(aud),
        };
        if !aud_ok {
            return Err("its aud is neither the issuer nor the endpoint's URL".into());
        }
        let time = |claim: &str| -> Result<Option<OffsetDateTime>, String> {
            match &claims[claim] {
                Value::Null => Ok(None),
                value => value
                    .as_i64()
                    .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
                    .map(Some)
                    .ok_or_else(|| format!("its {claim} is not a time")),
            }
        };
        let expires_at = time("exp")?.ok_or_else(|| "it has no exp".to_owned())?;
        if expires_at + LEEWAY < now {
            return Err("it expired".into());
        }
        if expires_at - now > MAX_ASSERTION_LIFETIME {
            return Err("its exp is too far ahead".into());
        }
        if let Some(issued_at) = time("iat")? {
            if issued_at > now + LEEWAY {
                return Err("its iat is in the future".into());
            }
            if now - issued_at > MAX_ASSERTION_LIFETIME + LEEWAY {
                return Err("its iat is too long ago".into());
            }
        }
        if time("nbf")?.is_some_and(|not_before| not_before > now + LEEWAY) {
            return Err("its nbf is not reached".into());
        }
        let jti = claims["jti"]
            .as_str()
            .filter(|jti| (1..=256).contains(&jti.len()))
            .ok_or_else(|| "it has no jti of 1 to 256 characters".to_owned())?;
        Ok(Self {
            jti: jti.to_owned(),
            expires_at: expires_at + LEEWAY,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ISSUER: &str = "https://as.example";
    const ENDPOINT: &str = "https://as.example/o/token/";

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000 + seconds).unwrap()
    }

    fn claims() -> Value {
        json!({
            "iss": "c1", "sub": "c1", "aud": ISSUER, "jti": "j1",
            "iat": at(0).unix_timestamp(), "exp": at(60).unix_timestamp(),
        })
    }

    fn check(claims: &Value, now: OffsetDateTime) -> Result<AssertionClaims, String> {
        AssertionClaims::check(claims, "c1", [ISSUER, ENDPOINT], now)
    }

    #[test]
    fn a_current_assertion_for_this_server_passes() {
        assert_eq!(
            check(&claims(), at(1)),
            Ok(AssertionClaims {
                jti: "j1".into(),
                expires_at: at(60) + LEEWAY
            })
        );
        let mut to_endpoint = claims();
        to_endpoint["aud"] = json!(["https://elsewhere.example", ENDPOINT]);
        assert!(check(&to_endpoint, at(1)).is_ok());
    }

    #[test]
    fn every_rule_refuses() {
        let changed = |name: &str, value: Value| {
            let mut claims = claims();
            claims[name] = value;
            claims
        };
        let cases = [
            (changed("iss", json!("c2")), "iss"),
            (changed("sub", json!("c2")), "sub"),
            (changed("aud", json!("https://other.example")), "aud"),
            (changed("aud", json!([ISSUER.to_owned() + "/"])), "aud"),
            (changed("exp", Value::Null), "no exp"),
            (changed("exp", json!("soon")), "exp is not a time"),
            (
                changed("exp", json!(at(3600).unix_timestamp())),
                "too far ahead",
            ),
            (changed("iat", json!(at(120).unix_timestamp())), "future"),
            (changed("nbf", json!(at(120).unix_timestamp())), "nbf"),
            (changed("jti", Value::Null), "jti"),
            (changed("jti", json!("")), "jti"),
        ];
        for (claims, why) in cases {
            let refused = check(&claims, at(1)).unwrap_err();
            assert!(refused.contains(why), "{claims}: {refused}");
        }
        assert!(check(&claims(), at(120)).unwrap_err().contains("expired"));
        let mut old = claims();
        old["iat"] = json!(at(-600).unix_timestamp());
        assert!(check(&old, at(1)).unwrap_err().contains("too long ago"));
    }
}
