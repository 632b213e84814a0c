//! The mirror: the server's users as this client app keeps them, in its own database
//! (SQLite or PostgreSQL) under its own migrations table, so it sits beside the app's own
//! schema. API tokens and passwords are kept as hashes only.

use sqlx::{PgPool, SqlitePool};
use time::OffsetDateTime;
use warrant_generators::{PasswordPool, hash_token, random_urlsafe};
use warrant_model::{PasswordHash, Secret, TokenHash};

use super::record::UserRecord;
use crate::SyncError;

/// Where the mirror's migrations are recorded (not `_sqlx_migrations`, which the app's own
/// migrations may use).
const MIGRATIONS_TABLE: &str = "warrant_client_sync_migrations";

/// A user as the client app mirrors them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MirroredUser {
    /// Local id.
    pub id: i64,
    /// Login name (the server's).
    pub username: String,
    /// Email, `""` for none.
    pub email: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Whether the user may log in and use tokens.
    pub is_active: bool,
    /// Staff flag.
    pub is_staff: bool,
    /// Superuser flag.
    pub is_superuser: bool,
    /// ocs-authentication's `staff_view`.
    pub staff_view: bool,
}

/// The mirror store.
#[derive(Debug, Clone)]
pub enum MirrorStore {
    /// An SQLite database.
    Sqlite(SqlitePool),
    /// A PostgreSQL database.
    Postgres(PgPool),
}

macro_rules! columns {
    () => {
        "id, username, email, first_name, last_name, is_active, is_staff, is_superuser, staff_view"
    };
}

/// Evaluates `$body` with `$pool` bound to whichever pool the store has.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            MirrorStore::Sqlite($pool) => $body,
            MirrorStore::Postgres($pool) => $body,
        }
    };
}

impl MirrorStore {
    /// Opens `url` (`sqlite://PATH`, created if missing and readable by its owner only, or
    /// `postgres://…`).
    pub async fn connect(url: &str) -> Result<Self, SyncError> {
        if url.starts_with("sqlite:") {
            let options: sqlx::sqlite::SqliteConnectOptions = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()
                .map_err(store_error)?
                .create_if_missing(true)
                .foreign_keys(true);
            if !url.contains(":memory:") && !url.contains("mode=memory") {
                create_private(options.get_filename())
                    .map_err(|error| SyncError::Mirror(error.to_string()))?;
            }
            // One connection: SQLite has one writer, and a queue beats its busy retries.
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(store_error)?;
            Ok(Self::Sqlite(pool))
        } else {
            Ok(Self::Postgres(
                PgPool::connect(url).await.map_err(store_error)?,
            ))
        }
    }

    /// Applies the mirror's migrations.
    pub async fn migrate(&self) -> Result<(), SyncError> {
        match self {
            Self::Sqlite(pool) => {
                let mut migrator = sqlx::migrate!("./migrations/sqlite");
                migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
                migrator.run(pool).await
            }
            Self::Postgres(pool) => {
                let mut migrator = sqlx::migrate!("./migrations/postgres");
                migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
                migrator.run(pool).await
            }
        }
        .map_err(|error| SyncError::Mirror(error.to_string()))
    }

    /// Creates or updates the user `record` names, idempotently: the same record twice
    /// leaves the same row. The API token is kept as its hash; a record without one keeps
    /// the hash already mirrored.
    pub async fn upsert(
        &self,
        record: &UserRecord,
        now: OffsetDateTime,
    ) -> Result<MirroredUser, SyncError> {
        let token_hash = record
            .tokens
            .api_token
            .as_ref()
            .filter(|token| !token.expose().is_empty())
            .map(|token| hash_token(token.expose()).to_hex());
        let sql = concat!(
            "INSERT INTO mirrored_users (username, email, first_name, last_name, is_active, is_staff,
             is_superuser, staff_view, api_token_hash, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (username) DO UPDATE SET email = excluded.email, first_name = excluded.first_name,
             last_name = excluded.last_name, is_active = excluded.is_active, is_staff = excluded.is_staff,
             is_superuser = excluded.is_superuser, staff_view = excluded.staff_view,
             api_token_hash = COALESCE(excluded.api_token_hash, mirrored_users.api_token_hash),
             updated_at = excluded.updated_at
             RETURNING ",
            columns!()
        );
        on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(&record.username)
            .bind(&record.email)
            .bind(&record.first_name)
            .bind(&record.last_name)
            .bind(record.is_active)
            .bind(record.is_staff)
            .bind(record.is_superuser)
            .bind(record.profile.staff_view)
            .bind(&token_hash)
            .bind(now)
            .fetch_one(pool)
            .await)
        .map_err(store_error)
    }

    /// The user whose username, or else email, is `login`.
    pub async fn user_by_login(&self, login: &str) -> Result<Option<MirroredUser>, SyncError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            ", 0 AS rank FROM mirrored_users WHERE username = $1
             UNION ALL SELECT ",
            columns!(),
            ", 1 AS rank FROM mirrored_users WHERE email = $1 AND email <> ''
             ORDER BY rank LIMIT 1"
        );
        on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(login)
            .fetch_optional(pool)
            .await)
        .map_err(store_error)
    }

    /// The user whose mirrored API token hashes to `hash`.
    pub async fn user_by_api_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<MirroredUser>, SyncError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM mirrored_users WHERE api_token_hash = $1"
        );
        self.user_by_hash(sql, hash).await
    }

    /// The user of one of the app's own API tokens.
    pub async fn user_by_app_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<MirroredUser>, SyncError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM mirrored_users WHERE id = (SELECT user_id FROM app_tokens WHERE token_hash = $1)"
        );
        self.user_by_hash(sql, hash).await
    }

    async fn user_by_hash(
        &self,
        sql: &'static str,
        hash: &TokenHash,
    ) -> Result<Option<MirroredUser>, SyncError> {
        on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(hash.to_hex())
            .fetch_optional(pool)
            .await)
        .map_err(store_error)
    }

    /// Makes one of the app's own API tokens for `user`; only its hash is kept.
    pub async fn create_app_token(
        &self,
        user: i64,
        now: OffsetDateTime,
    ) -> Result<Secret<String>, SyncError> {
        let token = random_urlsafe(30).map_err(|error| SyncError::Mirror(error.to_string()))?;
        let sql = "INSERT INTO app_tokens (token_hash, user_id, created_at) VALUES ($1, $2, $3)";
        let hash = hash_token(token.expose()).to_hex();
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(&hash)
            .bind(user)
            .bind(now)
            .execute(pool)
            .await
            .map(drop))
        .map_err(store_error)?;
        Ok(token)
    }

    /// Remembers the password that last logged `user` in through the server, hashed, for
    /// logins while the server cannot be reached.
    pub async fn remember_password(
        &self,
        user: i64,
        hasher: &PasswordPool,
        password: &Secret<String>,
    ) -> Result<(), SyncError> {
        let hash = hasher
            .hash(password)
            .await
            .map_err(|error| SyncError::Mirror(error.to_string()))?;
        let sql = "UPDATE mirrored_users SET password_hash = $2 WHERE id = $1";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(user)
            .bind(hash.as_str())
            .execute(pool)
            .await
            .map(drop))
        .map_err(store_error)?;
        Ok(())
    }

    /// Forgets the remembered password (the server refused it).
    pub async fn forget_password(&self, user: i64) -> Result<(), SyncError> {
        let sql = "UPDATE mirrored_users SET password_hash = NULL WHERE id = $1";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(user)
            .execute(pool)
            .await
            .map(drop))
        .map_err(store_error)?;
        Ok(())
    }

    /// The remembered password hash of `user`.
    pub async fn password_hash(&self, user: i64) -> Result<Option<PasswordHash>, SyncError> {
        let sql = "SELECT password_hash FROM mirrored_users WHERE id = $1";
        let row: Option<(Option<String>,)> = on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(user)
            .fetch_optional(pool)
            .await)
        .map_err(store_error)?;
        row.and_then(|(hash,)| hash)
            .map(|hash| {
                PasswordHash::parse(&hash).map_err(|error| SyncError::Mirror(error.to_string()))
            })
            .transpose()
    }
}

/// Creates the SQLite file readable and writable by its owner only (it holds hashes of API
/// tokens and passwords), unless it exists; SQLite gives its `-wal` and `-shm` files the
/// same mode.
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

fn store_error(error: sqlx::Error) -> SyncError {
    SyncError::Mirror(error.to_string())
}
