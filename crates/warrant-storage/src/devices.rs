//! Device authorizations (RFC 8628): pending until the user decides, consumed once.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{DeviceAuthorization, DeviceStatus, NewDeviceAuthorization, TokenHash, UserId};

use crate::Result;
use crate::db::{Backed, execute, fetch_one, fetch_optional};
use crate::rows::DeviceRow;
use crate::time_utc::{stored_opt, stored_time};

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
        fetch_one!(
            self,
            writer,
            DeviceRow,
            sql,
            device.device_code_hash.to_hex(),
            device.user_code_hash.to_hex(),
            device.application_id.0,
            device.scope.to_string(),
            device.interval_seconds,
            stored_time(device.created_at),
            stored_time(device.expires_at)
        )
    }

    async fn device_by_device_code(&self, hash: &TokenHash) -> Result<Option<DeviceAuthorization>> {
        let sql = concat!(
            "SELECT ",
            device_columns!(),
            " FROM device_authorizations WHERE device_code_hash = $1"
        );
        fetch_optional!(self, reader, DeviceRow, sql, hash.to_hex())
    }

    async fn device_by_user_code(&self, hash: &TokenHash) -> Result<Option<DeviceAuthorization>> {
        let sql = concat!(
            "SELECT ",
            device_columns!(),
            " FROM device_authorizations WHERE user_code_hash = $1"
        );
        fetch_optional!(self, reader, DeviceRow, sql, hash.to_hex())
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
        let changed = execute!(self, sql, id, status.as_str(), user, stored_opt(auth_time))?;
        Ok(changed == 1)
    }

    async fn consume_device(&self, id: i64) -> Result<bool> {
        let sql = "UPDATE device_authorizations SET status = 'consumed'
             WHERE id = $1 AND status = 'approved'";
        let changed = execute!(self, sql, id)?;
        Ok(changed == 1)
    }

    async fn record_device_poll(&self, id: i64, now: OffsetDateTime) -> Result<()> {
        let sql = "UPDATE device_authorizations SET last_polled_at = $2 WHERE id = $1";
        execute!(self, sql, id, stored_time(now))?;
        Ok(())
    }
}
