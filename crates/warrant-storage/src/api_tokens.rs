//! API tokens (`Authorization: Token <key>`), one per user, as Django REST framework's
//! `authtoken`: kept hashed for lookups and sealed for the client apps that mirror them.

use async_trait::async_trait;
use warrant_model::{ApiToken, TokenHash, UserId};

use crate::Result;
use crate::db::{Backed, execute, fetch_one, fetch_optional, in_transaction};
use crate::deadline::Within;
use crate::outbox::{SyncTo, mark_for_sync};
use crate::rows::ApiTokenRow;
use crate::time_utc::stored_time;

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
            insert,
            token.user_id.0,
            token.token_hash.to_hex(),
            token.sealed_token.as_bytes(),
            stored_time(token.created_at)
        )?;
        // On the writer: a reader could lag behind the other request's insert.
        let select = "SELECT user_id, token_hash, sealed_token, created_at FROM api_tokens
             WHERE user_id = $1";
        fetch_one!(self, writer, ApiTokenRow, select, token.user_id.0)
    }

    async fn api_token_of_user(&self, user: UserId) -> Result<Option<ApiToken>> {
        let sql = "SELECT user_id, token_hash, sealed_token, created_at FROM api_tokens
             WHERE user_id = $1";
        fetch_optional!(self, reader, ApiTokenRow, sql, user.0)
    }

    async fn api_token_by_hash(&self, token_hash: &TokenHash) -> Result<Option<ApiToken>> {
        let sql = "SELECT user_id, token_hash, sealed_token, created_at FROM api_tokens
             WHERE token_hash = $1";
        fetch_optional!(self, reader, ApiTokenRow, sql, token_hash.to_hex())
    }
}
