//! API tokens (`Authorization: Token <key>`).

use crate::{Sealed, Timestamp, TokenHash, UserId};

/// A user's API token (ocs-authentication's `AuthProfile.api_token`): one per user, used as
/// `Authorization: Token <key>` and pushed to client apps. Looked up by hash; kept sealed
/// as well because the profile endpoint and client sync must show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Owner.
    pub user_id: UserId,
    /// SHA-256 of the token.
    pub token_hash: TokenHash,
    /// The token sealed under `secret_key`.
    pub sealed_token: Sealed,
    /// When this token replaced the previous one.
    pub created_at: Timestamp,
}
