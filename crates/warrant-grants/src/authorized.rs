//! What a user has authorized: the live grants they can see and revoke (Django OAuth
//! Toolkit's authorized-tokens pages).

use std::collections::HashMap;

use time::OffsetDateTime;
use warrant_model::{AccessToken, Application, ApplicationId, AuditAction, UserId};
use warrant_storage::{AccessTokenFilter, Page, Store};

use crate::audit::Audited;
use crate::{Engine, GrantsError};

/// A live access token the user granted, with its application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedToken {
    /// The token.
    pub token: AccessToken,
    /// The application it was issued to.
    pub application: Application,
}

/// How many live tokens [`Engine::authorized_tokens`] returns at most.
const SHOWN_AT_MOST: u32 = 1_000;

async fn live_token(
    store: &dyn Store,
    token_id: i64,
    now: OffsetDateTime,
) -> Result<Option<AccessToken>, GrantsError> {
    Ok(store
        .access_token_by_id(token_id)
        .await?
        .filter(|token| token.revoked_at.is_none() && token.expires_at > now))
}

async fn users_live_token(
    store: &dyn Store,
    user: UserId,
    token_id: i64,
    now: OffsetDateTime,
) -> Result<Option<AccessToken>, GrantsError> {
    Ok(live_token(store, token_id, now)
        .await?
        .filter(|token| token.user_id == Some(user)))
}

impl Engine<'_> {
    /// The user's live access tokens, oldest first, each with its application.
    pub async fn authorized_tokens(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<AuthorizedToken>, GrantsError> {
        let of_user = AccessTokenFilter {
            user: Some(user),
            application: None,
        };
        let tokens = self
            .store
            .live_access_tokens(of_user, now, Page::first(SHOWN_AT_MOST))
            .await?;
        // Most of a user's tokens belong to a few applications: read each once.
        let mut applications: HashMap<ApplicationId, Application> = HashMap::new();
        let mut authorized = Vec::with_capacity(tokens.len());
        for token in tokens {
            let application = match applications.get(&token.application_id) {
                Some(application) => application.clone(),
                None => match self.store.application_by_id(token.application_id).await? {
                    Some(application) => {
                        applications.insert(application.id, application.clone());
                        application
                    }
                    None => continue,
                },
            };
            authorized.push(AuthorizedToken { token, application });
        }
        Ok(authorized)
    }

    /// The user's live access token `token_id` with its application; `None` when the user has
    /// no such live token.
    pub async fn authorized_token(
        &self,
        user: UserId,
        token_id: i64,
        now: OffsetDateTime,
    ) -> Result<Option<AuthorizedToken>, GrantsError> {
        let Some(token) = users_live_token(self.store, user, token_id, now).await? else {
            return Ok(None);
        };
        Ok(self
            .store
            .application_by_id(token.application_id)
            .await?
            .map(|application| AuthorizedToken { token, application }))
    }

    /// Revokes the user's live access token `token_id` with its whole grant and forgets the
    /// consent, so the application must ask again. `false` when the user has no such live
    /// token.
    pub async fn revoke_authorized_token(
        &self,
        user: UserId,
        token_id: i64,
        now: OffsetDateTime,
    ) -> Result<bool, GrantsError> {
        let Some(token) = users_live_token(self.store, user, token_id, now).await? else {
            return Ok(false);
        };
        self.store.revoke_family(&token.family, now).await?;
        self.store
            .delete_consent(user, token.application_id)
            .await?;
        self.audit_grant_revoked(&token, now).await;
        Ok(true)
    }

    /// Revokes the live access token `token_id` with every token of its grant (refresh tokens
    /// included, or the application could mint a new one). `None` when there is no such live
    /// token.
    pub async fn revoke_token_grant(
        &self,
        token_id: i64,
        now: OffsetDateTime,
    ) -> Result<Option<AccessToken>, GrantsError> {
        let live = live_token(self.store, token_id, now).await?;
        if let Some(token) = &live {
            self.store.revoke_family(&token.family, now).await?;
            self.audit_grant_revoked(token, now).await;
        }
        Ok(live)
    }

    /// Records that `token`'s grant was taken away: the application and the user it acted
    /// for.
    async fn audit_grant_revoked(&self, token: &AccessToken, now: OffsetDateTime) {
        let client_id = match self.client_id_of(token.application_id).await {
            Ok(Some(client_id)) => client_id.as_str().to_owned(),
            _ => token.application_id.0.to_string(),
        };
        let user = token
            .user_id
            .map_or_else(|| "none".to_owned(), |id| id.0.to_string());
        let audited = Audited::target(format!("application:{client_id}"))
            .with_detail(format!("user id {user}"));
        self.audit(AuditAction::ConsentRevoked, audited, now).await;
    }
}
