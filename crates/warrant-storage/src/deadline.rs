//! Every statement's deadline: a database that stops answering (a partition that drops
//! packets, a frozen server) would otherwise hold a request, and its pooled connection,
//! for as long as TCP keeps the connection open. Past the deadline the statement is
//! abandoned (the connection with it) and the caller gets [`StoreError::TimedOut`].

use std::future::Future;
use std::time::Duration;

use crate::{Result, StoreError};

/// A database call (a sqlx future, or a store operation) bounded by a deadline.
pub(crate) trait Within<T, E>: Future<Output = std::result::Result<T, E>> + Sized
where
    StoreError: From<E>,
{
    /// This call, failed as unavailable when it takes longer than `deadline`.
    fn within(self, deadline: Duration) -> impl Future<Output = Result<T>> {
        async move {
            match tokio::time::timeout(deadline, self).await {
                Ok(result) => Ok(result?),
                Err(_) => Err(StoreError::TimedOut(deadline)),
            }
        }
    }
}

impl<T, E, F> Within<T, E> for F
where
    F: Future<Output = std::result::Result<T, E>>,
    StoreError: From<E>,
{
}
