//! Signing keys.

use crate::{Sealed, SigningAlgorithm, Timestamp};

/// A key that signs ID tokens and JWT access tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// JWK `kid`.
    pub kid: String,
    /// Algorithm.
    pub algorithm: SigningAlgorithm,
    /// The private key (PKCS#8), sealed.
    pub private_key: Sealed,
    /// The public JWK as JSON, served in the JWKS.
    pub public_jwk: String,
    /// Creation time; the newest unretired key signs.
    pub created_at: Timestamp,
    /// When it stopped signing; it stays in the JWKS until its tokens expire.
    pub retired_at: Option<Timestamp>,
}
