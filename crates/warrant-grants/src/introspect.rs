//! Token introspection (RFC 7662).

use time::OffsetDateTime;
use warrant_generators::hash_token;
use warrant_model::{ApplicationId, ClientId, Resources, ScopeSet, Secret, UserId, Username};
use warrant_storage::DescribedAccessToken;

use crate::revoke::FoundToken;
use crate::{Engine, Event, OAuthError, TokenTypeHint};

/// An introspection response (RFC 7662 §2.2). Inactive tokens reveal nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Introspection {
    /// Unknown, expired, revoked, or its client or user is gone or inactive.
    Inactive,
    /// A live token.
    Active(ActiveToken),
}

/// What introspection tells about a live token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveToken {
    /// Granted scopes.
    pub scope: ScopeSet,
    /// The resources it is for (RFC 8707), its `aud`; empty when none was named.
    pub aud: Resources,
    /// The client it was issued to.
    pub client_id: ClientId,
    /// The resource owner's username, if a user granted it.
    pub username: Option<Username>,
    /// The resource owner's stable id (`sub`), if a user granted it.
    pub sub: Option<UserId>,
    /// `Bearer` or `DPoP` for access tokens, `refresh_token` for refresh tokens.
    pub token_type: &'static str,
    /// Expiry, in seconds since the epoch (absent for refresh tokens that never expire).
    pub exp: Option<i64>,
    /// Issue time, in seconds since the epoch.
    pub iat: i64,
    /// The thumbprint of the DPoP key it is bound to (`cnf.jkt`, RFC 9449 §6.2).
    pub dpop_jkt: Option<String>,
}

impl Engine<'_> {
    /// Describes `token`. The caller must already be allowed to introspect (an
    /// authenticated client, or a bearer token with the `introspection` scope).
    pub async fn introspect(
        &self,
        token: &Secret<String>,
        hint: Option<TokenTypeHint>,
        now: OffsetDateTime,
    ) -> Result<Introspection, OAuthError> {
        let introspection = self.describe_token(token, hint, now).await?;
        self.events.record(Event::Introspected {
            active: matches!(introspection, Introspection::Active(_)),
        });
        Ok(introspection)
    }

    async fn describe_token(
        &self,
        token: &Secret<String>,
        hint: Option<TokenTypeHint>,
        now: OffsetDateTime,
    ) -> Result<Introspection, OAuthError> {
        // The common case, an access token, in one query.
        if hint != Some(TokenTypeHint::RefreshToken)
            && let Some(described) = self
                .store
                .describe_access_token(&hash_token(token.expose()))
                .await?
        {
            return Ok(describe_access(described, now));
        }
        let (application_id, user_id, scope, aud, token_type, expires_at, issued_at, dpop_jkt) =
            match self.find_token(token, hint).await? {
                Some(FoundToken::Access(t)) if t.revoked_at.is_none() && t.expires_at > now => (
                    t.application_id,
                    t.user_id,
                    t.scope,
                    t.resources,
                    token_type_of(&t.dpop_jkt),
                    Some(t.expires_at),
                    t.created_at,
                    t.dpop_jkt,
                ),
                Some(FoundToken::Refresh(t))
                    if t.revoked_at.is_none()
                        && t.rotated_at.is_none()
                        && t.expires_at.is_none_or(|e| e > now) =>
                {
                    (
                        t.application_id,
                        t.user_id,
                        t.scope,
                        t.resources,
                        "refresh_token",
                        t.expires_at,
                        t.created_at,
                        t.dpop_jkt,
                    )
                }
                _ => return Ok(Introspection::Inactive),
            };
        let Some(client_id) = self.client_id_of(application_id).await? else {
            return Ok(Introspection::Inactive);
        };
        let username = match user_id {
            Some(id) => match self.store.user_by_id(id).await? {
                Some(user) if user.is_active => Some(user.username),
                _ => return Ok(Introspection::Inactive),
            },
            None => None,
        };
        Ok(Introspection::Active(ActiveToken {
            scope,
            aud,
            client_id,
            username,
            sub: user_id,
            token_type,
            exp: expires_at.map(OffsetDateTime::unix_timestamp),
            iat: issued_at.unix_timestamp(),
            dpop_jkt,
        }))
    }

    pub(crate) async fn client_id_of(
        &self,
        id: ApplicationId,
    ) -> Result<Option<ClientId>, OAuthError> {
        Ok(self
            .store
            .application_by_id(id)
            .await?
            .map(|app| app.client_id))
    }
}

/// Introspection of an access token from its one-query description.
fn describe_access(described: DescribedAccessToken, now: OffsetDateTime) -> Introspection {
    let token = described.token;
    let username = match described.user {
        Some((name, true)) => Some(name),
        // A deactivated or deleted user's tokens are dead.
        Some((_, false)) => return Introspection::Inactive,
        None if token.user_id.is_some() => return Introspection::Inactive,
        None => None,
    };
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Introspection::Inactive;
    }
    Introspection::Active(ActiveToken {
        scope: token.scope,
        aud: token.resources,
        client_id: described.client_id,
        username,
        sub: token.user_id,
        token_type: token_type_of(&token.dpop_jkt),
        exp: Some(token.expires_at.unix_timestamp()),
        iat: token.created_at.unix_timestamp(),
        dpop_jkt: token.dpop_jkt,
    })
}

/// An access token's type: `DPoP` when bound to a key (RFC 9449 §6.2), else `Bearer`.
fn token_type_of(dpop_jkt: &Option<String>) -> &'static str {
    if dpop_jkt.is_some() { "DPoP" } else { "Bearer" }
}
