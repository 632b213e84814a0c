//! The token endpoint's grants (RFC 6749 §4.1.3, §4.3, §4.4, §6).

use time::OffsetDateTime;
use warrant_generators::hash_token;
use warrant_model::{
    Application, ClientType, GrantType, RedirectUri, RedirectUriPolicy, RefreshToken, Resources,
    ScopeSet, Secret, User,
};
use warrant_storage::CodeRedemption;

use crate::issue::{Authentication, Issue};
use crate::resources::{for_client, kept_by_grant, narrowed};
use crate::{
    ClientCredentials, DpopHeader, Engine, Event, OAuthError, PasswordCheck, TokenResponse, pkce,
};

/// A token request ([`TokenRequest::from_lookup`] reads it from the form body).
#[derive(Debug)]
pub enum TokenRequest {
    /// `grant_type=authorization_code`.
    AuthorizationCode {
        /// The code from the redirect.
        code: Secret<String>,
        /// Must repeat the authorization request's `redirect_uri`.
        redirect_uri: Option<RedirectUri>,
        /// PKCE verifier.
        code_verifier: Option<Secret<String>>,
    },
    /// `grant_type=password`.
    Password {
        /// Username or email address.
        username: String,
        /// The password.
        password: Secret<String>,
        /// Requested scopes.
        scope: Option<ScopeSet>,
    },
    /// `grant_type=client_credentials`.
    ClientCredentials {
        /// Requested scopes.
        scope: Option<ScopeSet>,
    },
    /// `grant_type=refresh_token`.
    RefreshToken {
        /// The refresh token.
        refresh_token: Secret<String>,
        /// Requested scopes: the original ones or fewer.
        scope: Option<ScopeSet>,
    },
    /// `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4).
    DeviceCode {
        /// The device code from the device authorization endpoint.
        device_code: Secret<String>,
    },
}

impl TokenRequest {
    /// The request whose form parameters `lookup` finds by name (RFC 6749 §4.1.3, §4.3.2,
    /// §4.4.2, §6; RFC 8628 §3.4): `grant_type` picks the variant, a missing parameter is
    /// `invalid_request`, an unknown grant `unsupported_grant_type`.
    pub fn from_lookup<'a>(lookup: impl Fn(&str) -> Option<&'a str>) -> Result<Self, OAuthError> {
        let require = |name: &str| {
            lookup(name).ok_or_else(|| OAuthError::InvalidRequest(format!("{name} is missing")))
        };
        let secret = |value: &str| Secret::new(value.to_owned());
        let scope = || requested_scope(lookup("scope"));
        match require("grant_type")? {
            "authorization_code" => Ok(Self::AuthorizationCode {
                code: secret(require("code")?),
                redirect_uri: lookup("redirect_uri")
                    .map(|uri| {
                        // Compared with the authorization request's, which passed the
                        // registration rules; here only its shape matters.
                        RedirectUri::parse(
                            uri,
                            RedirectUriPolicy {
                                allow_insecure_http: true,
                            },
                        )
                        .map_err(|_| {
                            OAuthError::InvalidGrant(
                                "redirect_uri does not match the authorization request".into(),
                            )
                        })
                    })
                    .transpose()?,
                code_verifier: lookup("code_verifier").map(secret),
            }),
            "password" => Ok(Self::Password {
                username: require("username")?.to_owned(),
                password: secret(require("password")?),
                scope: scope()?,
            }),
            "client_credentials" => Ok(Self::ClientCredentials { scope: scope()? }),
            "refresh_token" => Ok(Self::RefreshToken {
                refresh_token: secret(require("refresh_token")?),
                scope: scope()?,
            }),
            "urn:ietf:params:oauth:grant-type:device_code" => Ok(Self::DeviceCode {
                device_code: secret(require("device_code")?),
            }),
            other => Err(OAuthError::UnsupportedGrantType(format!(
                "grant_type {other:?} is not supported"
            ))),
        }
    }

    fn grant_type(&self) -> GrantType {
        match self {
            Self::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            Self::Password { .. } => GrantType::Password,
            Self::ClientCredentials { .. } => GrantType::ClientCredentials,
            Self::RefreshToken { .. } => GrantType::RefreshToken,
            Self::DeviceCode { .. } => GrantType::DeviceCode,
        }
    }
}

/// A request's `scope` parameter (RFC 6749 §3.3); absent means the client's defaults.
pub fn requested_scope(scope: Option<&str>) -> Result<Option<ScopeSet>, OAuthError> {
    scope
        .map(|text| {
            ScopeSet::parse(text).map_err(|_| OAuthError::InvalidScope("malformed scope".into()))
        })
        .transpose()
}

/// What an `authorization_code` token request presents.
struct CodeExchange<'a> {
    code: &'a Secret<String>,
    redirect_uri: Option<&'a RedirectUri>,
    code_verifier: Option<&'a str>,
}

impl Engine<'_> {
    /// Handles a token request that names no resource: see [`Engine::token_for_resources`].
    pub async fn token(
        &self,
        client: &ClientCredentials,
        request: TokenRequest,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        self.token_for_resources(client, request, Resources::default(), now)
            .await
    }

    /// Handles a token request that carries no DPoP proof: see [`Engine::token_with`].
    pub async fn token_for_resources(
        &self,
        client: &ClientCredentials,
        request: TokenRequest,
        resources: Resources,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        self.token_with(client, request, resources, None, now).await
    }

    /// Handles a token request: authenticates the client, checks it may use the grant and
    /// the `resources` it names (RFC 8707; within what the grant had, for a code or a
    /// refresh), checks its DPoP proof (RFC 9449), and issues tokens for them, bound to the
    /// proof's key when there is one.
    pub async fn token_with(
        &self,
        client: &ClientCredentials,
        request: TokenRequest,
        resources: Resources,
        dpop: Option<&DpopHeader>,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let grant = request.grant_type();
        let response = self
            .answer_token_request(client, request, resources, dpop, now)
            .await?;
        self.events.record(Event::TokensIssued { grant });
        Ok(response)
    }

    async fn answer_token_request(
        &self,
        client: &ClientCredentials,
        request: TokenRequest,
        resources: Resources,
        dpop: Option<&DpopHeader>,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let application = self.authenticate_client(client, now).await?;
        self.settings.resources.check(&resources)?;
        let grant = request.grant_type();
        if !application.grant_types.allows(grant) {
            return Err(OAuthError::UnauthorizedClient(format!(
                "this client may not use the {grant} grant"
            )));
        }
        self.check_profile_grant(&application, grant)?;
        let dpop_jkt = self.token_request_key(&application, dpop, now).await?;
        match request {
            TokenRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                let exchange = CodeExchange {
                    code: &code,
                    redirect_uri: redirect_uri.as_ref(),
                    code_verifier: code_verifier.as_ref().map(|v| v.expose().as_str()),
                };
                self.exchange_code(&application, exchange, resources, dpop_jkt, now)
                    .await
            }
            TokenRequest::Password {
                username,
                password,
                scope,
            } => {
                // A locked login answers as a wrong password does: it tells nothing.
                let user = match self.authenticate_user(&username, &password, now).await? {
                    PasswordCheck::Valid(user) => user,
                    PasswordCheck::Invalid | PasswordCheck::Locked(_) => {
                        return Err(OAuthError::InvalidGrant(
                            "invalid username or password".into(),
                        ));
                    }
                };
                let scope = self.grantable_scope(scope.as_ref())?;
                let resources = for_client(&application, resources)?;
                let issue = Issue {
                    application: &application,
                    user: Some(&user),
                    scope,
                    grant_resources: resources.clone(),
                    resources,
                    family: None,
                    authorization_code_id: None,
                    refresh: true,
                    // The user authenticated with this very request.
                    openid: Some(Authentication {
                        nonce: None,
                        auth_time: Some(now),
                    }),
                    dpop_jkt,
                };
                self.issue_tokens(issue, now).await
            }
            TokenRequest::ClientCredentials { scope } => {
                if application.client_type != ClientType::Confidential {
                    return Err(OAuthError::UnauthorizedClient(
                        "client_credentials needs a confidential client".into(),
                    ));
                }
                let scope = self.grantable_scope(scope.as_ref())?;
                let resources = for_client(&application, resources)?;
                // RFC 6749 §4.4.3: no refresh token; the client can simply ask again.
                let issue = Issue {
                    application: &application,
                    user: None,
                    scope,
                    grant_resources: resources.clone(),
                    resources,
                    family: None,
                    authorization_code_id: None,
                    refresh: false,
                    openid: None,
                    dpop_jkt,
                };
                self.issue_tokens(issue, now).await
            }
            TokenRequest::RefreshToken {
                refresh_token,
                scope,
            } => {
                self.refresh(
                    &application,
                    &refresh_token,
                    scope.as_ref(),
                    resources,
                    dpop_jkt,
                    now,
                )
                .await
            }
            TokenRequest::DeviceCode { device_code } => {
                let resources = for_client(&application, resources)?;
                self.redeem_device_code(&application, &device_code, resources, dpop_jkt, now)
                    .await
            }
        }
    }

    async fn exchange_code(
        &self,
        application: &Application,
        CodeExchange {
            code,
            redirect_uri,
            code_verifier,
        }: CodeExchange<'_>,
        resources: Resources,
        dpop_jkt: Option<String>,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let code = match self
            .store
            .redeem_authorization_code(&hash_token(code.expose()), now)
            .await?
        {
            CodeRedemption::Redeemed(code) => code,
            CodeRedemption::AlreadyUsed(code) => {
                // RFC 6749 §4.1.2: a code used twice may have been stolen; revoke what the
                // first use issued.
                let revoked = self.store.revoke_tokens_from_code(code.id, now).await?;
                tracing::warn!(
                    code_id = code.id,
                    revoked,
                    "authorization code reused; tokens issued from it revoked"
                );
                return Err(OAuthError::InvalidGrant(
                    "authorization code already used".into(),
                ));
            }
            CodeRedemption::Unknown => {
                return Err(OAuthError::InvalidGrant(
                    "unknown authorization code".into(),
                ));
            }
        };
        if code.application_id != application.id {
            return Err(OAuthError::InvalidGrant(
                "authorization code was issued to another client".into(),
            ));
        }
        if code.expires_at <= now {
            return Err(OAuthError::InvalidGrant(
                "authorization code expired".into(),
            ));
        }
        match redirect_uri {
            Some(uri) if *uri != code.redirect_uri => {
                return Err(OAuthError::InvalidGrant(
                    "redirect_uri does not match the authorization request".into(),
                ));
            }
            Some(_) => {}
            // RFC 6749 §4.1.3: required when the authorization request included it; else
            // that request went to the application's only registered URI.
            None if code.redirect_uri_included => {
                return Err(OAuthError::InvalidGrant(
                    "redirect_uri is required: the authorization request included it".into(),
                ));
            }
            None if application.redirect_uris != [code.redirect_uri.clone()] => {
                return Err(OAuthError::InvalidGrant(
                    "redirect_uri does not match the authorization request".into(),
                ));
            }
            None => {}
        }
        pkce::verify(code.code_challenge.as_ref(), code_verifier)?;
        // RFC 9449 §10: a code bound to a key is exchanged only with a proof of it.
        if code.dpop_jkt.is_some() && code.dpop_jkt != dpop_jkt {
            return Err(OAuthError::InvalidDpopProof(
                "the authorization code is bound to another DPoP key".into(),
            ));
        }
        let resources = narrowed(&code.resources, resources)?;
        let user = self.active_user(Some(code.user_id)).await?;
        let issue = Issue {
            application,
            user: user.as_ref(),
            scope: code.scope.clone(),
            grant_resources: kept_by_grant(&code.resources, &resources),
            resources,
            family: None,
            authorization_code_id: Some(code.id),
            refresh: true,
            openid: Some(Authentication {
                nonce: code.nonce.clone(),
                auth_time: Some(code.auth_time),
            }),
            dpop_jkt,
        };
        self.issue_tokens(issue, now).await
    }

    async fn refresh(
        &self,
        application: &Application,
        presented: &Secret<String>,
        requested: Option<&ScopeSet>,
        resources: Resources,
        dpop_jkt: Option<String>,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let token = self
            .store
            .refresh_token_by_hash(&hash_token(presented.expose()))
            .await?
            .ok_or_else(|| OAuthError::InvalidGrant("unknown refresh token".into()))?;
        if token.application_id != application.id {
            return Err(OAuthError::InvalidGrant(
                "refresh token was issued to another client".into(),
            ));
        }
        if token.revoked_at.is_some() {
            return Err(OAuthError::InvalidGrant("refresh token revoked".into()));
        }
        if token.expires_at.is_some_and(|expiry| expiry <= now) {
            return Err(OAuthError::InvalidGrant("refresh token expired".into()));
        }
        // RFC 9449 §5: a refresh token bound to a key needs a proof of that key.
        if token.dpop_jkt.is_some() && token.dpop_jkt != dpop_jkt {
            return Err(OAuthError::InvalidDpopProof(
                "the refresh token is bound to another DPoP key".into(),
            ));
        }
        let scope = match requested {
            Some(scope) if !scope.is_empty() => {
                if !scope.is_subset(&token.scope) {
                    return Err(OAuthError::InvalidScope(
                        "a refresh may only narrow the scope".into(),
                    ));
                }
                scope.clone()
            }
            _ => token.scope.clone(),
        };
        let resources = narrowed(&token.resources, resources)?;
        let user = self.active_user(token.user_id).await?;
        // FAPI 2.0 §5.3.2.1: no rotation; its refresh tokens are bound to the client's
        // authentication instead.
        let rotate = self.settings.rotate_refresh_tokens && !self.is_fapi2(application);
        if rotate {
            self.retire_rotated(&token, now).await?;
        }
        if let Some(previous) = token.access_token_id {
            self.store.revoke_access_token(previous, now).await?;
        }
        let issue = Issue {
            application,
            user: user.as_ref(),
            scope,
            grant_resources: kept_by_grant(&token.resources, &resources),
            resources,
            family: Some(token.family.clone()),
            authorization_code_id: None,
            refresh: rotate,
            // OIDC Core §12.2: a refreshed ID token has the original authentication time
            // (kept with each refresh token of the grant) and no nonce.
            openid: Some(Authentication {
                nonce: None,
                auth_time: token.auth_time,
            }),
            dpop_jkt,
        };
        let mut response = self.issue_tokens(issue, now).await?;
        if !rotate {
            // Without rotation the client keeps using the token it has.
            response.refresh_token = Some(presented.clone());
        }
        Ok(response)
    }

    /// Marks `token` rotated. A token rotated before (or by a concurrent request) may be
    /// used again only within the grace period; after it, reuse means the token leaked,
    /// and the whole family is revoked (OAuth 2.0 Security BCP §4.14.2).
    async fn retire_rotated(
        &self,
        token: &RefreshToken,
        now: OffsetDateTime,
    ) -> Result<(), OAuthError> {
        let rotated_at = match token.rotated_at {
            Some(at) => Some(at),
            None if self.store.rotate_refresh_token(token.id, now).await? => None,
            // Lost a race with another refresh of the same token.
            None => Some(now),
        };
        match rotated_at {
            Some(at) if now - at >= self.settings.refresh_token_grace_period => {
                let revoked = self.store.revoke_family(&token.family, now).await?;
                tracing::warn!(
                    refresh_token_id = token.id,
                    revoked,
                    "rotated refresh token reused; family revoked"
                );
                Err(OAuthError::InvalidGrant(
                    "refresh token already used".into(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The user a grant acts for, if it still exists and is active.
    pub(crate) async fn active_user(
        &self,
        user_id: Option<warrant_model::UserId>,
    ) -> Result<Option<User>, OAuthError> {
        let Some(id) = user_id else { return Ok(None) };
        match self.store.user_by_id(id).await? {
            Some(user) if user.is_active => Ok(Some(user)),
            _ => Err(OAuthError::InvalidGrant(
                "the resource owner no longer exists or is inactive".into(),
            )),
        }
    }
}
