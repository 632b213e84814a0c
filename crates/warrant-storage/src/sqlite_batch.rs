//! SQLite: access tokens written in batches.
//!
//! SQLite has one writer, and sqlx hands every statement to a connection's own thread and
//! back, so one token per statement spends most of its time in those hand-offs while the
//! cores wait. Tokens that arrive while a statement runs are written together by the next
//! one: under load a batch holds about as many tokens as there are requests in flight.

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};
use warrant_model::{AccessToken, NewAccessToken};

use crate::tokens::{insert_access_token_rows, insert_one_sqlite_access_token};
use crate::{Result, StoreError};

/// The most tokens one statement writes (eight parameters each).
const MAX_BATCH: usize = 64;

struct Job {
    token: NewAccessToken,
    answer: oneshot::Sender<Result<AccessToken>>,
}

/// The queue in front of the writer task; the task ends when the last sender is dropped.
#[derive(Debug, Clone)]
pub struct AccessTokenBatcher {
    queue: mpsc::UnboundedSender<Job>,
}

impl AccessTokenBatcher {
    pub(crate) fn spawn(writer: SqlitePool) -> Self {
        let (queue, mut jobs) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
                write(&writer, &mut batch).await;
            }
        });
        Self { queue }
    }

    /// Inserts `token`, answering once the statement that wrote it has committed.
    pub(crate) async fn insert(&self, token: &NewAccessToken) -> Result<AccessToken> {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            token: token.clone(),
            answer,
        };
        self.queue.send(job).map_err(|_| writer_gone())?;
        answered.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> StoreError {
    StoreError::Unavailable(sqlx::Error::WorkerCrashed)
}

async fn write(writer: &SqlitePool, batch: &mut Vec<Job>) {
    if batch.len() > 1 {
        let tokens: Vec<&NewAccessToken> = batch.iter().map(|job| &job.token).collect();
        if let Ok(mut rows) = insert_access_token_rows(writer, &tokens).await {
            for job in batch.drain(..) {
                let written = rows
                    .remove(&job.token.token_hash.to_hex())
                    .ok_or_else(|| StoreError::Corrupt("a batched token was not returned".into()))
                    .and_then(AccessToken::try_from);
                let _ = job.answer.send(written);
            }
            return;
        }
    }
    // One token, or a batch in which some token broke a rule (a duplicate hash, a deleted
    // application): one statement each, so that each caller gets its own answer.
    for job in batch.drain(..) {
        let written = insert_one_sqlite_access_token(writer, &job.token).await;
        let _ = job.answer.send(written);
    }
}
