//! Access tokens written in batches, on both backends.
//!
//! Issuing a token is one insert, and each insert is a commit. On SQLite the one writer runs
//! them one at a time, each a hand-off to the connection's thread and back; on PostgreSQL
//! each commit waits for its log flush (on this project's machine 3,100 tokens/s on four
//! connections, with the cores a quarter idle). Tokens that arrive while statements run are
//! written together by the next one, one statement and one commit for the batch: under load
//! a batch holds about as many tokens as there are requests in flight. Each caller is still
//! answered only once the commit holding its token is done.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};
use warrant_model::{AccessToken, NewAccessToken};

use crate::rows::AccessRow;
use crate::{Result, StoreError};

/// The most tokens one statement writes (ten parameters each).
const MAX_BATCH: usize = 64;

/// What writes the batches: one backend's writing pool.
pub(crate) trait TokenWriter: Clone + Send + Sync + 'static {
    /// Inserts `tokens` in one statement; the rows written, by token hash (hex).
    fn insert_many(
        &self,
        tokens: &[&NewAccessToken],
    ) -> impl Future<Output = Result<HashMap<String, AccessRow>>> + Send;
    /// Inserts one token.
    fn insert_one(
        &self,
        token: &NewAccessToken,
    ) -> impl Future<Output = Result<AccessToken>> + Send;
}

struct Job {
    token: NewAccessToken,
    answer: oneshot::Sender<Result<AccessToken>>,
}

/// The queue in front of the writing tasks; they end when the last sender is dropped.
#[derive(Debug, Clone)]
pub struct AccessTokenBatcher {
    queue: mpsc::UnboundedSender<Job>,
}

impl AccessTokenBatcher {
    /// Writes with `writer`, at most `concurrent` batches at a time (SQLite: one, its single
    /// writer; PostgreSQL: some of the pool, leaving the rest to reads).
    pub(crate) fn spawn(writer: impl TokenWriter, concurrent: usize) -> Self {
        let (queue, mut jobs) = mpsc::unbounded_channel::<Job>();
        let slots = Arc::new(Semaphore::new(concurrent.max(1)));
        tokio::spawn(async move {
            // A batch is taken only when a slot is free, so tokens gather while all run.
            while let Ok(slot) = slots.clone().acquire_owned().await {
                let mut batch = Vec::with_capacity(MAX_BATCH);
                if jobs.recv_many(&mut batch, MAX_BATCH).await == 0 {
                    return;
                }
                let writer = writer.clone();
                tokio::spawn(async move {
                    write(&writer, batch).await;
                    drop(slot);
                });
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

async fn write(writer: &impl TokenWriter, batch: Vec<Job>) {
    if batch.len() > 1 {
        let tokens: Vec<&NewAccessToken> = batch.iter().map(|job| &job.token).collect();
        if let Ok(mut rows) = writer.insert_many(&tokens).await {
            for job in batch {
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
    for job in batch {
        let written = writer.insert_one(&job.token).await;
        let _ = job.answer.send(written);
    }
}
