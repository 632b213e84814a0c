//! Authorization codes, access tokens and refresh tokens.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{
    AccessToken, ApplicationId, AuthorizationCode, ClientId, CodeChallenge, CodeChallengeMethod,
    FamilyId, NewAccessToken, NewAuthorizationCode, NewRefreshToken, RedirectUri,
    RedirectUriPolicy, RefreshToken, ScopeSet, TokenHash, UserId, Username,
};

use crate::db::{Backed, Pools, execute, in_transaction, on_reader, on_writer};
use crate::deadline::Within;
use crate::error::corrupt;
use crate::time_utc::{stored_opt, stored_time};
use crate::{Page, Result, StoreError};

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

#[derive(sqlx::FromRow)]
struct CodeRow {
    id: i64,
    code_hash: String,
    application_id: i64,
    user_id: i64,
    redirect_uri: String,
    redirect_uri_included: bool,
    scope: String,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    nonce: Option<String>,
    auth_time: OffsetDateTime,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    consumed_at: Option<OffsetDateTime>,
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
            code_challenge,
            nonce: row.nonce,
            auth_time: row.auth_time,
            created_at: row.created_at,
            expires_at: row.expires_at,
            consumed_at: row.consumed_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccessRow {
    id: i64,
    token_hash: String,
    application_id: i64,
    user_id: Option<i64>,
    scope: String,
    family: String,
    authorization_code_id: Option<i64>,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    revoked_at: Option<OffsetDateTime>,
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
            family: FamilyId::new(row.family),
            authorization_code_id: row.authorization_code_id,
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        })
    }
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

#[derive(sqlx::FromRow)]
struct DescribedRow {
    #[sqlx(flatten)]
    token: AccessRow,
    client_id: String,
    username: Option<String>,
    user_active: Option<bool>,
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
struct RefreshRow {
    id: i64,
    token_hash: String,
    application_id: i64,
    user_id: Option<i64>,
    scope: String,
    family: String,
    access_token_id: Option<i64>,
    auth_time: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    rotated_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
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
            family: FamilyId::new(row.family),
            access_token_id: row.access_token_id,
            auth_time: row.auth_time,
            created_at: row.created_at,
            expires_at: row.expires_at,
            rotated_at: row.rotated_at,
            revoked_at: row.revoked_at,
        })
    }
}

macro_rules! code_columns {
    () => {
        "id, code_hash, application_id, user_id, redirect_uri, redirect_uri_included, scope, \
    code_challenge, code_challenge_method, nonce, auth_time, created_at, expires_at, consumed_at"
    };
}
macro_rules! access_columns {
    () => {
        "id, token_hash, application_id, user_id, scope, family, authorization_code_id, \
    created_at, expires_at, revoked_at"
    };
}
/// The start of an access-token insert, before its `VALUES` rows.
macro_rules! insert_access_tokens {
    () => {
        "INSERT INTO access_tokens (token_hash, application_id, user_id, scope, family,
         authorization_code_id, created_at, expires_at) VALUES "
    };
}

/// Binds a [`NewAccessToken`]'s eight values, in [`insert_access_tokens`]'s column order.
macro_rules! bind_access_token {
    ($query:expr, $token:expr) => {
        $query
            .bind($token.token_hash.to_hex())
            .bind($token.application_id.0)
            .bind($token.user_id.map(|u| u.0))
            .bind($token.scope.to_string())
            .bind($token.family.as_str())
            .bind($token.authorization_code_id)
            .bind(stored_time($token.created_at))
            .bind(stored_time($token.expires_at))
    };
}

/// Inserts one access token (PostgreSQL always; SQLite when no other waits to be written):
/// a future of the [`AccessToken`] written, on the writing pool `$writer`.
macro_rules! insert_one_access_token {
    ($writer:expr, $token:expr) => {
        async {
            let sql = concat!(
                insert_access_tokens!(),
                "($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
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
        "id, token_hash, application_id, user_id, scope, family, access_token_id, auth_time, \
    created_at, expires_at, rotated_at, revoked_at"
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
             redirect_uri_included, scope, code_challenge, code_challenge_method, nonce,
             auth_time, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ",
            code_columns!()
        );
        let row: CodeRow = on_writer!(self, |pool| sqlx::query_as(sql)
            .bind(code.code_hash.to_hex())
            .bind(code.application_id.0)
            .bind(code.user_id.0)
            .bind(code.redirect_uri.as_str())
            .bind(code.redirect_uri_included)
            .bind(code.scope.to_string())
            .bind(code.code_challenge.as_ref().map(|c| c.value().to_owned()))
            .bind(code.code_challenge.as_ref().map(|c| c.method().as_str()))
            .bind(code.nonce.as_deref())
            .bind(stored_time(code.auth_time))
            .bind(stored_time(code.created_at))
            .bind(stored_time(code.expires_at))
            .fetch_one(pool))?;
        row.try_into()
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
        let redeemed: Option<CodeRow> = on_writer!(self, |pool| sqlx::query_as(redeem)
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
        let used: Option<CodeRow> = on_writer!(self, |pool| sqlx::query_as(lookup)
            .bind(code_hash.to_hex())
            .fetch_optional(pool))?;
        match used {
            Some(row) => Ok(CodeRedemption::AlreadyUsed(row.try_into()?)),
            None => Ok(CodeRedemption::Unknown),
        }
    }

    async fn create_access_token(&self, token: &NewAccessToken) -> Result<AccessToken> {
        let db = self.db();
        match db.pools {
            #[cfg(feature = "sqlite")]
            Pools::Sqlite {
                ref access_tokens, ..
            } => access_tokens.insert(token).within(db.deadline).await,
            #[cfg(feature = "postgres")]
            Pools::Postgres(ref pool) => {
                insert_one_access_token!(pool, token)
                    .within(db.deadline)
                    .await
            }
        }
    }

    async fn access_token_by_hash(&self, token_hash: &TokenHash) -> Result<Option<AccessToken>> {
        let sql = concat!(
            "SELECT ",
            access_columns!(),
            " FROM access_tokens WHERE token_hash = $1"
        );
        let row: Option<AccessRow> = on_reader!(self, |pool| sqlx::query_as(sql)
            .bind(token_hash.to_hex())
            .fetch_optional(pool))?;
        row.map(AccessToken::try_from).transpose()
    }

    async fn describe_access_token(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<DescribedAccessToken>> {
        let sql = "SELECT t.id, t.token_hash, t.application_id, t.user_id, t.scope, t.family,
             t.authorization_code_id, t.created_at, t.expires_at, t.revoked_at, a.client_id,
             u.username, u.is_active AS user_active
             FROM access_tokens t JOIN applications a ON a.id = t.application_id
             LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1";
        let row: Option<DescribedRow> = on_reader!(self, |pool| sqlx::query_as(sql)
            .bind(token_hash.to_hex())
            .fetch_optional(pool))?;
        row.map(DescribedAccessToken::try_from).transpose()
    }

    async fn create_refresh_token(&self, token: &NewRefreshToken) -> Result<RefreshToken> {
        let sql = concat!(
            "INSERT INTO refresh_tokens (token_hash, application_id, user_id, scope, family,
             access_token_id, auth_time, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
            refresh_columns!()
        );
        let row: RefreshRow = on_writer!(self, |pool| sqlx::query_as(sql)
            .bind(token.token_hash.to_hex())
            .bind(token.application_id.0)
            .bind(token.user_id.map(|u| u.0))
            .bind(token.scope.to_string())
            .bind(token.family.as_str())
            .bind(token.access_token_id)
            .bind(stored_opt(token.auth_time))
            .bind(stored_time(token.created_at))
            .bind(stored_opt(token.expires_at))
            .fetch_one(pool))?;
        row.try_into()
    }

    async fn refresh_token_by_hash(&self, token_hash: &TokenHash) -> Result<Option<RefreshToken>> {
        let sql = concat!(
            "SELECT ",
            refresh_columns!(),
            " FROM refresh_tokens WHERE token_hash = $1"
        );
        let row: Option<RefreshRow> = on_reader!(self, |pool| sqlx::query_as(sql)
            .bind(token_hash.to_hex())
            .fetch_optional(pool))?;
        row.map(RefreshToken::try_from).transpose()
    }

    async fn rotate_refresh_token(&self, id: i64, now: OffsetDateTime) -> Result<bool> {
        let sql = "UPDATE refresh_tokens SET rotated_at = $2
             WHERE id = $1 AND rotated_at IS NULL AND revoked_at IS NULL";
        let changed = execute!(self, sqlx::query(sql).bind(id).bind(stored_time(now)))?;
        Ok(changed == 1)
    }

    async fn revoke_access_token(&self, id: i64, now: OffsetDateTime) -> Result<bool> {
        let sql = "UPDATE access_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        let changed = execute!(self, sqlx::query(sql).bind(id).bind(stored_time(now)))?;
        Ok(changed == 1)
    }

    async fn revoke_family(&self, family: &FamilyId, now: OffsetDateTime) -> Result<u64> {
        let revoked = in_transaction!(self, |tx, deadline| {
            let mut revoked = 0;
            for sql in [
                "UPDATE access_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
                "UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
            ] {
                let done = sqlx::query(sql)
                    .bind(family.as_str())
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

    async fn revoke_tokens_from_code(&self, code_id: i64, now: OffsetDateTime) -> Result<u64> {
        let revoked = in_transaction!(self, |tx, deadline| {
            let mut revoked = 0;
            // Both statements select the family through access_tokens.authorization_code_id,
            // which revocation does not change, so their order does not matter.
            for sql in [
                "UPDATE access_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND family IN
                 (SELECT family FROM access_tokens WHERE authorization_code_id = $1)",
                "UPDATE refresh_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND family IN
                 (SELECT family FROM access_tokens WHERE authorization_code_id = $1)",
            ] {
                let done = sqlx::query(sql)
                    .bind(code_id)
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
        let rows: Vec<AccessRow> = on_reader!(self, |pool| sqlx::query_as(sql)
            .bind(page.after.unwrap_or(0))
            .bind(filter.user.map(|u| u.0))
            .bind(filter.application.map(|a| a.0))
            .bind(stored_time(now))
            .bind(i64::from(page.limit))
            .fetch_all(pool))?;
        rows.into_iter().map(AccessToken::try_from).collect()
    }

    async fn access_token_by_id(&self, id: i64) -> Result<Option<AccessToken>> {
        let sql = concat!(
            "SELECT ",
            access_columns!(),
            " FROM access_tokens WHERE id = $1"
        );
        let row: Option<AccessRow> = on_reader!(self, |pool| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(pool))?;
        row.map(AccessToken::try_from).transpose()
    }
}

/// Inserts one access token on SQLite (for the batcher, when no other waits).
#[cfg(feature = "sqlite")]
pub(crate) async fn insert_one_sqlite_access_token(
    writer: &sqlx::SqlitePool,
    token: &NewAccessToken,
) -> Result<AccessToken> {
    insert_one_access_token!(writer, token).await
}

/// Inserts several access tokens in one SQLite statement, answering by token hash.
#[cfg(feature = "sqlite")]
pub(crate) async fn insert_access_token_rows(
    writer: &sqlx::SqlitePool,
    tokens: &[&NewAccessToken],
) -> Result<std::collections::HashMap<String, AccessRow>> {
    // Only placeholders vary, never input: one prepared statement per batch size.
    let sql = format!(
        "{}{}{}",
        insert_access_tokens!(),
        vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; tokens.len()].join(", "),
        concat!(" RETURNING ", access_columns!())
    );
    let mut query = sqlx::query_as::<_, AccessRow>(sqlx::AssertSqlSafe(sql));
    for token in tokens {
        query = bind_access_token!(query, token);
    }
    let rows = query.fetch_all(writer).await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.token_hash.clone(), row))
        .collect())
}
