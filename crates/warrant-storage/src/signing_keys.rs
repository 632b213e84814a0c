//! The keys ID tokens are signed with, sealed; retired keys stay published until removed.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::SigningKey;

use crate::Result;
use crate::db::{Backed, execute, fetch_all, fetch_one};
use crate::rows::SigningKeyRow;
use crate::time_utc::{stored_opt, stored_time};

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

#[async_trait]
impl<S: Backed> SigningKeyStore for S {
    async fn create_signing_key(&self, key: &SigningKey) -> Result<SigningKey> {
        let sql = "INSERT INTO signing_keys (kid, algorithm, private_key, public_jwk, created_at,
             retired_at) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING kid, algorithm, private_key, public_jwk, created_at, retired_at";
        fetch_one!(
            self,
            writer,
            SigningKeyRow,
            sql,
            &key.kid,
            key.algorithm.as_str(),
            key.private_key.as_bytes(),
            &key.public_jwk,
            stored_time(key.created_at),
            stored_opt(key.retired_at)
        )
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        let sql = "SELECT kid, algorithm, private_key, public_jwk, created_at, retired_at
             FROM signing_keys ORDER BY created_at DESC, kid";
        fetch_all!(self, reader, SigningKeyRow, sql)
    }

    async fn retire_signing_key(&self, kid: &str, now: OffsetDateTime) -> Result<bool> {
        let sql = "UPDATE signing_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL";
        let changed = execute!(self, sql, kid, stored_time(now))?;
        Ok(changed == 1)
    }
}
