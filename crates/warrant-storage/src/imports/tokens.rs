//! Imported access and refresh tokens, a batch at a time: one statement inserts those not
//! here yet (with their application and user, if those are here), one reads the rest.

use std::collections::{HashMap, HashSet};

use time::OffsetDateTime;

use super::{ImportTransaction, ImportedToken, Outcome, Placeholders, Tx};
use crate::Result;
use crate::deadline::Within;
use crate::time_utc::{stored_opt, stored_time};

/// Tokens per statement: 10 binds each, within SQLite's 32,766.
const BATCH: usize = 1_000;

/// Which table a batch goes to.
#[derive(Clone, Copy)]
enum Table {
    Access,
    Refresh,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Self::Access => "access_tokens",
            Self::Refresh => "refresh_tokens",
        }
    }

    /// Inserts the tokens of `$1…` (ten columns each, see [`bind_rows`]) whose application
    /// (by client id) and user are here and whose hash is not, returning their hashes.
    fn insert(self, rows: usize, placeholders: Placeholders) -> String {
        let (columns, access_token) = match self {
            Self::Access => ("", ""),
            Self::Refresh => (
                ", access_token_id",
                ", (SELECT id FROM access_tokens WHERE token_hash = v.column10)",
            ),
        };
        format!(
            "INSERT INTO {table} (token_hash, application_id, user_id, scope, family,
             created_at, expires_at, revoked_at, resources{columns})
             SELECT v.column1, applications.id, v.column3, v.column4, v.column5, v.column6,
             v.column7, v.column8, v.column9{access_token}
             FROM (VALUES {values}) AS v
             JOIN applications ON applications.client_id = v.column2
             WHERE v.column3 IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = v.column3)
             ON CONFLICT DO NOTHING RETURNING token_hash",
            table = self.name(),
            values = placeholders.value_rows(rows, 10, 1),
        )
    }
}

impl ImportTransaction {
    /// Writes access tokens by their hash, each for its application and user if both are
    /// here (else refused). One already here is only revoked, if the other site revoked it
    /// since. One outcome per token, in order.
    pub async fn access_tokens(&mut self, tokens: &[ImportedToken]) -> Result<Vec<Outcome>> {
        self.tokens(Table::Access, tokens).await
    }

    /// Writes refresh tokens as [`Self::access_tokens`] does, each linked to its access
    /// token if that was imported.
    pub async fn refresh_tokens(&mut self, tokens: &[ImportedToken]) -> Result<Vec<Outcome>> {
        self.tokens(Table::Refresh, tokens).await
    }

    async fn tokens(&mut self, table: Table, tokens: &[ImportedToken]) -> Result<Vec<Outcome>> {
        let mut outcomes = Vec::with_capacity(tokens.len());
        for batch in tokens.chunks(BATCH) {
            let inserted = self.insert_tokens(table, batch).await?;
            let rest: Vec<&ImportedToken> = batch
                .iter()
                .filter(|token| !inserted.contains(&token.token_hash.to_hex()))
                .collect();
            let held = self.revocations(table, &rest).await?;
            for token in batch {
                let hash = token.token_hash.to_hex();
                let outcome = match (inserted.contains(&hash), held.get(&hash)) {
                    (true, _) => Outcome::Imported,
                    (false, None) => Outcome::Refused(format!(
                        "its application {} or its user is not here",
                        token.client_id.as_str()
                    )),
                    (false, Some(None)) if token.revoked_at.is_some() => {
                        self.revoke(table, token).await?;
                        Outcome::Updated
                    }
                    (false, Some(_)) => Outcome::Unchanged,
                };
                outcomes.push(outcome);
            }
        }
        Ok(outcomes)
    }

    /// Inserts the batch's new tokens: their hashes.
    async fn insert_tokens(
        &mut self,
        table: Table,
        batch: &[ImportedToken],
    ) -> Result<HashSet<String>> {
        let sql = table.insert(batch.len(), self.placeholders());
        let rows: Vec<(String,)> = on_tx!(self, |conn| {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for token in batch {
                query = query
                    .bind(token.token_hash.to_hex())
                    .bind(token.client_id.as_str())
                    .bind(token.user_id.map(|user| user.0))
                    .bind(token.scope.to_string())
                    .bind(token.family.as_str())
                    .bind(stored_time(token.created_at))
                    .bind(stored_opt(token.expires_at))
                    .bind(stored_opt(token.revoked_at))
                    .bind(token.resources.to_stored())
                    .bind(token.access_token_hash.map(|hash| hash.to_hex()));
            }
            query.fetch_all(&mut *conn)
        })?;
        Ok(rows.into_iter().map(|(hash,)| hash).collect())
    }

    /// Of `tokens`, those here: hash → when revoked here.
    async fn revocations(
        &mut self,
        table: Table,
        tokens: &[&ImportedToken],
    ) -> Result<HashMap<String, Option<OffsetDateTime>>> {
        if tokens.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT token_hash, revoked_at FROM {} WHERE token_hash IN ({})",
            table.name(),
            self.placeholders().list(tokens.len(), 1)
        );
        let rows: Vec<(String, Option<OffsetDateTime>)> = on_tx!(self, |conn| {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for token in tokens {
                query = query.bind(token.token_hash.to_hex());
            }
            query.fetch_all(&mut *conn)
        })?;
        Ok(rows.into_iter().collect())
    }

    async fn revoke(&mut self, table: Table, token: &ImportedToken) -> Result<()> {
        let sql = match table {
            Table::Access => "UPDATE access_tokens SET revoked_at = $1 WHERE token_hash = $2",
            Table::Refresh => "UPDATE refresh_tokens SET revoked_at = $1 WHERE token_hash = $2",
        };
        tx_execute!(
            self,
            sql,
            stored_opt(token.revoked_at),
            token.token_hash.to_hex()
        )?;
        Ok(())
    }
}
