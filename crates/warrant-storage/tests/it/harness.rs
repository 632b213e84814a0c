//! Scratch databases for the contract tests.

use std::path::PathBuf;
use std::sync::Arc;

use sqlx::{AssertSqlSafe, PgPool};
use warrant_generators::{hash_token, random_urlsafe};
use warrant_storage::{ConnectOptions, PgStore, SqliteStore, Store};

pub enum Location {
    SqliteDir(PathBuf),
    Postgres { admin_url: String, database: String },
}

pub struct TestDb {
    pub store: Arc<dyn Store>,
    location: Location,
}

pub fn unique_name() -> String {
    let random = random_urlsafe(16).unwrap();
    format!(
        "warrant_test_{}",
        &hash_token(random.expose()).to_hex()[..16]
    )
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(unique_name());
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("warrant.db").display());
        let store = SqliteStore::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        Self {
            store: Arc::new(store),
            location: Location::SqliteDir(dir),
        }
    }

    /// A fresh database on the server named by `WARRANT_TEST_POSTGRES_URL`, or `None`
    /// (and a notice) when the variable is not set.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var("WARRANT_TEST_POSTGRES_URL") else {
            eprintln!(
                "SKIPPED: WARRANT_TEST_POSTGRES_URL is not set, PostgreSQL contract test not run"
            );
            return None;
        };
        let database = unique_name();
        admin_execute(&admin_url, &format!("CREATE DATABASE {database}")).await;
        let store = PgStore::connect(
            &with_database(&admin_url, &database),
            &ConnectOptions::default(),
        )
        .await
        .unwrap();
        store.migrate().await.unwrap();
        Some(Self {
            store: Arc::new(store),
            location: Location::Postgres {
                admin_url,
                database,
            },
        })
    }

    /// The write-ahead log file of an SQLite test database.
    pub fn sqlite_wal(&self) -> Option<std::path::PathBuf> {
        match &self.location {
            Location::SqliteDir(dir) => Some(dir.join("warrant.db-wal")),
            Location::Postgres { .. } => None,
        }
    }

    /// The URL to connect to this database directly.
    pub fn url(&self) -> String {
        match &self.location {
            Location::SqliteDir(dir) => format!("sqlite://{}", dir.join("warrant.db").display()),
            Location::Postgres {
                admin_url,
                database,
            } => with_database(admin_url, database),
        }
    }

    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// Every byte the database holds: the SQLite files, or every PostgreSQL row as text.
    pub async fn dump(&self) -> Vec<u8> {
        match &self.location {
            Location::SqliteDir(dir) => {
                let mut bytes = Vec::new();
                for entry in std::fs::read_dir(dir).unwrap() {
                    bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
                }
                bytes
            }
            Location::Postgres {
                admin_url,
                database,
            } => {
                let pool = PgPool::connect(&with_database(admin_url, database))
                    .await
                    .unwrap();
                let tables: Vec<(String,)> = sqlx::query_as(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
                )
                .fetch_all(&pool)
                .await
                .unwrap();
                let mut dump = String::new();
                for (table,) in tables {
                    let sql =
                        format!("SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM {table} t");
                    let (rows,): (String,) = sqlx::query_as(AssertSqlSafe(sql))
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                    dump.push_str(&rows);
                }
                pool.close().await;
                dump.into_bytes()
            }
        }
    }
}

async fn admin_execute(admin_url: &str, sql: &str) {
    let admin = PgPool::connect(admin_url).await.unwrap();
    sqlx::query(AssertSqlSafe(sql.to_owned()))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
}

/// `url` with its database path replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{database}{query}", &base[..path_start])
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.location {
            Location::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Location::Postgres {
                admin_url,
                database,
            } => {
                // Runs even when the test panicked; a runtime of its own because Drop is sync.
                let (admin_url, name, store) =
                    (admin_url.clone(), database.clone(), self.store.clone());
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        store.close().await;
                        admin_execute(
                            &admin_url,
                            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        )
                        .await;
                    });
                })
                .join();
                if dropped.is_err() {
                    eprintln!("could not drop test database {database}");
                }
            }
        }
    }
}

#[test]
fn with_database_replaces_only_the_path() {
    assert_eq!(
        with_database("postgres://u@h:5432/test", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/test?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
}
