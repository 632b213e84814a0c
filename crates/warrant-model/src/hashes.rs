use std::fmt;

use crate::ModelError;

/// The SHA-256 digest of a high-entropy value (token, code, client secret, API token).
/// Only this is stored; the value itself is shown once and forgotten.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// Wraps a digest computed by `warrant_generators::hash_token`.
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(digest)
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, the form kept in the database.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        // On every token lookup and insert: one allocation, not one per byte.
        let mut hex = String::with_capacity(64);
        for byte in self.0 {
            hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
            hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        hex
    }

    /// Parses the database form.
    pub fn from_hex(hex: &str) -> Result<Self, ModelError> {
        let bytes = hex.as_bytes();
        if bytes.len() != 64 {
            return Err(ModelError::Hash("token hash"));
        }
        let mut digest = [0u8; 32];
        for (out, pair) in digest.iter_mut().zip(bytes.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).map_err(|_| ModelError::Hash("token hash"))?;
            *out = u8::from_str_radix(text, 16).map_err(|_| ModelError::Hash("token hash"))?;
        }
        Ok(Self(digest))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}…)", &self.to_hex()[..8])
    }
}

/// A password hash in Django's `algorithm$…` encoding (`pbkdf2_sha256$iterations$salt$hash`),
/// or Django's unusable-password marker (starting with `!`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Accepts any Django-style encoded hash: an algorithm name, `$`, then its fields.
    pub fn parse(encoded: &str) -> Result<Self, ModelError> {
        let usable = encoded
            .split_once('$')
            .is_some_and(|(algorithm, rest)| !algorithm.is_empty() && !rest.is_empty());
        if usable || encoded.starts_with('!') {
            Ok(Self(encoded.to_owned()))
        } else {
            Err(ModelError::Hash("password hash"))
        }
    }

    /// The encoded form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let algorithm = self.0.split('$').next().unwrap_or_default();
        write!(f, "PasswordHash({algorithm}$…)")
    }
}

/// How an application's secret is kept.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientSecretHash {
    /// Warrant's: the SHA-256 of the secret (which is random, so that is enough).
    Sha256(TokenHash),
    /// What Django OAuth Toolkit's `hash_client_secret` made (`pbkdf2_sha256$…`), kept by an
    /// import; checked with Django's hasher and replaced by [`Self::Sha256`] at the first
    /// successful use.
    Django(PasswordHash),
}

impl ClientSecretHash {
    /// The database form: hex, or Django's `algorithm$…` encoding.
    pub fn to_stored(&self) -> String {
        match self {
            Self::Sha256(hash) => hash.to_hex(),
            Self::Django(hash) => hash.as_str().to_owned(),
        }
    }

    /// Parses the database form.
    pub fn from_stored(stored: &str) -> Result<Self, ModelError> {
        if stored.contains('$') {
            PasswordHash::parse(stored).map(Self::Django)
        } else {
            TokenHash::from_hex(stored).map(Self::Sha256)
        }
    }
}

impl fmt::Debug for ClientSecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sha256(hash) => write!(f, "{hash:?}"),
            Self::Django(hash) => write!(f, "{hash:?}"),
        }
    }
}

/// The purposes values are sealed under (the seal's associated data): a value sealed for
/// one cannot be opened as another. Here so that whatever writes them (the grant engine,
/// the upstream client, an import) agrees with whatever reads them.
pub mod sealing_purpose {
    /// Users' API tokens.
    pub const API_TOKEN: &str = "api_token";
    /// Client secrets kept for `client_secret_jwt` (the HMAC key of its assertions).
    pub const CLIENT_SECRET: &str = "client_secret";
    /// Pushed authorization requests' parameters (RFC 9126).
    pub const PUSHED_REQUEST: &str = "pushed_request";
    /// Upstream connections' access tokens.
    pub const UPSTREAM_ACCESS_TOKEN: &str = "upstream_access_token";
    /// Upstream connections' refresh tokens.
    pub const UPSTREAM_REFRESH_TOKEN: &str = "upstream_refresh_token";
}

/// A value sealed with AES-256-GCM under the configured `secret_key`
/// (`warrant_generators::SealingKey`): nonce, ciphertext and tag.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(Vec<u8>);

impl Sealed {
    /// Wraps sealed bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The sealed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_round_trips_through_hex() {
        let hash = TokenHash::from_digest([0xab; 32]);
        assert_eq!(TokenHash::from_hex(&hash.to_hex()), Ok(hash));
        let digest: [u8; 32] = std::array::from_fn(|i| u8::try_from(i * 8).unwrap_or(0));
        assert_eq!(
            TokenHash::from_digest(digest).to_hex(),
            "0008101820283038404850586068707880889098a0a8b0b8c0c8d0d8e0e8f0f8"
        );
        assert!(TokenHash::from_hex("zz").is_err());
        assert!(TokenHash::from_hex(&"g".repeat(64)).is_err());
    }

    #[test]
    fn password_hash_accepts_django_encodings_only() {
        assert!(PasswordHash::parse("pbkdf2_sha256$600000$salt$hash").is_ok());
        assert!(PasswordHash::parse("!unusable").is_ok());
        assert!(PasswordHash::parse("plaintext").is_err());
        assert!(PasswordHash::parse("$x").is_err());
        let debug = format!("{:?}", PasswordHash::parse("pbkdf2_sha256$1$salt$hash"));
        assert!(!debug.contains("salt"));
    }
}
