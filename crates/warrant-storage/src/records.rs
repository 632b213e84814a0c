//! The smaller aggregates: consents, sessions, API tokens, upstream connections, signing
//! keys and device authorizations.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{
    ApiToken, ApplicationId, Consent, DeviceAuthorization, DeviceStatus, NewDeviceAuthorization,
    NewSession, NewUpstreamConnection, ProviderKey, ScopeSet, Sealed, Session, SigningAlgorithm,
    SigningKey, TokenHash, UpstreamConnection, UserId,
};

use crate::deadline::Within;
use crate::error::corrupt;
use crate::outbox::{SyncTo, mark_for_sync};
use crate::time_utc::{stored_opt, stored_time};
use crate::{Result, StoreError};

/// Standing consents (`approval_prompt=auto`).
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Records or replaces the user's consent for the application.
    async fn save_consent(&self, consent: &Consent) -> Result<Consent>;
    /// The user's consent for the application.
    async fn consent(&self, user: UserId, application: ApplicationId) -> Result<Option<Consent>>;
    /// Withdraws the consent.
    async fn delete_consent(&self, user: UserId, application: ApplicationId) -> Result<bool>;
}

/// Browser sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a session.
    async fn create_session(&self, session: &NewSession) -> Result<Session>;
    /// The unexpired session with this key hash.
    async fn live_session(
        &self,
        key_hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<Session>>;
    /// Ends one session (logout).
    async fn delete_session(&self, key_hash: &TokenHash) -> Result<bool>;
    /// Ends every session of a user (password change, deactivation).
    async fn delete_sessions_of_user(&self, user: UserId) -> Result<u64>;
}

/// API tokens (`Authorization: Token <key>`), one per user.
#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    /// Sets the user's API token, replacing any previous one, and marks the user for `sync`'s
    /// client apps in the same transaction.
    async fn replace_api_token(&self, token: &ApiToken, sync: SyncTo<'_>) -> Result<ApiToken>;
    /// Stores `token` unless the user has one already; returns the user's token either way,
    /// so that two first requests at once agree on one.
    async fn keep_first_api_token(&self, token: &ApiToken) -> Result<ApiToken>;
    /// The user's API token.
    async fn api_token_of_user(&self, user: UserId) -> Result<Option<ApiToken>>;
    /// The API token with this hash.
    async fn api_token_by_hash(&self, token_hash: &TokenHash) -> Result<Option<ApiToken>>;
}

/// Links to accounts at upstream providers.
#[async_trait]
pub trait UpstreamStore: Send + Sync {
    /// Links an upstream account; one already linked is [`StoreError::Conflict`].
    async fn create_connection(
        &self,
        connection: &NewUpstreamConnection,
    ) -> Result<UpstreamConnection>;
    /// The connection for an upstream account.
    async fn connection(
        &self,
        provider: &ProviderKey,
        provider_user_id: &str,
    ) -> Result<Option<UpstreamConnection>>;
    /// A user's connections.
    async fn connections_of_user(&self, user: UserId) -> Result<Vec<UpstreamConnection>>;
    /// Stores refreshed upstream tokens.
    async fn update_connection_tokens(
        &self,
        id: i64,
        access_token: &Sealed,
        refresh_token: Option<&Sealed>,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Removes a connection, only if it belongs to `user`.
    async fn delete_connection(&self, id: i64, user: UserId) -> Result<bool>;
    /// Every provider that has at least one connection (`warrant check`).
    async fn providers_in_use(&self) -> Result<Vec<ProviderKey>>;
}

/// Signing keys.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// Stores a new key; a taken `kid` is [`StoreError::Conflict`].
    async fn create_signing_key(&self, key: &SigningKey) -> Result<SigningKey>;
    /// Every key, newest first.
    async fn signing_keys(&self) -> Result<Vec<SigningKey>>;
    /// Stops a key from signing.
    async fn retire_signing_key(&self, kid: &str, now: OffsetDateTime) -> Result<bool>;
}

/// The user's answer to a device authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceDecision {
    /// Approved by this user, who had logged in at `auth_time`.
    Approve {
        /// The approving user.
        user: UserId,
        /// When they logged in.
        auth_time: OffsetDateTime,
    },
    /// Refused.
    Deny,
}

/// Device authorizations (RFC 8628).
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a new, pending device authorization.
    async fn create_device_authorization(
        &self,
        device: &NewDeviceAuthorization,
    ) -> Result<DeviceAuthorization>;
    /// Looks one up by the device code's hash (token endpoint polling).
    async fn device_by_device_code(&self, hash: &TokenHash) -> Result<Option<DeviceAuthorization>>;
    /// Looks one up by the user code's hash (the verification page).
    async fn device_by_user_code(&self, hash: &TokenHash) -> Result<Option<DeviceAuthorization>>;
    /// Records the user's decision; only a pending authorization can be decided.
    async fn decide_device(&self, id: i64, decision: DeviceDecision) -> Result<bool>;
    /// Marks an approved authorization consumed; of concurrent calls exactly one wins.
    async fn consume_device(&self, id: i64) -> Result<bool>;
    /// Records a poll (for `slow_down`).
    async fn record_device_poll(&self, id: i64, now: OffsetDateTime) -> Result<()>;
}

#[derive(sqlx::FromRow)]
struct ConsentRow {
    user_id: i64,
    application_id: i64,
    scope: String,
    granted_at: OffsetDateTime,
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
struct SessionRow {
    key_hash: String,
    user_id: i64,
    auth_time: OffsetDateTime,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
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
struct ApiTokenRow {
    user_id: i64,
    token_hash: String,
    sealed_token: Vec<u8>,
    created_at: OffsetDateTime,
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
pub(crate) struct ConnectionRow {
    id: i64,
    user_id: i64,
    provider: String,
    provider_user_id: String,
    access_token: Vec<u8>,
    refresh_token: Option<Vec<u8>>,
    access_token_expires_at: Option<OffsetDateTime>,
    extra_data: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
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
struct SigningKeyRow {
    kid: String,
    algorithm: String,
    private_key: Vec<u8>,
    public_jwk: String,
    created_at: OffsetDateTime,
    retired_at: Option<OffsetDateTime>,
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
struct DeviceRow {
    id: i64,
    device_code_hash: String,
    user_code_hash: String,
    application_id: i64,
    scope: String,
    status: String,
    user_id: Option<i64>,
    auth_time: Option<OffsetDateTime>,
    interval_seconds: i32,
    last_polled_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
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

macro_rules! connection_columns {
    () => {
        "id, user_id, provider, provider_user_id, access_token, refresh_token, \
    access_token_expires_at, extra_data, created_at, updated_at"
    };
}

/// Inserts a connection and returns its row: `$1` is the user, the rest the account in
/// [`bind_account`]'s order.
pub(crate) const INSERT_CONNECTION: &str = concat!(
    "INSERT INTO upstream_connections (user_id, provider, provider_user_id, access_token,
     refresh_token, access_token_expires_at, extra_data, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING ",
    connection_columns!()
);

/// Binds an [`UpstreamAccount`](warrant_model::UpstreamAccount) as `$2`..`$8` of
/// [`INSERT_CONNECTION`].
macro_rules! bind_account {
    ($query:expr, $account:expr) => {
        $query
            .bind($account.provider.as_str())
            .bind(&$account.provider_user_id)
            .bind($account.access_token.as_bytes())
            .bind($account.refresh_token.as_ref().map(Sealed::as_bytes))
            .bind($crate::time_utc::stored_opt(
                $account.access_token_expires_at,
            ))
            .bind(&$account.extra_data)
            .bind($crate::time_utc::stored_time($account.created_at))
    };
}
pub(crate) use bind_account;

macro_rules! device_columns {
    () => {
        "id, device_code_hash, user_code_hash, application_id, scope, status, user_id, \
    auth_time, interval_seconds, last_polled_at, created_at, expires_at"
    };
}

macro_rules! impl_record_stores {
    ($store:ty) => {
        #[async_trait]
        impl ConsentStore for $store {
            async fn save_consent(&self, consent: &Consent) -> Result<Consent> {
                let row: ConsentRow = sqlx::query_as(
                    "INSERT INTO consents (user_id, application_id, scope, granted_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (user_id, application_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at
                     RETURNING user_id, application_id, scope, granted_at",
                )
                .bind(consent.user_id.0)
                .bind(consent.application_id.0)
                .bind(consent.scope.to_string())
                .bind(stored_time(consent.granted_at))
                .fetch_one(&self.writer)
                .within(self.deadline)
                .await?;
                row.try_into()
            }

            async fn consent(&self, user: UserId, application: ApplicationId) -> Result<Option<Consent>> {
                let row: Option<ConsentRow> = sqlx::query_as(
                    "SELECT user_id, application_id, scope, granted_at FROM consents WHERE user_id = $1 AND application_id = $2",
                )
                .bind(user.0)
                .bind(application.0)
                .fetch_optional(&self.pool)
                .within(self.deadline)
                .await?;
                row.map(Consent::try_from).transpose()
            }

            async fn delete_consent(&self, user: UserId, application: ApplicationId) -> Result<bool> {
                let done = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND application_id = $2")
                    .bind(user.0)
                    .bind(application.0)
                    .execute(&self.writer)
                    .within(self.deadline)
                    .await?;
                Ok(done.rows_affected() == 1)
            }
        }

        #[async_trait]
        impl SessionStore for $store {
            async fn create_session(&self, session: &NewSession) -> Result<Session> {
                let row: SessionRow = sqlx::query_as(
                    "INSERT INTO sessions (key_hash, user_id, auth_time, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
                     RETURNING key_hash, user_id, auth_time, created_at, expires_at",
                )
                .bind(session.key_hash.to_hex())
                .bind(session.user_id.0)
                .bind(stored_time(session.auth_time))
                .bind(stored_time(session.created_at))
                .bind(stored_time(session.expires_at))
                .fetch_one(&self.writer)
                .within(self.deadline)
                .await?;
                row.try_into()
            }

            async fn live_session(&self, key_hash: &TokenHash, now: OffsetDateTime) -> Result<Option<Session>> {
                let row: Option<SessionRow> = sqlx::query_as(
                    "SELECT key_hash, user_id, auth_time, created_at, expires_at FROM sessions
                     WHERE key_hash = $1 AND expires_at > $2",
                )
                .bind(key_hash.to_hex())
                .bind(stored_time(now))
                .fetch_optional(&self.pool)
                .within(self.deadline)
                .await?;
                row.map(Session::try_from).transpose()
            }

            async fn delete_session(&self, key_hash: &TokenHash) -> Result<bool> {
                let done =
                    sqlx::query("DELETE FROM sessions WHERE key_hash = $1").bind(key_hash.to_hex()).execute(&self.writer).within(self.deadline).await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_sessions_of_user(&self, user: UserId) -> Result<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0).execute(&self.writer).within(self.deadline).await?;
                Ok(done.rows_affected())
            }
        }

        #[async_trait]
        impl ApiTokenStore for $store {
            async fn replace_api_token(&self, token: &ApiToken, sync: SyncTo<'_>) -> Result<ApiToken> {
                let mut tx = self.writer.begin().within(self.deadline).await?;
                let row: ApiTokenRow = sqlx::query_as(
                    "INSERT INTO api_tokens (user_id, token_hash, sealed_token, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash,
                     sealed_token = excluded.sealed_token, created_at = excluded.created_at
                     RETURNING user_id, token_hash, sealed_token, created_at",
                )
                .bind(token.user_id.0)
                .bind(token.token_hash.to_hex())
                .bind(token.sealed_token.as_bytes())
                .bind(stored_time(token.created_at))
                .fetch_one(&mut *tx)
                .within(self.deadline)
                .await?;
                mark_for_sync!(tx, token.user_id.0, sync, self.deadline);
                tx.commit().within(self.deadline).await?;
                row.try_into()
            }

            async fn keep_first_api_token(&self, token: &ApiToken) -> Result<ApiToken> {
                sqlx::query(
                    "INSERT INTO api_tokens (user_id, token_hash, sealed_token, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (user_id) DO NOTHING",
                )
                .bind(token.user_id.0)
                .bind(token.token_hash.to_hex())
                .bind(token.sealed_token.as_bytes())
                .bind(stored_time(token.created_at))
                .execute(&self.writer)
                .within(self.deadline)
                .await?;
                let row: ApiTokenRow =
                    sqlx::query_as("SELECT user_id, token_hash, sealed_token, created_at FROM api_tokens WHERE user_id = $1")
                        .bind(token.user_id.0)
                        .fetch_one(&self.writer)
                        .within(self.deadline)
                        .await?;
                row.try_into()
            }

            async fn api_token_of_user(&self, user: UserId) -> Result<Option<ApiToken>> {
                let row: Option<ApiTokenRow> =
                    sqlx::query_as("SELECT user_id, token_hash, sealed_token, created_at FROM api_tokens WHERE user_id = $1")
                        .bind(user.0)
                        .fetch_optional(&self.pool)
                        .within(self.deadline)
                        .await?;
                row.map(ApiToken::try_from).transpose()
            }

            async fn api_token_by_hash(&self, token_hash: &TokenHash) -> Result<Option<ApiToken>> {
                let row: Option<ApiTokenRow> =
                    sqlx::query_as("SELECT user_id, token_hash, sealed_token, created_at FROM api_tokens WHERE token_hash = $1")
                        .bind(token_hash.to_hex())
                        .fetch_optional(&self.pool)
                        .within(self.deadline)
                        .await?;
                row.map(ApiToken::try_from).transpose()
            }
        }

        #[async_trait]
        impl UpstreamStore for $store {
            async fn create_connection(&self, c: &NewUpstreamConnection) -> Result<UpstreamConnection> {
                let row: ConnectionRow = bind_account!(sqlx::query_as(INSERT_CONNECTION).bind(c.user_id.0), c.account)
                    .fetch_one(&self.writer)
                    .within(self.deadline)
                    .await?;
                row.try_into()
            }

            async fn connection(&self, provider: &ProviderKey, provider_user_id: &str) -> Result<Option<UpstreamConnection>> {
                let sql = concat!("SELECT ", connection_columns!(), " FROM upstream_connections WHERE provider = $1 AND provider_user_id = $2");
                let row: Option<ConnectionRow> = sqlx::query_as(sql)
                    .bind(provider.as_str())
                    .bind(provider_user_id)
                    .fetch_optional(&self.pool)
                    .within(self.deadline)
                    .await?;
                row.map(UpstreamConnection::try_from).transpose()
            }

            async fn connections_of_user(&self, user: UserId) -> Result<Vec<UpstreamConnection>> {
                let sql = concat!("SELECT ", connection_columns!(), " FROM upstream_connections WHERE user_id = $1 ORDER BY id");
                let rows: Vec<ConnectionRow> = sqlx::query_as(sql).bind(user.0).fetch_all(&self.pool).within(self.deadline).await?;
                rows.into_iter().map(UpstreamConnection::try_from).collect()
            }

            async fn update_connection_tokens(
                &self,
                id: i64,
                access_token: &Sealed,
                refresh_token: Option<&Sealed>,
                expires_at: Option<OffsetDateTime>,
                now: OffsetDateTime,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE upstream_connections SET access_token = $2, refresh_token = $3,
                     access_token_expires_at = $4, updated_at = $5 WHERE id = $1",
                )
                .bind(id)
                .bind(access_token.as_bytes())
                .bind(refresh_token.map(Sealed::as_bytes))
                .bind(stored_opt(expires_at))
                .bind(stored_time(now))
                .execute(&self.writer)
                .within(self.deadline)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_connection(&self, id: i64, user: UserId) -> Result<bool> {
                let done = sqlx::query("DELETE FROM upstream_connections WHERE id = $1 AND user_id = $2")
                    .bind(id)
                    .bind(user.0)
                    .execute(&self.writer)
                    .within(self.deadline)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn providers_in_use(&self) -> Result<Vec<ProviderKey>> {
                let rows: Vec<(String,)> =
                    sqlx::query_as("SELECT DISTINCT provider FROM upstream_connections ORDER BY provider")
                        .fetch_all(&self.pool)
                        .within(self.deadline)
                        .await?;
                rows.into_iter().map(|(p,)| ProviderKey::parse(&p).map_err(corrupt)).collect()
            }
        }

        #[async_trait]
        impl SigningKeyStore for $store {
            async fn create_signing_key(&self, key: &SigningKey) -> Result<SigningKey> {
                let row: SigningKeyRow = sqlx::query_as(
                    "INSERT INTO signing_keys (kid, algorithm, private_key, public_jwk, created_at, retired_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING kid, algorithm, private_key, public_jwk, created_at, retired_at",
                )
                .bind(&key.kid)
                .bind(key.algorithm.as_str())
                .bind(key.private_key.as_bytes())
                .bind(&key.public_jwk)
                .bind(stored_time(key.created_at))
                .bind(stored_opt(key.retired_at))
                .fetch_one(&self.writer)
                .within(self.deadline)
                .await?;
                row.try_into()
            }

            async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
                let rows: Vec<SigningKeyRow> = sqlx::query_as(
                    "SELECT kid, algorithm, private_key, public_jwk, created_at, retired_at FROM signing_keys
                     ORDER BY created_at DESC, kid",
                )
                .fetch_all(&self.pool)
                .within(self.deadline)
                .await?;
                rows.into_iter().map(SigningKey::try_from).collect()
            }

            async fn retire_signing_key(&self, kid: &str, now: OffsetDateTime) -> Result<bool> {
                let done = sqlx::query("UPDATE signing_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL")
                    .bind(kid)
                    .bind(stored_time(now))
                    .execute(&self.writer)
                    .within(self.deadline)
                    .await?;
                Ok(done.rows_affected() == 1)
            }
        }

        #[async_trait]
        impl DeviceStore for $store {
            async fn create_device_authorization(&self, d: &NewDeviceAuthorization) -> Result<DeviceAuthorization> {
                let sql = concat!("INSERT INTO device_authorizations (device_code_hash, user_code_hash, application_id, scope, status,
                     interval_seconds, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) RETURNING ", device_columns!());
                let row: DeviceRow = sqlx::query_as(sql)
                    .bind(d.device_code_hash.to_hex())
                    .bind(d.user_code_hash.to_hex())
                    .bind(d.application_id.0)
                    .bind(d.scope.to_string())
                    .bind(d.interval_seconds)
                    .bind(stored_time(d.created_at))
                    .bind(stored_time(d.expires_at))
                    .fetch_one(&self.writer)
                    .within(self.deadline)
                    .await?;
                row.try_into()
            }

            async fn device_by_device_code(&self, hash: &TokenHash) -> Result<Option<DeviceAuthorization>> {
                let sql = concat!("SELECT ", device_columns!(), " FROM device_authorizations WHERE device_code_hash = $1");
                let row: Option<DeviceRow> = sqlx::query_as(sql).bind(hash.to_hex()).fetch_optional(&self.pool).within(self.deadline).await?;
                row.map(DeviceAuthorization::try_from).transpose()
            }

            async fn device_by_user_code(&self, hash: &TokenHash) -> Result<Option<DeviceAuthorization>> {
                let sql = concat!("SELECT ", device_columns!(), " FROM device_authorizations WHERE user_code_hash = $1");
                let row: Option<DeviceRow> = sqlx::query_as(sql).bind(hash.to_hex()).fetch_optional(&self.pool).within(self.deadline).await?;
                row.map(DeviceAuthorization::try_from).transpose()
            }

            async fn decide_device(&self, id: i64, decision: DeviceDecision) -> Result<bool> {
                let (status, user, auth_time) = match decision {
                    DeviceDecision::Approve { user, auth_time } => {
                        (DeviceStatus::Approved, Some(user.0), Some(auth_time))
                    }
                    DeviceDecision::Deny => (DeviceStatus::Denied, None, None),
                };
                let done = sqlx::query(
                    "UPDATE device_authorizations SET status = $2, user_id = $3, auth_time = $4
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind(id)
                .bind(status.as_str())
                .bind(user)
                .bind(stored_opt(auth_time))
                .execute(&self.writer)
                .within(self.deadline)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn consume_device(&self, id: i64) -> Result<bool> {
                let done =
                    sqlx::query("UPDATE device_authorizations SET status = 'consumed' WHERE id = $1 AND status = 'approved'")
                        .bind(id)
                        .execute(&self.writer)
                        .within(self.deadline)
                        .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn record_device_poll(&self, id: i64, now: OffsetDateTime) -> Result<()> {
                sqlx::query("UPDATE device_authorizations SET last_polled_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(stored_time(now))
                    .execute(&self.writer)
                    .within(self.deadline)
                    .await?;
                Ok(())
            }
        }
    };
}

#[cfg(feature = "sqlite")]
impl_record_stores!(crate::SqliteStore);
#[cfg(feature = "postgres")]
impl_record_stores!(crate::PgStore);
