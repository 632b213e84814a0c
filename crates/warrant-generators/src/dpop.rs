//! DPoP proofs (RFC 9449 §4): a JWT a client signs with the key its tokens are bound to,
//! for one request (method and URL), recent, unique by `jti`, and, when it presents an
//! access token, naming that token's hash (`ath`). Checked here for the token endpoint and
//! for resource servers alike; what a `jti` seen before or a server nonce means is the
//! caller's to decide.

use serde_json::Value;
use url::Url;

use crate::jws::{JwsAlgorithm, jwk_thumbprint, verify_with_jwk};
use crate::sha256_base64url;

/// Members only a private or symmetric key has: a proof's `jwk` has none.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// Clock skew forgiven for a proof's `iat` in the future, in seconds.
const FUTURE_LEEWAY: i64 = 5;

/// A proof that verified: its key and what the caller still checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopProof {
    /// The RFC 7638 thumbprint of its public key (`cnf.jkt` of tokens bound to it).
    pub jkt: String,
    /// Its unique id.
    pub jti: String,
    /// When it was made (seconds since the epoch).
    pub issued_at: i64,
    /// The server nonce it carries, if any.
    pub nonce: Option<String>,
}

/// What a proof must be for.
#[derive(Debug, Clone, Copy)]
pub struct DpopRequest<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The request's URL, without query or fragment (`htu`).
    pub url: &'a str,
    /// The access token it is sent with (`ath`), at a resource.
    pub access_token: Option<&'a str>,
    /// Now, in seconds since the epoch.
    pub now: i64,
    /// How old (`iat`) a proof may be, in seconds.
    pub max_age: i64,
    /// The algorithms a proof may be signed with.
    pub algorithms: &'a [JwsAlgorithm],
}

impl DpopProof {
    /// Verifies `proof` (the `DPoP` header's value) for `request`; why it is refused
    /// otherwise, in words for `error_description`.
    pub fn verify(proof: &str, request: &DpopRequest<'_>) -> Result<Self, String> {
        let jws = crate::decode_unverified(proof).ok_or("the DPoP proof is not a JWT")?;
        if jws.header["typ"] != "dpop+jwt" {
            return Err("the DPoP proof's typ must be dpop+jwt".into());
        }
        let jwk = &jws.header["jwk"];
        if !jwk.is_object() || PRIVATE_MEMBERS.iter().any(|name| jwk.get(*name).is_some()) {
            return Err("the DPoP proof's jwk must be a public key".into());
        }
        let verified = verify_with_jwk(jwk, proof, request.algorithms)
            .ok_or("the DPoP proof's signature does not verify with its jwk")?;
        let claims = &verified.claims;
        let text = |name: &str| claims[name].as_str();
        if text("htm") != Some(request.method) {
            return Err("the DPoP proof is for another method".into());
        }
        if !same_url(text("htu"), request.url) {
            return Err("the DPoP proof is for another URL".into());
        }
        let issued_at = claims["iat"].as_i64().ok_or("the DPoP proof has no iat")?;
        if issued_at > request.now + FUTURE_LEEWAY {
            return Err("the DPoP proof is from the future".into());
        }
        if request.now - issued_at > request.max_age {
            return Err("the DPoP proof is too old".into());
        }
        let jti = text("jti")
            .filter(|jti| (1..=256).contains(&jti.len()))
            .ok_or("the DPoP proof has no jti of 1 to 256 characters")?;
        match (request.access_token, text("ath")) {
            (Some(token), Some(ath)) if ath == sha256_base64url(token.as_bytes()) => {}
            (Some(_), _) => {
                return Err("the DPoP proof's ath is not the access token's hash".into());
            }
            (None, _) => {}
        }
        let jkt = jwk_thumbprint(jwk).ok_or("the DPoP proof's jwk has no thumbprint")?;
        Ok(Self {
            jkt,
            jti: jti.to_owned(),
            issued_at,
            nonce: text("nonce").map(str::to_owned),
        })
    }
}

/// Whether `htu` names `url`, compared as URLs without query and fragment (RFC 9449 §4.3).
fn same_url(htu: Option<&str>, url: &str) -> bool {
    let parse = |text: &str| {
        Url::parse(text).ok().map(|mut url| {
            url.set_query(None);
            url.set_fragment(None);
            url
        })
    };
    match (htu.and_then(parse), parse(url)) {
        (Some(htu), Some(url)) => htu == url,
        _ => false,
    }
}

/// The value a token's introspection and JWT carry for its key: `{"jkt": …}` (RFC 9449
/// §6).
pub fn confirmation(jkt: &str) -> Value {
    serde_json::json!({ "jkt": jkt })
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    use serde_json::json;
    use warrant_model::SigningAlgorithm;

    use super::*;
    use crate::{SigningKeyPair, generate_signing_key};

    const URL: &str = "https://as.example/o/token/";
    const NOW: i64 = 1_700_000_000;

    /// A proof signed by a new P-256 key, with `claims` over the usual ones.
    fn proof(claims: Value) -> (String, String) {
        let pkcs8 = generate_signing_key(SigningAlgorithm::ES256).unwrap();
        let public = SigningKeyPair::from_pkcs8(SigningAlgorithm::ES256, pkcs8.expose())
            .unwrap()
            .public_jwk()
            .clone();
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": public["x"], "y": public["y"]});
        let mut payload = json!({"jti": "p1", "htm": "POST", "htu": URL, "iat": NOW});
        for (name, value) in claims.as_object().unwrap() {
            payload[name] = value.clone();
        }
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
        let input = format!(
            "{}.{}",
            encode(&json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk})),
            encode(&payload)
        );
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8.expose(),
            &SystemRandom::new(),
        )
        .unwrap();
        let signature = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        let jkt = jwk_thumbprint(&jwk).unwrap();
        (
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)),
            jkt,
        )
    }

    fn request() -> DpopRequest<'static> {
        DpopRequest {
            method: "POST",
            url: URL,
            access_token: None,
            now: NOW + 1,
            max_age: 60,
            algorithms: &JwsAlgorithm::ASYMMETRIC,
        }
    }

    #[test]
    fn a_proof_for_this_request_gives_its_key() {
        let (jwt, jkt) = proof(json!({"nonce": "n1"}));
        let checked = DpopProof::verify(&jwt, &request()).unwrap();
        assert_eq!(
            checked,
            DpopProof {
                jkt,
                jti: "p1".into(),
                issued_at: NOW,
                nonce: Some("n1".into())
            }
        );
        // The URL is compared without its query.
        let with_query = DpopRequest {
            url: "https://as.example/o/token/?x=1",
            ..request()
        };
        assert!(DpopProof::verify(&jwt, &with_query).is_ok());
    }

    #[test]
    fn proofs_for_other_requests_or_times_are_refused() {
        let token = "an access token";
        let ath = sha256_base64url(token.as_bytes());
        let at_resource = DpopRequest {
            method: "GET",
            url: "https://api.example/items",
            access_token: Some(token),
            ..request()
        };
        let (good, _) =
            proof(json!({"htm": "GET", "htu": "https://api.example/items", "ath": ath}));
        assert!(DpopProof::verify(&good, &at_resource).is_ok());
        let cases = [
            (proof(json!({"htm": "GET"})).0, request(), "another method"),
            (
                proof(json!({"htu": "https://as.example/o/par/"})).0,
                request(),
                "another URL",
            ),
            (proof(json!({"iat": NOW - 600})).0, request(), "too old"),
            (proof(json!({"iat": NOW + 600})).0, request(), "future"),
            (proof(json!({"jti": ""})).0, request(), "jti"),
            (
                proof(json!({"htm": "GET", "htu": "https://api.example/items", "ath": "AAAA"})).0,
                at_resource,
                "ath",
            ),
            (
                proof(json!({"htm": "GET", "htu": "https://api.example/items"})).0,
                at_resource,
                "ath",
            ),
        ];
        for (jwt, request, why) in cases {
            let refused = DpopProof::verify(&jwt, &request).unwrap_err();
            assert!(refused.contains(why), "{why}: {refused}");
        }
        // Signed by another key than the one it names.
        let (first, _) = proof(json!({}));
        let (second, _) = proof(json!({}));
        let forged = format!(
            "{}.{}",
            first.rsplit_once('.').unwrap().0,
            second.rsplit_once('.').unwrap().1
        );
        assert!(DpopProof::verify(&forged, &request()).is_err());
    }
}
