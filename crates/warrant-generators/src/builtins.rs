//! The built-in generator kinds.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use warrant_model::SigningAlgorithm;

use crate::random::{random_bytes, random_string};
use crate::{Generator, GeneratorError, Params, Registry, TokenContext, TokenGenerator};

/// Django OAuth Toolkit's default alphabet (oauthlib's `UNICODE_ASCII_CHARACTER_SET`).
const DEFAULT_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

pub(crate) fn register(registry: &mut Registry) {
    registry.register("random", |params| {
        Ok(Arc::new(RandomString::from_params(params)?))
    });
    registry.register("opaque", |params| {
        Ok(Arc::new(Opaque::from_params(params)?))
    });
    registry.register_token("jwt", |params| {
        Ok(Arc::new(JwtAccessToken::from_params(params)?))
    });
}

/// `kind = "jwt"`: JWT access tokens (RFC 9068), signed with the server's key for
/// `algorithm` (default RS256), for the resources the client named (RFC 8707), else for
/// `audience` (default: the issuer). Resource servers
/// can check them offline against the JWKS; Warrant stores their hash like any token, so
/// revocation and introspection work as for opaque ones.
struct JwtAccessToken {
    algorithm: SigningAlgorithm,
    audience: Option<String>,
}

/// Random bits in each token's `jti`, which makes every token unguessable and unique.
const JTI_BYTES: usize = 32;

impl JwtAccessToken {
    fn from_params(params: &Params<'_>) -> Result<Self, GeneratorError> {
        params.allow_only(&["algorithm", "audience"])?;
        let algorithm = match params.string("algorithm")? {
            Some(name) => SigningAlgorithm::parse(&name)
                .map_err(|_| params.error("algorithm", "expected RS256, ES256 or EdDSA"))?,
            None => SigningAlgorithm::RS256,
        };
        Ok(Self {
            algorithm,
            audience: params.string("audience")?,
        })
    }
}

impl TokenGenerator for JwtAccessToken {
    fn generate_token(&self, context: &TokenContext<'_>) -> Result<String, GeneratorError> {
        let signer = context
            .signer
            .filter(|signer| signer.algorithm() == self.algorithm)
            .ok_or_else(|| {
                GeneratorError::SigningKey(format!("no {} key to sign with", self.algorithm))
            })?;
        // RFC 9068 §2.2: without a resource owner, `sub` names the client.
        let subject = context.subject.unwrap_or(context.client_id.as_str());
        let resources: Vec<&str> = context.resources.iter().map(|uri| uri.as_str()).collect();
        let audience = match resources.as_slice() {
            [] => serde_json::json!(self.audience.as_deref().unwrap_or(context.issuer)),
            [one] => serde_json::json!(one),
            several => serde_json::json!(several),
        };
        let mut claims = serde_json::json!({
            "iss": context.issuer,
            "sub": subject,
            "aud": audience,
            "client_id": context.client_id.as_str(),
            "scope": context.scope.to_string(),
            "iat": context.issued_at.unix_timestamp(),
            "exp": context.expires_at.unix_timestamp(),
            "jti": URL_SAFE_NO_PAD.encode(random_bytes(JTI_BYTES)?),
        });
        if let Some(jkt) = context.dpop_jkt {
            claims["cnf"] = crate::confirmation(jkt);
        }
        signer.sign_jwt("at+jwt", &claims)
    }

    fn signing_algorithm(&self) -> Option<SigningAlgorithm> {
        Some(self.algorithm)
    }

    fn entropy_bits(&self) -> Option<u32> {
        u32::try_from(JTI_BYTES * 8).ok()
    }
}

/// `kind = "random"`: `length` characters (default 40) from `alphabet` (default letters and
/// digits), like Django OAuth Toolkit's client id and secret generators.
struct RandomString {
    alphabet: Vec<u8>,
    length: usize,
}

impl RandomString {
    fn from_params(params: &Params<'_>) -> Result<Self, GeneratorError> {
        params.allow_only(&["length", "alphabet"])?;
        let length = params.usize("length")?.unwrap_or(40);
        if !(1..=1024).contains(&length) {
            return Err(params.error("length", "must be between 1 and 1024"));
        }
        let alphabet = params
            .string("alphabet")?
            .unwrap_or_else(|| DEFAULT_ALPHABET.into());
        let mut unique: Vec<u8> = alphabet.bytes().collect();
        unique.sort_unstable();
        unique.dedup();
        // `:` would break HTTP Basic auth for client ids sent without form-encoding.
        let printable = alphabet
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b':');
        if unique.len() < 2 || unique.len() != alphabet.len() || !printable {
            return Err(params.error(
                "alphabet",
                "needs at least two distinct printable ASCII characters, without spaces, ':' or repeats",
            ));
        }
        Ok(Self {
            alphabet: alphabet.into_bytes(),
            length,
        })
    }
}

impl Generator for RandomString {
    fn generate(&self) -> Result<String, GeneratorError> {
        random_string(&self.alphabet, self.length)
    }

    fn entropy_bits(&self) -> Option<u32> {
        let bits = self.length as f64 * (self.alphabet.len() as f64).log2();
        Some(bits.floor() as u32)
    }
}

/// `kind = "opaque"`: `bytes` random bytes (default and minimum 32, i.e. 256 bits) from
/// ring's `SystemRandom`, base64url without padding.
struct Opaque {
    bytes: usize,
}

impl Opaque {
    fn from_params(params: &Params<'_>) -> Result<Self, GeneratorError> {
        params.allow_only(&["bytes"])?;
        let bytes = params.usize("bytes")?.unwrap_or(32);
        if !(32..=512).contains(&bytes) {
            return Err(params.error("bytes", "must be between 32 and 512"));
        }
        Ok(Self { bytes })
    }
}

impl Generator for Opaque {
    fn generate(&self) -> Result<String, GeneratorError> {
        Ok(URL_SAFE_NO_PAD.encode(random_bytes(self.bytes)?))
    }

    fn entropy_bits(&self) -> Option<u32> {
        u32::try_from(self.bytes * 8).ok()
    }
}

#[cfg(test)]
mod tests {
    use crate::{GeneratorError, GeneratorsConfig, Registry, TokenContext};
    use warrant_model::{ClientId, ScopeSet};

    fn build(json: &str) -> Result<crate::Generators, GeneratorError> {
        let config: GeneratorsConfig = serde_json::from_str(json).unwrap();
        Registry::with_builtins().build(&config)
    }

    fn error_of(json: &str) -> String {
        build(json).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn defaults_follow_django_oauth_toolkit() {
        let generators = build("{}").unwrap();
        let id = generators.new_client_id().unwrap();
        assert_eq!(id.as_str().len(), 40);
        assert!(id.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(generators.new_client_secret().unwrap().expose().len(), 128);
        let client = ClientId::parse("c").unwrap();
        let scope = ScopeSet::empty();
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let context = TokenContext {
            client_id: &client,
            subject: None,
            scope: &scope,
            resources: &Default::default(),
            issued_at: now,
            expires_at: now,
            issuer: "https://auth.example.com",
            signer: None,
            dpop_jkt: None,
        };
        assert_eq!(generators.access_token_signing_algorithm(), None);
        let token = generators.new_access_token(&context).unwrap();
        assert_eq!(token.expose().len(), 43, "32 bytes of base64url");
        assert_ne!(
            token.expose(),
            generators.new_refresh_token(&context).unwrap().expose()
        );
    }

    #[test]
    fn config_errors_name_the_key() {
        assert!(
            error_of(r#"{"client_id": {"kind": "nope"}}"#)
                .starts_with("generators.client_id.kind: unknown generator kind \"nope\"")
        );
        assert!(
            error_of(r#"{"client_secret": {"kind": "random", "length": "long"}}"#)
                .starts_with("generators.client_secret.length:")
        );
        assert!(
            error_of(r#"{"client_id": {"kind": "random", "lenght": 40}}"#)
                .starts_with("generators.client_id.lenght: unknown parameter")
        );
        assert!(
            error_of(r#"{"client_id": {"kind": "random", "alphabet": "ab:"}}"#)
                .starts_with("generators.client_id.alphabet:")
        );
        assert!(
            error_of(r#"{"access_token": {"kind": "opaque", "bytes": 8}}"#)
                .starts_with("generators.access_token.bytes:")
        );
    }

    #[test]
    fn jwt_access_tokens_carry_rfc_9068_claims_signed_by_the_given_key() {
        use crate::{SigningKeyPair, generate_signing_key, verify_jwt};
        use warrant_model::SigningAlgorithm;
        let generators =
            build(r#"{"access_token": {"kind": "jwt", "algorithm": "ES256", "audience": "https://api.example.com"}}"#)
                .unwrap();
        assert_eq!(
            generators.access_token_signing_algorithm(),
            Some(SigningAlgorithm::ES256)
        );
        let pkcs8 = generate_signing_key(SigningAlgorithm::ES256).unwrap();
        let key = SigningKeyPair::from_pkcs8(SigningAlgorithm::ES256, pkcs8.expose()).unwrap();
        let client = ClientId::parse("photo-app").unwrap();
        let scope = ScopeSet::parse("read write").unwrap();
        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let context = TokenContext {
            client_id: &client,
            subject: None,
            scope: &scope,
            resources: &Default::default(),
            issued_at: now,
            expires_at: now + time::Duration::hours(1),
            issuer: "https://auth.example.com",
            signer: Some(&key),
            dpop_jkt: None,
        };
        let token = generators.new_access_token(&context).unwrap();
        let claims = verify_jwt(key.public_jwk(), token.expose()).unwrap();
        assert_eq!(claims["iss"], "https://auth.example.com");
        assert_eq!(claims["aud"], "https://api.example.com");
        assert_eq!(claims["sub"], "photo-app", "no user: the client");
        assert_eq!(claims["client_id"], "photo-app");
        assert_eq!(claims["scope"], "read write");
        assert_eq!(claims["exp"], 1_800_003_600);
        assert_eq!(claims["jti"].as_str().unwrap().len(), 43);
        let again = generators.new_access_token(&context).unwrap();
        assert_ne!(
            again.expose(),
            token.expose(),
            "jti makes each token unique"
        );

        let two = warrant_model::Resources::parse("https://a.example/ https://b.example/").unwrap();
        let for_resources = TokenContext {
            resources: &two,
            ..context
        };
        let token = generators.new_access_token(&for_resources).unwrap();
        let claims = verify_jwt(key.public_jwk(), token.expose()).unwrap();
        assert_eq!(
            claims["aud"],
            serde_json::json!(["https://a.example/", "https://b.example/"]),
            "the resources named (RFC 8707) are the audience"
        );
        assert_eq!(claims.get("cnf"), None, "a bearer token names no key");
        let bound = TokenContext {
            dpop_jkt: Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
            ..context
        };
        let token = generators.new_access_token(&bound).unwrap();
        let claims = verify_jwt(key.public_jwk(), token.expose()).unwrap();
        assert_eq!(
            claims["cnf"]["jkt"], "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
            "a DPoP-bound token names its key (RFC 9449 §6.1)"
        );

        let unsigned = TokenContext {
            signer: None,
            ..context
        };
        assert!(matches!(
            generators.new_access_token(&unsigned),
            Err(GeneratorError::SigningKey(_))
        ));
        assert!(
            error_of(r#"{"refresh_token": {"kind": "jwt"}}"#)
                .starts_with("generators.refresh_token.kind:")
        );
        assert!(
            error_of(r#"{"access_token": {"kind": "jwt", "algorithm": "HS256"}}"#)
                .starts_with("generators.access_token.algorithm:")
        );
    }

    #[test]
    fn weak_secret_generators_are_refused() {
        let message = error_of(r#"{"client_secret": {"kind": "random", "length": 8}}"#);
        assert!(
            message.starts_with("generators.client_secret: makes values of 47 bits"),
            "{message}"
        );
        assert!(
            build(r#"{"client_id": {"kind": "random", "length": 8}}"#).is_ok(),
            "client ids are not secret"
        );
    }

    /// Counts; says nothing of its entropy unless told to opt out.
    struct Counter(bool);

    impl crate::Generator for Counter {
        fn generate(&self) -> Result<String, GeneratorError> {
            Ok("1".into())
        }

        fn unstated_entropy_is_fine(&self) -> bool {
            self.0
        }
    }

    #[test]
    fn secret_slots_need_stated_entropy_or_an_explicit_opt_out() {
        let with = |opted_out: bool| {
            let mut registry = Registry::with_builtins();
            registry.register("counter", move |_| {
                Ok(std::sync::Arc::new(Counter(opted_out)))
            });
            registry
        };
        let config = |slot: &str| -> GeneratorsConfig {
            serde_json::from_str(&format!(r#"{{"{slot}": {{"kind": "counter"}}}}"#)).unwrap()
        };
        for slot in ["client_secret", "access_token", "refresh_token"] {
            let refused = with(false).build(&config(slot)).err().unwrap().to_string();
            assert!(
                refused.starts_with(&format!(
                    "generators.{slot}: kind \"counter\" does not state its entropy"
                )),
                "{refused}"
            );
            assert!(with(true).build(&config(slot)).is_ok(), "{slot}");
        }
        assert!(with(false).build(&config("client_id")).is_ok());
    }
}
