//! The PostgreSQL backend, for several instances sharing one database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};

use crate::connect::open_error;
use crate::db::{Backed, Db, Pools};
use crate::token_batch::AccessTokenBatcher;
use crate::{ConnectOptions, Result};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A [`Store`] on a PostgreSQL database (`postgres://user@host/db`).
#[derive(Debug, Clone)]
pub struct PgStore(Db);

/// How long a pooled connection may sit unused before it is pinged on its next use.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

impl PgStore {
    /// Connects to the database at `url`; one that cannot be reached or refuses the login
    /// is [`StoreError::Open`](crate::StoreError::Open).
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self> {
        let open_error = |error: sqlx::Error| open_error(url, &error);
        let connect = PgConnectOptions::from_str(url).map_err(open_error)?;
        // A pool retries until its acquire timeout and then reports only that it timed
        // out; one plain connection first says what is actually wrong (refused, no such
        // role, no such database).
        match tokio::time::timeout(
            options.acquire_timeout,
            PgConnection::connect_with(&connect),
        )
        .await
        {
            Ok(Ok(probe)) => {
                let _ = probe.close().await;
            }
            Ok(Err(error)) => return Err(open_error(error)),
            Err(_) => return Err(open_error(sqlx::Error::PoolTimedOut)),
        }
        // The server abandons a statement at the deadline too, so one the client gave up
        // on (a lock wait, say) does not go on holding what it holds.
        let statement_timeout = format!(
            "SET statement_timeout = {}",
            options.query_timeout.as_millis()
        );
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            // By default every acquisition pings the server first: a round trip per
            // statement. A connection in steady use is known to be alive; one that sat idle
            // (through a server restart or a firewall's timeout) is checked.
            .test_before_acquire(false)
            .after_connect(move |connection, _| {
                let statement_timeout = statement_timeout.clone();
                Box::pin(async move {
                    sqlx::query(sqlx::AssertSqlSafe(statement_timeout))
                        .execute(connection)
                        .await
                        .map(drop)
                })
            })
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_BEFORE_PING {
                        connection.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(connect)
            .await
            .map_err(open_error)?;
        // Half the pool writes tokens, so that reads (client lookups, introspection) find
        // connections free while batches commit.
        let token_writers = usize::try_from(options.max_connections / 2).unwrap_or(1);
        Ok(Self(Db {
            access_tokens: AccessTokenBatcher::spawn(pool.clone(), token_writers),
            pools: Pools::Postgres(pool),
            deadline: options.query_timeout,
            waits: Default::default(),
        }))
    }
}

impl Backed for PgStore {
    fn db(&self) -> &Db {
        &self.0
    }
}
