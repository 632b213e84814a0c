//! Users' API tokens (`Authorization: Token <key>`), shown in the profile and pushed to
//! client apps, so they are kept sealed as well as hashed.

use time::OffsetDateTime;
use warrant_generators::{SealingKey, hash_token, random_urlsafe};
use warrant_model::{ApiToken, AuditAction, Secret, User, UserId};
use warrant_storage::{Store, SyncTo};

use crate::audit::Audited;
use crate::{Engine, GrantsError, OAuthError};

/// The purpose API tokens are sealed under (associated data of the AES-GCM seal).
pub const API_TOKEN_PURPOSE: &str = warrant_model::sealing_purpose::API_TOKEN;

/// Random bytes in a new API token: 240 bits, 40 characters like a Django REST framework
/// token, which ocs-authentication client apps store.
const API_TOKEN_BYTES: usize = 30;

/// The user's API token, made on first use, for what has no [`Engine`] (the client-sync
/// pusher); [`Engine::api_token_of`] otherwise.
pub async fn api_token_of(
    store: &dyn Store,
    sealing: &SealingKey,
    user: UserId,
    now: OffsetDateTime,
) -> Result<Secret<String>, GrantsError> {
    let stored = match store.api_token_of_user(user).await? {
        Some(stored) => stored,
        None => {
            let (fresh, token) = new_api_token(sealing, user, now)?;
            let kept = store.keep_first_api_token(&token).await?;
            if kept.token_hash == token.token_hash {
                return Ok(fresh);
            }
            kept
        }
    };
    Ok(sealing.open_str(API_TOKEN_PURPOSE, &stored.sealed_token)?)
}

fn new_api_token(
    sealing: &SealingKey,
    user: UserId,
    now: OffsetDateTime,
) -> Result<(Secret<String>, ApiToken), GrantsError> {
    let fresh = random_urlsafe(API_TOKEN_BYTES)?;
    let token = ApiToken {
        user_id: user,
        token_hash: hash_token(fresh.expose()),
        sealed_token: sealing.seal_str(API_TOKEN_PURPOSE, &fresh)?,
        created_at: now,
    };
    Ok((fresh, token))
}

impl Engine<'_> {
    /// The user's API token, made on first use.
    pub async fn api_token_of(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Secret<String>, GrantsError> {
        api_token_of(self.store, self.keys.sealing()?, user, now).await
    }

    /// Gives the user a new API token; the old one stops working at once, here and, once the
    /// new one reaches them, at the client apps.
    pub async fn replace_api_token(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Secret<String>, GrantsError> {
        let (fresh, token) = new_api_token(self.keys.sealing()?, user, now)?;
        let sync = SyncTo {
            client_apps: self.client_apps,
            now,
        };
        self.store.replace_api_token(&token, sync).await?;
        let audited = Audited::target(format!("user_id:{}", user.0));
        self.audit(AuditAction::ApiTokenReplaced, audited, now)
            .await;
        Ok(fresh)
    }

    /// The active user whose API token `token` is (`Authorization: Token <key>`).
    pub async fn user_of_api_token(&self, token: &Secret<String>) -> Result<User, OAuthError> {
        let invalid = || OAuthError::InvalidToken("the API token is unknown or replaced".into());
        let stored = self
            .store
            .api_token_by_hash(&hash_token(token.expose()))
            .await?
            .ok_or_else(invalid)?;
        match self.store.user_by_id(stored.user_id).await? {
            Some(user) if user.is_active => Ok(user),
            _ => Err(invalid()),
        }
    }
}
