//! API tokens (`Authorization: Token <key>`), one per user, as Django REST framework's
//! `authtoken`: kept hashed for lookups and sealed for the client apps that mirror them.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{ApiToken, Sealed, TokenHash, UserId};

use crate::db::{Backed, execute, in_transaction, on_reader, on_writer};
use crate::deadline::Within;
use crate::error::corrupt;
use crate::outbox::{SyncTo, mark_for_sync};
use crate::time_utc::stored_time;
use crate::{Result, StoreError};

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

#[async_trait]
impl<S: Backed> ApiTokenStore for S {
    async fn replace_api_token(&self, token: &ApiToken, sync: SyncTo<'_>) -> Result<ApiToken> {
        let sql = "INSERT INTO api_tokens (user_id, token_hash, sealed_token, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET
             token_hash = excluded.token_hash, sealed_token = excluded.sealed_token,
             created_at = excluded.created_at
             RETURNING user_id, token_hash, sealed_token, created_at";
        let row: ApiTokenRow = in_transaction!(self, |tx, deadline| {
            let row: ApiTokenRow = sqlx::query_as(sql)
                .bind(token.user_id.0)
                .bind(token.token_hash.to_hex())
                .bind(token.sealed_token.as_bytes())
                .bind(stored_time(token.created_at))
                .fetch_one(&mut *tx)
                .within(deadline)
                .await?;
            mark_for_sync!(tx, token.user_id.0, sync, deadline);
            row
        });
        row.try_into()
    }

    async fn keep_first_api_token(&self, token: &ApiToken) -> Result<ApiToken> {
        let insert = "INSERT INTO api_tokens (user_id, token_hash, sealed_token, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO NOTHING";
        execute!(
            self,
            sqlx::query(insert)
                .bind(token.user_id.0)
                .bind(token.token_hash.to_hex())
                .bind(token.sealed_token.as_bytes())
                .bind(stored_time(token.created_at))
        )?;
        // On the writer: a reader could lag behind the other request's insert.
        let select = "SELECT user_id, token_hash, sealed_token, created_at FROM api_tokens
             WHERE user_id = $1";
        let row: ApiTokenRow = on_writer!(self, |pool| sqlx::query_as(select)
            .bind(token.user_id.0)
            .fetch_one(pool))?;
        row.try_into()
    }

    async fn api_token_of_user(&self, user: UserId) -> Result<Option<ApiToken>> {
        let sql = "SELECT user_id, token_hash, sealed_token, created_at FROM api_tokens
             WHERE user_id = $1";
        let row: Option<ApiTokenRow> = on_reader!(self, |pool| sqlx::query_as(sql)
            .bind(user.0)
            .fetch_optional(pool))?;
        row.map(ApiToken::try_from).transpose()
    }

    async fn api_token_by_hash(&self, token_hash: &TokenHash) -> Result<Option<ApiToken>> {
        let sql = "SELECT user_id, token_hash, sealed_token, created_at FROM api_tokens
             WHERE token_hash = $1";
        let row: Option<ApiTokenRow> = on_reader!(self, |pool| sqlx::query_as(sql)
            .bind(token_hash.to_hex())
            .fetch_optional(pool))?;
        row.map(ApiToken::try_from).transpose()
    }
}
