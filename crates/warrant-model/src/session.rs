//! Browser sessions.

use crate::{Timestamp, TokenHash, UserId};

/// A logged-in browser session; the cookie holds the key, the database its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the session key.
    pub key_hash: TokenHash,
    /// The logged-in user.
    pub user_id: UserId,
    /// When the user authenticated (OIDC `auth_time`, `max_age`).
    pub auth_time: Timestamp,
    /// Creation time.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// A session to store.
pub type NewSession = Session;
