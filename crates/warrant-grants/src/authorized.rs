//! What a user has authorized: the live grants they can see and revoke (Django OAuth
//! Toolkit's authorized-tokens pages).

use time::OffsetDateTime;
use warrant_model::{AccessToken, Application, UserId};
use warrant_storage::{AccessTokenFilter, Page, Store};

use crate::GrantsError;

/// A live access token the user granted, with its application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedToken {
    /// The token.
    pub token: AccessToken,
    /// The application it was issued to.
    pub application: Application,
}

/// How many live tokens [`authorized_tokens`] returns at most.
const SHOWN_AT_MOST: u32 = 1_000;

/// The user's live access tokens, oldest first, each with its application.
pub async fn authorized_tokens(
    store: &dyn Store,
    user: UserId,
    now: OffsetDateTime,
) -> Result<Vec<AuthorizedToken>, GrantsError> {
    let of_user = AccessTokenFilter {
        user: Some(user),
        application: None,
    };
    let mut authorized = Vec::new();
    for token in store
        .live_access_tokens(of_user, now, Page::first(SHOWN_AT_MOST))
        .await?
    {
        if let Some(application) = store.application_by_id(token.application_id).await? {
            authorized.push(AuthorizedToken { token, application });
        }
    }
    Ok(authorized)
}

/// Revokes the user's live access token `token_id` with its whole grant and forgets the
/// consent, so the application must ask again. `false` when the user has no such live
/// token.
pub async fn revoke_authorized_token(
    store: &dyn Store,
    user: UserId,
    token_id: i64,
    now: OffsetDateTime,
) -> Result<bool, GrantsError> {
    let owned = store
        .access_token_by_id(token_id)
        .await?
        .is_some_and(|token| token.user_id == Some(user));
    if !owned {
        return Ok(false);
    }
    match revoke_token_grant(store, token_id, now).await? {
        Some(token) => {
            store.delete_consent(user, token.application_id).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Revokes the live access token `token_id` with every token of its grant (refresh tokens
/// included, or the application could mint a new one). `None` when there is no such live
/// token.
pub async fn revoke_token_grant(
    store: &dyn Store,
    token_id: i64,
    now: OffsetDateTime,
) -> Result<Option<AccessToken>, GrantsError> {
    let live = store
        .access_token_by_id(token_id)
        .await?
        .filter(|token| token.revoked_at.is_none() && token.expires_at > now);
    if let Some(token) = &live {
        store.revoke_family(&token.family, now).await?;
    }
    Ok(live)
}
