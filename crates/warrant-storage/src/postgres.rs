//! The PostgreSQL backend, for several instances sharing one database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};

use crate::connect::{open_error, redact_url};
use crate::db::{Backed, Db, Pools};
use crate::token_batch::AccessTokenBatcher;
use crate::{ConnectOptions, Result, StoreError};

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
        // role, no such database), and a second whether a pooler shares their sessions.
        match tokio::time::timeout(options.acquire_timeout, shares_server_sessions(&connect)).await
        {
            Ok(Ok(false)) => {}
            Ok(Ok(true)) => {
                return Err(StoreError::Open {
                    database: redact_url(url),
                    cause: "two connections share one server session: a pooler in transaction \
                            mode (pgbouncer's pool_mode = transaction) is in front of PostgreSQL"
                        .to_owned(),
                    advice: "give Warrant's database pool_mode = session (its prepared \
                             statements and statement_timeout belong to a session), or connect \
                             to PostgreSQL directly"
                        .to_owned(),
                });
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

/// Whether a statement one connection prepares can be run by a second: never on
/// PostgreSQL itself or through a pooler in session mode, but through one in transaction
/// mode, which hands each idle server session to whichever client connection asks next.
/// sqlx prepares every statement, and a statement prepared through one client connection
/// then runs on another's session ("prepared statement … already exists" or "does not
/// exist"), so Warrant refuses such a pooler at start rather than fail under load.
async fn shares_server_sessions(connect: &PgConnectOptions) -> sqlx::Result<bool> {
    const NO_SUCH_PREPARED_STATEMENT: &str = "26000";
    // A name of its own, so that instances starting together through one pooler never
    // run or deallocate each other's probe.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    let name = format!("warrant_session_probe_{}_{nanos}", std::process::id());
    let statement = |sql: String| sqlx::raw_sql(sqlx::AssertSqlSafe(sql));
    let mut first = PgConnection::connect_with(connect).await?;
    statement(format!("PREPARE {name} AS SELECT 1"))
        .execute(&mut first)
        .await?;
    let mut second = PgConnection::connect_with(connect).await?;
    let ran = statement(format!("EXECUTE {name}"))
        .execute(&mut second)
        .await;
    let _ = second.close().await;
    let shared = match ran {
        Ok(_) => true,
        Err(sqlx::Error::Database(db))
            if db.code().as_deref() == Some(NO_SUCH_PREPARED_STATEMENT) =>
        {
            false
        }
        Err(error) => return Err(error),
    };
    let _ = statement(format!("DEALLOCATE {name}"))
        .execute(&mut first)
        .await;
    let _ = first.close().await;
    Ok(shared)
}

impl Backed for PgStore {
    fn db(&self) -> &Db {
        &self.0
    }
}
