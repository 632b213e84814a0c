use std::fmt;

use thiserror::Error;

/// What can go wrong talking to the database.
///
/// Messages carry their cause in their text and expose no `source()`: a report that
/// prints the chain (`{:#}`) would otherwise say every cause two or three times.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database could not be opened: the message names it (without a password), the
    /// cause, and what to check.
    #[error("cannot open database {database}: {cause}; {advice}")]
    Open {
        /// The database URL, its password redacted.
        database: String,
        /// What failed, once.
        cause: String,
        /// What to check.
        advice: String,
    },
    /// The database cannot be reached or is overloaded; retrying later may succeed.
    /// HTTP maps this to 503 `temporarily_unavailable`.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// A statement did not finish within the store's deadline (the database is stuck or
    /// unreachable); it was abandoned. HTTP maps this to 503 like [`StoreError::Unavailable`].
    #[error("the database did not answer within {} s", .0.as_secs_f64())]
    TimedOut(std::time::Duration),
    /// A unique value is already taken.
    #[error("{0} is already taken")]
    Conflict(Unique),
    /// The row to change, or a row it refers to, does not exist.
    #[error("not found")]
    NotFound,
    /// A stored value no longer parses into its domain type.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    /// The database URL names no supported backend.
    #[error("unsupported database URL {0:?}: expected sqlite:… or postgres://…")]
    UnsupportedUrl(String),
    /// The URL names a backend this build left out.
    #[error("this build of warrant-storage has no {0} backend: build it with its `{0}` feature")]
    BackendNotBuilt(&'static str),
}

impl StoreError {
    /// Whether the database is down or stuck (retrying later may succeed), not the request
    /// wrong: answered 503.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::TimedOut(_))
    }
}

/// Which uniqueness rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// `users.username`.
    Username,
    /// `users.email`.
    Email,
    /// `applications.client_id`.
    ClientId,
    /// A token, code or API-token hash.
    TokenHash,
    /// An upstream account already linked.
    UpstreamAccount,
    /// A signing key id.
    KeyId,
    /// Another rule.
    Other,
}

impl fmt::Display for Unique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Username => "username",
            Self::Email => "email",
            Self::ClientId => "client_id",
            Self::TokenHash => "token hash",
            Self::UpstreamAccount => "upstream account",
            Self::KeyId => "key id",
            Self::Other => "value",
        })
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Migrate(error)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                // PostgreSQL names the constraint; SQLite names table.column. Both name the
                // column, which is what we match on.
                let text = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
                Self::Conflict(unique_rule(&text))
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => Self::NotFound,
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::Unavailable(error),
            sqlx::Error::Database(ref db) if is_transient(db.code().as_deref()) => {
                Self::Unavailable(error)
            }
            other => Self::Database(other),
        }
    }
}

fn unique_rule(text: &str) -> Unique {
    [
        ("username", Unique::Username),
        ("email", Unique::Email),
        ("client_id", Unique::ClientId),
        ("_hash", Unique::TokenHash),
        ("provider", Unique::UpstreamAccount),
        ("kid", Unique::KeyId),
        ("signing_keys", Unique::KeyId),
    ]
    .into_iter()
    .find(|(needle, _)| text.contains(needle))
    .map_or(Unique::Other, |(_, rule)| rule)
}

/// SQLite busy/locked; PostgreSQL connection exceptions (08), insufficient resources such
/// as too many connections (53), shutdown (57P), and a database that does not exist (3D000,
/// e.g. dropped or not yet created): the service is down, not the request wrong.
fn is_transient(code: Option<&str>) -> bool {
    code.is_some_and(|c| {
        matches!(c, "5" | "6" | "261" | "517" | "3D000")
            || c.starts_with("08")
            || c.starts_with("53")
            || c.starts_with("57P")
    })
}

/// Turns a parse failure of stored data into [`StoreError::Corrupt`].
pub(crate) fn corrupt(error: impl fmt::Display) -> StoreError {
    StoreError::Corrupt(error.to_string())
}

/// How a storage failure is told to an OAuth client: `temporarily_unavailable` when the
/// database cannot be reached (the client may retry), `server_error` otherwise; the cause
/// is logged, never sent.
impl From<StoreError> for warrant_model::OAuthError {
    fn from(error: StoreError) -> Self {
        match error {
            error if error.is_unavailable() => {
                tracing::warn!(%error, "database unavailable");
                Self::TemporarilyUnavailable
            }
            other => {
                tracing::error!(error = %other, "storage failure");
                Self::ServerError
            }
        }
    }
}
