//! Records moved in from another site (`warrant import django`): written in a transaction
//! of their own that keeps the ids, client ids and token hashes it is given and says, row
//! by row, what it did, so that running an import twice changes nothing the second time.

use async_trait::async_trait;
use time::OffsetDateTime;
use warrant_model::{
    ClientId, FamilyId, NewApplication, Resources, ScopeSet, TokenHash, UpstreamAccount, User,
    UserId,
};

use crate::Result;
use crate::db::{Backed, Pools};
use crate::deadline::Within;

/// Opens the transactions imports write in.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// A transaction for imported records; nothing is written unless it is committed.
    async fn begin_import(&self) -> Result<ImportTransaction>;
}

/// What writing one imported record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It was not here: written.
    Imported,
    /// It was here and differed: brought up to date.
    Updated,
    /// It was here as it is (or changed here since, which wins): left alone.
    Unchanged,
    /// It cannot be written, for this reason (one line, for the operator).
    Refused(String),
}

/// A user as the other site had it, with its id.
#[derive(Debug, Clone)]
pub struct ImportedUser {
    /// The user, its id and password hash included.
    pub user: User,
    /// The SHA-256 of the password hash (as text), which tells at the next import whether
    /// the other site's password changed.
    pub password_digest: Option<TokenHash>,
}

/// An application as the other site had it: its own client id and secret, its times.
#[derive(Debug, Clone)]
pub struct ImportedApplication {
    /// The application; its owner is kept if that user is here.
    pub application: NewApplication,
    /// When the other site created it.
    pub created_at: OffsetDateTime,
    /// When the other site last changed it: an application changed here later is kept.
    pub updated_at: OffsetDateTime,
}

/// An access or refresh token as the other site issued it, by the hash of its value.
#[derive(Debug, Clone)]
pub struct ImportedToken {
    /// SHA-256 of the token's value.
    pub token_hash: TokenHash,
    /// Its application, imported before it.
    pub client_id: ClientId,
    /// Its user (none for client credentials).
    pub user_id: Option<UserId>,
    /// The scope it was granted.
    pub scope: ScopeSet,
    /// The refresh chain it belongs to.
    pub family: FamilyId,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it expires (none: a refresh token that does not).
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// The resources it is for (RFC 8707; DOT's `resource`), its audience.
    pub resources: Resources,
    /// A refresh token's access token, by its hash, if it was imported.
    pub access_token_hash: Option<TokenHash>,
}

/// A user's connection to an upstream provider as the other site kept it.
#[derive(Debug, Clone)]
pub struct ImportedConnection {
    /// The user, imported before it.
    pub user_id: UserId,
    /// The provider, the user there and the sealed tokens.
    pub account: UpstreamAccount,
    /// When the other site last changed it: a connection refreshed here later is kept.
    pub updated_at: OffsetDateTime,
}

/// An open import transaction (see [`ImportStore::begin_import`]).
pub struct ImportTransaction {
    tx: Tx,
    deadline: std::time::Duration,
    /// Users were written with their ids: PostgreSQL's id sequence must move past them.
    wrote_user_ids: bool,
}

enum Tx {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs the statement future `$body` on the transaction's connection `$conn`, within the
/// statement deadline: the statement is written once and typed per backend.
macro_rules! on_tx {
    ($import:expr, |$conn:ident| $body:expr) => {{
        let deadline = $import.deadline;
        let answer: Result<_> = match $import.tx {
            #[cfg(feature = "sqlite")]
            Tx::Sqlite(ref mut tx) => {
                let $conn = &mut **tx;
                $body.within(deadline).await
            }
            #[cfg(feature = "postgres")]
            Tx::Postgres(ref mut tx) => {
                let $conn = &mut **tx;
                $body.within(deadline).await
            }
        };
        answer
    }};
}

/// Executes `$sql` with the `$bind`s in the transaction: how many rows it changed.
macro_rules! tx_execute {
    ($import:expr, $sql:expr $(, $bind:expr)* $(,)?) => {
        on_tx!($import, |conn| async {
            let done = sqlx::query($sql)$(.bind($bind))*.execute(conn).await;
            done.map(|done| done.rows_affected())
        })
    };
}

mod others;
mod tokens;
mod users;

#[async_trait]
impl<S: Backed> ImportStore for S {
    async fn begin_import(&self) -> Result<ImportTransaction> {
        let db = self.db();
        let tx = match db.pools {
            #[cfg(feature = "sqlite")]
            Pools::Sqlite { ref writer, .. } => {
                Tx::Sqlite(writer.begin().within(db.deadline).await?)
            }
            #[cfg(feature = "postgres")]
            Pools::Postgres(ref pool) => Tx::Postgres(pool.begin().within(db.deadline).await?),
        };
        Ok(ImportTransaction {
            tx,
            deadline: db.deadline,
            wrote_user_ids: false,
        })
    }
}

/// How a batch statement's placeholders are written: PostgreSQL numbers them (`$1`);
/// SQLite takes `?` in order, since it looks a numbered one up by name, which costs a
/// thousand-row batch's nine thousand placeholders millions of comparisons.
#[derive(Clone, Copy)]
struct Placeholders {
    numbered: bool,
}

impl Placeholders {
    fn one(self, n: usize) -> String {
        if self.numbered {
            format!("${n}")
        } else {
            "?".to_owned()
        }
    }

    /// `rows` groups of `per_row` placeholders from the `first`: `($1, $2), ($3, $4)`.
    /// Batches are built from placeholders only, never from input.
    fn value_rows(self, rows: usize, per_row: usize, first: usize) -> String {
        (0..rows)
            .map(|row| {
                let columns: Vec<String> = (0..per_row)
                    .map(|column| self.one(first + row * per_row + column))
                    .collect();
                format!("({})", columns.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `count` placeholders from the `first`: `$1, $2, $3`.
    fn list(self, count: usize, first: usize) -> String {
        (first..first + count)
            .map(|n| self.one(n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl ImportTransaction {
    fn placeholders(&self) -> Placeholders {
        match self.tx {
            #[cfg(feature = "sqlite")]
            Tx::Sqlite(_) => Placeholders { numbered: false },
            #[cfg(feature = "postgres")]
            Tx::Postgres(_) => Placeholders { numbered: true },
        }
    }

    /// Writes everything this transaction wrote.
    pub async fn commit(mut self) -> Result<()> {
        self.advance_user_ids().await?;
        let deadline = self.deadline;
        match self.tx {
            #[cfg(feature = "sqlite")]
            Tx::Sqlite(tx) => tx.commit().within(deadline).await,
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx) => tx.commit().within(deadline).await,
        }
    }

    /// Users created here later get ids above the imported ones: SQLite takes the largest
    /// id plus one by itself, PostgreSQL's sequence must be moved past them.
    async fn advance_user_ids(&mut self) -> Result<()> {
        #[cfg(feature = "postgres")]
        if self.wrote_user_ids && matches!(self.tx, Tx::Postgres(_)) {
            let sql = "SELECT setval(pg_get_serial_sequence('users', 'id'), MAX(id)) FROM users";
            tx_execute!(self, sql)?;
        }
        Ok(())
    }

    /// Writes nothing (a dry run).
    pub async fn roll_back(self) -> Result<()> {
        let deadline = self.deadline;
        match self.tx {
            #[cfg(feature = "sqlite")]
            Tx::Sqlite(tx) => tx.rollback().within(deadline).await,
            #[cfg(feature = "postgres")]
            Tx::Postgres(tx) => tx.rollback().within(deadline).await,
        }
    }
}
