//! Dynamic client registrations (RFC 7591, RFC 7592).

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{ApplicationId, ClientRegistration, TokenHash};

use crate::Result;
use crate::db::{Backed, execute, fetch_one, fetch_optional, on_pool};
use crate::rows::RegistrationRow;
use crate::time_utc::stored_time;

/// Dynamic client registrations.
#[async_trait]
pub trait RegistrationStore: Send + Sync {
    /// Records that an application was registered dynamically.
    async fn create_registration(
        &self,
        registration: &ClientRegistration,
    ) -> Result<ClientRegistration>;
    /// The registration whose access token has this hash.
    async fn registration_by_token(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<ClientRegistration>>;
    /// The application's registration, if it was registered dynamically.
    async fn registration_of(
        &self,
        application: ApplicationId,
    ) -> Result<Option<ClientRegistration>>;
    /// Of the applications with ids from `first` to `last`, those registered dynamically
    /// (one query for a page of applications).
    async fn registered_between(
        &self,
        first: ApplicationId,
        last: ApplicationId,
    ) -> Result<Vec<ApplicationId>>;
    /// Replaces a registration's metadata and access token (RFC 7592 §2.2).
    async fn update_registration(
        &self,
        application: ApplicationId,
        metadata: &str,
        token_hash: &TokenHash,
    ) -> Result<bool>;
    /// How many clients were registered from `address` since `since`.
    async fn registrations_from(&self, address: &str, since: OffsetDateTime) -> Result<u64>;
    /// Deletes the dynamically registered applications made before `registered_before` of
    /// which no authorization code or token is kept; how many.
    async fn delete_unused_registrations(&self, registered_before: OffsetDateTime) -> Result<u64>;
}

macro_rules! columns {
    () => {
        "application_id, token_hash, metadata, registered_from, created_at"
    };
}

#[async_trait]
impl<S: Backed> RegistrationStore for S {
    async fn create_registration(
        &self,
        registration: &ClientRegistration,
    ) -> Result<ClientRegistration> {
        let sql = concat!(
            "INSERT INTO client_registrations (application_id, token_hash, metadata,
             registered_from, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING ",
            columns!()
        );
        fetch_one!(
            self,
            writer,
            RegistrationRow,
            sql,
            registration.application_id.0,
            registration.token_hash.to_hex(),
            registration.metadata.as_str(),
            registration.registered_from.as_str(),
            stored_time(registration.created_at)
        )
    }

    async fn registration_by_token(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<ClientRegistration>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM client_registrations WHERE token_hash = $1"
        );
        // On the writer: a client manages its registration right after making it.
        fetch_optional!(self, writer, RegistrationRow, sql, token_hash.to_hex())
    }

    async fn registration_of(
        &self,
        application: ApplicationId,
    ) -> Result<Option<ClientRegistration>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM client_registrations WHERE application_id = $1"
        );
        fetch_optional!(self, reader, RegistrationRow, sql, application.0)
    }

    async fn registered_between(
        &self,
        first: ApplicationId,
        last: ApplicationId,
    ) -> Result<Vec<ApplicationId>> {
        let sql = "SELECT application_id FROM client_registrations
             WHERE application_id BETWEEN $1 AND $2";
        let ids: Vec<i64> = on_pool!(self, reader, |pool| sqlx::query_scalar(sql)
            .bind(first.0)
            .bind(last.0)
            .fetch_all(pool))?;
        Ok(ids.into_iter().map(ApplicationId).collect())
    }

    async fn update_registration(
        &self,
        application: ApplicationId,
        metadata: &str,
        token_hash: &TokenHash,
    ) -> Result<bool> {
        let sql = "UPDATE client_registrations SET metadata = $2, token_hash = $3
             WHERE application_id = $1";
        let changed = execute!(self, sql, application.0, metadata, token_hash.to_hex())?;
        Ok(changed == 1)
    }

    async fn registrations_from(&self, address: &str, since: OffsetDateTime) -> Result<u64> {
        let sql = "SELECT COUNT(*) FROM client_registrations
             WHERE registered_from = $1 AND created_at >= $2";
        let count: i64 = on_pool!(self, writer, |pool| sqlx::query_scalar(sql)
            .bind(address)
            .bind(stored_time(since))
            .fetch_one(pool))?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    async fn delete_unused_registrations(&self, registered_before: OffsetDateTime) -> Result<u64> {
        let sql = "DELETE FROM applications WHERE id IN (
             SELECT r.application_id FROM client_registrations r WHERE r.created_at < $1
             AND NOT EXISTS (SELECT 1 FROM authorization_codes c WHERE c.application_id = r.application_id)
             AND NOT EXISTS (SELECT 1 FROM access_tokens t WHERE t.application_id = r.application_id)
             AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.application_id = r.application_id)
             AND NOT EXISTS (SELECT 1 FROM device_authorizations d WHERE d.application_id = r.application_id))";
        execute!(self, sql, stored_time(registered_before))
    }
}
