//! DPoP-bound access tokens at a resource (RFC 9449 §7): `Authorization: DPoP <token>`
//! with a `DPoP` proof of the token's key, for this request's method and URL, naming the
//! token's hash (`ath`), recent and used once. A bound token sent as `Bearer` is refused:
//! stolen, it would otherwise work for whoever holds it.

use rocket::Request;
use time::OffsetDateTime;
use warrant_generators::{DpopProof, DpopRequest};
use warrant_model::{OAuthError, Secret};

use crate::{BearerToken, Refusal, ResourceServer};

/// How old a proof (`iat`) a resource accepts, in seconds.
pub const DPOP_PROOF_MAX_AGE: i64 = 60;

/// The authorization scheme a token came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449).
    Dpop,
}

impl ResourceServer {
    /// Whether the checked `token`, sent with `scheme`, may be used by `request`: a bound
    /// token only as `DPoP` with a proof of its key, an unbound one only as `Bearer`.
    pub(crate) async fn check_binding(
        &self,
        request: &Request<'_>,
        scheme: Scheme,
        presented: &Secret<String>,
        token: &BearerToken,
    ) -> Result<(), Refusal> {
        let refuse = |description: &str| {
            Err(Refusal::Dpop(OAuthError::InvalidDpopProof(
                description.to_owned(),
            )))
        };
        let jkt = match (scheme, &token.dpop_jkt) {
            (Scheme::Bearer, None) => return Ok(()),
            (Scheme::Bearer, Some(_)) => {
                return Err(Refusal::Dpop(OAuthError::InvalidToken(
                    "this access token is bound to a DPoP key: send it as DPoP with a proof".into(),
                )));
            }
            (Scheme::Dpop, None) => {
                return Err(Refusal::Dpop(OAuthError::InvalidToken(
                    "this access token is not bound to a DPoP key: send it as Bearer".into(),
                )));
            }
            (Scheme::Dpop, Some(jkt)) => jkt,
        };
        let mut proofs = request.headers().get("DPoP");
        let (Some(proof), None) = (proofs.next(), proofs.next()) else {
            return refuse("send one DPoP proof with a DPoP-bound token");
        };
        let url = self.request_url(request);
        let now = OffsetDateTime::now_utc();
        let checked = match DpopProof::verify(
            proof,
            &DpopRequest {
                method: request.method().as_str(),
                url: &url,
                access_token: Some(presented.expose()),
                now: now.unix_timestamp(),
                max_age: DPOP_PROOF_MAX_AGE,
                algorithms: &warrant_generators::JwsAlgorithm::ASYMMETRIC,
            },
        ) {
            Ok(checked) => checked,
            Err(why) => return refuse(&why),
        };
        if checked.jkt != *jkt {
            return refuse("the DPoP proof is signed by another key than the token's");
        }
        let expires_at = now + time::Duration::seconds(DPOP_PROOF_MAX_AGE + 5);
        if !self.first_proof_use(&checked, expires_at).await? {
            return refuse("this DPoP proof was used before");
        }
        Ok(())
    }

    /// The URL `request` was sent to, as its proof's `htu` names it: this resource's public
    /// base URL (its protected-resource identifier's origin unless set) and the path.
    fn request_url(&self, request: &Request<'_>) -> String {
        let path = request.uri().path();
        if let Some(base) = &self.public_url {
            return format!("{}{path}", base.trim_end_matches('/'));
        }
        if let Some(resource) = &self.protected_resource
            && let Ok(url) = url::Url::parse(resource.resource().as_str())
        {
            return format!("{}{path}", url.origin().ascii_serialization());
        }
        let host = request
            .host()
            .map(|host| host.to_string())
            .unwrap_or_default();
        let loopback =
            host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]");
        let scheme = if loopback { "http" } else { "https" };
        format!("{scheme}://{host}{path}")
    }
}
