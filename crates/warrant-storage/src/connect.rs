use std::sync::Arc;
use std::time::Duration;

use crate::{Result, Store, StoreError};

/// Pool settings.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long a query waits for a free connection before the store reports itself
    /// unavailable.
    pub acquire_timeout: Duration,
    /// How long one statement may take before it is abandoned and the store reports
    /// itself unavailable (on PostgreSQL also its `statement_timeout`).
    pub query_timeout: Duration,
}

/// Twice the CPU cores: the database works on the same cores, and more connections than
/// it can serve at once only add switching. Measured on 2 cores, 4 PostgreSQL connections
/// answered 23,000 introspections a second where 16 answered 15,000.
pub fn default_max_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    u32::try_from(cores.saturating_mul(2)).unwrap_or(u32::MAX)
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: default_max_connections(),
            acquire_timeout: Duration::from_secs(5),
            query_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens the store `url` names: `sqlite:…` or `postgres://…` / `postgresql://…`. A
/// database that cannot be opened is [`StoreError::Open`].
pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        #[cfg(feature = "sqlite")]
        return Ok(Arc::new(crate::SqliteStore::connect(url, options).await?));
        #[cfg(not(feature = "sqlite"))]
        return Err(StoreError::BackendNotBuilt("sqlite"));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return Ok(Arc::new(crate::PgStore::connect(url, options).await?));
        #[cfg(not(feature = "postgres"))]
        return Err(StoreError::BackendNotBuilt("postgres"));
    }
    let _ = options;
    Err(StoreError::UnsupportedUrl(url.to_owned()))
}

/// `url` with its password replaced by `redacted`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Why the database at `url` could not be opened, as [`StoreError::Open`]: the cause said
/// once (no driver prefixes, no server source lines) and what to check.
pub(crate) fn open_error(url: &str, error: &sqlx::Error) -> StoreError {
    let postgres = !url.starts_with("sqlite:");
    let (cause, advice) = match error {
        sqlx::Error::Io(io) => {
            let cause = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
                _ => io.to_string(),
            };
            let advice = if postgres {
                "check that PostgreSQL is running and listens at the host and port of the URL"
            } else {
                "check that the file's directory exists and this user may write to it"
            };
            (cause, advice)
        }
        sqlx::Error::Database(db) => {
            let advice = match db.code().as_deref() {
                // invalid_password, invalid_authorization_specification (unknown role,
                // refused by pg_hba.conf).
                Some("28P01" | "28000") => {
                    "check the user name and password in the URL, and PostgreSQL's pg_hba.conf"
                }
                Some("3D000") => {
                    "create the database (createdb NAME) or correct its name in the URL"
                }
                // SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY.
                Some("14" | "3" | "8") => {
                    "check that the file's directory exists and this user may write to it"
                }
                _ => "check the URL and that the database accepts connections",
            };
            (db.message().to_owned(), advice)
        }
        sqlx::Error::Configuration(config) => (
            format!("the URL is not valid ({config})"),
            "write it as sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE",
        ),
        sqlx::Error::PoolTimedOut => (
            "no answer in time".to_owned(),
            "check that the database server is reachable and not overloaded",
        ),
        other => (
            other.to_string(),
            "check the URL and that the database accepts connections",
        ),
    };
    StoreError::Open {
        database: redact_url(url),
        cause,
        advice: advice.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_only() {
        assert_eq!(
            redact_url("postgres://warrant:s3cret@db:5432/warrant"),
            "postgres://warrant:redacted@db:5432/warrant"
        );
        assert_eq!(
            redact_url("postgres://warrant@db/warrant"),
            "postgres://warrant@db/warrant"
        );
        assert_eq!(redact_url("sqlite://warrant.db"), "sqlite://warrant.db");
    }

    /// Runs in CI's PostgreSQL-only build of this crate (`cargo xtask ci`, light builds).
    #[cfg(not(feature = "sqlite"))]
    #[tokio::test]
    async fn a_backend_left_out_of_the_build_is_named() {
        let refused = connect("sqlite::memory:", &ConnectOptions::default()).await;
        assert!(
            matches!(refused, Err(StoreError::BackendNotBuilt("sqlite"))),
            "{:?}",
            refused.err()
        );
    }
}
