//! The keys ID tokens are signed with, sealed; retired keys stay published until removed.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{Sealed, SigningAlgorithm, SigningKey};

use crate::db::{Backed, execute, on_reader, on_writer};
use crate::error::corrupt;
use crate::time_utc::{stored_opt, stored_time};
use crate::{Result, StoreError};

/// Signing keys.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// Stores a new key; a taken `kid` is [`StoreError::Conflict`].
    async fn create_signing_key(&self, key: &SigningKey) -> Result<SigningKey>;
    /// Every key, newest first.
    async fn signing_keys(&self) -> Result<Vec<SigningKey>>;
    /// Stops a key from signing.
    async fn retire_signing_key(&self, kid: &str, now: OffsetDateTime) -> Result<bool>;
}

#[derive(sqlx::FromRow)]
struct SigningKeyRow {
    kid: String,
    algorithm: String,
    private_key: Vec<u8>,
    public_jwk: String,
    created_at: OffsetDateTime,
    retired_at: Option<OffsetDateTime>,
}

impl TryFrom<SigningKeyRow> for SigningKey {
    type Error = StoreError;
    fn try_from(row: SigningKeyRow) -> Result<Self> {
        Ok(SigningKey {
            kid: row.kid,
            algorithm: SigningAlgorithm::parse(&row.algorithm).map_err(corrupt)?,
            private_key: Sealed::from_bytes(row.private_key),
            public_jwk: row.public_jwk,
            created_at: row.created_at,
            retired_at: row.retired_at,
        })
    }
}

#[async_trait]
impl<S: Backed> SigningKeyStore for S {
    async fn create_signing_key(&self, key: &SigningKey) -> Result<SigningKey> {
        let sql = "INSERT INTO signing_keys (kid, algorithm, private_key, public_jwk, created_at,
             retired_at) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING kid, algorithm, private_key, public_jwk, created_at, retired_at";
        let row: SigningKeyRow = on_writer!(self, |pool| sqlx::query_as(sql)
            .bind(&key.kid)
            .bind(key.algorithm.as_str())
            .bind(key.private_key.as_bytes())
            .bind(&key.public_jwk)
            .bind(stored_time(key.created_at))
            .bind(stored_opt(key.retired_at))
            .fetch_one(pool))?;
        row.try_into()
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        let sql = "SELECT kid, algorithm, private_key, public_jwk, created_at, retired_at
             FROM signing_keys ORDER BY created_at DESC, kid";
        let rows: Vec<SigningKeyRow> =
            on_reader!(self, |pool| sqlx::query_as(sql).fetch_all(pool))?;
        rows.into_iter().map(SigningKey::try_from).collect()
    }

    async fn retire_signing_key(&self, kid: &str, now: OffsetDateTime) -> Result<bool> {
        let sql = "UPDATE signing_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL";
        let changed = execute!(self, sqlx::query(sql).bind(kid).bind(stored_time(now)))?;
        Ok(changed == 1)
    }
}
