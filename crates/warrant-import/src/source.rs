//! The Django site's database, read and never written: one connection in a read-only
//! transaction (on PostgreSQL a repeatable-read snapshot, so every table is read as of one
//! moment), its tables and columns known up front, its rows read a page at a time.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{ConnectOptions, Connection, FromRow};

use crate::ImportError;

/// How long one statement on the Django database may take.
const STATEMENT_DEADLINE: Duration = Duration::from_secs(60);

enum Db {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

/// The SQL spelling of each backend, where Django's column types differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A timestamp column as seconds since the epoch (NULL stays NULL).
    pub(crate) fn epoch(self, column: &str) -> String {
        match self {
            Self::Sqlite => format!("CAST(strftime('%s', {column}) AS BIGINT)"),
            Self::Postgres => format!("CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"),
        }
    }
}

/// An open Django database.
pub(crate) struct Source {
    db: Db,
    /// The tables present, with their columns.
    tables: HashMap<String, HashSet<String>>,
    /// The URL without its password, for messages.
    url: String,
}

/// Runs `$body` on the source's connection `$conn`, whichever backend it is, within the
/// statement deadline.
macro_rules! on_source {
    ($source:expr, |$conn:ident| $body:expr) => {{
        let url = $source.url.clone();
        let answer = match $source.db {
            Db::Sqlite(ref mut $conn) => within(&url, $body).await,
            Db::Postgres(ref mut $conn) => within(&url, $body).await,
        };
        answer
    }};
}

async fn within<T>(
    url: &str,
    query: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, ImportError> {
    match tokio::time::timeout(STATEMENT_DEADLINE, query).await {
        Ok(answer) => answer.map_err(|cause| ImportError::Source {
            url: url.to_owned(),
            cause,
        }),
        Err(_) => Err(ImportError::SourceTimedOut {
            url: url.to_owned(),
            seconds: STATEMENT_DEADLINE.as_secs(),
        }),
    }
}

impl Source {
    /// Opens the Django database at `url` (`sqlite:…` or `postgres://…`) read-only and
    /// learns its tables.
    pub(crate) async fn open(url: &str) -> Result<Self, ImportError> {
        let shown = warrant_storage::redact_url(url);
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|cause| ImportError::source(&shown, cause))?
                .read_only(true);
            Db::Sqlite(within(&shown, options.connect()).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|cause| ImportError::source(&shown, cause))?;
            Db::Postgres(within(&shown, options.connect()).await?)
        } else {
            return Err(ImportError::UnsupportedUrl(shown));
        };
        let mut source = Self {
            db,
            tables: HashMap::new(),
            url: shown,
        };
        let begin = match source.dialect() {
            Dialect::Sqlite => "BEGIN",
            Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        source.execute(begin).await?;
        source.tables = source.read_tables().await?;
        Ok(source)
    }

    /// Ends the read transaction and closes the connection.
    pub(crate) async fn close(mut self) -> Result<(), ImportError> {
        self.execute("ROLLBACK").await?;
        match self.db {
            Db::Sqlite(conn) => within(&self.url, conn.close()).await,
            Db::Postgres(conn) => within(&self.url, conn.close()).await,
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self.db {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The URL without its password.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    async fn execute(&mut self, sql: &'static str) -> Result<(), ImportError> {
        on_source!(self, |conn| async {
            sqlx::raw_sql(sql).execute(&mut *conn).await.map(drop)
        })
    }

    async fn read_tables(&mut self) -> Result<HashMap<String, HashSet<String>>, ImportError> {
        let sql = match self.dialect() {
            Dialect::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table'"
            }
            Dialect::Postgres => {
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema()"
            }
        };
        let columns: Vec<(String, String)> = self.rows(sql, &[]).await?;
        let mut tables: HashMap<String, HashSet<String>> = HashMap::new();
        for (table, column) in columns {
            tables.entry(table).or_default().insert(column);
        }
        Ok(tables)
    }

    /// Whether `table` is present; if it is, it must have every one of `required` columns.
    pub(crate) fn has_table(&self, table: &str, required: &[&str]) -> Result<bool, ImportError> {
        let Some(columns) = self.tables.get(table) else {
            return Ok(false);
        };
        match required.iter().find(|column| !columns.contains(**column)) {
            Some(missing) => Err(ImportError::HalfMigrated {
                table: table.to_owned(),
                column: (*missing).to_owned(),
            }),
            None => Ok(true),
        }
    }

    /// `column` of `table` (as `alias.column`) if the table has it (older releases lack
    /// some), else `NULL`.
    pub(crate) fn optional(&self, table: &str, alias: &str, column: &str) -> String {
        let present = self
            .tables
            .get(table)
            .is_some_and(|columns| columns.contains(column));
        if present {
            format!("{alias}.{column}")
        } else {
            "NULL".to_owned()
        }
    }

    /// The rows `sql` selects with `binds` (integers), as `R`.
    pub(crate) async fn rows<R>(&mut self, sql: &str, binds: &[i64]) -> Result<Vec<R>, ImportError>
    where
        R: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        on_source!(self, |conn| {
            let mut query = sqlx::query_as::<_, R>(sql);
            for bind in binds {
                query = query.bind(*bind);
            }
            query.fetch_all(&mut *conn)
        })
    }

    /// How many rows `table` has.
    pub(crate) async fn count(&mut self, table: &str) -> Result<i64, ImportError> {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let (count,): (i64,) = self
            .rows::<(i64,)>(&sql, &[])
            .await?
            .into_iter()
            .next()
            .unwrap_or((0,));
        Ok(count)
    }
}
