//! Each table's row as sqlx reads it, and the domain value it parses into: the one place
//! where stored text becomes typed values (a row that does not parse is
//! [`StoreError::Corrupt`]), to be read against the migrations.

use time::OffsetDateTime;
use warrant_model::{
    AccessToken, ApiToken, Application, ApplicationId, AuthMethod, AuthorizationCode, ClientId,
    ClientJwks, ClientKeys, ClientRegistration, ClientSecretHash, ClientSecurity, ClientType,
    CodeChallenge, CodeChallengeMethod, Consent, DeviceAuthorization, DeviceStatus, Email,
    FamilyId, GrantTypes, Origin, OutboxEntry, PasswordHash, ProviderKey, PushedRequest,
    RedirectUri, RedirectUriPolicy, RefreshToken, Resources, ScopeSet, Sealed, SecurityProfile,
    Session, SigningAlgorithm, SigningKey, Throttle, ThrottleKey, ThrottleKind, TokenHash,
    UpstreamConnection, User, UserId, Username,
};

use crate::error::corrupt;
use crate::tokens::DescribedAccessToken;
use crate::{Result, StoreError};

#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    pub(crate) user_id: i64,
    pub(crate) token_hash: String,
    pub(crate) sealed_token: Vec<u8>,
    pub(crate) created_at: OffsetDateTime,
}

impl TryFrom<ApiTokenRow> for ApiToken {
    type Error = StoreError;
    fn try_from(row: ApiTokenRow) -> Result<Self> {
        Ok(ApiToken {
            user_id: UserId(row.user_id),
            token_hash: TokenHash::from_hex(&row.token_hash).map_err(corrupt)?,
            sealed_token: Sealed::from_bytes(row.sealed_token),
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApplicationRow {
    pub(crate) id: i64,
    pub(crate) client_id: String,
    pub(crate) client_secret_hash: Option<String>,
    pub(crate) client_type: String,
    pub(crate) grant_types: String,
    pub(crate) redirect_uris: String,
    pub(crate) post_logout_redirect_uris: String,
    pub(crate) allowed_origins: String,
    pub(crate) allowed_resources: String,
    pub(crate) name: String,
    pub(crate) owner_id: Option<i64>,
    pub(crate) skip_authorization: bool,
    pub(crate) pkce_required: bool,
    pub(crate) algorithm: Option<String>,
    pub(crate) require_pushed_requests: bool,
    pub(crate) token_endpoint_auth_method: Option<String>,
    pub(crate) jwks: Option<String>,
    pub(crate) jwks_uri: Option<String>,
    pub(crate) sealed_secret: Option<Vec<u8>>,
    pub(crate) require_dpop: bool,
    pub(crate) security_profile: Option<String>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
}

impl TryFrom<ApplicationRow> for Application {
    type Error = StoreError;

    fn try_from(row: ApplicationRow) -> Result<Self> {
        // The operator's policy applied at registration; what is stored was valid then.
        let stored = RedirectUriPolicy {
            allow_insecure_http: true,
        };
        Ok(Application {
            id: ApplicationId(row.id),
            client_id: ClientId::parse(&row.client_id).map_err(corrupt)?,
            client_secret: row
                .client_secret_hash
                .as_deref()
                .map(ClientSecretHash::from_stored)
                .transpose()
                .map_err(corrupt)?,
            client_type: ClientType::parse(&row.client_type).map_err(corrupt)?,
            grant_types: GrantTypes::parse(&row.grant_types).map_err(corrupt)?,
            redirect_uris: split(&row.redirect_uris, |s| RedirectUri::parse(s, stored))?,
            post_logout_redirect_uris: split(&row.post_logout_redirect_uris, |s| {
                RedirectUri::parse(s, stored)
            })?,
            allowed_origins: split(&row.allowed_origins, Origin::parse)?,
            allowed_resources: Resources::parse(&row.allowed_resources).map_err(corrupt)?,
            name: row.name,
            owner: row.owner_id.map(UserId),
            skip_authorization: row.skip_authorization,
            pkce_required: row.pkce_required,
            algorithm: row
                .algorithm
                .as_deref()
                .map(SigningAlgorithm::parse)
                .transpose()
                .map_err(corrupt)?,
            security: ClientSecurity {
                require_pushed_requests: row.require_pushed_requests,
                auth_method: row
                    .token_endpoint_auth_method
                    .as_deref()
                    .map(AuthMethod::parse)
                    .transpose()
                    .map_err(corrupt)?,
                keys: match (row.jwks, row.jwks_uri) {
                    (Some(jwks), _) => {
                        Some(ClientKeys::Jwks(ClientJwks::parse(&jwks).map_err(corrupt)?))
                    }
                    (None, Some(uri)) => Some(ClientKeys::uri(&uri).map_err(corrupt)?),
                    (None, None) => None,
                },
                require_dpop: row.require_dpop,
                profile: row
                    .security_profile
                    .as_deref()
                    .map(SecurityProfile::parse)
                    .transpose()
                    .map_err(corrupt)?,
            },
            sealed_secret: row.sealed_secret.map(Sealed::from_bytes),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConsentRow {
    pub(crate) user_id: i64,
    pub(crate) application_id: i64,
    pub(crate) scope: String,
    pub(crate) granted_at: OffsetDateTime,
}

impl TryFrom<ConsentRow> for Consent {
    type Error = StoreError;
    fn try_from(row: ConsentRow) -> Result<Self> {
        Ok(Consent {
            user_id: UserId(row.user_id),
            application_id: ApplicationId(row.application_id),
            scope: ScopeSet::parse(&row.scope).map_err(corrupt)?,
            granted_at: row.granted_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RegistrationRow {
    pub(crate) application_id: i64,
    pub(crate) token_hash: String,
    pub(crate) metadata: String,
    pub(crate) registered_from: String,
    pub(crate) created_at: OffsetDateTime,
}

impl TryFrom<RegistrationRow> for ClientRegistration {
    type Error = StoreError;
    fn try_from(row: RegistrationRow) -> Result<Self> {
        Ok(ClientRegistration {
            application_id: ApplicationId(row.application_id),
            token_hash: TokenHash::from_hex(&row.token_hash).map_err(corrupt)?,
            metadata: row.metadata,
            registered_from: row.registered_from,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PushedRequestRow {
    pub(crate) request_uri_hash: String,
    pub(crate) application_id: i64,
    pub(crate) params: Vec<u8>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) opened_at: Option<OffsetDateTime>,
}

impl TryFrom<PushedRequestRow> for PushedRequest {
    type Error = StoreError;
    fn try_from(row: PushedRequestRow) -> Result<Self> {
        Ok(PushedRequest {
            request_uri_hash: TokenHash::from_hex(&row.request_uri_hash).map_err(corrupt)?,
            application_id: ApplicationId(row.application_id),
            params: Sealed::from_bytes(row.params),
            created_at: row.created_at,
            expires_at: row.expires_at,
            opened_at: row.opened_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeviceRow {
    pub(crate) id: i64,
    pub(crate) device_code_hash: String,
    pub(crate) user_code_hash: String,
    pub(crate) application_id: i64,
    pub(crate) scope: String,
    pub(crate) status: String,
    pub(crate) user_id: Option<i64>,
    pub(crate) auth_time: Option<OffsetDateTime>,
    pub(crate) interval_seconds: i32,
    pub(crate) last_polled_at: Option<OffsetDateTime>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
}

impl TryFrom<DeviceRow> for DeviceAuthorization {
    type Error = StoreError;
    fn try_from(row: DeviceRow) -> Result<Self> {
        Ok(DeviceAuthorization {
            id: row.id,
            device_code_hash: TokenHash::from_hex(&row.device_code_hash).map_err(corrupt)?,
            user_code_hash: TokenHash::from_hex(&row.user_code_hash).map_err(corrupt)?,
            application_id: ApplicationId(row.application_id),
            scope: ScopeSet::parse(&row.scope).map_err(corrupt)?,
            status: DeviceStatus::parse(&row.status).map_err(corrupt)?,
            user_id: row.user_id.map(UserId),
            auth_time: row.auth_time,
            interval_seconds: row.interval_seconds,
            last_polled_at: row.last_polled_at,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EntryRow {
    pub(crate) id: i64,
    pub(crate) target: String,
    pub(crate) user_id: i64,
    pub(crate) version: i64,
    pub(crate) pending_since: Option<OffsetDateTime>,
    pub(crate) attempts: i32,
    pub(crate) next_attempt_at: OffsetDateTime,
    pub(crate) last_error: Option<String>,
    pub(crate) delivered_at: Option<OffsetDateTime>,
    pub(crate) dead_at: Option<OffsetDateTime>,
}

impl From<EntryRow> for OutboxEntry {
    fn from(row: EntryRow) -> Self {
        OutboxEntry {
            id: row.id,
            target: row.target,
            user_id: UserId(row.user_id),
            version: row.version,
            pending_since: row.pending_since,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_error: row.last_error,
            delivered_at: row.delivered_at,
            dead_at: row.dead_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct StatusRow {
    pub(crate) target: String,
    pub(crate) pending: i64,
    pub(crate) dead: i64,
    pub(crate) oldest_pending_since: Option<OffsetDateTime>,
    pub(crate) last_delivered_at: Option<OffsetDateTime>,
    pub(crate) last_error: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub(crate) key_hash: String,
    pub(crate) user_id: i64,
    pub(crate) auth_time: OffsetDateTime,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(row: SessionRow) -> Result<Self> {
        Ok(Session {
            key_hash: TokenHash::from_hex(&row.key_hash).map_err(corrupt)?,
            user_id: UserId(row.user_id),
            auth_time: row.auth_time,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SigningKeyRow {
    pub(crate) kid: String,
    pub(crate) algorithm: String,
    pub(crate) private_key: Vec<u8>,
    pub(crate) public_jwk: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) retired_at: Option<OffsetDateTime>,
}

impl TryFrom<SigningKeyRow> for SigningKey {
    type Error = StoreError;
    fn try_from(row: SigningKeyRow) -> Result<Self> {
        Ok(SigningKey {
            kid: row.kid,
            algorithm: SigningAlgorithm::parse(&row.algorithm).map_err(corrupt)?,
            private_key: Sealed::from_bytes(row.private_key),
            public_jwk: row.public_jwk,
            created_at: row.created_at,
            retired_at: row.retired_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ThrottleRow {
    pub(crate) kind: String,
    pub(crate) subject: String,
    pub(crate) failures: i32,
    pub(crate) last_failure_at: OffsetDateTime,
    pub(crate) locked_until: Option<OffsetDateTime>,
    pub(crate) permanent: bool,
}

impl TryFrom<ThrottleRow> for Throttle {
    type Error = StoreError;

    fn try_from(row: ThrottleRow) -> Result<Self> {
        Ok(Throttle {
            key: ThrottleKey {
                kind: ThrottleKind::parse(&row.kind).map_err(corrupt)?,
                subject: row.subject,
            },
            failures: u32::try_from(row.failures).map_err(corrupt)?,
            last_failure_at: row.last_failure_at,
            locked_until: row.locked_until,
            permanent: row.permanent,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CodeRow {
    pub(crate) id: i64,
    pub(crate) code_hash: String,
    pub(crate) application_id: i64,
    pub(crate) user_id: i64,
    pub(crate) redirect_uri: String,
    pub(crate) redirect_uri_included: bool,
    pub(crate) scope: String,
    pub(crate) resources: String,
    pub(crate) code_challenge: Option<String>,
    pub(crate) code_challenge_method: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) dpop_jkt: Option<String>,
    pub(crate) auth_time: OffsetDateTime,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) consumed_at: Option<OffsetDateTime>,
}

impl TryFrom<CodeRow> for AuthorizationCode {
    type Error = StoreError;

    fn try_from(row: CodeRow) -> Result<Self> {
        let code_challenge = match (
            row.code_challenge_method.as_deref(),
            row.code_challenge.as_deref(),
        ) {
            (Some(method), Some(value)) => {
                let method = CodeChallengeMethod::parse(method).map_err(corrupt)?;
                Some(CodeChallenge::parse(method, value).map_err(corrupt)?)
            }
            _ => None,
        };
        Ok(AuthorizationCode {
            id: row.id,
            code_hash: TokenHash::from_hex(&row.code_hash).map_err(corrupt)?,
            application_id: ApplicationId(row.application_id),
            user_id: UserId(row.user_id),
            redirect_uri: RedirectUri::parse(
                &row.redirect_uri,
                RedirectUriPolicy {
                    allow_insecure_http: true,
                },
            )
            .map_err(corrupt)?,
            redirect_uri_included: row.redirect_uri_included,
            scope: ScopeSet::parse(&row.scope).map_err(corrupt)?,
            resources: Resources::parse(&row.resources).map_err(corrupt)?,
            code_challenge,
            nonce: row.nonce,
            dpop_jkt: row.dpop_jkt,
            auth_time: row.auth_time,
            created_at: row.created_at,
            expires_at: row.expires_at,
            consumed_at: row.consumed_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccessRow {
    pub(crate) id: i64,
    pub(crate) token_hash: String,
    pub(crate) application_id: i64,
    pub(crate) user_id: Option<i64>,
    pub(crate) scope: String,
    pub(crate) resources: String,
    pub(crate) family: String,
    pub(crate) authorization_code_id: Option<i64>,
    pub(crate) dpop_jkt: Option<String>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) revoked_at: Option<OffsetDateTime>,
}

impl TryFrom<AccessRow> for AccessToken {
    type Error = StoreError;

    fn try_from(row: AccessRow) -> Result<Self> {
        Ok(AccessToken {
            id: row.id,
            token_hash: TokenHash::from_hex(&row.token_hash).map_err(corrupt)?,
            application_id: ApplicationId(row.application_id),
            user_id: row.user_id.map(UserId),
            scope: ScopeSet::parse(&row.scope).map_err(corrupt)?,
            resources: Resources::parse(&row.resources).map_err(corrupt)?,
            family: FamilyId::new(row.family),
            authorization_code_id: row.authorization_code_id,
            dpop_jkt: row.dpop_jkt,
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DescribedRow {
    #[sqlx(flatten)]
    pub(crate) token: AccessRow,
    pub(crate) client_id: String,
    pub(crate) username: Option<String>,
    pub(crate) user_active: Option<bool>,
}

impl TryFrom<DescribedRow> for DescribedAccessToken {
    type Error = StoreError;

    fn try_from(row: DescribedRow) -> Result<Self> {
        let user = match (row.username, row.user_active) {
            (Some(name), Some(active)) => Some((Username::parse(&name).map_err(corrupt)?, active)),
            _ => None,
        };
        Ok(DescribedAccessToken {
            token: row.token.try_into()?,
            client_id: ClientId::parse(&row.client_id).map_err(corrupt)?,
            user,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RefreshRow {
    pub(crate) id: i64,
    pub(crate) token_hash: String,
    pub(crate) application_id: i64,
    pub(crate) user_id: Option<i64>,
    pub(crate) scope: String,
    pub(crate) resources: String,
    pub(crate) family: String,
    pub(crate) access_token_id: Option<i64>,
    pub(crate) auth_time: Option<OffsetDateTime>,
    pub(crate) dpop_jkt: Option<String>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: Option<OffsetDateTime>,
    pub(crate) rotated_at: Option<OffsetDateTime>,
    pub(crate) revoked_at: Option<OffsetDateTime>,
}

impl TryFrom<RefreshRow> for RefreshToken {
    type Error = StoreError;

    fn try_from(row: RefreshRow) -> Result<Self> {
        Ok(RefreshToken {
            id: row.id,
            token_hash: TokenHash::from_hex(&row.token_hash).map_err(corrupt)?,
            application_id: ApplicationId(row.application_id),
            user_id: row.user_id.map(UserId),
            scope: ScopeSet::parse(&row.scope).map_err(corrupt)?,
            resources: Resources::parse(&row.resources).map_err(corrupt)?,
            family: FamilyId::new(row.family),
            access_token_id: row.access_token_id,
            auth_time: row.auth_time,
            dpop_jkt: row.dpop_jkt,
            created_at: row.created_at,
            expires_at: row.expires_at,
            rotated_at: row.rotated_at,
            revoked_at: row.revoked_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConnectionRow {
    pub(crate) id: i64,
    pub(crate) user_id: i64,
    pub(crate) provider: String,
    pub(crate) provider_user_id: String,
    pub(crate) access_token: Vec<u8>,
    pub(crate) refresh_token: Option<Vec<u8>>,
    pub(crate) access_token_expires_at: Option<OffsetDateTime>,
    pub(crate) extra_data: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
}

impl TryFrom<ConnectionRow> for UpstreamConnection {
    type Error = StoreError;
    fn try_from(row: ConnectionRow) -> Result<Self> {
        Ok(UpstreamConnection {
            id: row.id,
            user_id: UserId(row.user_id),
            provider: ProviderKey::parse(&row.provider).map_err(corrupt)?,
            provider_user_id: row.provider_user_id,
            access_token: Sealed::from_bytes(row.access_token),
            refresh_token: row.refresh_token.map(Sealed::from_bytes),
            access_token_expires_at: row.access_token_expires_at,
            extra_data: row.extra_data,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub(crate) id: i64,
    pub(crate) username: String,
    pub(crate) email: Option<String>,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) password: Option<String>,
    pub(crate) is_active: bool,
    pub(crate) is_staff: bool,
    pub(crate) is_superuser: bool,
    pub(crate) date_joined: OffsetDateTime,
    pub(crate) last_login: Option<OffsetDateTime>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self> {
        Ok(User {
            id: UserId(row.id),
            username: Username::parse(&row.username).map_err(corrupt)?,
            email: row
                .email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(corrupt)?,
            first_name: row.first_name,
            last_name: row.last_name,
            password: row
                .password
                .as_deref()
                .map(PasswordHash::parse)
                .transpose()
                .map_err(corrupt)?,
            is_active: row.is_active,
            is_staff: row.is_staff,
            is_superuser: row.is_superuser,
            date_joined: row.date_joined,
            last_login: row.last_login,
        })
    }
}

/// Space-separated, as Django OAuth Toolkit stores redirect URIs.
pub(crate) fn split<T, E: std::fmt::Display>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).map_err(corrupt))
        .collect()
}
