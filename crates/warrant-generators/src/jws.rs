//! Verifying compact JSON Web Signatures made by others: clients' assertions (RFC 7523)
//! and, for Warrant's own keys, [`verify_jwt`]. The algorithm comes from the header but must
//! be one the caller allows and fit the key: no `none`, no algorithm confusion.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256,
    RsaPublicKeyComponents, UnparsedPublicKey,
};
use serde_json::Value;

use crate::constant_time_eq;

/// A JWS algorithm Warrant verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwsAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PSS with SHA-256 (FAPI 2.0's RSA algorithm).
    PS256,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// Ed25519.
    EdDSA,
    /// Ed25519 by its fully-specified name (RFC 9864), as newer libraries write it.
    Ed25519,
    /// HMAC with SHA-256, keyed with a shared secret (`client_secret_jwt`).
    HS256,
}

impl JwsAlgorithm {
    /// The algorithms of public keys, in the order metadata lists them.
    pub const ASYMMETRIC: [JwsAlgorithm; 5] = [
        Self::RS256,
        Self::PS256,
        Self::ES256,
        Self::EdDSA,
        Self::Ed25519,
    ];

    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
            Self::Ed25519 => "Ed25519",
            Self::HS256 => "HS256",
        }
    }

    /// Parses a JWS `alg` name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ASYMMETRIC
            .into_iter()
            .chain([Self::HS256])
            .find(|alg| alg.as_str() == name)
    }
}

/// A compact JWS's header and claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Jws {
    /// The protected header.
    pub header: Value,
    /// The payload, a JSON object.
    pub claims: Value,
}

impl Jws {
    /// The header's `alg`, if Warrant knows it.
    pub fn algorithm(&self) -> Option<JwsAlgorithm> {
        JwsAlgorithm::parse(self.header["alg"].as_str()?)
    }
}

/// The header and claims of a compact JWS, **unverified**: to choose the key that verifies
/// it, or to read whom it claims to come from.
pub fn decode_unverified(jwt: &str) -> Option<Jws> {
    let mut parts = jwt.split('.');
    let (header, claims, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let json = |part: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    let (header, claims) = (json(header)?, json(claims)?);
    (header.is_object() && claims.is_object()).then_some(Jws { header, claims })
}

/// The JWS if the public `jwk` verifies its signature with its header's algorithm, which
/// must be one of `allowed`, fit the key's type (and curve), and equal the key's own `alg`
/// when it names one; a key whose `use` is not `sig` verifies nothing.
pub fn verify_with_jwk(jwk: &Value, jwt: &str, allowed: &[JwsAlgorithm]) -> Option<Jws> {
    let jws = decode_unverified(jwt)?;
    let algorithm = jws.algorithm().filter(|alg| allowed.contains(alg))?;
    if jwk.get("alg").is_some_and(|alg| alg != algorithm.as_str())
        || jwk.get("use").is_some_and(|use_| use_ != "sig")
    {
        return None;
    }
    let (input, signature) = signed_parts(jwt)?;
    let member = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str()?).ok();
    let kty = jwk["kty"].as_str()?;
    let crv = jwk["crv"].as_str();
    let verified = match (algorithm, kty, crv) {
        (JwsAlgorithm::RS256 | JwsAlgorithm::PS256, "RSA", _) => {
            let parameters = match algorithm {
                JwsAlgorithm::RS256 => &RSA_PKCS1_2048_8192_SHA256,
                _ => &RSA_PSS_2048_8192_SHA256,
            };
            RsaPublicKeyComponents {
                n: member("n")?,
                e: member("e")?,
            }
            .verify(parameters, input.as_bytes(), &signature)
            .is_ok()
        }
        (JwsAlgorithm::ES256, "EC", Some("P-256")) => {
            let mut point = vec![4];
            point.extend(member("x")?);
            point.extend(member("y")?);
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(input.as_bytes(), &signature)
                .is_ok()
        }
        (JwsAlgorithm::EdDSA | JwsAlgorithm::Ed25519, "OKP", Some("Ed25519")) => {
            UnparsedPublicKey::new(&ED25519, member("x")?)
                .verify(input.as_bytes(), &signature)
                .is_ok()
        }
        _ => false,
    };
    verified.then_some(jws)
}

/// The JWS if it is HS256 and `secret` is its key.
pub fn verify_with_secret(secret: &[u8], jwt: &str) -> Option<Jws> {
    let jws = decode_unverified(jwt)?;
    if jws.algorithm() != Some(JwsAlgorithm::HS256) {
        return None;
    }
    let (input, signature) = signed_parts(jwt)?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let expected = ring::hmac::sign(&key, input.as_bytes());
    constant_time_eq(expected.as_ref(), &signature).then_some(jws)
}

/// The signing input and the decoded signature of a compact JWS.
fn signed_parts(jwt: &str) -> Option<(&str, Vec<u8>)> {
    let (input, signature) = jwt.rsplit_once('.')?;
    Some((input, URL_SAFE_NO_PAD.decode(signature).ok()?))
}

/// The claims of a compact JWS whose signature the public `jwk` (as published in the
/// JWKS, with its `alg`) verifies; `None` for anything else.
pub fn verify_jwt(jwk: &Value, jwt: &str) -> Option<Value> {
    let algorithm = JwsAlgorithm::parse(jwk["alg"].as_str()?)?;
    verify_with_jwk(jwk, jwt, &[algorithm]).map(|jws| jws.claims)
}

/// The RFC 7638 JWK thumbprint of a public key (RSA, EC or OKP): base64url of the SHA-256
/// of its required members in lexicographic order; `None` for another key type.
pub fn jwk_thumbprint(jwk: &Value) -> Option<String> {
    let required: &[&str] = match jwk["kty"].as_str()? {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    // serde_json's map is ordered by key, and the values are plain strings, so this is the
    // canonical form RFC 7638 §3 asks for.
    let members = required
        .iter()
        .map(|name| Some(((*name).to_owned(), Value::from(jwk[*name].as_str()?))))
        .collect::<Option<serde_json::Map<String, Value>>>()?;
    let canonical = serde_json::to_vec(&members).ok()?;
    Some(URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, &canonical)))
}

#[cfg(test)]
#[cfg(feature = "rsa-keys")] // the tests make RSA keys
mod tests {
    use ring::rand::SystemRandom;
    use ring::signature::{RSA_PSS_SHA256, RsaKeyPair};
    use serde_json::json;
    use warrant_model::SigningAlgorithm;

    use super::*;
    use crate::{SigningKeyPair, generate_signing_key};

    fn encode(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    fn key(algorithm: SigningAlgorithm) -> SigningKeyPair {
        let pkcs8 = generate_signing_key(algorithm).unwrap();
        SigningKeyPair::from_pkcs8(algorithm, pkcs8.expose()).unwrap()
    }

    /// `jwk` as a client publishes it: no `alg`, no `kid`.
    fn bare(jwk: &Value) -> Value {
        let mut jwk = jwk.clone();
        for member in ["alg", "kid", "use"] {
            jwk.as_object_mut().unwrap().remove(member);
        }
        jwk
    }

    #[test]
    fn each_algorithm_verifies_with_a_key_of_its_type_only() {
        let claims = json!({"sub": "client"});
        for algorithm in SigningAlgorithm::ALL {
            let key = key(algorithm);
            let jwt = key.sign_jwt("JWT", &claims).unwrap();
            let jws = verify_with_jwk(&bare(key.public_jwk()), &jwt, &JwsAlgorithm::ASYMMETRIC);
            assert_eq!(jws.unwrap().claims, claims, "{algorithm}");
            assert!(
                verify_with_jwk(key.public_jwk(), &jwt, &[JwsAlgorithm::HS256]).is_none(),
                "{algorithm}: not allowed"
            );
            let mut for_encryption = key.public_jwk().clone();
            for_encryption["use"] = json!("enc");
            assert!(verify_with_jwk(&for_encryption, &jwt, &JwsAlgorithm::ASYMMETRIC).is_none());
        }
        // An ES256 signature does not verify against an Ed25519 key, whatever the header.
        let es = key(SigningAlgorithm::ES256);
        let ed = key(SigningAlgorithm::EdDSA);
        let jwt = es.sign_jwt("JWT", &claims).unwrap();
        assert!(verify_with_jwk(&bare(ed.public_jwk()), &jwt, &JwsAlgorithm::ASYMMETRIC).is_none());
    }

    #[test]
    fn ps256_verifies_and_is_not_rs256() {
        let pkcs8 = generate_signing_key(SigningAlgorithm::RS256).unwrap();
        let pair = RsaKeyPair::from_pkcs8(pkcs8.expose()).unwrap();
        let public = key_of(&pkcs8);
        let input = format!(
            "{}.{}",
            encode(&json!({"alg": "PS256"})),
            encode(&json!({"sub": "c"}))
        );
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(
            &RSA_PSS_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut signature,
        )
        .unwrap();
        let jwt = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&signature));
        assert!(verify_with_jwk(&public, &jwt, &[JwsAlgorithm::PS256]).is_some());
        let relabelled = format!(
            "{}.{}.{}",
            encode(&json!({"alg": "RS256"})),
            encode(&json!({"sub": "c"})),
            URL_SAFE_NO_PAD.encode(&signature)
        );
        assert!(verify_with_jwk(&public, &relabelled, &JwsAlgorithm::ASYMMETRIC).is_none());
    }

    fn key_of(pkcs8: &warrant_model::Secret<Vec<u8>>) -> Value {
        bare(
            SigningKeyPair::from_pkcs8(SigningAlgorithm::RS256, pkcs8.expose())
                .unwrap()
                .public_jwk(),
        )
    }

    #[test]
    fn hs256_needs_the_secret_and_public_keys_are_no_secret() {
        let input = format!(
            "{}.{}",
            encode(&json!({"alg": "HS256"})),
            encode(&json!({"sub": "c"}))
        );
        let mac = |secret: &[u8]| {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
            URL_SAFE_NO_PAD.encode(ring::hmac::sign(&key, input.as_bytes()))
        };
        let jwt = format!("{input}.{}", mac(b"shared secret"));
        assert!(verify_with_secret(b"shared secret", &jwt).is_some());
        assert!(verify_with_secret(b"another secret", &jwt).is_none());
        // Algorithm confusion: an HS256 token keyed with a public key's bytes is refused by
        // the public-key check, which never does HMAC.
        let rsa = key(SigningAlgorithm::RS256);
        let public = bare(rsa.public_jwk());
        let confused = format!("{input}.{}", mac(public["n"].as_str().unwrap().as_bytes()));
        assert!(verify_with_jwk(&public, &confused, &JwsAlgorithm::ASYMMETRIC).is_none());
        assert!(verify_with_jwk(&public, &confused, &[JwsAlgorithm::HS256]).is_none());
        // "none" and malformed tokens.
        let none = format!(
            "{}.{}.",
            encode(&json!({"alg": "none"})),
            encode(&json!({}))
        );
        assert!(verify_with_secret(b"", &none).is_none());
        assert!(decode_unverified("a.b").is_none());
        assert!(decode_unverified("a.b.c.d").is_none());
    }

    #[test]
    fn thumbprints_follow_rfc_7638() {
        // RFC 7638 §3.1's example key and thumbprint.
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            jwk_thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
        assert_eq!(jwk_thumbprint(&json!({"kty": "oct", "k": "x"})), None);
    }
}
