//! The SQLite backend: one file, WAL journal, foreign keys on.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::task::AbortHandle;

use crate::connect::open_error;
use crate::db::{Backed, Db, Pools};
use crate::token_batch::AccessTokenBatcher;
use crate::{ConnectOptions, Result, Store};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A [`Store`] on an SQLite database (`sqlite://warrant.db`, created if missing).
///
/// SQLite allows one writer at a time, and a connection that finds the database locked
/// sleeps in growing steps before retrying. So writes go through a pool of exactly one
/// connection, where they queue without sleeping, while reads use the other pool in
/// parallel (WAL lets them run beside the writer).
///
/// Under steady load some reader is always inside a transaction, and SQLite's automatic
/// checkpoint then never finds the moment it needs to start the write-ahead log over: the
/// log grows without bound (gigabytes in a minute of load) and every read searches more
/// of it. So a background task checkpoints four times a second: the bulk beside the
/// writer, then a `RESTART` through the writer, which holds writes back only for the last
/// moment's pages. The task stops with the last clone of the store.
#[derive(Debug, Clone)]
pub struct SqliteStore(Db);

/// How often the write-ahead log is checkpointed and started over: often enough that each
/// restart has little left to copy (at one second, restarts held writes for up to 100 ms).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

/// The largest the write-ahead log file stays after it starts over (by default SQLite
/// keeps the largest size it ever reached).
const JOURNAL_SIZE_LIMIT_BYTES: &str = "67108864";

/// Aborts the checkpoint task when the last clone of the store is dropped.
#[derive(Debug)]
pub struct Checkpointer(AbortHandle);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Checkpointer {
    /// Stops the task now (the store is closing).
    pub(crate) fn stop(&self) {
        self.0.abort();
    }

    fn spawn(readers: SqlitePool, writer: SqlitePool) -> Self {
        let task = tokio::spawn(async move {
            let first = tokio::time::Instant::now() + CHECKPOINT_INTERVAL;
            let mut ticks = tokio::time::interval_at(first, CHECKPOINT_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let checkpoint = async {
                    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(&readers)
                        .await?;
                    sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                        .execute(&writer)
                        .await
                };
                match checkpoint.await {
                    Ok(_) => {}
                    // The store is closing.
                    Err(sqlx::Error::PoolClosed) => return,
                    // The writer stayed busy (a long transaction, such as an import): the
                    // next tick tries again.
                    Err(sqlx::Error::PoolTimedOut) => {
                        tracing::debug!("SQLite checkpoint skipped: the writer is busy");
                    }
                    Err(error) => tracing::warn!(%error, "SQLite checkpoint failed"),
                }
            }
        });
        Self(task.abort_handle())
    }
}

impl SqliteStore {
    /// Opens (and creates, readable by its owner only) the database at `url`; one that
    /// cannot be opened is [`StoreError::Open`](crate::StoreError::Open).
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self> {
        let open_error = |error: sqlx::Error| open_error(url, &error);
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(open_error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT_BYTES)
            // The checkpoint task does this work; left on, SQLite would also copy pages
            // and sync inside the writer's commits once the log passes 1,000 pages.
            .pragma("wal_autocheckpoint", "0");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if !in_memory {
            create_private(connect.get_filename()).map_err(|e| open_error(e.into()))?;
        }
        // No ping before each use (sqlx's default): a file has no server to lose, and the
        // ping is one more hand-off to the connection's thread per statement.
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect.clone())
            .await
            .map_err(open_error)?;
        // Every connection to an in-memory database is a database of its own.
        let (reader, checkpointer) = if in_memory {
            (writer.clone(), None)
        } else {
            let reader = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await
                .map_err(open_error)?;
            let checkpointer = Checkpointer::spawn(reader.clone(), writer.clone());
            (reader, Some(Arc::new(checkpointer)))
        };
        Ok(Self(Db {
            pools: Pools::Sqlite {
                reader,
                writer: writer.clone(),
                checkpointer,
            },
            access_tokens: AccessTokenBatcher::spawn(writer, 1),
            deadline: options.query_timeout,
            waits: Default::default(),
        }))
    }
}

impl SqliteStore {
    /// A private database in memory, migrated, gone with the store: for tests, and for
    /// tools that need a store for a moment.
    pub async fn in_memory() -> Result<Self> {
        let store = Self::connect("sqlite::memory:", &ConnectOptions::default()).await?;
        store.migrate().await?;
        Ok(store)
    }
}

impl Backed for SqliteStore {
    fn db(&self) -> &Db {
        &self.0
    }
}

/// Creates the database file readable and writable by its owner only, unless it exists.
/// SQLite gives its `-wal` and `-shm` files the database file's permissions.
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => Err(error),
        _ => Ok(()),
    }
}
