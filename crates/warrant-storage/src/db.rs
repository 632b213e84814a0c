//! What every aggregate's SQL runs on: the connection pools of whichever backend a store
//! opened, and each statement's deadline.
//!
//! The aggregates implement their traits once, for every store that has a [`Db`], and run
//! each statement through [`on_pool!`] (or [`fetch_optional!`], [`fetch_one!`],
//! [`fetch_all!`], [`execute!`] built on it) or [`in_transaction!`]: a `match` over the
//! backends whose arms are the same statement, so the statement is written once and typed
//! per backend. Where the backends need different SQL or a different strategy
//! (SQLite's batched access-token inserts, PostgreSQL's row locks) the aggregate matches
//! on [`Pools`] itself.

use std::time::Duration;

use async_trait::async_trait;

use crate::{Backend, Result, Store};

/// The pools of one backend.
#[derive(Debug, Clone)]
pub enum Pools {
    /// SQLite: readers in parallel, one writer (see [`SqliteStore`](crate::SqliteStore)).
    #[cfg(feature = "sqlite")]
    Sqlite {
        /// Reads, in parallel.
        reader: sqlx::SqlitePool,
        /// Writes, one at a time.
        writer: sqlx::SqlitePool,
        /// The write-ahead log's checkpoints (none for an in-memory database).
        checkpointer: Option<std::sync::Arc<crate::sqlite::Checkpointer>>,
    },
    /// PostgreSQL: one pool for reads and writes.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// A store's database: its pools, the queue that batches access-token inserts, and each
/// statement's deadline.
#[derive(Debug, Clone)]
pub struct Db {
    /// The backend's pools.
    pub pools: Pools,
    /// Access tokens written in batches (see [`token_batch`](crate::token_batch)).
    pub access_tokens: crate::token_batch::AccessTokenBatcher,
    /// How long one statement may take.
    pub deadline: Duration,
    /// How long statements waited for a connection.
    pub waits: std::sync::Arc<AcquireWaits>,
}

/// How long statements run outside a transaction waited for a pooled connection, since
/// the store opened (for metrics: a pool too small for its load shows here first).
#[derive(Debug, Default)]
pub struct AcquireWaits {
    acquired: std::sync::atomic::AtomicU64,
    waited_micros: std::sync::atomic::AtomicU64,
}

impl AcquireWaits {
    /// A connection of `pool`, the wait for it counted.
    pub(crate) async fn acquire<DB: sqlx::Database>(
        &self,
        pool: &sqlx::Pool<DB>,
    ) -> std::result::Result<sqlx::pool::PoolConnection<DB>, sqlx::Error> {
        use std::sync::atomic::Ordering::Relaxed;
        let started = std::time::Instant::now();
        let connection = pool.acquire().await?;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.acquired.fetch_add(1, Relaxed);
        self.waited_micros.fetch_add(micros, Relaxed);
        Ok(connection)
    }

    /// Connections handed out, and the seconds spent waiting for them in all.
    pub fn totals(&self) -> (u64, f64) {
        use std::sync::atomic::Ordering::Relaxed;
        let micros = self.waited_micros.load(Relaxed);
        // Exact below 2^53 microseconds (285 years of waiting).
        #[allow(clippy::cast_precision_loss)]
        let seconds = micros as f64 / 1_000_000.0;
        (self.acquired.load(Relaxed), seconds)
    }
}

/// A store that runs on a [`Db`]; every aggregate trait is implemented for it. Sealed: the
/// trait is public only so that the aggregates' implementations can name it.
pub trait Backed: Send + Sync {
    /// The store's database.
    fn db(&self) -> &Db;
}

/// Runs the statement future `$body` within the statement deadline, with `$pool` the
/// `$store`'s pool for `$side` (`reader` or `writer`): `on_pool!(self, reader, |pool|
/// query.fetch_one(pool))?`.
macro_rules! on_pool {
    ($store:expr, $side:ident, |$pool:ident| $body:expr) => {{
        let db = $crate::db::Backed::db($store);
        // Typed, so that it stays a `Result` when no backend is built.
        let answer: $crate::Result<_> = match db.pools {
            #[cfg(feature = "sqlite")]
            $crate::db::Pools::Sqlite {
                $side: ref pool_of_side,
                ..
            } => {
                let statement = async {
                    let mut connection = db.waits.acquire(pool_of_side).await?;
                    let $pool = &mut *connection;
                    $body.await
                };
                $crate::deadline::Within::within(statement, db.deadline).await
            }
            #[cfg(feature = "postgres")]
            $crate::db::Pools::Postgres(ref pool_of_side) => {
                let statement = async {
                    let mut connection = db.waits.acquire(pool_of_side).await?;
                    let $pool = &mut *connection;
                    $body.await
                };
                $crate::deadline::Within::within(statement, db.deadline).await
            }
        };
        answer
    }};
}
pub(crate) use on_pool;

/// The `$row` that `$sql` selects with the `$bind`s, if any, on `$store`'s pool for `$side`,
/// as the domain value it converts to.
macro_rules! fetch_optional {
    ($store:expr, $side:ident, $row:ty, $sql:expr $(, $bind:expr)* $(,)?) => {
        $crate::db::on_pool!($store, $side, |pool| {
            sqlx::query_as::<_, $row>($sql)$(.bind($bind))*.fetch_optional(pool)
        })
        .and_then(|row: Option<$row>| row.map(TryInto::try_into).transpose())
    };
}
pub(crate) use fetch_optional;

/// As [`fetch_optional!`], for exactly one row.
macro_rules! fetch_one {
    ($store:expr, $side:ident, $row:ty, $sql:expr $(, $bind:expr)* $(,)?) => {
        $crate::db::on_pool!($store, $side, |pool| {
            sqlx::query_as::<_, $row>($sql)$(.bind($bind))*.fetch_one(pool)
        })
        .and_then(|row: $row| row.try_into())
    };
}
pub(crate) use fetch_one;

/// As [`fetch_optional!`], for every row, in the order selected.
macro_rules! fetch_all {
    ($store:expr, $side:ident, $row:ty, $sql:expr $(, $bind:expr)* $(,)?) => {
        $crate::db::on_pool!($store, $side, |pool| {
            sqlx::query_as::<_, $row>($sql)$(.bind($bind))*.fetch_all(pool)
        })
        .and_then(|rows: Vec<$row>| rows.into_iter().map(TryInto::try_into).collect())
    };
}
pub(crate) use fetch_all;

/// Executes `$sql` with the `$bind`s on `$store`'s writing pool within the statement
/// deadline: how many rows it changed.
macro_rules! execute {
    ($store:expr, $sql:expr $(, $bind:expr)* $(,)?) => {{
        let changed: $crate::Result<u64> = $crate::db::on_pool!($store, writer, |pool| async {
            let done = sqlx::query($sql)$(.bind($bind))*.execute(pool).await;
            done.map(|done| done.rows_affected())
        });
        changed
    }};
}
pub(crate) use execute;

/// Runs the block `$body` in a transaction `$tx` on the writing pool, commits it and is the
/// block's value; a `?` in the block (or a failed commit) returns from the calling function
/// and rolls back. Each statement in the block runs `.within($deadline)`, the statement
/// deadline, as do the begin and the commit.
macro_rules! in_transaction {
    ($store:expr, |$tx:ident, $deadline:ident| $body:block) => {{
        let db = $crate::db::Backed::db($store);
        let $deadline = db.deadline;
        match db.pools {
            #[cfg(feature = "sqlite")]
            $crate::db::Pools::Sqlite { ref writer, .. } => {
                let mut $tx = $crate::deadline::Within::within(writer.begin(), $deadline).await?;
                let value = $body;
                $crate::deadline::Within::within($tx.commit(), $deadline).await?;
                value
            }
            #[cfg(feature = "postgres")]
            $crate::db::Pools::Postgres(ref writer) => {
                let mut $tx = $crate::deadline::Within::within(writer.begin(), $deadline).await?;
                let value = $body;
                $crate::deadline::Within::within($tx.commit(), $deadline).await?;
                value
            }
        }
    }};
}
pub(crate) use in_transaction;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn usage<DB: sqlx::Database>(pool: &'static str, of: &sqlx::Pool<DB>) -> crate::PoolUsage {
    crate::PoolUsage {
        pool,
        open: of.size(),
        idle: u32::try_from(of.num_idle()).unwrap_or(u32::MAX),
        max: of.options().get_max_connections(),
    }
}

#[async_trait]
impl<S: Backed> Store for S {
    async fn migrate(&self) -> Result<()> {
        match self.db().pools {
            #[cfg(feature = "sqlite")]
            Pools::Sqlite { ref writer, .. } => Ok(crate::sqlite::MIGRATOR.run(writer).await?),
            #[cfg(feature = "postgres")]
            Pools::Postgres(ref pool) => Ok(crate::postgres::MIGRATOR.run(pool).await?),
        }
    }

    async fn ping(&self) -> Result<()> {
        on_pool!(self, reader, |pool| async {
            sqlx::query("SELECT 1").execute(pool).await.map(drop)
        })
    }

    fn backend(&self) -> Backend {
        match self.db().pools {
            #[cfg(feature = "sqlite")]
            Pools::Sqlite { .. } => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    fn pool_usage(&self) -> Vec<crate::PoolUsage> {
        match self.db().pools {
            #[cfg(feature = "sqlite")]
            Pools::Sqlite {
                ref reader,
                ref writer,
                ..
            } => vec![usage("reader", reader), usage("writer", writer)],
            #[cfg(feature = "postgres")]
            Pools::Postgres(ref pool) => vec![usage("postgres", pool)],
        }
    }

    fn acquire_waits(&self) -> (u64, f64) {
        self.db().waits.totals()
    }

    async fn close(&self) {
        match self.db().pools {
            #[cfg(feature = "sqlite")]
            Pools::Sqlite {
                ref reader,
                ref writer,
                ref checkpointer,
                ..
            } => {
                if let Some(checkpointer) = checkpointer {
                    checkpointer.stop();
                }
                reader.close().await;
                writer.close().await;
            }
            #[cfg(feature = "postgres")]
            Pools::Postgres(ref pool) => pool.close().await,
        }
    }
}
