//! Dynamic client registration (RFC 7591, RFC 7592): what Warrant keeps about an
//! application a client registered itself.

use crate::{ApplicationId, Timestamp, TokenHash};

/// An application's dynamic registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRegistration {
    /// The application registered.
    pub application_id: ApplicationId,
    /// SHA-256 of the registration access token (RFC 7592 §3), which manages it.
    pub token_hash: TokenHash,
    /// The client metadata as registered (a JSON object), given back on reads.
    pub metadata: String,
    /// The address it was registered from.
    pub registered_from: String,
    /// When it was registered.
    pub created_at: Timestamp,
}
