//! Token revocation (RFC 7009).

use time::OffsetDateTime;
use warrant_generators::hash_token;
use warrant_model::{AuditAction, Secret};

use crate::audit::Audited;
use crate::{Actor, ClientCredentials, Engine, OAuthError};

/// The `token_type_hint` of RFC 7009 §2.1 and RFC 7662 §2.1: where to look first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenTypeHint {
    /// `access_token`.
    AccessToken,
    /// `refresh_token`.
    RefreshToken,
}

impl TokenTypeHint {
    /// Parses a hint; unknown values are ignored (`None`), as RFC 7009 §2.1 lets the server
    /// search every token type anyway.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "access_token" => Some(Self::AccessToken),
            "refresh_token" => Some(Self::RefreshToken),
            _ => None,
        }
    }
}

/// A token found by its value.
pub(crate) enum FoundToken {
    Access(warrant_model::AccessToken),
    Refresh(warrant_model::RefreshToken),
}

impl Engine<'_> {
    pub(crate) async fn find_token(
        &self,
        token: &Secret<String>,
        hint: Option<TokenTypeHint>,
    ) -> Result<Option<FoundToken>, OAuthError> {
        let hash = hash_token(token.expose());
        let refresh_first = hint == Some(TokenTypeHint::RefreshToken);
        if refresh_first && let Some(refresh) = self.store.refresh_token_by_hash(&hash).await? {
            return Ok(Some(FoundToken::Refresh(refresh)));
        }
        if let Some(access) = self.store.access_token_by_hash(&hash).await? {
            return Ok(Some(FoundToken::Access(access)));
        }
        if !refresh_first && let Some(refresh) = self.store.refresh_token_by_hash(&hash).await? {
            return Ok(Some(FoundToken::Refresh(refresh)));
        }
        Ok(None)
    }

    /// Revokes `token` for the authenticated client. Unknown tokens succeed (RFC 7009 §2.2:
    /// the client's goal is reached). A refresh token takes every token of its grant with it
    /// (§2.1: access tokens "based on the same authorization grant").
    pub async fn revoke(
        &self,
        client: &ClientCredentials,
        token: &Secret<String>,
        hint: Option<TokenTypeHint>,
        now: OffsetDateTime,
    ) -> Result<(), OAuthError> {
        let application = self.authenticate_client(client, now).await?;
        let found = self.find_token(token, hint).await?;
        let owner = match &found {
            Some(FoundToken::Access(t)) => t.application_id,
            Some(FoundToken::Refresh(t)) => t.application_id,
            None => return Ok(()),
        };
        if owner != application.id {
            return Err(OAuthError::UnauthorizedClient(
                "the token was not issued to this client".into(),
            ));
        }
        let kind = match found {
            Some(FoundToken::Access(t)) => {
                self.store.revoke_access_token(t.id, now).await?;
                "access token"
            }
            Some(FoundToken::Refresh(t)) => {
                self.store.revoke_family(&t.family, now).await?;
                "refresh token and its grant"
            }
            None => return Ok(()),
        };
        let audited = Audited::application(&application.client_id).with_detail(kind);
        self.acting_as(Actor::Client(&application.client_id))
            .audit(AuditAction::TokenRevoked, audited, now)
            .await;
        Ok(())
    }
}
