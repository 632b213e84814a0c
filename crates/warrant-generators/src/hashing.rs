use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest;
use subtle::ConstantTimeEq;
use warrant_model::TokenHash;

/// SHA-256 of a high-entropy value (token, code, client secret, API token): enough and fast,
/// because guessing the input is as hard as guessing the value itself.
pub fn hash_token(value: &str) -> TokenHash {
    let digest = digest::digest(&digest::SHA256, value.as_bytes());
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(digest.as_ref());
    TokenHash::from_digest(bytes)
}

/// BASE64URL(SHA-256(value)) without padding: PKCE's `S256` transformation (RFC 7636 §4.2).
pub fn sha256_base64url(value: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, value).as_ref())
}

/// Whether `presented` hashes to `stored`, compared in constant time.
pub fn verify_token(presented: &str, stored: &TokenHash) -> bool {
    constant_time_eq(hash_token(presented).as_bytes(), stored.as_bytes())
}

/// Compares two byte strings without leaking where they differ. The lengths are not
/// secret (they are fixed by the format), so unequal lengths return early.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_token_is_sha256() {
        assert_eq!(
            hash_token("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn verify_token_accepts_only_the_original() {
        let stored = hash_token("token-value");
        assert!(verify_token("token-value", &stored));
        assert!(!verify_token("token-valuf", &stored));
        assert!(!constant_time_eq(b"ab", b"abc"));
    }
}
