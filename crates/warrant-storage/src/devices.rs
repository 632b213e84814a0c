//! Device authorizations (RFC 8628): pending until the user decides, consumed once.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{
    ApplicationId, DeviceAuthorization, DeviceStatus, NewDeviceAuthorization, ScopeSet, TokenHash,
    UserId,
};

use crate::db::{Backed, execute, on_reader, on_writer};
use crate::error::corrupt;
use crate::time_utc::{stored_opt, stored_time};
use crate::{Result, StoreError};

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

macro_rules! device_columns {
    () => {
        "id, device_code_hash, user_code_hash, application_id, scope, status, user_id, \
    auth_time, interval_seconds, last_polled_at, created_at, expires_at"
    };
}

#[async_trait]
impl<S: Backed> DeviceStore for S {
    async fn create_device_authorization(
        &self,
        device: &NewDeviceAuthorization,
    ) -> Result<DeviceAuthorization> {
        let sql = concat!(
            "INSERT INTO device_authorizations (device_code_hash, user_code_hash, application_id,
             scope, status, interval_seconds, created_at, expires_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) RETURNING ",
            device_columns!()
        );
        let row: DeviceRow = on_writer!(self, |pool| sqlx::query_as(sql)
            .bind(device.device_code_hash.to_hex())
            .bind(device.user_code_hash.to_hex())
            .bind(device.application_id.0)
            .bind(device.scope.to_string())
            .bind(device.interval_seconds)
            .bind(stored_time(device.created_at))
            .bind(stored_time(device.expires_at))
            .fetch_one(pool))?;
        row.try_into()
    }

    async fn device_by_device_code(&self, hash: &TokenHash) -> Result<Option<DeviceAuthorization>> {
        let sql = concat!(
            "SELECT ",
            device_columns!(),
            " FROM device_authorizations WHERE device_code_hash = $1"
        );
        device_by_hash(self, sql, hash).await
    }

    async fn device_by_user_code(&self, hash: &TokenHash) -> Result<Option<DeviceAuthorization>> {
        let sql = concat!(
            "SELECT ",
            device_columns!(),
            " FROM device_authorizations WHERE user_code_hash = $1"
        );
        device_by_hash(self, sql, hash).await
    }

    async fn decide_device(&self, id: i64, decision: DeviceDecision) -> Result<bool> {
        let (status, user, auth_time) = match decision {
            DeviceDecision::Approve { user, auth_time } => {
                (DeviceStatus::Approved, Some(user.0), Some(auth_time))
            }
            DeviceDecision::Deny => (DeviceStatus::Denied, None, None),
        };
        let sql = "UPDATE device_authorizations SET status = $2, user_id = $3, auth_time = $4
             WHERE id = $1 AND status = 'pending'";
        let changed = execute!(
            self,
            sqlx::query(sql)
                .bind(id)
                .bind(status.as_str())
                .bind(user)
                .bind(stored_opt(auth_time))
        )?;
        Ok(changed == 1)
    }

    async fn consume_device(&self, id: i64) -> Result<bool> {
        let sql = "UPDATE device_authorizations SET status = 'consumed'
             WHERE id = $1 AND status = 'approved'";
        let changed = execute!(self, sqlx::query(sql).bind(id))?;
        Ok(changed == 1)
    }

    async fn record_device_poll(&self, id: i64, now: OffsetDateTime) -> Result<()> {
        let sql = "UPDATE device_authorizations SET last_polled_at = $2 WHERE id = $1";
        execute!(self, sqlx::query(sql).bind(id).bind(stored_time(now)))?;
        Ok(())
    }
}

async fn device_by_hash<S: Backed>(
    store: &S,
    sql: &'static str,
    hash: &TokenHash,
) -> Result<Option<DeviceAuthorization>> {
    let row: Option<DeviceRow> = on_reader!(store, |pool| sqlx::query_as(sql)
        .bind(hash.to_hex())
        .fetch_optional(pool))?;
    row.map(DeviceAuthorization::try_from).transpose()
}
