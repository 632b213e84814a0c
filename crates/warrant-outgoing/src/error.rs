//! What can go wrong calling out.

use std::time::Duration;

/// Why a client could not be made, or a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum OutgoingError {
    /// The trusted certificates or TLS settings are unusable.
    #[error("{0}")]
    Config(String),
    /// A plain `http` URL to a host that is not loopback, without `allow_insecure_http`.
    #[error(
        "{0}: plain http to a host other than loopback: use https, or allow insecure http explicitly"
    )]
    InsecureUrl(String),
    /// No answer: the connection, TLS or the exchange failed.
    #[error("{url}: {reason}")]
    Unreachable {
        /// Where (never with credentials: URLs are checked to carry none where configured).
        url: String,
        /// The innermost cause.
        reason: String,
    },
    /// No whole answer within the deadline.
    #[error("{url}: no answer within {} s", .after.as_secs_f64())]
    TimedOut {
        /// Where.
        url: String,
        /// The deadline.
        after: Duration,
    },
}
