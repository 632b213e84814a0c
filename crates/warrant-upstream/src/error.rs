//! The crate's one error type.

/// What went wrong with a provider or its configuration.
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
    #[error("{endpoint} answered HTTP {status}")]
    Refused {
        /// Which endpoint.
        endpoint: String,
        /// The status.
        status: u16,
    },
    /// The provider's answer lacked what the flow needs.
    #[error("unexpected answer from {endpoint}: {what}")]
    Protocol {
        /// Which endpoint.
        endpoint: String,
        /// What was missing or malformed.
        what: String,
    },
    /// The ID token did not verify (signature, issuer, audience, expiry or nonce).
    #[error("the ID token is not valid: {0}")]
    IdToken(&'static str),
    /// Randomness for state, PKCE or nonce was not available.
    #[error("no randomness: {0}")]
    Random(#[from] warrant_generators::GeneratorError),
}
