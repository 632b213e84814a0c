//! Signing keys: made and rotated in the store (private keys sealed), and the [`KeyRing`]
//! a running server signs with and publishes as its JWKS.
//!
//! The newest unretired key of an algorithm signs. Every instance sharing a database reads
//! the same rows, so they agree on it (within the ring's time to live after a rotation);
//! retired keys stay published until every token they signed has expired.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use warrant_cache::TtlCell;
use warrant_generators::{
    SealingKey, SigningKeyPair, generate_signing_key, jwt_key_id, verify_jwt,
};
use warrant_model::{Secret, SigningAlgorithm, SigningKey};
use warrant_storage::Store;

use crate::GrantsError;

/// The sealing purpose of private signing keys.
const SIGNING_KEY_PURPOSE: &str = "signing key";

/// Makes and stores a key for each of `algorithms` that has no unretired one; returns the
/// new keys.
pub async fn ensure_signing_keys(
    store: &dyn Store,
    sealing: &SealingKey,
    algorithms: &[SigningAlgorithm],
    now: OffsetDateTime,
) -> Result<Vec<SigningKey>, GrantsError> {
    let existing = store.signing_keys().await?;
    let mut created = Vec::new();
    for &algorithm in algorithms {
        let has_active = existing
            .iter()
            .any(|key| key.algorithm == algorithm && key.retired_at.is_none());
        if !has_active {
            let pkcs8 = generate_signing_key(algorithm)?;
            created.push(store_signing_key(store, sealing, algorithm, &pkcs8, now).await?);
        }
    }
    Ok(created)
}

/// Makes a new key for `algorithm` and retires the ones it replaces; returns the new key.
pub async fn rotate_signing_key(
    store: &dyn Store,
    sealing: &SealingKey,
    algorithm: SigningAlgorithm,
    now: OffsetDateTime,
) -> Result<SigningKey, GrantsError> {
    let pkcs8 = generate_signing_key(algorithm)?;
    replace_signing_key(store, sealing, algorithm, &pkcs8, now).await
}

/// Stores `pkcs8` (a private key for `algorithm`, e.g. from
/// `warrant_generators::import_signing_key`) as the signing key, retiring the ones it
/// replaces; returns it. The audit log records it as done at the command line, the one
/// place keys are rotated.
pub async fn replace_signing_key(
    store: &dyn Store,
    sealing: &SealingKey,
    algorithm: SigningAlgorithm,
    pkcs8: &Secret<Vec<u8>>,
    now: OffsetDateTime,
) -> Result<SigningKey, GrantsError> {
    let new = store_signing_key(store, sealing, algorithm, pkcs8, now).await?;
    for old in store.signing_keys().await? {
        if old.algorithm == algorithm && old.retired_at.is_none() && old.kid != new.kid {
            store.retire_signing_key(&old.kid, now).await?;
        }
    }
    let event = warrant_model::NewAuditEvent {
        occurred_at: now,
        action: warrant_model::AuditAction::SigningKeyRotated,
        actor_user_id: None,
        actor: Some("command line".to_owned()),
        target: Some(format!("signing_key:{}", new.kid)),
        client_address: None,
        detail: Some(algorithm.to_string()),
    };
    if let Err(error) = store.record_audit_event(&event).await {
        tracing::error!(%error, "an audit event could not be kept");
    }
    Ok(new)
}

async fn store_signing_key(
    store: &dyn Store,
    sealing: &SealingKey,
    algorithm: SigningAlgorithm,
    pkcs8: &Secret<Vec<u8>>,
    now: OffsetDateTime,
) -> Result<SigningKey, GrantsError> {
    let pair = SigningKeyPair::from_pkcs8(algorithm, pkcs8.expose())?;
    let key = SigningKey {
        kid: pair.kid().to_owned(),
        algorithm,
        private_key: sealing.seal(SIGNING_KEY_PURPOSE, pkcs8.expose())?,
        public_jwk: pair.public_jwk().to_string(),
        created_at: now,
        retired_at: None,
    };
    Ok(store.create_signing_key(&key).await?)
}

/// The keys in use: one signer per algorithm and the published public keys.
#[derive(Debug)]
pub struct KeySet {
    signers: Vec<SigningKeyPair>,
    jwks: Value,
}

impl KeySet {
    /// The key that signs with `algorithm`, if there is one.
    pub fn signer(&self, algorithm: SigningAlgorithm) -> Option<&SigningKeyPair> {
        self.signers.iter().find(|s| s.algorithm() == algorithm)
    }

    /// The JWK Set (RFC 7517 §5) served to relying parties and resource servers.
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// The claims of a JWT signed by one of the published keys; `None` when no published
    /// key verifies it.
    pub fn verify(&self, jwt: &str) -> Option<Value> {
        let kid = jwt_key_id(jwt)?;
        let jwk = self.jwks["keys"]
            .as_array()?
            .iter()
            .find(|jwk| jwk["kid"].as_str() == Some(kid.as_str()))?;
        verify_jwt(jwk, jwt)
    }

    fn from_stored(
        keys: Vec<SigningKey>,
        sealing: &SealingKey,
        published_after_retirement: time::Duration,
        now: OffsetDateTime,
    ) -> Result<Self, GrantsError> {
        let mut signers: Vec<SigningKeyPair> = Vec::new();
        let mut published = Vec::new();
        // Newest first, so the first unretired key of an algorithm signs.
        for key in keys {
            let publish = key
                .retired_at
                .is_none_or(|retired| retired + published_after_retirement > now);
            if !publish {
                continue;
            }
            if key.retired_at.is_none() && !signers.iter().any(|s| s.algorithm() == key.algorithm) {
                let pkcs8 = sealing.open(SIGNING_KEY_PURPOSE, &key.private_key)?;
                signers.push(SigningKeyPair::from_pkcs8(key.algorithm, pkcs8.expose())?);
            }
            match serde_json::from_str::<Value>(&key.public_jwk) {
                Ok(jwk) => published.push(jwk),
                Err(error) => {
                    tracing::error!(kid = %key.kid, %error, "stored public JWK is not JSON")
                }
            }
        }
        Ok(Self {
            signers,
            jwks: json!({ "keys": published }),
        })
    }
}

/// The `kid`s of stored signing keys that `sealing` cannot open: sealed under another
/// `secret_key` (`warrant check`).
pub async fn unreadable_signing_keys(
    store: &dyn Store,
    sealing: &SealingKey,
) -> Result<Vec<String>, GrantsError> {
    Ok(store
        .signing_keys()
        .await?
        .into_iter()
        .filter(|key| sealing.open(SIGNING_KEY_PURPOSE, &key.private_key).is_err())
        .map(|key| key.kid)
        .collect())
}

/// The signing keys a running server uses, re-read from the store after a time to live so
/// that a rotation elsewhere (the CLI, another instance) reaches it.
pub struct KeyRing {
    /// `None`: made without `secret_key` (administration commands that neither sign nor
    /// seal), see [`KeyRing::without_secret_key`].
    sealing: Option<SealingKey>,
    time_to_live: Duration,
    published_after_retirement: time::Duration,
    loaded: TtlCell<Arc<KeySet>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("time_to_live", &self.time_to_live)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring opening private keys with `sealing`, re-reading them every `time_to_live`,
    /// and publishing a retired key for `published_after_retirement` (the longest lifetime
    /// of a token it may have signed).
    pub fn new(
        sealing: SealingKey,
        time_to_live: Duration,
        published_after_retirement: time::Duration,
    ) -> Self {
        Self {
            sealing: Some(sealing),
            time_to_live,
            published_after_retirement,
            loaded: TtlCell::new(),
        }
    }

    /// A ring without `secret_key`, for an engine that manages users and applications
    /// (the CLI's): whatever would sign, or seal or open a stored value, is
    /// [`GrantsError::NoSecretKey`].
    pub fn without_secret_key() -> Self {
        Self {
            sealing: None,
            time_to_live: Duration::ZERO,
            published_after_retirement: time::Duration::ZERO,
            loaded: TtlCell::new(),
        }
    }

    /// The key that seals stored values (API tokens, private keys), derived from
    /// `secret_key`.
    pub fn sealing(&self) -> Result<&SealingKey, GrantsError> {
        self.sealing.as_ref().ok_or(GrantsError::NoSecretKey)
    }

    /// The current keys.
    pub async fn current(
        &self,
        store: &dyn Store,
        now: OffsetDateTime,
    ) -> Result<Arc<KeySet>, GrantsError> {
        if let Some(fresh) = self.loaded.get() {
            return Ok(fresh);
        }
        let keys = KeySet::from_stored(
            store.signing_keys().await?,
            self.sealing()?,
            self.published_after_retirement,
            now,
        )?;
        let keys = Arc::new(keys);
        self.loaded.set(Arc::clone(&keys), self.time_to_live);
        Ok(keys)
    }

    /// Drops the loaded keys, after a rotation through this process.
    pub fn forget(&self) {
        self.loaded.clear();
    }
}
