//! Standing consents: the scopes a user approved for an application.

use crate::{ApplicationId, ScopeSet, Timestamp, UserId};

/// A user's standing approval of scopes for an application; `approval_prompt=auto` skips
/// the consent page when it covers the requested scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The approving user.
    pub user_id: UserId,
    /// The approved application.
    pub application_id: ApplicationId,
    /// Every scope approved so far.
    pub scope: ScopeSet,
    /// Last approval.
    pub granted_at: Timestamp,
}
