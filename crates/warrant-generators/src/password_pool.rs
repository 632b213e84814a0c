//! Password hashing off the async runtime: PBKDF2 at Django's 600,000 iterations takes
//! about 130 ms of one core, so run inline it would stall every request sharing the
//! runtime's thread. Each hash runs on a blocking thread instead, at most `workers` at once
//! with at most `waiting` more queued; beyond that a request is refused at once.

use std::sync::Arc;

use tokio::sync::Semaphore;
use warrant_model::{PasswordHash, Secret};

use crate::{GeneratorError, PasswordHasher};

/// How much password hashing may run and wait at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    /// Hashes computed at once (at least 1): the cores they may take.
    pub workers: usize,
    /// Hashes that may wait for a worker; one more is [`GeneratorError::Busy`].
    pub waiting: usize,
}

impl Default for HashingLimits {
    /// A worker per core, and 32 waiting per worker (about two seconds' work at 600,000
    /// iterations).
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self {
            workers: cores,
            waiting: cores * 32,
        }
    }
}

/// A [`PasswordHasher`] whose work runs on tokio's blocking threads within
/// [`HashingLimits`]. Cheap to clone; clones share the limits.
#[derive(Debug, Clone)]
pub struct PasswordPool {
    hasher: PasswordHasher,
    /// Permits to compute a hash now.
    workers: Arc<Semaphore>,
    /// Permits to be inside the pool at all (computing or waiting).
    admitted: Arc<Semaphore>,
}

impl PasswordPool {
    /// A pool running `hasher` within `limits`.
    pub fn new(hasher: PasswordHasher, limits: HashingLimits) -> Self {
        let workers = limits.workers.max(1);
        Self {
            hasher,
            workers: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(Semaphore::new(workers + limits.waiting)),
        }
    }

    /// The hasher, for work that is not on a request's path (`needs_rehash`, tests).
    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// Hashes a password with a fresh salt.
    pub async fn hash(&self, password: &Secret<String>) -> Result<PasswordHash, GeneratorError> {
        let password = password.clone();
        self.run(move |hasher| hasher.hash(&password)).await?
    }

    /// Whether `password` matches `hash`. Without a hash (no such user, or no usable
    /// password) it spends the same time and answers `false`, so response times do not tell
    /// which accounts exist.
    pub async fn verify(
        &self,
        password: &Secret<String>,
        hash: Option<&PasswordHash>,
    ) -> Result<bool, GeneratorError> {
        let (password, hash) = (password.clone(), hash.cloned());
        self.run(move |hasher| match &hash {
            Some(hash) => hasher.verify(&password, hash),
            None => {
                hasher.verify_nothing(&password);
                false
            }
        })
        .await
    }

    /// Runs `work` on a blocking thread once a worker is free; [`GeneratorError::Busy`]
    /// when the pool is full.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
    ) -> Result<T, GeneratorError> {
        let _admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| GeneratorError::Busy)?;
        let _worker = self
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| GeneratorError::Busy)?;
        let hasher = self.hasher;
        tokio::task::spawn_blocking(move || work(&hasher))
            .await
            .map_err(|_| GeneratorError::Password("the hashing thread failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> Secret<String> {
        Secret::new(text.to_owned())
    }

    #[tokio::test]
    async fn hashes_and_verifies_off_the_runtime() {
        let pool = PasswordPool::new(PasswordHasher::new(1000).unwrap(), HashingLimits::default());
        let hash = pool.hash(&secret("correct horse")).await.unwrap();
        assert!(
            pool.verify(&secret("correct horse"), Some(&hash))
                .await
                .unwrap()
        );
        assert!(!pool.verify(&secret("wrong"), Some(&hash)).await.unwrap());
        assert!(!pool.verify(&secret("correct horse"), None).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_its_limits_the_pool_refuses_at_once() {
        // Slow hashes, one at a time, one waiting: of five at once, three are refused.
        let limits = HashingLimits {
            workers: 1,
            waiting: 1,
        };
        let pool = PasswordPool::new(PasswordHasher::new(200_000).unwrap(), limits);
        let tries: Vec<_> = (0..5)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.verify(&secret("pw"), None).await })
            })
            .collect();
        let mut busy = 0;
        for attempt in tries {
            match attempt.await.unwrap() {
                Ok(matched) => assert!(!matched),
                Err(GeneratorError::Busy) => busy += 1,
                Err(other) => panic!("{other}"),
            }
        }
        assert_eq!(busy, 3);
        // Once they are done, it admits again.
        assert!(pool.verify(&secret("pw"), None).await.is_ok());
    }
}
