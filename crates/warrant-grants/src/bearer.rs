//! Bearer access tokens presented to a protected resource (RFC 6750).

use time::OffsetDateTime;
use warrant_generators::hash_token;
use warrant_model::{AccessToken, ClientId, Secret, User};
use warrant_storage::Store;

use crate::{Engine, OAuthError};

/// A live access token and whom it speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bearer {
    /// The token.
    pub token: AccessToken,
    /// The client it was issued to.
    pub client_id: ClientId,
    /// The user who granted it (an active one); `None` for `client_credentials` tokens.
    pub user: Option<User>,
}

impl Engine<'_> {
    /// [`authenticate_bearer`] on this engine's store.
    pub async fn authenticate_bearer(
        &self,
        token: &Secret<String>,
        now: OffsetDateTime,
    ) -> Result<Bearer, OAuthError> {
        authenticate_bearer(self.store, token, now).await
    }
}

/// Checks a bearer token: known, unexpired, unrevoked, and if it has a user, that user
/// still exists and is active. Every refusal is `invalid_token`. Resource servers sharing
/// Warrant's database call this without the rest of an [`Engine`].
pub async fn authenticate_bearer(
    store: &dyn Store,
    token: &Secret<String>,
    now: OffsetDateTime,
) -> Result<Bearer, OAuthError> {
    let invalid =
        || OAuthError::InvalidToken("the access token is unknown, expired or revoked".into());
    let described = store
        .describe_access_token(&hash_token(token.expose()))
        .await?
        .ok_or_else(invalid)?;
    let token = described.token;
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(invalid());
    }
    let user = match token.user_id {
        None => None,
        Some(id) => match store.user_by_id(id).await? {
            Some(user) if user.is_active => Some(user),
            _ => return Err(invalid()),
        },
    };
    Ok(Bearer {
        token,
        client_id: described.client_id,
        user,
    })
}
