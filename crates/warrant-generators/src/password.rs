use std::num::NonZeroU32;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::pbkdf2;
use warrant_model::{PasswordHash, Secret};

use crate::GeneratorError;
use crate::random::random_string;

/// Django's salt alphabet and length (`get_random_string(22)`, about 131 bits).
const SALT_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SALT_LENGTH: usize = 22;
const ALGORITHM: &str = "pbkdf2_sha256";

/// The most PBKDF2 iterations a stored hash may ask for (Django 5.2 uses 1,000,000): more
/// would hold a hashing thread for minutes.
pub(crate) const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// Hashes and verifies user passwords with PBKDF2-HMAC-SHA256 in Django's encoding,
/// `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, so hashes move between Django and
/// Warrant in both directions. With the `django-hashers` feature it also verifies what
/// Django's other hashers made (`pbkdf2_sha1`, `argon2`, `bcrypt_sha256`, `bcrypt`,
/// `scrypt`), for users imported from a Django site; [`PasswordHasher::needs_rehash`] says
/// those are to be re-hashed.
#[derive(Debug, Clone, Copy)]
pub struct PasswordHasher {
    iterations: NonZeroU32,
}

impl PasswordHasher {
    /// Django 5's default iteration count.
    pub const DEFAULT_ITERATIONS: u32 = 600_000;

    /// A hasher that hashes new passwords with `iterations` rounds (verification uses the
    /// count stored in each hash).
    pub fn new(iterations: u32) -> Result<Self, GeneratorError> {
        NonZeroU32::new(iterations)
            .map(|iterations| Self { iterations })
            .ok_or(GeneratorError::Password(
                "the iteration count must be at least 1",
            ))
    }

    /// Hashes a password with a fresh salt.
    pub fn hash(&self, password: &Secret<String>) -> Result<PasswordHash, GeneratorError> {
        let salt = random_string(SALT_ALPHABET, SALT_LENGTH)?;
        let mut derived = [0u8; 32];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            self.iterations,
            salt.as_bytes(),
            password.expose().as_bytes(),
            &mut derived,
        );
        let encoded = format!(
            "{ALGORITHM}${}${salt}${}",
            self.iterations,
            STANDARD.encode(derived)
        );
        PasswordHash::parse(&encoded).map_err(|_| GeneratorError::Password("encoding failed"))
    }

    /// Whether `password` matches `hash` (constant time). Unusable passwords and unknown
    /// algorithms never match.
    pub fn verify(&self, password: &Secret<String>, hash: &PasswordHash) -> bool {
        if !hash.as_str().starts_with("pbkdf2_sha256$") {
            return crate::django_hashers::verify(password, hash.as_str());
        }
        let Some((iterations, salt, expected)) = decode(hash) else {
            return false;
        };
        pbkdf2::verify(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations,
            salt.as_bytes(),
            password.expose().as_bytes(),
            &expected,
        )
        .is_ok()
    }

    /// Whether `hash` is one this hasher can verify (its own, or one of Django's other
    /// hashers', well formed and within the cost bounds) or an unusable password (`!…`):
    /// what a hash given for a user, rather than a password, must be.
    pub fn recognizes(&self, hash: &PasswordHash) -> bool {
        let encoded = hash.as_str();
        encoded.starts_with('!')
            || decode(hash).is_some()
            || crate::django_hashers::recognized(encoded)
    }

    /// Spends as long as [`PasswordHasher::verify`] on a real hash, and returns nothing: called
    /// when the user does not exist, so response times do not reveal which usernames do.
    pub fn verify_nothing(&self, password: &Secret<String>) {
        let mut derived = [0u8; 32];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            self.iterations,
            b"no-such-user-salt",
            password.expose().as_bytes(),
            &mut derived,
        );
    }

    /// Whether `hash` uses fewer iterations than configured (or another algorithm), so the
    /// password should be re-hashed at the next successful login, as Django does.
    pub fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        decode(hash).is_none_or(|(iterations, _, _)| iterations < self.iterations)
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self {
            iterations: NonZeroU32::MIN.saturating_add(Self::DEFAULT_ITERATIONS - 1),
        }
    }
}

fn decode(hash: &PasswordHash) -> Option<(NonZeroU32, &str, Vec<u8>)> {
    let mut fields = hash.as_str().split('$');
    let (algorithm, iterations, salt, digest) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if algorithm != ALGORITHM || fields.next().is_some() {
        return None;
    }
    let iterations = NonZeroU32::new(iterations.parse().ok()?)?;
    if iterations.get() > MAX_PBKDF2_ITERATIONS {
        return None;
    }
    Some((iterations, salt, STANDARD.decode(digest).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `../shared/vectors/django-pbkdf2.txt`, computed by Django's PBKDF2PasswordHasher.
    const DJANGO_VECTORS: &[(&str, &str)] = &[
        (
            "correct horse battery staple",
            "pbkdf2_sha256$260000$f3GyUy2TkdDz$7cxDiWtjyGu70D6KYNkDE2h7J7uRxcvqtve2MKUOauI=",
        ),
        (
            "s3cr3t-ünïcode",
            "pbkdf2_sha256$600000$AbCdEf012345$elv00fmT/LVa2FS5YhgwKSGVFQeMOROvnbTeF8ZXi08=",
        ),
    ];

    fn secret(s: &str) -> Secret<String> {
        Secret::new(s.to_owned())
    }

    #[test]
    fn verifies_django_vectors() {
        let hasher = PasswordHasher::default();
        for (password, encoded) in DJANGO_VECTORS {
            let hash = PasswordHash::parse(encoded).unwrap();
            assert!(hasher.verify(&secret(password), &hash), "{password}");
            assert!(!hasher.verify(&secret("wrong"), &hash));
        }
    }

    /// Every hash Django 5.2 made (the file says how) verifies through the one entry point;
    /// only Warrant's own algorithm with at least the configured iterations is kept as is.
    #[test]
    #[cfg(feature = "django-hashers")]
    fn verifies_every_django_hasher_and_rehashes_all_but_its_own() {
        let hasher = PasswordHasher::default();
        let vectors = include_str!("../tests/data/django-hashers.txt")
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once('\t'))
            .filter(|(_, encoded)| !encoded.starts_with("md5$"));
        for (password, encoded) in vectors {
            let hash = PasswordHash::parse(encoded).unwrap();
            let usable = !encoded.starts_with('!');
            assert_eq!(hasher.verify(&secret(password), &hash), usable, "{encoded}");
            let own = encoded.starts_with("pbkdf2_sha256$");
            assert_eq!(hasher.needs_rehash(&hash), !own, "{encoded}");
            assert!(hasher.recognizes(&hash), "{encoded}");
        }
    }

    #[test]
    fn hashes_in_django_format_with_the_configured_iterations() {
        let hasher = PasswordHasher::new(1000).unwrap();
        let hash = hasher.hash(&secret("pw")).unwrap();
        let fields: Vec<&str> = hash.as_str().split('$').collect();
        assert_eq!(fields[..2], ["pbkdf2_sha256", "1000"]);
        assert_eq!(fields[2].len(), SALT_LENGTH);
        assert!(hasher.verify(&secret("pw"), &hash));
        assert!(!hasher.verify(&secret("pW"), &hash));
        assert!(PasswordHasher::default().needs_rehash(&hash));
        assert!(!hasher.needs_rehash(&hash));
    }

    #[test]
    fn unusable_and_foreign_hashes_never_verify() {
        let hasher = PasswordHasher::default();
        for encoded in [
            "!unusable",
            "argon2$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
            "pbkdf2_sha256$0$s$aGFzaA==",
        ] {
            assert!(!hasher.verify(&secret(""), &PasswordHash::parse(encoded).unwrap()));
        }
        for unknown in [
            "md5$salt$0123abcd",
            "pbkdf2_sha256$x$salt$aGFzaA==",
            "argon2$argon2id$v=19$m=8,t=1$c2FsdA$aGFzaA",
            "bcrypt$$2b$12$short",
        ] {
            let hash = PasswordHash::parse(unknown).unwrap();
            assert!(!hasher.recognizes(&hash), "{unknown}");
        }
        assert!(PasswordHasher::new(0).is_err());
    }
}
