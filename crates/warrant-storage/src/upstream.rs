//! Links between users and their accounts at upstream providers (GitHub, GitLab, any
//! OIDC issuer), with the sealed tokens those providers issued.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{NewUpstreamConnection, ProviderKey, Sealed, UpstreamConnection, UserId};

use crate::Result;
use crate::db::{Backed, execute, fetch_all, fetch_optional, on_pool};
use crate::error::corrupt;
use crate::rows::ConnectionRow;
use crate::time_utc::{stored_opt, stored_time};

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

#[async_trait]
impl<S: Backed> UpstreamStore for S {
    async fn create_connection(
        &self,
        connection: &NewUpstreamConnection,
    ) -> Result<UpstreamConnection> {
        let row: ConnectionRow = on_pool!(self, writer, |pool| bind_account!(
            sqlx::query_as(INSERT_CONNECTION).bind(connection.user_id.0),
            connection.account
        )
        .fetch_one(pool))?;
        row.try_into()
    }

    async fn connection(
        &self,
        provider: &ProviderKey,
        provider_user_id: &str,
    ) -> Result<Option<UpstreamConnection>> {
        let sql = concat!(
            "SELECT ",
            connection_columns!(),
            " FROM upstream_connections WHERE provider = $1 AND provider_user_id = $2"
        );
        fetch_optional!(
            self,
            reader,
            ConnectionRow,
            sql,
            provider.as_str(),
            provider_user_id
        )
    }

    async fn connections_of_user(&self, user: UserId) -> Result<Vec<UpstreamConnection>> {
        let sql = concat!(
            "SELECT ",
            connection_columns!(),
            " FROM upstream_connections WHERE user_id = $1 ORDER BY id"
        );
        fetch_all!(self, reader, ConnectionRow, sql, user.0)
    }

    async fn update_connection_tokens(
        &self,
        id: i64,
        access_token: &Sealed,
        refresh_token: Option<&Sealed>,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let sql = "UPDATE upstream_connections SET access_token = $2, refresh_token = $3,
             access_token_expires_at = $4, updated_at = $5 WHERE id = $1";
        let changed = execute!(
            self,
            sql,
            id,
            access_token.as_bytes(),
            refresh_token.map(Sealed::as_bytes),
            stored_opt(expires_at),
            stored_time(now)
        )?;
        Ok(changed == 1)
    }

    async fn delete_connection(&self, id: i64, user: UserId) -> Result<bool> {
        let sql = "DELETE FROM upstream_connections WHERE id = $1 AND user_id = $2";
        let changed = execute!(self, sql, id, user.0)?;
        Ok(changed == 1)
    }

    async fn providers_in_use(&self) -> Result<Vec<ProviderKey>> {
        let sql = "SELECT DISTINCT provider FROM upstream_connections ORDER BY provider";
        let rows: Vec<(String,)> =
            on_pool!(self, reader, |pool| sqlx::query_as(sql).fetch_all(pool))?;
        rows.into_iter()
            .map(|(provider,)| ProviderKey::parse(&provider).map_err(corrupt))
            .collect()
    }
}
