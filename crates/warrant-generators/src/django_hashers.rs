//! Verifying the hashes of Django's other password hashers (`PASSWORD_HASHERS`): PBKDF2
//! with SHA-1, Argon2, bcrypt (with and without SHA-256 first) and scrypt, in Django's
//! encodings, so that users imported from a Django site log in with their old password.
//! Warrant never makes these: the first successful login re-hashes the password Warrant's
//! way ([`PasswordHasher::needs_rehash`](crate::PasswordHasher::needs_rehash)).
//!
//! A stored hash that does not parse, or whose cost is beyond the bounds below (a hash
//! that would hold a hashing thread for minutes or take gigabytes), never verifies.

use std::num::NonZeroU32;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use ring::{digest, pbkdf2};
use warrant_model::Secret;

use crate::hashing::constant_time_eq;
use crate::password::MAX_PBKDF2_ITERATIONS;

/// The most memory an Argon2 hash may ask for, in KiB (Django uses 100 MiB).
const MAX_ARGON2_MEMORY_KIB: u32 = 1024 * 1024;
/// The most passes and lanes an Argon2 hash may ask for.
const MAX_ARGON2_TIME: u32 = 64;
const MAX_ARGON2_LANES: u32 = 64;
/// The highest bcrypt cost (Django uses 12; each step doubles the work).
const MAX_BCRYPT_COST: u32 = 16;
/// The highest scrypt work factor, as log2(N) (Django uses N = 2^14), and block size and
/// parallelism (Django: 8 and 1; the vectors 8 and 5).
const MAX_SCRYPT_LOG_N: u8 = 20;
const MAX_SCRYPT_R: u32 = 32;
const MAX_SCRYPT_P: u32 = 16;

/// Whether `password` matches `encoded`, a hash of one of Django's hashers other than
/// `pbkdf2_sha256` (which [`PasswordHasher`](crate::PasswordHasher) verifies itself).
pub(crate) fn verify(password: &Secret<String>, encoded: &str) -> bool {
    Hash::parse(encoded).is_some_and(|hash| hash.verify(password.expose().as_bytes()))
}

/// Whether `encoded` is a well-formed hash of one of these hashers, within the bounds.
pub(crate) fn recognized(encoded: &str) -> bool {
    Hash::parse(encoded).is_some()
}

/// A parsed hash of one of Django's other hashers.
enum Hash<'a> {
    /// `pbkdf2_sha1$<iterations>$<salt>$<base64 digest>`.
    Pbkdf2Sha1 {
        iterations: NonZeroU32,
        salt: &'a str,
        expected: Vec<u8>,
    },
    /// `argon2$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<base64 salt>$<base64 hash>`
    /// (argon2-cffi's encoding after Django's `argon2` prefix; `argon2i`, `argon2d` too).
    Argon2 {
        argon2: argon2::Argon2<'static>,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
    /// `$2b$<cost>$<salt and hash>` after Django's `bcrypt_sha256$` or `bcrypt$` prefix;
    /// with `bcrypt_sha256` bcrypt is handed the hex of the password's SHA-256, so that
    /// passwords longer than bcrypt's 72 bytes count in full.
    Bcrypt {
        sha256_first: bool,
        encoded: &'a str,
    },
    /// `scrypt$<N>$<salt>$<r>$<p>$<base64 hash>`.
    Scrypt {
        params: scrypt::Params,
        salt: &'a str,
        expected: Vec<u8>,
    },
}

impl<'a> Hash<'a> {
    fn parse(encoded: &'a str) -> Option<Self> {
        let (algorithm, rest) = encoded.split_once('$')?;
        match algorithm {
            "pbkdf2_sha1" => Self::pbkdf2_sha1(rest),
            "argon2" => Self::argon2(rest),
            "bcrypt_sha256" => Self::bcrypt(true, rest),
            "bcrypt" => Self::bcrypt(false, rest),
            "scrypt" => Self::scrypt(rest),
            _ => None,
        }
    }

    fn pbkdf2_sha1(rest: &'a str) -> Option<Self> {
        let [iterations, salt, digest] = fields(rest)?;
        let iterations = NonZeroU32::new(iterations.parse().ok()?)?;
        if iterations.get() > MAX_PBKDF2_ITERATIONS {
            return None;
        }
        let expected = STANDARD.decode(digest).ok()?;
        Some(Self::Pbkdf2Sha1 {
            iterations,
            salt,
            expected,
        })
    }

    fn argon2(rest: &'a str) -> Option<Self> {
        let [variant, version, costs, salt, hash] = fields(rest)?;
        let algorithm = match variant {
            "argon2id" => argon2::Algorithm::Argon2id,
            "argon2i" => argon2::Algorithm::Argon2i,
            "argon2d" => argon2::Algorithm::Argon2d,
            _ => return None,
        };
        let version = match version {
            "v=19" => argon2::Version::V0x13,
            "v=16" => argon2::Version::V0x10,
            _ => return None,
        };
        let (mut memory, mut time, mut lanes) = (None, None, None);
        for cost in costs.split(',') {
            let (name, value) = cost.split_once('=')?;
            let value: u32 = value.parse().ok()?;
            match name {
                "m" => memory = Some(value),
                "t" => time = Some(value),
                "p" => lanes = Some(value),
                _ => return None,
            }
        }
        let (memory, time, lanes) = (memory?, time?, lanes?);
        if memory > MAX_ARGON2_MEMORY_KIB || time > MAX_ARGON2_TIME || lanes > MAX_ARGON2_LANES {
            return None;
        }
        let salt = STANDARD_NO_PAD.decode(salt).ok()?;
        let expected = STANDARD_NO_PAD.decode(hash).ok()?;
        let params = argon2::Params::new(memory, time, lanes, Some(expected.len())).ok()?;
        Some(Self::Argon2 {
            argon2: argon2::Argon2::new(algorithm, version, params),
            salt,
            expected,
        })
    }

    fn bcrypt(sha256_first: bool, encoded: &'a str) -> Option<Self> {
        let [empty, variant, cost, salt_and_hash] = fields(encoded)?;
        let cost: u32 = cost.parse().ok()?;
        let known = empty.is_empty() && ["2a", "2b", "2y"].contains(&variant);
        // 22 characters of salt and 31 of hash, in bcrypt's base64.
        (known && (4..=MAX_BCRYPT_COST).contains(&cost) && salt_and_hash.len() == 53).then_some(
            Self::Bcrypt {
                sha256_first,
                encoded,
            },
        )
    }

    fn scrypt(rest: &'a str) -> Option<Self> {
        let [work, salt, block_size, parallelism, hash] = fields(rest)?;
        let work: u64 = work.parse().ok()?;
        if !work.is_power_of_two() {
            return None;
        }
        let log_n = u8::try_from(work.trailing_zeros()).ok()?;
        let (block_size, parallelism): (u32, u32) =
            (block_size.parse().ok()?, parallelism.parse().ok()?);
        if log_n > MAX_SCRYPT_LOG_N || block_size > MAX_SCRYPT_R || parallelism > MAX_SCRYPT_P {
            return None;
        }
        let expected = STANDARD.decode(hash).ok()?;
        let params = scrypt::Params::new(log_n, block_size, parallelism).ok()?;
        Some(Self::Scrypt {
            params,
            salt,
            expected,
        })
    }

    fn verify(&self, password: &[u8]) -> bool {
        match self {
            Self::Pbkdf2Sha1 {
                iterations,
                salt,
                expected,
            } => pbkdf2::verify(
                pbkdf2::PBKDF2_HMAC_SHA1,
                *iterations,
                salt.as_bytes(),
                password,
                expected,
            )
            .is_ok(),
            Self::Argon2 {
                argon2,
                salt,
                expected,
            } => {
                let mut derived = vec![0u8; expected.len()];
                argon2
                    .hash_password_into(password, salt, &mut derived)
                    .is_ok_and(|()| constant_time_eq(&derived, expected))
            }
            Self::Bcrypt {
                sha256_first: true,
                encoded,
            } => bcrypt::verify(sha256_hex(password), encoded).unwrap_or(false),
            Self::Bcrypt { encoded, .. } => bcrypt::verify(password, encoded).unwrap_or(false),
            Self::Scrypt {
                params,
                salt,
                expected,
            } => {
                let mut derived = vec![0u8; expected.len()];
                scrypt::scrypt(password, salt.as_bytes(), params, &mut derived)
                    .is_ok_and(|()| constant_time_eq(&derived, expected))
            }
        }
    }
}

/// The hex of the password's SHA-256, as Django's `BCryptSHA256PasswordHasher` makes it.
fn sha256_hex(password: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, password)
        .as_ref()
        .iter()
        .flat_map(|byte| format!("{byte:02x}").into_bytes())
        .collect()
}

/// Exactly `N` `$`-separated fields.
fn fields<const N: usize>(text: &str) -> Option<[&str; N]> {
    let fields: Vec<&str> = text.split('$').collect();
    fields.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by Django 5.2 itself; the file's header says how.
    const VECTORS: &str = include_str!("../tests/data/django-hashers.txt");

    fn secret(text: &str) -> Secret<String> {
        Secret::new(text.to_owned())
    }

    fn vectors(prefix: &str) -> Vec<(&'static str, &'static str)> {
        let vectors: Vec<_> = VECTORS
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once('\t'))
            .filter(|(_, encoded)| encoded.starts_with(prefix))
            .collect();
        assert!(!vectors.is_empty(), "no {prefix} vectors");
        vectors
    }

    fn check(prefix: &str) {
        for (password, encoded) in vectors(prefix) {
            assert!(verify(&secret(password), encoded), "{encoded}");
            let wrong = format!("{password}x");
            assert!(!verify(&secret(&wrong), encoded), "{encoded}");
        }
    }

    #[test]
    fn pbkdf2_sha1_verifies_djangos_hashes() {
        check("pbkdf2_sha1$");
    }

    #[test]
    fn argon2_verifies_djangos_hashes() {
        check("argon2$");
    }

    #[test]
    fn bcrypt_sha256_verifies_djangos_hashes() {
        check("bcrypt_sha256$");
    }

    #[test]
    fn scrypt_verifies_djangos_hashes() {
        check("scrypt$");
    }

    #[test]
    fn unusable_malformed_and_too_costly_hashes_never_verify() {
        for (_, encoded) in vectors("!") {
            assert!(!verify(&secret(""), encoded));
        }
        let (password, argon2) = vectors("argon2$")[0];
        let costly = argon2.replace("m=102400", "m=4194304");
        for encoded in [
            costly.as_str(),
            "argon2$argon2id$v=19$m=8,t=1$c2FsdHNhbHQ$aGFzaA",
            "scrypt$16385$salt$8$1$aGFzaA==",
            "scrypt$2097152$salt$8$1$aGFzaA==",
            "bcrypt_sha256$$2b$20$I3frrgATbD3U5omzgQm1CO3op9.tGUgP4apHaQm2quadw4NXSVQGi",
            "pbkdf2_sha1$0$salt$aGFzaA==",
            "md5$salt$0123",
            "nonsense",
        ] {
            assert!(!verify(&secret(password), encoded), "{encoded}");
        }
    }
}
