//! Assertions already used (a client's `jti`, RFC 7523 §3; a DPoP proof's, RFC 9449 §11.1),
//! shared by every instance on the database.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::TokenHash;

use crate::Result;
use crate::db::{Backed, execute};
use crate::time_utc::stored_time;

/// Assertions already used.
#[async_trait]
pub trait UsedAssertionStore: Send + Sync {
    /// Records the first use of the assertion whose key (what names it: its issuer and
    /// `jti`) has this hash, kept until `expires_at`; false if it was used before, on any
    /// instance. Of racing uses exactly one is first.
    async fn first_use(&self, key_hash: &TokenHash, expires_at: OffsetDateTime) -> Result<bool>;
}

#[async_trait]
impl<S: Backed> UsedAssertionStore for S {
    async fn first_use(&self, key_hash: &TokenHash, expires_at: OffsetDateTime) -> Result<bool> {
        let sql = "INSERT INTO used_assertions (key_hash, expires_at) VALUES ($1, $2)
             ON CONFLICT (key_hash) DO NOTHING";
        let inserted = execute!(self, sql, key_hash.to_hex(), stored_time(expires_at))?;
        Ok(inserted == 1)
    }
}
