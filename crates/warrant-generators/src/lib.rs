//! Generators for client ids, client secrets, access and refresh tokens, chosen by name
//! in config, and the cryptographic helpers every other Warrant crate uses.
//!
//! A library user adds a generator kind without forking Warrant:
//!
//! ```
//! use std::sync::Arc;
//! use warrant_generators::{Generator, GeneratorError, GeneratorsConfig, Registry};
//!
//! /// Client ids like `app-000042`, from a counter the embedding program owns.
//! struct Sequential(std::sync::atomic::AtomicU64, String);
//!
//! impl Generator for Sequential {
//!     fn generate(&self) -> Result<String, GeneratorError> {
//!         let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
//!         Ok(format!("{}-{n:06}", self.1))
//!     }
//! }
//!
//! let mut registry = Registry::with_builtins();
//! registry.register("sequential", |params| {
//!     params.allow_only(&["prefix"])?;
//!     let prefix = params.string("prefix")?.unwrap_or_else(|| "app".into());
//!     Ok(Arc::new(Sequential(0.into(), prefix)))
//! });
//!
//! // What `[generators.client_id] kind = "sequential"` in warrant.toml deserializes to:
//! let config: GeneratorsConfig =
//!     serde_json::from_str(r#"{"client_id": {"kind": "sequential", "prefix": "app"}}"#).unwrap();
//! let generators = registry.build(&config).unwrap();
//! assert_eq!(generators.new_client_id().unwrap().as_str(), "app-000000");
//! ```
//!
//! The crypto helpers: [`hash_token`] (SHA-256, for high-entropy values),
//! [`constant_time_eq`], [`PasswordHasher`] (PBKDF2-HMAC-SHA256 in Django's format; run
//! on request paths through [`PasswordPool`], off the async runtime and bounded) and
//! [`SealingKey`] (AES-256-GCM for values that must be read back), and
//! [`SigningKeyPair`] (JWS signing with RS256, ES256 or EdDSA keys, [`generate_signing_key`]).
//!
//! This crate must not know about storage or HTTP.

#![forbid(unsafe_code)]

mod builtins;
#[cfg(feature = "django-hashers")]
mod django_hashers;
#[cfg(not(feature = "django-hashers"))]
mod django_hashers {
    //! Without the `django-hashers` feature only Warrant's own hashes verify.

    pub(crate) fn verify(_: &warrant_model::Secret<String>, _: &str) -> bool {
        false
    }

    pub(crate) fn recognized(_: &str) -> bool {
        false
    }
}
mod dpop;
mod error;
mod hashing;
mod jws;
mod password;
mod password_pool;
mod random;
mod registry;
mod seal;
mod signing;

pub use dpop::{DpopProof, DpopRequest, confirmation};
pub use error::GeneratorError;
pub use hashing::{constant_time_eq, hash_token, sha256_base64url, verify_token};
pub use jws::{
    Jws, JwsAlgorithm, decode_unverified, jwk_thumbprint, verify_jwt, verify_with_jwk,
    verify_with_secret,
};
pub use password::PasswordHasher;
pub use password_pool::{HashingLimits, PasswordPool};
pub use random::{family_id, random_fraction, random_urlsafe, request_id, user_code};
pub use registry::{
    Generator, GeneratorConfig, Generators, GeneratorsConfig, Params, Registry, TokenContext,
    TokenGenerator,
};
pub use seal::SealingKey;
pub use signing::{
    SigningKeyPair, generate_signing_key, half_hash, import_signing_key, jwt_key_id,
};
