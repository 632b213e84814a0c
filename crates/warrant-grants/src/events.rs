//! What the engine reports as it works, for whoever counts or records it (the server's
//! metrics): outcomes that only the engine sees, such as a password grant's wrong password
//! or a counter passing its threshold, which an answer alone does not tell apart.

use warrant_model::{GrantType, ThrottleKind};

/// One thing that happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A password was checked (the login page, the password grant).
    PasswordChecked {
        /// It matched an active user's.
        valid: bool,
    },
    /// A client failed to authenticate (a wrong or missing secret or assertion, an unknown
    /// client id).
    ClientAuthenticationFailed,
    /// An attempt was refused unchecked: its counter is locked.
    AttemptRefused {
        /// Which counter.
        kind: ThrottleKind,
    },
    /// A counter passed its threshold: attempts are refused for a while, or for good.
    LockedOut {
        /// Which counter.
        kind: ThrottleKind,
        /// Only staff can lift it.
        permanent: bool,
    },
    /// Tokens were issued.
    TokensIssued {
        /// By which grant.
        grant: GrantType,
    },
    /// A token was introspected (RFC 7662).
    Introspected {
        /// What the answer said.
        active: bool,
    },
}

/// Receives the engine's [`Event`]s. Called on the request's task: keep it quick (count,
/// queue), never wait.
pub trait Events: Send + Sync {
    /// `event` happened.
    fn record(&self, event: Event);
}

/// Events go nowhere (the CLI, tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

impl Events for NoEvents {
    fn record(&self, _event: Event) {}
}
