//! Applications (OAuth clients).

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{
    Application, ApplicationId, AuthMethod, ClientId, ClientKeys, ClientSecretHash, NewApplication,
    Origin, RedirectUri, Sealed, SecurityProfile, SigningAlgorithm, UserId,
};

use crate::db::{Backed, execute, fetch_all, fetch_optional, on_pool};
use crate::rows::{ApplicationRow, split};
use crate::time_utc::stored_time;
use crate::{Page, Result, StoreError};

/// Applications: Django OAuth Toolkit's `Application`.
#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// Registers an application; a taken client id is [`StoreError::Conflict`].
    async fn create_application(
        &self,
        application: &NewApplication,
        now: OffsetDateTime,
    ) -> Result<Application>;
    /// The application with `id`.
    async fn application_by_id(&self, id: ApplicationId) -> Result<Option<Application>>;
    /// The application with `client_id`.
    async fn application_by_client_id(&self, client_id: &ClientId) -> Result<Option<Application>>;
    /// Applications ordered by id; only `owner`'s when given.
    async fn list_applications(
        &self,
        owner: Option<UserId>,
        page: Page,
    ) -> Result<Vec<Application>>;
    /// Writes every field of `application` but `id` and `created_at`; sets `updated_at` to `now`.
    async fn update_application(
        &self,
        application: &Application,
        now: OffsetDateTime,
    ) -> Result<Application>;
    /// Deletes an application and, by cascade, its codes, tokens and consents.
    async fn delete_application(&self, id: ApplicationId) -> Result<bool>;
    /// Every origin some application allows (CORS), each once.
    async fn allowed_origins(&self) -> Result<Vec<Origin>>;
}

/// Space-separated, as Django OAuth Toolkit stores redirect URIs.
/// A list column: the items, space-separated.
pub(crate) fn join<T: AsRef<str>>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

macro_rules! columns {
    () => {
        "id, client_id, client_secret_hash, client_type, grant_types, redirect_uris, \
    post_logout_redirect_uris, allowed_origins, allowed_resources, name, owner_id, \
    skip_authorization, pkce_required, algorithm, require_pushed_requests, \
    token_endpoint_auth_method, jwks, jwks_uri, sealed_secret, require_dpop, \
    security_profile, created_at, updated_at"
    };
}

/// Binds the writable fields of an `Application` or `NewApplication` as `$1`..`$20`, in
/// the column order of the INSERT and UPDATE statements.
macro_rules! bind_fields {
    ($query:expr, $app:expr) => {
        $query
            .bind($app.client_id.as_str())
            .bind($app.client_secret.as_ref().map(ClientSecretHash::to_stored))
            .bind($app.client_type.as_str())
            .bind($app.grant_types.to_string())
            .bind(join($app.redirect_uris.iter().map(RedirectUri::as_str)))
            .bind(join(
                $app.post_logout_redirect_uris
                    .iter()
                    .map(RedirectUri::as_str),
            ))
            .bind(join($app.allowed_origins.iter().map(Origin::as_str)))
            .bind(&$app.name)
            .bind($app.owner.map(|o| o.0))
            .bind($app.skip_authorization)
            .bind($app.pkce_required)
            .bind($app.algorithm.map(SigningAlgorithm::as_str))
            .bind($app.allowed_resources.to_stored())
            .bind($app.security.require_pushed_requests)
            .bind($app.security.auth_method.map(AuthMethod::as_str))
            .bind(match &$app.security.keys {
                Some(ClientKeys::Jwks(jwks)) => Some(jwks.to_stored()),
                _ => None,
            })
            .bind(match &$app.security.keys {
                Some(ClientKeys::Uri(uri)) => Some(uri.as_str()),
                _ => None,
            })
            .bind($app.sealed_secret.as_ref().map(Sealed::as_bytes))
            .bind($app.security.require_dpop)
            .bind($app.security.profile.map(SecurityProfile::as_str))
    };
}

#[async_trait]
impl<S: Backed> ApplicationStore for S {
    async fn create_application(
        &self,
        app: &NewApplication,
        now: OffsetDateTime,
    ) -> Result<Application> {
        let sql = concat!(
            "INSERT INTO applications (client_id, client_secret_hash, client_type, grant_types,
             redirect_uris, post_logout_redirect_uris, allowed_origins, name, owner_id,
             skip_authorization, pkce_required, algorithm, allowed_resources,
             require_pushed_requests, token_endpoint_auth_method, jwks, jwks_uri, sealed_secret,
             require_dpop, security_profile, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20, $21, $21)
             RETURNING ",
            columns!()
        );
        let row: ApplicationRow =
            on_pool!(self, writer, |pool| bind_fields!(sqlx::query_as(sql), app)
                .bind(stored_time(now))
                .fetch_one(pool))?;
        row.try_into()
    }

    async fn application_by_id(&self, id: ApplicationId) -> Result<Option<Application>> {
        let sql = concat!("SELECT ", columns!(), " FROM applications WHERE id = $1");
        fetch_optional!(self, reader, ApplicationRow, sql, id.0)
    }

    async fn application_by_client_id(&self, client_id: &ClientId) -> Result<Option<Application>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM applications WHERE client_id = $1"
        );
        fetch_optional!(self, reader, ApplicationRow, sql, client_id.as_str())
    }

    async fn list_applications(
        &self,
        owner: Option<UserId>,
        page: Page,
    ) -> Result<Vec<Application>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM applications WHERE id > $1 AND ($2 IS NULL OR owner_id = $2)
             ORDER BY id LIMIT $3"
        );
        fetch_all!(
            self,
            reader,
            ApplicationRow,
            sql,
            page.after.unwrap_or(0),
            owner.map(|o| o.0),
            i64::from(page.limit)
        )
    }

    async fn update_application(
        &self,
        app: &Application,
        now: OffsetDateTime,
    ) -> Result<Application> {
        let sql = concat!(
            "UPDATE applications SET client_id = $1, client_secret_hash = $2, client_type = $3,
             grant_types = $4, redirect_uris = $5, post_logout_redirect_uris = $6,
             allowed_origins = $7, name = $8, owner_id = $9, skip_authorization = $10,
             pkce_required = $11, algorithm = $12, allowed_resources = $13,
             require_pushed_requests = $14, token_endpoint_auth_method = $15, jwks = $16,
             jwks_uri = $17, sealed_secret = $18, require_dpop = $19, security_profile = $20,
             updated_at = $21
             WHERE id = $22 RETURNING ",
            columns!()
        );
        let row: Option<ApplicationRow> =
            on_pool!(self, writer, |pool| bind_fields!(sqlx::query_as(sql), app)
                .bind(stored_time(now))
                .bind(app.id.0)
                .fetch_optional(pool))?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn delete_application(&self, id: ApplicationId) -> Result<bool> {
        let sql = "DELETE FROM applications WHERE id = $1";
        let changed = execute!(self, sql, id.0)?;
        Ok(changed == 1)
    }

    async fn allowed_origins(&self) -> Result<Vec<Origin>> {
        let sql = "SELECT allowed_origins FROM applications WHERE allowed_origins <> ''";
        let rows: Vec<(String,)> =
            on_pool!(self, reader, |pool| sqlx::query_as(sql).fetch_all(pool))?;
        let mut origins = Vec::new();
        for (text,) in rows {
            origins.extend(split(&text, Origin::parse)?);
        }
        origins.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        origins.dedup();
        Ok(origins)
    }
}
