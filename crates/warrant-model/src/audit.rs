//! Security events kept for whoever must later answer "who did what, when, from where":
//! logins, lockouts, consents, revocations, and every change to users, applications and
//! keys with the one who made it.

use std::fmt;
use std::str::FromStr;

use crate::{ModelError, Timestamp, UserId};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A password matched an active user's (login page, password grant).
    LoginSucceeded,
    /// A password did not match, or named no active user.
    LoginFailed,
    /// A brute-force counter passed its threshold.
    LockedOut,
    /// Staff lifted a lock.
    Unlocked,
    /// A user let an application act for them.
    ConsentGiven,
    /// A user or staff took an application's access away.
    ConsentRevoked,
    /// A client revoked a token (RFC 7009).
    TokenRevoked,
    /// An application was registered.
    ApplicationCreated,
    /// An application was changed.
    ApplicationChanged,
    /// An application was deleted with its tokens.
    ApplicationDeleted,
    /// An application's secret was replaced.
    ApplicationSecretRotated,
    /// A user was created.
    UserCreated,
    /// A user's details, roles or password changed.
    UserChanged,
    /// A user was deactivated.
    UserDeactivated,
    /// A user was activated again.
    UserActivated,
    /// A user was deleted with everything of theirs.
    UserDeleted,
    /// A user's API token was replaced.
    ApiTokenReplaced,
    /// A signing key was made or replaced.
    SigningKeyRotated,
}

impl AuditAction {
    /// Every action, in a stable order.
    pub const ALL: [AuditAction; 18] = [
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LockedOut,
        Self::Unlocked,
        Self::ConsentGiven,
        Self::ConsentRevoked,
        Self::TokenRevoked,
        Self::ApplicationCreated,
        Self::ApplicationChanged,
        Self::ApplicationDeleted,
        Self::ApplicationSecretRotated,
        Self::UserCreated,
        Self::UserChanged,
        Self::UserDeactivated,
        Self::UserActivated,
        Self::UserDeleted,
        Self::ApiTokenReplaced,
        Self::SigningKeyRotated,
    ];

    /// The stored and published name (`login.failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::LockedOut => "lockout.locked",
            Self::Unlocked => "lockout.cleared",
            Self::ConsentGiven => "consent.given",
            Self::ConsentRevoked => "consent.revoked",
            Self::TokenRevoked => "token.revoked",
            Self::ApplicationCreated => "application.created",
            Self::ApplicationChanged => "application.changed",
            Self::ApplicationDeleted => "application.deleted",
            Self::ApplicationSecretRotated => "application.secret_rotated",
            Self::UserCreated => "user.created",
            Self::UserChanged => "user.changed",
            Self::UserDeactivated => "user.deactivated",
            Self::UserActivated => "user.activated",
            Self::UserDeleted => "user.deleted",
            Self::ApiTokenReplaced => "user.api_token_replaced",
            Self::SigningKeyRotated => "signing_key.rotated",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = ModelError;

    fn from_str(value: &str) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == value)
            .ok_or_else(|| ModelError::Unknown {
                kind: "audit action",
                value: value.to_owned(),
            })
    }
}

/// One event to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// When.
    pub occurred_at: Timestamp,
    /// What.
    pub action: AuditAction,
    /// The acting user, when a user acted.
    pub actor_user_id: Option<UserId>,
    /// Who acted, for people: a username, `client:<client id>`, `command line`.
    pub actor: Option<String>,
    /// What it was done to: `user:alice`, `application:<client id>`, `account:<login>`,
    /// `signing_key:<kid>`.
    pub target: Option<String>,
    /// The address the request came from.
    pub client_address: Option<String>,
    /// More, in words (which fields changed, which counter).
    pub detail: Option<String>,
}

/// A kept event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Its place in the log (ascending).
    pub id: i64,
    /// What was kept.
    pub event: NewAuditEvent,
}
