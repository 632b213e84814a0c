//! DPoP at the token endpoint (RFC 9449 §5): a token request with a valid proof gets
//! tokens bound to the proof's key (`token_type` `DPoP`, `cnf.jkt`); a client that must use
//! DPoP is refused without one; a refresh token bound to a key needs a proof of it. Server
//! nonces (§8), when required, are the time sealed under `secret_key`, so every instance
//! accepts every other's without sharing state.

use time::{Duration, OffsetDateTime};
use warrant_generators::{DpopProof, DpopRequest, hash_token};
use warrant_model::{Application, OAuthError, Sealed};

use crate::Engine;

/// The purpose DPoP nonces are sealed under.
const NONCE_PURPOSE: &str = "dpop_nonce";

/// How long a server nonce is accepted.
const NONCE_LIFETIME: Duration = Duration::minutes(5);

/// The server's DPoP rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopPolicy {
    /// How old a proof (`iat`) may be.
    pub proof_max_age: Duration,
    /// Proofs at the token endpoint must carry a server nonce.
    pub require_nonce: bool,
}

impl Default for DpopPolicy {
    fn default() -> Self {
        Self {
            proof_max_age: Duration::seconds(60),
            require_nonce: false,
        }
    }
}

/// A request's `DPoP` header and where it was sent.
#[derive(Clone)]
pub struct DpopHeader {
    /// The proof.
    pub proof: String,
    /// The URL the request was sent to (`htu`).
    pub url: String,
}

/// The URL only: a proof is a credential for as long as it is recent.
impl std::fmt::Debug for DpopHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopHeader")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Engine<'_> {
    /// The key a token request for `application` proves (RFC 9449 §5): `None` without a
    /// proof, unless the client must use DPoP. The proof must be for `POST` to the URL it
    /// was sent to, recent, carry a fresh server nonce when they are required, and never
    /// have been used (its `jti`, per key, is recorded on the database).
    pub(crate) async fn token_request_key(
        &self,
        application: &Application,
        dpop: Option<&DpopHeader>,
        now: OffsetDateTime,
    ) -> Result<Option<String>, OAuthError> {
        let Some(dpop) = dpop else {
            return if application.security.require_dpop || self.is_fapi2(application) {
                Err(OAuthError::InvalidDpopProof(
                    "this client must send a DPoP proof".into(),
                ))
            } else {
                Ok(None)
            };
        };
        self.proved_key(application, dpop, now).await.map(Some)
    }

    /// The key `dpop` proves for a `POST` by `application` (a token or pushed
    /// authorization request): recent, with a fresh server nonce when they are required,
    /// and never used before (its `jti`, per key, is recorded on the database).
    pub(crate) async fn proved_key(
        &self,
        application: &Application,
        dpop: &DpopHeader,
        now: OffsetDateTime,
    ) -> Result<String, OAuthError> {
        let proof = DpopProof::verify(
            &dpop.proof,
            &DpopRequest {
                method: "POST",
                url: &dpop.url,
                access_token: None,
                now: now.unix_timestamp(),
                max_age: self.settings.dpop.proof_max_age.whole_seconds(),
                algorithms: self.proof_algorithms(application),
            },
        )
        .map_err(OAuthError::InvalidDpopProof)?;
        if self.settings.dpop.require_nonce
            && !proof
                .nonce
                .as_deref()
                .is_some_and(|nonce| self.nonce_is_fresh(nonce, now))
        {
            return Err(OAuthError::UseDpopNonce {
                nonce: self.dpop_nonce(now)?,
            });
        }
        let key = hash_token(&format!("dpop {} {}", proof.jkt, proof.jti));
        let expires_at = now + self.settings.dpop.proof_max_age + Duration::seconds(5);
        if !self.store.first_use(&key, expires_at).await? {
            return Err(OAuthError::InvalidDpopProof(
                "this DPoP proof was used before".into(),
            ));
        }
        Ok(proof.jkt)
    }

    /// A server nonce for DPoP proofs: the time, sealed.
    pub fn dpop_nonce(&self, now: OffsetDateTime) -> Result<String, OAuthError> {
        use base64::Engine as _;
        let sealed = self
            .keys
            .sealing()?
            .seal(NONCE_PURPOSE, &now.unix_timestamp().to_be_bytes())?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed.as_bytes()))
    }

    /// Whether `nonce` is one of this server's (any instance's) and recent.
    fn nonce_is_fresh(&self, nonce: &str, now: OffsetDateTime) -> bool {
        use base64::Engine as _;
        let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        let Ok(sealing) = self.keys.sealing() else {
            return false;
        };
        let Ok(opened) = sealing.open(NONCE_PURPOSE, &Sealed::from_bytes(bytes)) else {
            return false;
        };
        let Ok(seconds) = <[u8; 8]>::try_from(opened.expose().as_slice()) else {
            return false;
        };
        let made = i64::from_be_bytes(seconds);
        let age = now.unix_timestamp() - made;
        (0..NONCE_LIFETIME.whole_seconds()).contains(&age)
    }
}
