use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use warrant_model::{FamilyId, Secret, UserCode};

use crate::GeneratorError;

/// `n` random bytes from the operating system.
pub(crate) fn random_bytes(n: usize) -> Result<Vec<u8>, GeneratorError> {
    let mut bytes = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| GeneratorError::Random)?;
    Ok(bytes)
}

/// `n` random bytes, base64url without padding: session keys, CSRF tokens, dev keys.
pub fn random_urlsafe(n: usize) -> Result<Secret<String>, GeneratorError> {
    Ok(Secret::new(URL_SAFE_NO_PAD.encode(random_bytes(n)?)))
}

/// A fresh identifier for a grant family (not a secret): the time in milliseconds as 12 hex
/// digits, then 80 random bits. Ids made later sort after earlier ones, so the database's
/// index on them grows at its end: a random id would put every new token on a page of its
/// own in that index (written to the log at every commit, and read back once the index
/// outgrows the cache).
pub fn family_id() -> Result<FamilyId, GeneratorError> {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    // Twelve hex digits of milliseconds last until the year 10889.
    let millis = millis & 0xffff_ffff_ffff;
    Ok(FamilyId::new(format!(
        "{millis:012x}{}",
        URL_SAFE_NO_PAD.encode(random_bytes(10)?)
    )))
}

/// A fresh request id for logs (96 random bits, URL-safe; not a secret); if the system has
/// no randomness to give, this process's next number, since a request must not fail for
/// want of an id.
pub fn request_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    match random_bytes(12) {
        Ok(bytes) => URL_SAFE_NO_PAD.encode(bytes),
        Err(_) => format!(
            "local-{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ),
    }
}

/// A number in `[0, 1)`, for spreading retries (jitter); `0.5` if the system has no
/// randomness to give, since a retry must not fail for want of it.
pub fn random_fraction() -> f64 {
    let mut bytes = [0u8; 4];
    match SystemRandom::new().fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

/// A fresh device flow user code.
pub fn user_code() -> Result<UserCode, GeneratorError> {
    let letters = random_string(UserCode::ALPHABET.as_bytes(), UserCode::LENGTH)?;
    UserCode::parse(&letters).map_err(|_| GeneratorError::Random)
}

/// `length` characters drawn uniformly from an ASCII `alphabet` (rejection sampling, so
/// no character is likelier than another).
pub(crate) fn random_string(alphabet: &[u8], length: usize) -> Result<String, GeneratorError> {
    let n = alphabet.len();
    // Largest multiple of n that fits in a byte; bytes at or above it are redrawn.
    let limit = 256 - (256 % n);
    let mut out = String::with_capacity(length);
    while out.len() < length {
        for byte in random_bytes(length * 2)? {
            if usize::from(byte) < limit {
                out.push(char::from(alphabet[usize::from(byte) % n]));
                if out.len() == length {
                    break;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_string_uses_only_the_alphabet_and_has_the_length() {
        let s = random_string(b"abc", 500).unwrap();
        assert_eq!(s.chars().count(), 500);
        assert!(s.chars().all(|c| "abc".contains(c)));
        assert!(s.contains('a') && s.contains('b') && s.contains('c'));
    }

    #[test]
    fn random_values_differ() {
        let (a, b) = (random_urlsafe(32).unwrap(), random_urlsafe(32).unwrap());
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
    }

    #[test]
    fn family_ids_sort_in_the_order_they_were_made_and_differ() {
        let earlier = family_id().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let (later, same_moment) = (family_id().unwrap(), family_id().unwrap());
        assert!(earlier.as_str() < later.as_str(), "{earlier} {later}");
        assert_ne!(later, same_moment);
        assert_eq!(later.as_str().len(), 26);
    }
}
