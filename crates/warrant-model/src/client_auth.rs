//! How clients authenticate (RFC 6749 §2.3, RFC 7523, OIDC Core §9) and the public keys of
//! those that sign their assertions.

use std::fmt;

use serde_json::Value;
use url::Url;

use crate::{ClientType, ModelError};

/// A client authentication method (RFC 7591 §2's `token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// The secret in HTTP Basic.
    ClientSecretBasic,
    /// The secret in the form body.
    ClientSecretPost,
    /// A JWT assertion signed with HMAC keyed with the secret (RFC 7523, OIDC Core §9).
    ClientSecretJwt,
    /// A JWT assertion signed with the client's private key (RFC 7523, OIDC Core §9).
    PrivateKeyJwt,
    /// None: a public client sends its id only.
    None,
}

impl AuthMethod {
    /// Every method, in the order metadata lists them.
    pub const ALL: [AuthMethod; 5] = [
        Self::ClientSecretBasic,
        Self::ClientSecretPost,
        Self::ClientSecretJwt,
        Self::PrivateKeyJwt,
        Self::None,
    ];

    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    /// Parses a registered name.
    pub fn parse(name: &str) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|method| method.as_str() == name)
            .ok_or_else(|| ModelError::AuthMethod(name.to_owned()))
    }

    /// The client type a method belongs to: only `none` is public.
    pub fn client_type(self) -> ClientType {
        match self {
            Self::None => ClientType::Public,
            _ => ClientType::Confidential,
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Members only a private or symmetric key has: a client publishes none of them.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// The most keys a client's set may hold.
const MAX_KEYS: usize = 20;

/// A client's public signing keys, a JWK Set (RFC 7517 §5): each key an RSA, P-256 or
/// Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientJwks(Value);

impl ClientJwks {
    /// Parses a JWK Set given as JSON text.
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|_| ModelError::ClientKeys("the JWK Set is not JSON".into()))?;
        Self::from_value(value)
    }

    /// Checks a JWK Set given as JSON.
    pub fn from_value(value: Value) -> Result<Self, ModelError> {
        let refuse = |why: &str| ModelError::ClientKeys(why.to_owned());
        let keys = value
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| refuse("a JWK Set is an object with a list of keys"))?;
        if keys.is_empty() || keys.len() > MAX_KEYS {
            return Err(refuse("a JWK Set holds 1 to 20 keys"));
        }
        for key in keys {
            let member = |name: &str| key.get(name).and_then(Value::as_str);
            if PRIVATE_MEMBERS.iter().any(|name| key.get(*name).is_some()) {
                return Err(refuse(
                    "a key holds private members: publish public keys only",
                ));
            }
            let complete = match member("kty") {
                Some("RSA") => member("n").is_some() && member("e").is_some(),
                Some("EC") => {
                    member("crv") == Some("P-256") && member("x").is_some() && member("y").is_some()
                }
                Some("OKP") => member("crv") == Some("Ed25519") && member("x").is_some(),
                _ => return Err(refuse("each key is an RSA, EC P-256 or OKP Ed25519 key")),
            };
            if !complete {
                return Err(refuse("a key lacks a member its type needs"));
            }
        }
        Ok(Self(value))
    }

    /// The keys.
    pub fn keys(&self) -> &[Value] {
        self.0["keys"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The set as JSON.
    pub fn as_json(&self) -> &Value {
        &self.0
    }

    /// The set as stored: compact JSON text.
    pub fn to_stored(&self) -> String {
        self.0.to_string()
    }
}

/// Where a client's public keys are: given, or at a URL the server fetches (`jwks_uri`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKeys {
    /// Registered with the client (`jwks`).
    Jwks(ClientJwks),
    /// Published by the client at an https URL (`jwks_uri`).
    Uri(Url),
}

impl ClientKeys {
    /// A `jwks_uri`: an absolute `https` URL (or `http` to a loopback host, for tests and
    /// local development), without fragment or credentials.
    pub fn uri(text: &str) -> Result<Self, ModelError> {
        let refuse = |why: &str| ModelError::ClientKeys(format!("jwks_uri {text:?}: {why}"));
        let url = Url::parse(text).map_err(|_| refuse("not an absolute URL"))?;
        let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(refuse("must be https")),
        }
        if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must have no fragment or credentials"));
        }
        Ok(Self::Uri(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip_and_only_none_is_public() {
        for method in AuthMethod::ALL {
            assert_eq!(AuthMethod::parse(method.as_str()), Ok(method));
        }
        assert!(AuthMethod::parse("tls_client_auth").is_err());
        assert_eq!(AuthMethod::None.client_type(), ClientType::Public);
        assert_eq!(
            AuthMethod::PrivateKeyJwt.client_type(),
            ClientType::Confidential
        );
    }

    #[test]
    fn a_jwk_set_holds_public_keys_of_known_types_only() {
        let ec = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","kid":"1"}]}"#;
        let parsed = ClientJwks::parse(ec).unwrap();
        assert_eq!(parsed.keys().len(), 1);
        assert_eq!(ClientJwks::parse(&parsed.to_stored()), Ok(parsed));
        for refused in [
            "not json",
            r#"{"keys":[]}"#,
            r#"[{"kty":"EC"}]"#,
            r#"{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"secret"}]}"#,
            r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#,
            r#"{"keys":[{"kty":"EC","crv":"P-384","x":"a","y":"b"}]}"#,
            r#"{"keys":[{"kty":"RSA","n":"a"}]}"#,
        ] {
            assert!(ClientJwks::parse(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn a_jwks_uri_is_https_or_loopback_http() {
        assert!(ClientKeys::uri("https://client.example/jwks.json").is_ok());
        assert!(ClientKeys::uri("http://127.0.0.1:8080/jwks.json").is_ok());
        for refused in [
            "http://client.example/jwks.json",
            "https://user:pw@client.example/jwks.json",
            "https://client.example/jwks.json#k",
            "jwks.json",
        ] {
            assert!(ClientKeys::uri(refused).is_err(), "{refused}");
        }
    }
}
