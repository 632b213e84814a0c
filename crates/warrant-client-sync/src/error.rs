//! The crate's one error type.

use std::time::Duration;

/// What went wrong talking to a peer or keeping the mirror.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No answer: refused, reset, unresolvable, or a URL that may not be reached.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// No answer within the configured time.
    #[error("no answer within {} s", .0.as_secs_f64())]
    TimedOut(Duration),
    /// An answer, but not a success.
    #[error("answered HTTP {0}")]
    Refused(u16),
    /// The server accepted a login but its profile could not be read.
    #[error("the server's profile could not be read: {0}")]
    Profile(String),
    /// A client-app setting is not usable.
    #[error("invalid setting: {0}")]
    Settings(String),
    /// The client app's mirror of users failed.
    #[error("the user mirror: {0}")]
    Mirror(String),
    /// The server's database failed.
    #[cfg(feature = "pusher")]
    #[error(transparent)]
    Store(#[from] warrant_storage::StoreError),
    /// Reading the user's record failed (their API token could not be opened or made).
    #[cfg(feature = "pusher")]
    #[error(transparent)]
    Grants(#[from] warrant_grants::GrantsError),
}

impl From<warrant_outgoing::OutgoingError> for SyncError {
    fn from(error: warrant_outgoing::OutgoingError) -> Self {
        match error {
            warrant_outgoing::OutgoingError::TimedOut { after, .. } => Self::TimedOut(after),
            warrant_outgoing::OutgoingError::Unreachable { reason, .. } => {
                Self::Unreachable(reason)
            }
            other => Self::Unreachable(other.to_string()),
        }
    }
}
