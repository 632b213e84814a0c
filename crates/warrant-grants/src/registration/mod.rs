//! Dynamic client registration (RFC 7591) and its management (RFC 7592): clients (MCP
//! clients, for one) register themselves at `/o/register/`, when the operator allows it,
//! and manage their registration with the registration access token they got, which is
//! kept hashed. `metadata.rs` reads and writes the client metadata.

mod metadata;

use std::net::IpAddr;

use serde_json::Value;
use time::{Duration, OffsetDateTime};
use warrant_generators::{constant_time_eq, hash_token, random_urlsafe};
use warrant_model::{
    Application, ClientId, ClientRegistration, ClientType, GrantType, GrantTypes, OAuthError,
    Secret,
};
use warrant_storage::{Store, StoreError};

use self::metadata::ClientMetadata;

use crate::{ApplicationChanges, ApplicationRegistration, Engine, GrantsError};

/// Who may register clients (Django OAuth Toolkit's `DCR_ENABLED` and permission classes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RegistrationAccess {
    /// No registration endpoint (the default).
    #[default]
    Off,
    /// Anyone (as MCP clients expect); the per-address limit and the clean-up of unused
    /// clients keep it in bounds.
    Open,
    /// Only requests that carry this initial access token (RFC 7591 §3) as a bearer token.
    InitialAccessToken(Secret<String>),
}

/// How dynamic registration behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationPolicy {
    /// Who may register.
    pub access: RegistrationAccess,
    /// The grants a registered client may ask for.
    pub grant_types: GrantTypes,
    /// Registrations one address may make within an hour.
    pub per_address_per_hour: u32,
    /// A registered client of which no code or token is kept this long after it registered
    /// is deleted by the periodic clean-up.
    pub unused_client_lifetime: Duration,
}

impl Default for RegistrationPolicy {
    fn default() -> Self {
        Self {
            access: RegistrationAccess::Off,
            grant_types: GrantTypes::of(GrantType::AuthorizationCode, [GrantType::RefreshToken]),
            per_address_per_hour: 20,
            unused_client_lifetime: Duration::days(7),
        }
    }
}

/// Why a registration was refused.
#[derive(Debug)]
pub enum RegistrationRefused {
    /// An OAuth error to answer (RFC 7591 §3.2.2, RFC 6750 for the initial access token).
    Error(OAuthError),
    /// The address registered too many clients lately: 429.
    TooMany,
}

impl From<OAuthError> for RegistrationRefused {
    fn from(error: OAuthError) -> Self {
        Self::Error(error)
    }
}

impl From<GrantsError> for RegistrationRefused {
    fn from(error: GrantsError) -> Self {
        Self::Error(metadata_error(error))
    }
}

/// A registration error from the engine's application rules, in RFC 7591's terms.
fn metadata_error(error: GrantsError) -> OAuthError {
    match error {
        GrantsError::RedirectUriRequired => OAuthError::InvalidRedirectUri(error.to_string()),
        GrantsError::InvalidName | GrantsError::PublicClientCredentials => {
            OAuthError::InvalidClientMetadata(error.to_string())
        }
        other => other.into(),
    }
}

/// The refusal of a missing or wrong registration access token (RFC 7592 §3).
fn unknown_registration() -> OAuthError {
    OAuthError::InvalidToken("unknown client or registration access token".into())
}

impl Engine<'_> {
    /// Whether `/o/register/` is open (to anyone, or with an initial access token).
    pub fn registration_enabled(&self) -> bool {
        self.settings.registration.access != RegistrationAccess::Off
    }

    /// Registers a client from its metadata `document` (RFC 7591 §3.1), sent from
    /// `address` with `initial_token` as bearer token, if any. The answer (RFC 7591 §3.2.1)
    /// carries the client secret and the registration access token, which exist only in
    /// it.
    pub async fn register_client(
        &self,
        document: &Value,
        initial_token: Option<&Secret<String>>,
        address: Option<IpAddr>,
        now: OffsetDateTime,
    ) -> Result<Value, RegistrationRefused> {
        let policy = &self.settings.registration;
        match &policy.access {
            RegistrationAccess::Off => {
                return Err(OAuthError::AccessDenied("registration is off".into()).into());
            }
            RegistrationAccess::Open => {}
            RegistrationAccess::InitialAccessToken(expected) => {
                let given = initial_token.ok_or_else(|| {
                    OAuthError::InvalidToken("an initial access token is required".into())
                })?;
                if !constant_time_eq(given.expose().as_bytes(), expected.expose().as_bytes()) {
                    return Err(
                        OAuthError::InvalidToken("wrong initial access token".into()).into(),
                    );
                }
            }
        }
        let from = address.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        let recent = self
            .store
            .registrations_from(&from, now - Duration::hours(1))
            .await
            .map_err(OAuthError::from)?;
        if recent >= u64::from(policy.per_address_per_hour) {
            return Err(RegistrationRefused::TooMany);
        }
        let metadata = ClientMetadata::read(document, policy)?;
        let name = metadata.name();
        let registration = ApplicationRegistration {
            post_logout_redirect_uris: metadata.post_logout_redirect_uris.clone(),
            ..ApplicationRegistration::by_the_client(
                name.clone(),
                metadata.auth_method.client_type(),
                metadata.grant_types.clone(),
                metadata.redirect_uris.clone(),
            )
        };
        let (application, secret) = self.register_application(registration, now).await?;
        let token: Secret<String> = random_urlsafe(32).map_err(GrantsError::from)?;
        let kept = metadata.to_json(&name);
        let recorded = self
            .store
            .create_registration(&ClientRegistration {
                application_id: application.id,
                token_hash: hash_token(token.expose()),
                metadata: kept.to_string(),
                registered_from: from,
                created_at: now,
            })
            .await;
        if let Err(error) = recorded {
            // Without its registration the client could never be managed: take it back.
            if let Err(undone) = self.store.delete_application(application.id).await {
                tracing::warn!(
                    client_id = application.client_id.as_str(),
                    error = %undone,
                    "a client whose registration could not be recorded was left behind"
                );
            }
            return Err(OAuthError::from(error).into());
        }
        Ok(self.registration_answer(&application, kept, secret.as_ref(), Some(&token)))
    }

    /// The registration of `client_id`, for the holder of its registration access token
    /// (RFC 7592 §2.1).
    pub async fn read_client_registration(
        &self,
        client_id: &str,
        token: &Secret<String>,
    ) -> Result<Value, OAuthError> {
        let (application, registration) = self.managed(client_id, token).await?;
        let kept = serde_json::from_str(&registration.metadata).map_err(|error| {
            tracing::error!(%error, "a client registration's metadata is not JSON");
            OAuthError::ServerError
        })?;
        Ok(self.registration_answer(&application, kept, None, None))
    }

    /// Replaces the registered metadata of `client_id` with `document` (RFC 7592 §2.2); the
    /// registration access token is replaced too (the answer carries the new one). The
    /// client's authentication method cannot change.
    pub async fn update_client_registration(
        &self,
        client_id: &str,
        token: &Secret<String>,
        document: &Value,
        now: OffsetDateTime,
    ) -> Result<Value, OAuthError> {
        let (application, _) = self.managed(client_id, token).await?;
        let engine = self.acting_as(crate::Actor::Client(&application.client_id));
        if document.get("client_id").and_then(Value::as_str) != Some(client_id) {
            return Err(OAuthError::InvalidRequest(
                "client_id must be the registered client's".into(),
            ));
        }
        let mut fields = document.as_object().cloned().unwrap_or_default();
        for server_side in [
            "client_id",
            "client_secret",
            "client_id_issued_at",
            "client_secret_expires_at",
            "registration_access_token",
            "registration_client_uri",
        ] {
            fields.remove(server_side);
        }
        let metadata = ClientMetadata::read(&Value::Object(fields), &self.settings.registration)?;
        if metadata.auth_method.client_type() != application.client_type {
            return Err(OAuthError::InvalidClientMetadata(
                "token_endpoint_auth_method cannot change between none and a client secret".into(),
            ));
        }
        let name = metadata.name();
        let changes = ApplicationChanges {
            name: name.clone(),
            grant_types: metadata.grant_types.clone(),
            redirect_uris: metadata.redirect_uris.clone(),
            post_logout_redirect_uris: metadata.post_logout_redirect_uris.clone(),
            allowed_origins: application.allowed_origins.clone(),
            allowed_resources: None,
            pkce_required: true,
            algorithm: application.algorithm,
            security: None,
        };
        let application = engine
            .update_application(application.clone(), changes, now)
            .await
            .map_err(metadata_error)?;
        self.clients.forget(&application.client_id);
        let new_token: Secret<String> = random_urlsafe(32).map_err(GrantsError::from)?;
        let kept = metadata.to_json(&name);
        self.store
            .update_registration(
                application.id,
                &kept.to_string(),
                &hash_token(new_token.expose()),
            )
            .await?;
        Ok(self.registration_answer(&application, kept, None, Some(&new_token)))
    }

    /// Deletes `client_id` with its codes and tokens (RFC 7592 §2.3).
    pub async fn delete_client_registration(
        &self,
        client_id: &str,
        token: &Secret<String>,
    ) -> Result<(), OAuthError> {
        let (application, _) = self.managed(client_id, token).await?;
        self.acting_as(crate::Actor::Client(&application.client_id))
            .delete_application(&application.client_id)
            .await?;
        self.clients.forget(&application.client_id);
        Ok(())
    }

    /// The application `client_id` and its registration, if `token` manages it.
    async fn managed(
        &self,
        client_id: &str,
        token: &Secret<String>,
    ) -> Result<(Application, ClientRegistration), OAuthError> {
        let registration = self
            .store
            .registration_by_token(&hash_token(token.expose()))
            .await?
            .ok_or_else(unknown_registration)?;
        let application = self
            .store
            .application_by_id(registration.application_id)
            .await?
            .filter(|application| application.client_id.as_str() == client_id)
            .ok_or_else(unknown_registration)?;
        Ok((application, registration))
    }

    /// RFC 7591 §3.2.1's answer: the kept metadata with the server's fields.
    fn registration_answer(
        &self,
        application: &Application,
        kept: Value,
        secret: Option<&Secret<String>>,
        token: Option<&Secret<String>>,
    ) -> Value {
        let mut answer = kept;
        answer["client_id"] = Value::from(application.client_id.as_str());
        answer["client_id_issued_at"] = Value::from(application.created_at.unix_timestamp());
        answer["registration_client_uri"] = Value::from(registration_client_uri(
            &self.settings.issuer,
            &application.client_id,
        ));
        if let Some(secret) = secret {
            answer["client_secret"] = Value::from(secret.expose().as_str());
        }
        if application.client_type == ClientType::Confidential {
            answer["client_secret_expires_at"] = Value::from(0);
        }
        if let Some(token) = token {
            answer["registration_access_token"] = Value::from(token.expose().as_str());
        }
        answer
    }
}

/// Deletes the dynamically registered clients older than `policy`'s unused-client lifetime
/// of which no code or token is kept (part of the periodic clean-up); how many.
pub async fn clear_unused_registrations(
    store: &dyn Store,
    policy: &RegistrationPolicy,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    store
        .delete_unused_registrations(now - policy.unused_client_lifetime)
        .await
}

/// Where a registered client manages its registration (RFC 7592 §3).
pub fn registration_client_uri(issuer: &str, client_id: &ClientId) -> String {
    format!("{issuer}/o/register/{}/", client_id.as_str())
}
