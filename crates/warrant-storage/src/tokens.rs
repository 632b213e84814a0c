//! Authorization codes, access tokens and refresh tokens.

use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{
    AccessToken, ApplicationId, AuthorizationCode, ClientId, FamilyId, NewAccessToken,
    NewAuthorizationCode, NewRefreshToken, RefreshToken, TokenHash, UserId, Username,
};

use crate::db::{Backed, execute, fetch_all, fetch_one, fetch_optional, in_transaction, on_pool};
use crate::deadline::Within;
use crate::rows::{AccessRow, CodeRow, DescribedRow, RefreshRow};
use crate::time_utc::{stored_opt, stored_time};
use crate::token_batch::TokenWriter;
use crate::{Page, Result};

/// The outcome of redeeming an authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    /// This call redeemed it; no other call ever will.
    Redeemed(AuthorizationCode),
    /// It was redeemed before: RFC 6749 §4.1.2 says to revoke what that use issued.
    AlreadyUsed(AuthorizationCode),
    /// No such code.
    Unknown,
}

/// Codes and tokens. All lookups are by hash; the values themselves never arrive here.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a new authorization code.
    async fn create_authorization_code(
        &self,
        code: &NewAuthorizationCode,
    ) -> Result<AuthorizationCode>;
    /// Marks the code consumed, atomically: of two concurrent calls exactly one gets
    /// [`CodeRedemption::Redeemed`]. Expiry is the caller's check.
    async fn redeem_authorization_code(
        &self,
        code_hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<CodeRedemption>;
    /// Stores a new access token.
    async fn create_access_token(&self, token: &NewAccessToken) -> Result<AccessToken>;
    /// The access token with this hash, revoked or expired ones included.
    async fn access_token_by_hash(&self, token_hash: &TokenHash) -> Result<Option<AccessToken>>;
    /// The access token with this hash together with what introspection reports about it,
    /// in one query: its client's id and its user's name and active flag.
    async fn describe_access_token(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<DescribedAccessToken>>;
    /// Stores a new refresh token.
    async fn create_refresh_token(&self, token: &NewRefreshToken) -> Result<RefreshToken>;
    /// The refresh token with this hash, rotated or revoked ones included.
    async fn refresh_token_by_hash(&self, token_hash: &TokenHash) -> Result<Option<RefreshToken>>;
    /// Marks a live refresh token rotated, atomically: of two concurrent calls exactly one
    /// returns `true`.
    async fn rotate_refresh_token(&self, id: i64, now: OffsetDateTime) -> Result<bool>;
    /// Revokes an access token; `false` if it was already revoked or does not exist.
    async fn revoke_access_token(&self, id: i64, now: OffsetDateTime) -> Result<bool>;
    /// Revokes every token of a grant family; returns how many were live.
    async fn revoke_family(&self, family: &FamilyId, now: OffsetDateTime) -> Result<u64>;
    /// Revokes every token issued, directly or by refresh, from an authorization code.
    async fn revoke_tokens_from_code(&self, code_id: i64, now: OffsetDateTime) -> Result<u64>;
    /// Revokes every access and refresh token `user` granted, to any application; returns
    /// how many were live.
    async fn revoke_user_tokens(&self, user: UserId, now: OffsetDateTime) -> Result<u64>;
    /// Live (unrevoked, unexpired) access tokens matching `filter`, ordered by id.
    async fn live_access_tokens(
        &self,
        filter: AccessTokenFilter,
        now: OffsetDateTime,
        page: Page,
    ) -> Result<Vec<AccessToken>>;
    /// The access token with database id `id`, revoked or expired ones included.
    async fn access_token_by_id(&self, id: i64) -> Result<Option<AccessToken>>;
}

/// Which access tokens to list; `None` matches any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccessTokenFilter {
    /// Only the tokens this user granted.
    pub user: Option<UserId>,
    /// Only the tokens of this application.
    pub application: Option<ApplicationId>,
}

/// An access token with its client's id and its user's name and active flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedAccessToken {
    /// The token.
    pub token: AccessToken,
    /// Its client's id.
    pub client_id: ClientId,
    /// Its user's name and whether the user is active; `None` without a user.
    pub user: Option<(Username, bool)>,
}

macro_rules! code_columns {
    () => {
        "id, code_hash, application_id, user_id, redirect_uri, redirect_uri_included, scope, \
    resources, code_challenge, code_challenge_method, nonce, dpop_jkt, auth_time, created_at, \
    expires_at, consumed_at"
    };
}
macro_rules! access_columns {
    () => {
        "id, token_hash, application_id, user_id, scope, resources, family, \
    authorization_code_id, dpop_jkt, created_at, expires_at, revoked_at"
    };
}
/// The start of an access-token insert, before its `VALUES` rows.
macro_rules! insert_access_tokens {
    () => {
        "INSERT INTO access_tokens (token_hash, application_id, user_id, scope, resources,
         family, authorization_code_id, dpop_jkt, created_at, expires_at) VALUES "
    };
}

/// Binds a [`NewAccessToken`]'s ten values, in [`insert_access_tokens`]'s column order.
macro_rules! bind_access_token {
    ($query:expr, $token:expr) => {
        $query
            .bind($token.token_hash.to_hex())
            .bind($token.application_id.0)
            .bind($token.user_id.map(|u| u.0))
            .bind($token.scope.to_string())
            .bind($token.resources.to_stored())
            .bind($token.family.as_str())
            .bind($token.authorization_code_id)
            .bind($token.dpop_jkt.as_deref())
            .bind(stored_time($token.created_at))
            .bind(stored_time($token.expires_at))
    };
}

/// Inserts one access token (when no other waits to be written, or its batch failed): a
/// future of the [`AccessToken`] written, on the writing pool `$writer`.
macro_rules! insert_one_access_token {
    ($writer:expr, $token:expr) => {
        async {
            let sql = concat!(
                insert_access_tokens!(),
                "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ",
                access_columns!()
            );
            let row: AccessRow = bind_access_token!(sqlx::query_as(sql), $token)
                .fetch_one($writer)
                .await?;
            AccessToken::try_from(row)
        }
    };
}

macro_rules! refresh_columns {
    () => {
        "id, token_hash, application_id, user_id, scope, resources, family, access_token_id, \
    auth_time, dpop_jkt, created_at, expires_at, rotated_at, revoked_at"
    };
}

#[async_trait]
impl<S: Backed> TokenStore for S {
    async fn create_authorization_code(
        &self,
        code: &NewAuthorizationCode,
    ) -> Result<AuthorizationCode> {
        let sql = concat!(
            "INSERT INTO authorization_codes (code_hash, application_id, user_id, redirect_uri,
             redirect_uri_included, scope, resources, code_challenge, code_challenge_method,
             nonce, dpop_jkt, auth_time, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ",
            code_columns!()
        );
        fetch_one!(
            self,
            writer,
            CodeRow,
            sql,
            code.code_hash.to_hex(),
            code.application_id.0,
            code.user_id.0,
            code.redirect_uri.as_str(),
            code.redirect_uri_included,
            code.scope.to_string(),
            code.resources.to_stored(),
            code.code_challenge.as_ref().map(|c| c.value().to_owned()),
            code.code_challenge.as_ref().map(|c| c.method().as_str()),
            code.nonce.as_deref(),
            code.dpop_jkt.as_deref(),
            stored_time(code.auth_time),
            stored_time(code.created_at),
            stored_time(code.expires_at)
        )
    }

    async fn redeem_authorization_code(
        &self,
        code_hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<CodeRedemption> {
        let redeem = concat!(
            "UPDATE authorization_codes SET consumed_at = $2
             WHERE code_hash = $1 AND consumed_at IS NULL RETURNING ",
            code_columns!()
        );
        let redeemed: Option<CodeRow> = on_pool!(self, writer, |pool| sqlx::query_as(redeem)
            .bind(code_hash.to_hex())
            .bind(stored_time(now))
            .fetch_optional(pool))?;
        if let Some(row) = redeemed {
            return Ok(CodeRedemption::Redeemed(row.try_into()?));
        }
        let lookup = concat!(
            "SELECT ",
            code_columns!(),
            " FROM authorization_codes WHERE code_hash = $1"
        );
        // On the writer: a reader could lag behind the update that just missed.
        let used: Option<CodeRow> = on_pool!(self, writer, |pool| sqlx::query_as(lookup)
            .bind(code_hash.to_hex())
            .fetch_optional(pool))?;
        match used {
            Some(row) => Ok(CodeRedemption::AlreadyUsed(row.try_into()?)),
            None => Ok(CodeRedemption::Unknown),
        }
    }

    async fn create_access_token(&self, token: &NewAccessToken) -> Result<AccessToken> {
        let db = self.db();
        db.access_tokens.insert(token).within(db.deadline).await
    }

    async fn access_token_by_hash(&self, token_hash: &TokenHash) -> Result<Option<AccessToken>> {
        let sql = concat!(
            "SELECT ",
            access_columns!(),
            " FROM access_tokens WHERE token_hash = $1"
        );
        fetch_optional!(self, reader, AccessRow, sql, token_hash.to_hex())
    }

    async fn describe_access_token(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<DescribedAccessToken>> {
        let sql = "SELECT t.id, t.token_hash, t.application_id, t.user_id, t.scope, t.resources,
             t.family, t.authorization_code_id, t.dpop_jkt, t.created_at, t.expires_at, t.revoked_at,
             a.client_id,
             u.username, u.is_active AS user_active
             FROM access_tokens t JOIN applications a ON a.id = t.application_id
             LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1";
        fetch_optional!(self, reader, DescribedRow, sql, token_hash.to_hex())
    }

    async fn create_refresh_token(&self, token: &NewRefreshToken) -> Result<RefreshToken> {
        let sql = concat!(
            "INSERT INTO refresh_tokens (token_hash, application_id, user_id, scope, resources,
             family, access_token_id, auth_time, dpop_jkt, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ",
            refresh_columns!()
        );
        fetch_one!(
            self,
            writer,
            RefreshRow,
            sql,
            token.token_hash.to_hex(),
            token.application_id.0,
            token.user_id.map(|u| u.0),
            token.scope.to_string(),
            token.resources.to_stored(),
            token.family.as_str(),
            token.access_token_id,
            stored_opt(token.auth_time),
            token.dpop_jkt.as_deref(),
            stored_time(token.created_at),
            stored_opt(token.expires_at)
        )
    }

    async fn refresh_token_by_hash(&self, token_hash: &TokenHash) -> Result<Option<RefreshToken>> {
        let sql = concat!(
            "SELECT ",
            refresh_columns!(),
            " FROM refresh_tokens WHERE token_hash = $1"
        );
        fetch_optional!(self, reader, RefreshRow, sql, token_hash.to_hex())
    }

    async fn rotate_refresh_token(&self, id: i64, now: OffsetDateTime) -> Result<bool> {
        let sql = "UPDATE refresh_tokens SET rotated_at = $2
             WHERE id = $1 AND rotated_at IS NULL AND revoked_at IS NULL";
        let changed = execute!(self, sql, id, stored_time(now))?;
        Ok(changed == 1)
    }

    async fn revoke_access_token(&self, id: i64, now: OffsetDateTime) -> Result<bool> {
        let sql = "UPDATE access_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        let changed = execute!(self, sql, id, stored_time(now))?;
        Ok(changed == 1)
    }

    async fn revoke_family(&self, family: &FamilyId, now: OffsetDateTime) -> Result<u64> {
        let statements = [
            "UPDATE access_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
        ];
        revoke_together(self, statements, Key::Text(family.as_str()), now).await
    }

    async fn revoke_tokens_from_code(&self, code_id: i64, now: OffsetDateTime) -> Result<u64> {
        // Both statements select the family through access_tokens.authorization_code_id,
        // which revocation does not change, so their order does not matter.
        let statements = [
            "UPDATE access_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND family IN
             (SELECT family FROM access_tokens WHERE authorization_code_id = $1)",
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND family IN
             (SELECT family FROM access_tokens WHERE authorization_code_id = $1)",
        ];
        revoke_together(self, statements, Key::Id(code_id), now).await
    }

    async fn revoke_user_tokens(&self, user: UserId, now: OffsetDateTime) -> Result<u64> {
        let statements = [
            "UPDATE access_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        ];
        revoke_together(self, statements, Key::Id(user.0), now).await
    }

    async fn live_access_tokens(
        &self,
        filter: AccessTokenFilter,
        now: OffsetDateTime,
        page: Page,
    ) -> Result<Vec<AccessToken>> {
        let sql = concat!(
            "SELECT ",
            access_columns!(),
            " FROM access_tokens
             WHERE id > $1 AND ($2 IS NULL OR user_id = $2) AND ($3 IS NULL OR application_id = $3)
             AND revoked_at IS NULL AND expires_at > $4 ORDER BY id LIMIT $5"
        );
        fetch_all!(
            self,
            reader,
            AccessRow,
            sql,
            page.after.unwrap_or(0),
            filter.user.map(|u| u.0),
            filter.application.map(|a| a.0),
            stored_time(now),
            i64::from(page.limit)
        )
    }

    async fn access_token_by_id(&self, id: i64) -> Result<Option<AccessToken>> {
        let sql = concat!(
            "SELECT ",
            access_columns!(),
            " FROM access_tokens WHERE id = $1"
        );
        fetch_optional!(self, reader, AccessRow, sql, id)
    }
}

/// What a revoking statement's `$1` is.
#[derive(Clone, Copy)]
enum Key<'a> {
    Text(&'a str),
    Id(i64),
}

/// Runs the two statements (`$1` the key, `$2` the time) in one transaction; returns how
/// many rows they revoked.
async fn revoke_together<S: Backed>(
    store: &S,
    statements: [&'static str; 2],
    key: Key<'_>,
    now: OffsetDateTime,
) -> Result<u64> {
    let revoked = in_transaction!(store, |tx, deadline| {
        let mut revoked = 0;
        for sql in statements {
            let query = match key {
                Key::Text(text) => sqlx::query(sql).bind(text),
                Key::Id(id) => sqlx::query(sql).bind(id),
            };
            let done = query
                .bind(stored_time(now))
                .execute(&mut *tx)
                .within(deadline)
                .await?;
            revoked += done.rows_affected();
        }
        revoked
    });
    Ok(revoked)
}

/// The statement inserting `count` access tokens, in [`bind_access_token`]'s order. Only
/// placeholders vary, never input: one prepared statement per batch size.
fn insert_access_tokens_sql(count: usize) -> String {
    let rows: Vec<String> = (0..count)
        .map(|row| {
            let first = row * 10 + 1;
            let placeholders: Vec<String> = (first..first + 10).map(|n| format!("${n}")).collect();
            format!("({})", placeholders.join(", "))
        })
        .collect();
    format!(
        "{}{}{}",
        insert_access_tokens!(),
        rows.join(", "),
        concat!(" RETURNING ", access_columns!())
    )
}

/// Implements [`TokenWriter`] for a backend's pool: the statement is the same on both.
macro_rules! token_writer {
    ($pool:ty) => {
        impl TokenWriter for $pool {
            async fn insert_many(
                &self,
                tokens: &[&NewAccessToken],
            ) -> Result<HashMap<String, AccessRow>> {
                let sql = insert_access_tokens_sql(tokens.len());
                let mut query = sqlx::query_as::<_, AccessRow>(sqlx::AssertSqlSafe(sql));
                for token in tokens {
                    query = bind_access_token!(query, token);
                }
                let rows = query.fetch_all(self).await?;
                Ok(rows
                    .into_iter()
                    .map(|row| (row.token_hash.clone(), row))
                    .collect())
            }

            async fn insert_one(&self, token: &NewAccessToken) -> Result<AccessToken> {
                insert_one_access_token!(self, token).await
            }
        }
    };
}
#[cfg(feature = "sqlite")]
token_writer!(sqlx::SqlitePool);
#[cfg(feature = "postgres")]
token_writer!(sqlx::PgPool);
