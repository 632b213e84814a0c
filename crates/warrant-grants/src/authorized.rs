//! What a user has authorized: the live grants they can see and revoke (Django OAuth
//! Toolkit's authorized-tokens pages).

use time::OffsetDateTime;
use warrant_model::{AccessToken, Application, UserId};
use warrant_storage::Store;

use crate::GrantsError;

/// A live access token the user granted, with its application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedToken {
    /// The token.
    pub token: AccessToken,
    /// The application it was issued to.
    pub application: Application,
}

/// The user's live access tokens, newest first, each with its application.
pub async fn authorized_tokens(
    store: &dyn Store,
    user: UserId,
    now: OffsetDateTime,
) -> Result<Vec<AuthorizedToken>, GrantsError> {
    let mut authorized = Vec::new();
    for token in store.live_access_tokens_of_user(user, now).await? {
        if let Some(application) = store.application_by_id(token.application_id).await? {
            authorized.push(AuthorizedToken { token, application });
        }
    }
    Ok(authorized)
}

/// Revokes the user's live access token `token_id` with its whole grant (refresh tokens
/// included, or the application could mint a new one) and forgets the consent, so the
/// application must ask again. `false` when the user has no such live token.
pub async fn revoke_authorized_token(
    store: &dyn Store,
    user: UserId,
    token_id: i64,
    now: OffsetDateTime,
) -> Result<bool, GrantsError> {
    let live = store.live_access_tokens_of_user(user, now).await?;
    let Some(token) = live.into_iter().find(|token| token.id == token_id) else {
        return Ok(false);
    };
    store.revoke_family(&token.family, now).await?;
    store.delete_consent(user, token.application_id).await?;
    Ok(true)
}
