//! Registering and maintaining applications.

use time::OffsetDateTime;
use warrant_generators::hash_token;
use warrant_model::{
    Application, ApplicationId, AuditAction, AuthMethod, ClientId, ClientSecretHash,
    ClientSecurity, ClientType, GrantType, GrantTypes, NewApplication, Origin, RedirectUri,
    Resources, Sealed, Secret, SigningAlgorithm, UserId, sealing_purpose,
};
use warrant_storage::{StoreError, Unique};

use crate::audit::Audited;
use crate::{Engine, GrantsError};

/// What a person registering an application decides; the id and secret are generated
/// unless given (an application moved from another server keeps its credentials).
#[derive(Debug, Clone)]
pub struct ApplicationRegistration {
    /// The client id to keep; `None`: a new one is generated.
    pub client_id: Option<ClientId>,
    /// The client secret to keep (confidential clients only; stored as Warrant stores
    /// secrets); `None`: a new one is generated.
    pub client_secret: Option<Secret<String>>,
    /// Shown on the consent page.
    pub name: String,
    /// Confidential or public.
    pub client_type: ClientType,
    /// Allowed grants.
    pub grant_types: GrantTypes,
    /// Redirection endpoints (required for `authorization_code` and `implicit`).
    pub redirect_uris: Vec<RedirectUri>,
    /// Post-logout redirection endpoints.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// CORS origins.
    pub allowed_origins: Vec<Origin>,
    /// The resources (RFC 8707) its tokens may be for; empty: any the server serves.
    pub allowed_resources: Resources,
    /// The registering user, if any.
    pub owner: Option<UserId>,
    /// Skip the consent page.
    pub skip_authorization: bool,
    /// Require PKCE even though confidential (public clients always need it).
    pub pkce_required: bool,
    /// ID-token algorithm, for OpenID Connect clients.
    pub algorithm: Option<SigningAlgorithm>,
    /// What it must do beyond OAuth's defaults.
    pub security: ClientSecurity,
}

impl ApplicationRegistration {
    /// A client that registers itself (RFC 7591, or by its metadata document): no owner,
    /// never trusted past the consent page, PKCE required, RS256 ID tokens.
    pub(crate) fn by_the_client(
        name: String,
        client_type: ClientType,
        grant_types: GrantTypes,
        redirect_uris: Vec<RedirectUri>,
    ) -> Self {
        Self {
            client_id: None,
            client_secret: None,
            name,
            client_type,
            grant_types,
            redirect_uris,
            post_logout_redirect_uris: Vec::new(),
            allowed_origins: Vec::new(),
            allowed_resources: Resources::default(),
            owner: None,
            skip_authorization: false,
            pkce_required: true,
            algorithm: None,
            security: ClientSecurity::default(),
        }
    }
}

/// How often a freshly generated client id may collide before we give up (a collision of
/// 40 random characters means a broken generator, not bad luck).
const CLIENT_ID_ATTEMPTS: usize = 3;

fn check_registration(registration: &ApplicationRegistration) -> Result<(), GrantsError> {
    check_application(
        &registration.name,
        registration.client_type,
        &registration.grant_types,
        &registration.redirect_uris,
    )?;
    check_security(registration.client_type, &registration.security)
}

/// A client's authentication method fits its type, and `private_key_jwt` has keys.
fn check_security(client_type: ClientType, security: &ClientSecurity) -> Result<(), GrantsError> {
    match security.auth_method {
        Some(method) if method.client_type() != client_type => {
            Err(GrantsError::AuthMethodOfOtherType {
                method,
                client_type,
            })
        }
        Some(AuthMethod::PrivateKeyJwt) if security.keys.is_none() => {
            Err(GrantsError::KeysRequired)
        }
        _ => Ok(()),
    }
}

impl Engine<'_> {
    /// The secret sealed, when the client's assertions are keyed with it
    /// (`client_secret_jwt`); `None` otherwise, so that only its hash is kept.
    fn sealed_secret(
        &self,
        security: &ClientSecurity,
        secret: Option<&Secret<String>>,
    ) -> Result<Option<Sealed>, GrantsError> {
        match (security.auth_method, secret) {
            (Some(AuthMethod::ClientSecretJwt), Some(secret)) => Ok(Some(
                self.keys
                    .sealing()?
                    .seal_str(sealing_purpose::CLIENT_SECRET, secret)?,
            )),
            _ => Ok(None),
        }
    }
}

/// Django OAuth Toolkit's rules for an application, at registration and at every change.
fn check_application(
    name: &str,
    client_type: ClientType,
    grant_types: &GrantTypes,
    redirect_uris: &[RedirectUri],
) -> Result<(), GrantsError> {
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(GrantsError::InvalidName);
    }
    let redirects = [GrantType::AuthorizationCode, GrantType::Implicit]
        .into_iter()
        .any(|grant| grant_types.allows(grant));
    if redirects && redirect_uris.is_empty() {
        return Err(GrantsError::RedirectUriRequired);
    }
    if client_type == ClientType::Public && grant_types.allows(GrantType::ClientCredentials) {
        return Err(GrantsError::PublicClientCredentials);
    }
    Ok(())
}

/// What an application's owner may change after registration (Django OAuth Toolkit's
/// `ApplicationUpdate` form); the client id, type and secret stay.
#[derive(Debug, Clone)]
pub struct ApplicationChanges {
    /// Shown on the consent page.
    pub name: String,
    /// Allowed grants.
    pub grant_types: GrantTypes,
    /// Redirection endpoints.
    pub redirect_uris: Vec<RedirectUri>,
    /// Post-logout redirection endpoints.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// CORS origins.
    pub allowed_origins: Vec<Origin>,
    /// The resources (RFC 8707) its tokens may be for (empty: any the server serves);
    /// `None`: as they are.
    pub allowed_resources: Option<Resources>,
    /// Require PKCE (always on for public clients).
    pub pkce_required: bool,
    /// ID-token signing algorithm (`None`: RS256).
    pub algorithm: Option<SigningAlgorithm>,
    /// What it must do beyond OAuth's defaults; `None`: as it is.
    pub security: Option<ClientSecurity>,
}

impl Engine<'_> {
    /// Registers an application. Returns it with its client secret, which exists only here:
    /// show it once, the store keeps its hash. A given client id that is taken is a store
    /// conflict; a given secret must not be empty, and a public client takes none.
    pub async fn register_application(
        &self,
        registration: ApplicationRegistration,
        now: OffsetDateTime,
    ) -> Result<(Application, Option<Secret<String>>), GrantsError> {
        check_registration(&registration)?;
        let secret = match (registration.client_type, registration.client_secret) {
            (ClientType::Confidential, Some(given)) if given.expose().is_empty() => {
                return Err(GrantsError::EmptyClientSecret);
            }
            (ClientType::Confidential, Some(given)) => Some(given),
            (ClientType::Confidential, None) => Some(self.generators.new_client_secret()?),
            (ClientType::Public, Some(_)) => return Err(GrantsError::PublicClientSecret),
            (ClientType::Public, None) => None,
        };
        let given_client_id = registration.client_id.is_some();
        let client_id = match registration.client_id {
            Some(client_id) => client_id,
            None => self.generators.new_client_id()?,
        };
        let mut new = NewApplication {
            client_id,
            client_secret: secret
                .as_ref()
                .map(|s| ClientSecretHash::Sha256(hash_token(s.expose()))),
            pkce_required: registration.pkce_required
                || registration.client_type == ClientType::Public,
            client_type: registration.client_type,
            grant_types: registration.grant_types,
            redirect_uris: registration.redirect_uris,
            post_logout_redirect_uris: registration.post_logout_redirect_uris,
            allowed_origins: registration.allowed_origins,
            allowed_resources: registration.allowed_resources,
            name: registration.name,
            owner: registration.owner,
            skip_authorization: registration.skip_authorization,
            algorithm: registration.algorithm,
            sealed_secret: self.sealed_secret(&registration.security, secret.as_ref())?,
            security: registration.security,
        };
        for attempt in 1..=CLIENT_ID_ATTEMPTS {
            match self.store.create_application(&new, now).await {
                Ok(application) => {
                    let audited = Audited::application(&application.client_id)
                        .with_detail(application.name.clone());
                    self.audit(AuditAction::ApplicationCreated, audited, now)
                        .await;
                    return Ok((application, secret));
                }
                // A given client id is the caller's to change.
                Err(StoreError::Conflict(Unique::ClientId))
                    if attempt < CLIENT_ID_ATTEMPTS && !given_client_id =>
                {
                    new.client_id = self.generators.new_client_id()?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict(Unique::ClientId).into())
    }

    /// Applies `changes` to `application` under the registration rules.
    pub async fn update_application(
        &self,
        mut application: Application,
        changes: ApplicationChanges,
        now: OffsetDateTime,
    ) -> Result<Application, GrantsError> {
        check_application(
            &changes.name,
            application.client_type,
            &changes.grant_types,
            &changes.redirect_uris,
        )?;
        application.name = changes.name;
        application.grant_types = changes.grant_types;
        application.redirect_uris = changes.redirect_uris;
        application.post_logout_redirect_uris = changes.post_logout_redirect_uris;
        application.allowed_origins = changes.allowed_origins;
        if let Some(resources) = changes.allowed_resources {
            application.allowed_resources = resources;
        }
        application.pkce_required =
            changes.pkce_required || application.client_type == ClientType::Public;
        application.algorithm = changes.algorithm;
        if let Some(security) = changes.security {
            check_security(application.client_type, &security)?;
            // Kept only while the assertions are keyed with it: a client that changes to
            // client_secret_jwt gets a secret to key them with when it is next rotated.
            if security.auth_method != Some(AuthMethod::ClientSecretJwt) {
                application.sealed_secret = None;
            }
            application.security = security;
        }
        let application = self.store.update_application(&application, now).await?;
        let audited = Audited::application(&application.client_id);
        self.audit(AuditAction::ApplicationChanged, audited, now)
            .await;
        Ok(application)
    }

    /// Replaces a confidential application's secret; the old one stops working at once.
    pub async fn rotate_client_secret(
        &self,
        client_id: &ClientId,
        now: OffsetDateTime,
    ) -> Result<Secret<String>, GrantsError> {
        let mut application = self.application(client_id).await?;
        if application.client_type == ClientType::Public {
            return Err(GrantsError::PublicClientHasNoSecret(client_id.clone()));
        }
        let secret = self.generators.new_client_secret()?;
        application.client_secret = Some(ClientSecretHash::Sha256(hash_token(secret.expose())));
        application.sealed_secret = self.sealed_secret(&application.security, Some(&secret))?;
        self.store.update_application(&application, now).await?;
        let audited = Audited::application(client_id);
        self.audit(AuditAction::ApplicationSecretRotated, audited, now)
            .await;
        Ok(secret)
    }

    /// Deletes an application with its codes, tokens and consents.
    pub async fn delete_application(&self, client_id: &ClientId) -> Result<(), GrantsError> {
        let application = self.application(client_id).await?;
        self.store.delete_application(application.id).await?;
        let audited = Audited::application(client_id).with_detail(application.name);
        self.audit(
            AuditAction::ApplicationDeleted,
            audited,
            OffsetDateTime::now_utc(),
        )
        .await;
        Ok(())
    }

    async fn application(&self, client_id: &ClientId) -> Result<Application, GrantsError> {
        self.store
            .application_by_client_id(client_id)
            .await?
            .ok_or_else(|| GrantsError::UnknownClient(client_id.clone()))
    }

    /// The application `id` if `owner` registered it; another user's application is `None`,
    /// exactly as a missing one, so its existence does not leak.
    pub async fn owned_application(
        &self,
        owner: UserId,
        id: ApplicationId,
    ) -> Result<Option<Application>, GrantsError> {
        Ok(self
            .store
            .application_by_id(id)
            .await?
            .filter(|application| application.owner == Some(owner)))
    }
}
