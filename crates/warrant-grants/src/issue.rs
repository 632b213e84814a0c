//! Issuing access and refresh tokens: the one place tokens are made and stored.

use time::OffsetDateTime;
use warrant_generators::{TokenContext, family_id, hash_token};
use warrant_model::{
    Application, ClientType, FamilyId, GrantType, NewAccessToken, NewRefreshToken, Resources,
    ScopeSet, Secret, User,
};

use crate::oidc::{IdTokenFacts, is_openid, subject};
use crate::{Engine, OAuthError};

/// A successful token response (RFC 6749 §5.1). The values exist only here: the store
/// keeps their hashes.
#[derive(Debug)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: Secret<String>,
    /// `Bearer` (RFC 6750), or `DPoP` for a token bound to a key (RFC 9449).
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// A refresh token, when the application may refresh and the grant allows it.
    pub refresh_token: Option<Secret<String>>,
    /// The granted scopes.
    pub scope: ScopeSet,
    /// An OpenID Connect ID token, when `openid` was granted to a user.
    pub id_token: Option<Secret<String>>,
}

/// What an ID token issued with the tokens says about the authentication.
#[derive(Debug, Clone)]
pub(crate) struct Authentication {
    /// The authorization request's `nonce`.
    pub nonce: Option<String>,
    /// When the user authenticated, if known.
    pub auth_time: Option<OffsetDateTime>,
}

/// What to issue.
pub(crate) struct Issue<'a> {
    pub application: &'a Application,
    pub user: Option<&'a User>,
    pub scope: ScopeSet,
    /// The resources the access token is for (RFC 8707), its audience.
    pub resources: Resources,
    /// The resources of the whole grant, which a refresh may ask for again (`resources`
    /// or more).
    pub grant_resources: Resources,
    /// The family of the grant being continued (refresh), or `None` for a new grant.
    pub family: Option<FamilyId>,
    pub authorization_code_id: Option<i64>,
    /// Issue a refresh token (when the application also allows `refresh_token`).
    pub refresh: bool,
    /// Issue an ID token too, when `openid` is granted to a user.
    pub openid: Option<Authentication>,
    /// The DPoP key the request proved (RFC 9449): the access token is bound to it, and a
    /// public client's refresh token too.
    pub dpop_jkt: Option<String>,
}

impl Engine<'_> {
    pub(crate) async fn issue_tokens(
        &self,
        issue: Issue<'_>,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let expires_at = now + self.settings.access_token_lifetime;
        let scope = self
            .settings
            .resources
            .scope_for(issue.scope, &issue.resources)?;
        let subject = issue.user.map(subject);
        // Only a signing generator (JWT access tokens) needs the keys.
        let keys;
        let signer = match self.generators.access_token_signing_algorithm() {
            Some(algorithm) => {
                keys = self.keys.current(self.store, now).await?;
                Some(keys.signer(algorithm).ok_or_else(|| {
                    tracing::error!(%algorithm, "no signing key for access tokens");
                    OAuthError::ServerError
                })?)
            }
            None => None,
        };
        let context = TokenContext {
            client_id: &issue.application.client_id,
            subject: subject.as_deref(),
            scope: &scope,
            resources: &issue.resources,
            issued_at: now,
            expires_at,
            issuer: &self.settings.issuer,
            signer,
            dpop_jkt: issue.dpop_jkt.as_deref(),
        };
        let access_token = self.generators.new_access_token(&context)?;
        let auth_time = issue.openid.as_ref().and_then(|a| a.auth_time);
        // Signed before anything is stored, so a missing key leaves no orphan tokens.
        let id_token = match (issue.openid, issue.user) {
            (Some(authentication), Some(user)) if is_openid(&scope) => Some(
                self.id_token(
                    IdTokenFacts {
                        application: issue.application,
                        user,
                        scope: &scope,
                        nonce: authentication.nonce.as_deref(),
                        auth_time: authentication.auth_time,
                        access_token: Some(&access_token),
                        code: None,
                    },
                    now,
                )
                .await?,
            ),
            _ => None,
        };
        let family = match issue.family {
            Some(family) => family,
            None => family_id()?,
        };
        let stored = self
            .store
            .create_access_token(&NewAccessToken {
                token_hash: hash_token(access_token.expose()),
                application_id: issue.application.id,
                user_id: issue.user.map(|u| u.id),
                scope: scope.clone(),
                resources: issue.resources.clone(),
                family: family.clone(),
                authorization_code_id: issue.authorization_code_id,
                dpop_jkt: issue.dpop_jkt.clone(),
                created_at: now,
                expires_at,
            })
            .await?;
        let refresh_token = if issue.refresh
            && issue
                .application
                .grant_types
                .allows(GrantType::RefreshToken)
        {
            let token = self.generators.new_refresh_token(&context)?;
            self.store
                .create_refresh_token(&NewRefreshToken {
                    token_hash: hash_token(token.expose()),
                    application_id: issue.application.id,
                    user_id: issue.user.map(|u| u.id),
                    scope: scope.clone(),
                    resources: issue.grant_resources,
                    family,
                    access_token_id: Some(stored.id),
                    // For the ID tokens of later refreshes.
                    auth_time,
                    // RFC 9449 §5: a confidential client's refresh token is bound to its
                    // authentication; a public client's, to its key.
                    dpop_jkt: issue
                        .dpop_jkt
                        .clone()
                        .filter(|_| issue.application.client_type == ClientType::Public),
                    created_at: now,
                    expires_at: self
                        .settings
                        .refresh_token_lifetime
                        .map(|lifetime| now + lifetime),
                })
                .await?;
            Some(token)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: if issue.dpop_jkt.is_some() {
                "DPoP"
            } else {
                "Bearer"
            },
            expires_in: self.settings.access_token_lifetime.whole_seconds(),
            refresh_token,
            scope,
            id_token,
        })
    }

    /// The scopes to grant for `requested` (the defaults when absent); unknown scopes are
    /// `invalid_scope`.
    pub(crate) fn grantable_scope(
        &self,
        requested: Option<&ScopeSet>,
    ) -> Result<ScopeSet, OAuthError> {
        match requested {
            Some(scope) if !scope.is_empty() => match self.settings.scopes.first_unknown(scope) {
                None => Ok(scope.clone()),
                Some(unknown) => Err(OAuthError::InvalidScope(format!(
                    "unknown scope {:?} requested",
                    unknown.as_str()
                ))),
            },
            _ => Ok(self.settings.scopes.defaults().clone()),
        }
    }
}
