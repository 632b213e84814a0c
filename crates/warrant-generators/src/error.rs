use thiserror::Error;

/// What can go wrong building generators or using the crypto helpers.
#[derive(Debug, Error)]
pub enum GeneratorError {
    /// Config named a generator kind nobody registered.
    #[error("{key}: unknown generator kind {kind:?} (known: {known})")]
    UnknownKind {
        /// Config key, e.g. `generators.client_id.kind`.
        key: String,
        /// The kind asked for.
        kind: String,
        /// Registered kinds, comma-separated.
        known: String,
    },
    /// A token-only generator was configured for a client id or secret.
    #[error("{key}: generator kind {kind:?} only makes tokens")]
    TokenOnlyKind {
        /// Config key.
        key: String,
        /// The kind asked for.
        kind: String,
    },
    /// A generator parameter was missing, of the wrong type, out of range or unknown.
    #[error("{key}: {reason}")]
    BadParameter {
        /// Config key of the parameter, e.g. `generators.client_secret.length`.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// `secret_key` is too short to derive a sealing key from.
    #[error("secret_key must be at least {min} characters long")]
    WeakSecretKey {
        /// Minimum length.
        min: usize,
    },
    /// A sealed value did not open: wrong key, wrong purpose or tampered with.
    #[error("a sealed value could not be opened (wrong secret_key or tampered data)")]
    Unseal,
    /// A signing key could not be loaded or used.
    #[error("signing key: {0}")]
    SigningKey(String),
    /// A password could not be hashed (iteration count out of range).
    #[error("password hashing: {0}")]
    Password(&'static str),
    /// Password hashing is at its limit: as many hashes run and wait as allowed. Answered
    /// as "try again shortly" (503 with `Retry-After`), never queued without bound.
    #[error("password hashing is at capacity; try again shortly")]
    Busy,
}

/// How a generator failure is told to an OAuth client; the cause is logged, never sent.
impl From<GeneratorError> for warrant_model::OAuthError {
    fn from(error: GeneratorError) -> Self {
        match error {
            // Load, not a fault: the client may try again shortly.
            GeneratorError::Busy => Self::TemporarilyUnavailable,
            error => {
                tracing::error!(%error, "generator failure");
                Self::ServerError
            }
        }
    }
}
