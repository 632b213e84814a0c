use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use warrant_model::{Sealed, Secret};

use crate::GeneratorError;
use crate::random::random_bytes;

/// Shortest `secret_key` accepted (Django's `SECRET_KEY` check asks for 50).
const MIN_SECRET_KEY_LEN: usize = 32;

/// Seals values that must be read back (API tokens, upstream tokens, outbox payloads,
/// private signing keys) with AES-256-GCM under a key derived from `secret_key` by
/// HKDF-SHA256.
///
/// Every value is sealed for a *purpose* (bound as associated data), so a value sealed as
/// one thing cannot be opened as another.
pub struct SealingKey(LessSafeKey);

impl SealingKey {
    /// Derives the sealing key from the configured `secret_key`.
    pub fn derive(secret_key: &Secret<String>) -> Result<Self, GeneratorError> {
        if secret_key.expose().len() < MIN_SECRET_KEY_LEN {
            return Err(GeneratorError::WeakSecretKey {
                min: MIN_SECRET_KEY_LEN,
            });
        }
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"warrant sealing key v1")
            .extract(secret_key.expose().as_bytes());
        let mut key = [0u8; 32];
        prk.expand(&[b"aes-256-gcm"], &AES_256_GCM)
            .and_then(|okm| okm.fill(&mut key))
            .map_err(|_| GeneratorError::Random)?;
        let key = UnboundKey::new(&AES_256_GCM, &key).map_err(|_| GeneratorError::Random)?;
        Ok(Self(LessSafeKey::new(key)))
    }

    /// Seals `plaintext` for `purpose`: a random 96-bit nonce, then ciphertext and tag.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Result<Sealed, GeneratorError> {
        let nonce_bytes = random_bytes(NONCE_LEN)?;
        let nonce =
            Nonce::try_assume_unique_for_key(&nonce_bytes).map_err(|_| GeneratorError::Random)?;
        let mut buffer = plaintext.to_vec();
        self.0
            .seal_in_place_append_tag(nonce, Aad::from(purpose.as_bytes()), &mut buffer)
            .map_err(|_| GeneratorError::Random)?;
        let mut sealed = nonce_bytes;
        sealed.extend_from_slice(&buffer);
        Ok(Sealed::from_bytes(sealed))
    }

    /// Opens a value sealed for `purpose` by this key.
    pub fn open(&self, purpose: &str, sealed: &Sealed) -> Result<Secret<Vec<u8>>, GeneratorError> {
        let bytes = sealed.as_bytes();
        if bytes.len() < NONCE_LEN {
            return Err(GeneratorError::Unseal);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| GeneratorError::Unseal)?;
        let mut buffer = ciphertext.to_vec();
        let plaintext = self
            .0
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buffer)
            .map_err(|_| GeneratorError::Unseal)?;
        Ok(Secret::new(plaintext.to_vec()))
    }

    /// Seals a string.
    pub fn seal_str(
        &self,
        purpose: &str,
        plaintext: &Secret<String>,
    ) -> Result<Sealed, GeneratorError> {
        self.seal(purpose, plaintext.expose().as_bytes())
    }

    /// Opens a sealed string.
    pub fn open_str(
        &self,
        purpose: &str,
        sealed: &Sealed,
    ) -> Result<Secret<String>, GeneratorError> {
        let bytes = self.open(purpose, sealed)?;
        String::from_utf8(bytes.expose().clone())
            .map(Secret::new)
            .map_err(|_| GeneratorError::Unseal)
    }
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> SealingKey {
        SealingKey::derive(&Secret::new(text.to_owned())).unwrap()
    }

    #[test]
    fn sealed_values_open_with_the_same_key_and_purpose_only() {
        let k = key("a-secret-key-that-is-long-enough-0123");
        let sealed = k.seal_str("api_token", &Secret::new("tok".into())).unwrap();
        assert!(!sealed.as_bytes().windows(3).any(|w| w == b"tok"));
        assert_eq!(k.open_str("api_token", &sealed).unwrap().expose(), "tok");
        assert!(matches!(
            k.open_str("upstream", &sealed),
            Err(GeneratorError::Unseal)
        ));
        let other = key("another-secret-key-that-is-long-enough");
        assert!(matches!(
            other.open_str("api_token", &sealed),
            Err(GeneratorError::Unseal)
        ));
    }

    #[test]
    fn tampering_is_detected() {
        let k = key("a-secret-key-that-is-long-enough-0123");
        let sealed = k.seal("p", b"value").unwrap();
        let mut bytes = sealed.as_bytes().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(k.open("p", &Sealed::from_bytes(bytes)).is_err());
        assert!(k.open("p", &Sealed::from_bytes(vec![1, 2])).is_err());
    }

    #[test]
    fn short_secret_keys_are_refused() {
        assert!(matches!(
            SealingKey::derive(&Secret::new("short".into())),
            Err(GeneratorError::WeakSecretKey { .. })
        ));
    }
}
