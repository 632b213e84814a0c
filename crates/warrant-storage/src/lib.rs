//! Persistence for Warrant: the [`Store`] trait and its two implementations,
//! [`SqliteStore`] (the embedded default) and [`PgStore`] (for several instances sharing
//! one database), with the schema's migrations.
//!
//! The trait is split by aggregate (users, applications, tokens, …) into supertraits so
//! each lives in its own module; business code holds an `Arc<dyn Store>` and imports
//! [`prelude`]. Both backends run the same SQL (written once per statement, typed per
//! backend where it runs) and pass the same contract tests; only the DDL in `migrations/`
//! differs.
//!
//! Invariants: tokens, codes, client secrets and API tokens arrive here already hashed
//! ([`warrant_model::TokenHash`]); values that must be read back arrive sealed. Timestamps
//! are stored in UTC at whole seconds. Multi-instance safety comes from the database
//! (conditional updates, transactions), never from in-process state.
//!
//! Features `sqlite` and `postgres` (both on by default) compile the two backends; without
//! them the crate is the trait and its types, for code that is handed a store.
//!
//! This crate must not know about HTTP, OAuth flows or how values are generated.

#![forbid(unsafe_code)]
// The aggregates' rows and SQL are used only by a backend: with neither built, they are
// unused.
#![cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(unused))]

mod api_tokens;
mod applications;
mod audit;
mod cleanup;
mod connect;
mod consents;
mod db;
mod deadline;
mod devices;
mod error;
mod imports;
mod outbox;
#[cfg(feature = "postgres")]
mod postgres;
mod pushed_requests;
mod registrations;
mod rows;
mod sessions;
mod signing_keys;
#[cfg(feature = "sqlite")]
mod sqlite;
mod throttles;
mod time_utc;
mod token_batch;
mod tokens;
mod upstream;
mod used_assertions;
mod users;

use async_trait::async_trait;

pub use api_tokens::ApiTokenStore;
pub use applications::ApplicationStore;
pub use audit::{AuditFilter, AuditStore};
pub use cleanup::{CleanupStore, Expired};
pub use connect::{ConnectOptions, connect, default_max_connections, redact_url};
pub use consents::ConsentStore;
pub use devices::{DeviceDecision, DeviceStore};
pub use error::{StoreError, Unique};
pub use imports::{
    ImportStore, ImportTransaction, ImportedApplication, ImportedConnection, ImportedToken,
    ImportedUser, Outcome,
};
pub use outbox::{OutboxStore, SyncTo};
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
pub use pushed_requests::PushedRequestStore;
pub use registrations::RegistrationStore;
pub use sessions::SessionStore;
pub use signing_keys::SigningKeyStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use throttles::ThrottleStore;
pub use time_utc::stored_time;
pub use tokens::{AccessTokenFilter, CodeRedemption, DescribedAccessToken, TokenStore};
pub use upstream::UpstreamStore;
pub use used_assertions::UsedAssertionStore;
pub use users::{UserFilter, UserStore};

/// Everything needed to call a store's methods: `use warrant_storage::prelude::*;`.
pub mod prelude {
    pub use crate::{
        ApiTokenStore, ApplicationStore, AuditStore, CleanupStore, ConsentStore, DeviceStore,
        ImportStore, OutboxStore, PushedRequestStore, RegistrationStore, SessionStore,
        SigningKeyStore, Store, ThrottleStore, TokenStore, UpstreamStore, UsedAssertionStore,
        UserStore,
    };
}

/// A `Result` whose error is a [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Keyset pagination: rows with an id greater than `after`, at most `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The last id of the previous page.
    pub after: Option<i64>,
    /// Page size.
    pub limit: u32,
}

impl Page {
    /// The first page of `limit` rows.
    pub fn first(limit: u32) -> Self {
        Self { after: None, limit }
    }
}

/// One connection pool's connections at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// `reader` or `writer` (SQLite), `postgres`.
    pub pool: &'static str,
    /// Connections open.
    pub open: u32,
    /// Of those, waiting to be used.
    pub idle: u32,
    /// The most it opens (`database.max_connections`).
    pub max: u32,
}

/// Which database a store talks to (for logs and `warrant check`; business logic never
/// branches on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (or memory).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Warrant's persistence: every aggregate's operations, plus schema and health.
#[async_trait]
pub trait Store:
    UserStore
    + ApplicationStore
    + TokenStore
    + ConsentStore
    + SessionStore
    + ApiTokenStore
    + UpstreamStore
    + OutboxStore
    + SigningKeyStore
    + DeviceStore
    + CleanupStore
    + ThrottleStore
    + ImportStore
    + RegistrationStore
    + PushedRequestStore
    + UsedAssertionStore
    + AuditStore
    + Send
    + Sync
{
    /// Applies pending migrations (safe to run from several instances at once).
    async fn migrate(&self) -> Result<()>;

    /// Checks that the database answers (readiness).
    async fn ping(&self) -> Result<()>;

    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// How full each connection pool is now (metrics).
    fn pool_usage(&self) -> Vec<PoolUsage>;

    /// Connections handed to statements run outside a transaction since the store opened,
    /// and the seconds those statements waited for them in all (metrics).
    fn acquire_waits(&self) -> (u64, f64);

    /// Closes the connection pool.
    async fn close(&self);
}
