//! The crate's one error type.

/// What went wrong with a provider, its configuration, or a connection.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// A provider's configuration is not usable; the message names the key.
    #[error("{0}")]
    Config(String),
    /// The provider could not be reached, or did not answer in time.
    #[error("{provider}: unreachable: {reason}")]
    Unreachable {
        /// Which endpoint.
        provider: String,
        /// Why.
        reason: String,
    },
    /// The provider answered with an error status.
    #[error("{endpoint} answered HTTP {status}{}", detail(.said))]
    Refused {
        /// Which endpoint.
        endpoint: String,
        /// The status.
        status: u16,
        /// The OAuth error it gave (`error`, with its `error_description`), if any.
        said: Option<String>,
    },
    /// The provider's answer lacked what the flow needs.
    #[error("unexpected answer from {endpoint}: {what}")]
    Protocol {
        /// Which endpoint.
        endpoint: String,
        /// What was missing or malformed.
        what: String,
    },
    /// The answer at the callback named another issuer than the provider's, or none although
    /// the provider says it always names one (RFC 9207: a mix-up attack, or a
    /// misconfiguration).
    #[error("the authorization response's iss {0} is not this provider's issuer")]
    WrongIssuer(String),
    /// The ID token did not verify (signature, issuer, audience, expiry or nonce).
    #[error("the ID token is not valid: {0}")]
    IdToken(&'static str),
    /// Randomness or sealing failed.
    #[error(transparent)]
    Generator(#[from] warrant_generators::GeneratorError),
    /// Signing up: a user already has the provider's email address.
    #[error(
        "A user already exists with this email address. Please log in first and then connect this provider to the existing account."
    )]
    EmailTaken,
    /// Connecting: the provider's account is connected to another user.
    #[error("this {0} account is already connected to another user")]
    ConnectedElsewhere(String),
    /// Disconnecting the user's last way to log in (no usable password, no other connection).
    #[error("this is your only way to log in: set a password or connect another provider first")]
    LastLogin,
    /// Disconnecting a connection that is not the user's.
    #[error("no such connection")]
    NotYours,
    /// The connected user may not log in.
    #[error("this account is inactive")]
    Inactive,
    /// The connection's access token expired and there is no refresh token.
    #[error("the access token expired and the provider gave no refresh token")]
    NoRefreshToken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] warrant_storage::StoreError),
    /// Creating the user failed.
    #[error(transparent)]
    Grants(#[from] warrant_grants::GrantsError),
}

/// `: <what the provider said>`, or nothing.
fn detail(said: &Option<String>) -> String {
    said.as_deref()
        .map(|s| format!(": {s}"))
        .unwrap_or_default()
}
