//! Moving a Django site to Warrant: [`import_django`] reads the database of a site running
//! Django OAuth Toolkit (with Django REST framework's tokens and django-oauth-login, when it
//! has them), SQLite or PostgreSQL, and writes what it holds into a Warrant store so that
//! nobody has to log in again: users with their ids (DOT's OpenID Connect `sub`) and
//! password hashes, applications with their client ids and secrets, live access and refresh
//! tokens, API tokens and upstream connections.
//!
//! The Django database is only read, in one read-only transaction. Each kind of record is
//! written in one transaction of its own ([`warrant_storage::ImportStore`]), in the order
//! their references need (users, applications, tokens, API tokens, connections); a dry run
//! writes every kind in one transaction and rolls it back, so its counts are what a real
//! run would do. Running an import again changes nothing it already did; after more
//! activity on the Django side it brings the new rows. Tokens are kept by the SHA-256 of
//! their value, never the value; what must be read back (API tokens, upstream tokens) is
//! sealed with the server's key.
//!
//! This crate must not know about HTTP or OAuth flows: it maps Django's rows to Warrant's
//! records, and the store writes them.

#![forbid(unsafe_code)]

mod accounts;
mod applications;
mod report;
mod source;
mod tokens;
mod users;

use time::OffsetDateTime;
use warrant_generators::{GeneratorError, PasswordHasher, SealingKey};
use warrant_model::{ProviderKey, RedirectUriPolicy};
use warrant_storage::{ImportTransaction, Store, StoreError};

pub use report::{Report, RowNote, Tally};

use source::Source;

/// Rows read from the Django database at a time.
const PAGE: i64 = 2_000;

/// What an import needs besides the two databases.
pub struct Options<'a> {
    /// The Django site's database: `sqlite:PATH` or `postgres://…`.
    pub database_url: &'a str,
    /// Write nothing; report what would be written.
    pub dry_run: bool,
    /// Import expired and revoked tokens too, kept expired and revoked (they authorize
    /// nothing).
    pub keep_inactive: bool,
    /// Seals API tokens and upstream tokens (the server's `secret_key`).
    pub sealing: &'a SealingKey,
    /// Tells which password hashes Warrant can verify.
    pub hasher: &'a PasswordHasher,
    /// Which redirect URIs applications may have.
    pub redirect_policy: RedirectUriPolicy,
    /// The configured upstream providers (`[upstream.<key>]`).
    pub providers: &'a [ProviderKey],
    /// Now: tokens that expired before are not live.
    pub now: OffsetDateTime,
}

/// Why an import stopped. Nothing of the kind being written when it stopped is written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The Django database cannot be opened or read.
    #[error("cannot read the Django database {url}: {cause}")]
    Source {
        /// The URL, without its password.
        url: String,
        /// What the driver said.
        cause: sqlx::Error,
    },
    /// The Django database did not answer in time.
    #[error("the Django database {url} did not answer within {seconds} s")]
    SourceTimedOut {
        /// The URL, without its password.
        url: String,
        /// The deadline.
        seconds: u64,
    },
    /// The URL is neither SQLite's nor PostgreSQL's.
    #[error("unsupported database URL {0}: expected sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
    /// The database has no Django users.
    #[error("{0} is not a Django site's database: it has no auth_user table")]
    NotDjango(String),
    /// A table is there without a column its migrations add.
    #[error(
        "the Django database is not fully migrated: {table} has no column {column}; run the \
         site's `manage.py migrate` first"
    )]
    HalfMigrated {
        /// The table.
        table: String,
        /// The missing column.
        column: String,
    },
    /// Writing to Warrant's database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sealing a token failed.
    #[error("cannot seal an imported token: {0}")]
    Seal(GeneratorError),
}

impl ImportError {
    fn source(url: &str, cause: sqlx::Error) -> Self {
        Self::Source {
            url: url.to_owned(),
            cause,
        }
    }
}

/// The kinds of record, in the order their references need.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Users,
    Applications,
    AccessTokens,
    RefreshTokens,
    ApiTokens,
    Connections,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Self::Users,
        Self::Applications,
        Self::AccessTokens,
        Self::RefreshTokens,
        Self::ApiTokens,
        Self::Connections,
    ];

    fn table(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::Users => (users::TABLE, users::COLUMNS),
            Self::Applications => (applications::TABLE, applications::COLUMNS),
            Self::AccessTokens => (tokens::ACCESS_TABLE, tokens::ACCESS_COLUMNS),
            Self::RefreshTokens => (tokens::REFRESH_TABLE, tokens::REFRESH_COLUMNS),
            Self::ApiTokens => (accounts::API_TOKEN_TABLE, accounts::API_TOKEN_COLUMNS),
            Self::Connections => (accounts::CONNECTION_TABLE, accounts::CONNECTION_COLUMNS),
        }
    }

    fn tally(self, report: &mut Report) -> &mut Tally {
        match self {
            Self::Users => &mut report.users,
            Self::Applications => &mut report.applications,
            Self::AccessTokens => &mut report.access_tokens,
            Self::RefreshTokens => &mut report.refresh_tokens,
            Self::ApiTokens => &mut report.api_tokens,
            Self::Connections => &mut report.connections,
        }
    }
}

/// Imports the Django site at `options.database_url` into `store` (see the crate's
/// documentation). Bad input (not a Django database, a half-migrated one, an unreachable
/// one) stops it before anything is written.
pub async fn import_django(
    store: &dyn Store,
    options: &Options<'_>,
) -> Result<Report, ImportError> {
    let mut source = Source::open(options.database_url).await?;
    let mut present = Vec::new();
    for kind in Kind::ALL {
        let (table, columns) = kind.table();
        if source.has_table(table, columns)? {
            present.push(kind);
        }
    }
    if !matches!(present.first(), Some(Kind::Users)) {
        return Err(ImportError::NotDjango(source.url().to_owned()));
    }
    let mut report = Report {
        dry_run: options.dry_run,
        ..Report::default()
    };
    let mut dry_run = match options.dry_run {
        true => Some(store.begin_import().await?),
        false => None,
    };
    for kind in present {
        let mut own = None;
        let tx = match dry_run.as_mut() {
            Some(tx) => tx,
            None => own.insert(store.begin_import().await?),
        };
        import_kind(kind, &mut source, tx, options, &mut report).await?;
        if let Some(tx) = own {
            tx.commit().await?;
        }
    }
    if let Some(tx) = dry_run {
        tx.roll_back().await?;
    }
    site_notes(&mut source, &mut report).await?;
    source.close().await?;
    Ok(report)
}

async fn import_kind(
    kind: Kind,
    source: &mut Source,
    tx: &mut ImportTransaction,
    options: &Options<'_>,
    report: &mut Report,
) -> Result<(), ImportError> {
    kind.tally(report).present = true;
    let tally = kind.tally(report);
    match kind {
        Kind::Users => users::import(source, tx, options, tally).await,
        Kind::Applications => {
            let seen = applications::import(source, tx, options, tally).await?;
            if seen.oidc {
                report.notes.push(
                    "applications sign ID tokens: import the site's OIDC_RSA_PRIVATE_KEY with \
                     `warrant keys import` so relying parties keep verifying them"
                        .into(),
                );
            }
            Ok(())
        }
        Kind::AccessTokens => {
            tokens::import(tokens::Kind::Access, source, tx, options, tally).await
        }
        Kind::RefreshTokens => {
            tokens::import(tokens::Kind::Refresh, source, tx, options, tally).await
        }
        Kind::ApiTokens => accounts::import_api_tokens(source, tx, options, tally).await,
        Kind::Connections => accounts::import_connections(source, tx, options, tally).await,
    }
}

/// What is left behind on purpose, said once.
async fn site_notes(source: &mut Source, report: &mut Report) -> Result<(), ImportError> {
    let left = [
        (
            "oauth2_provider_grant",
            "authorization codes are not imported (they live a minute): clients in the middle \
             of an authorization start it again",
        ),
        (
            "oauth2_provider_idtoken",
            "ID tokens are not imported: Warrant keeps none, a relying party verifies them by \
             their signature",
        ),
        (
            "oauth2_provider_devicegrant",
            "device authorizations are not imported (they live minutes): devices start again",
        ),
    ];
    for (table, note) in left {
        if source.has_table(table, &[])? && source.count(table).await? > 0 {
            report.notes.push(note.into());
        }
    }
    Ok(())
}

/// A time Django kept, as seconds since the epoch.
fn time_of(seconds: i64) -> Result<OffsetDateTime, String> {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map_err(|_| format!("time {seconds} is out of range"))
}

/// A time Django keeps in every row, `column`; one the database could not read as a time
/// (NULL here) refuses the row.
fn required_time(seconds: Option<i64>, column: &str) -> Result<OffsetDateTime, String> {
    time_of(seconds.ok_or_else(|| format!("its {column} is not a time"))?)
}
