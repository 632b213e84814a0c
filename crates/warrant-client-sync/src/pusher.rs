//! The server half: delivers the outbox to client apps.
//!
//! One task per client app claims its due rows, reads each user's current record (so a
//! row never carries stale data), and POSTs it to `<base>addupdateuser/` with
//! `Authorization: Server <key>`. A 2xx settles the row; anything else schedules a retry
//! with exponential backoff and jitter, until the change is older than the maximum age and
//! the row is marked dead. Claims last a little longer than a delivery can take, so a row
//! is never sent twice at once, by this instance or another, and a crashed sender's rows
//! come back on their own.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::task::JoinSet;
use warrant_generators::{SealingKey, random_fraction};
use warrant_grants::{api_token_of, user_record};
use warrant_model::{ClientAppUrl, OutboxEntry, Secret};
use warrant_storage::Store;

use crate::SyncError;
use warrant_outgoing::{Body, Client, Request};

/// When to try again after a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with each further one.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// How long a change may stay undelivered before its row is marked dead.
    pub max_age: Duration,
}

impl RetryPolicy {
    /// The next attempt after `failures` failed ones (at least 1) for a change pending
    /// since `pending_since`; `None` when the change is too old to keep trying. `jitter`
    /// in `[0, 1)` picks the wait between half and all of the backoff, so client apps
    /// coming back are not met by every sender at once.
    pub fn next_attempt(
        &self,
        failures: i32,
        pending_since: OffsetDateTime,
        now: OffsetDateTime,
        jitter: f64,
    ) -> Option<OffsetDateTime> {
        let doublings = u32::try_from(failures.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let backoff = self
            .first_delay
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.max_delay);
        let wait = backoff.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0);
        let next = now + wait;
        (next - pending_since <= self.max_age).then_some(next)
    }
}

/// What the pusher needs to know.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// Where to deliver (`sync.client_apps`).
    pub client_apps: Vec<ClientAppUrl>,
    /// Sent as `Authorization: Server <key>`; the client apps' `OAUTH_SERVER_KEY`.
    pub server_key: Secret<String>,
    /// How deliveries are sent, with the deadline of one (`sync.timeout_seconds`) and the
    /// certificates to trust.
    pub http: Client,
    /// Backoff and giving up.
    pub retry: RetryPolicy,
    /// How often each client app's due rows are looked for.
    pub poll_interval: Duration,
    /// Most deliveries in flight per client app.
    pub batch_size: u32,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The client app took the record.
    Delivered,
    /// It failed; it is tried again later.
    Failed,
    /// It failed for the last time: the row is dead until retried by hand.
    GaveUp,
}

/// Told each delivery attempt's outcome, per client app (the server's metrics).
pub type DeliveryObserver = Arc<dyn Fn(&ClientAppUrl, Delivery) + Send + Sync>;

/// Delivers the outbox; cheap to clone (one per client app task).
#[derive(Clone)]
pub struct Pusher {
    store: Arc<dyn Store>,
    sealing: Arc<SealingKey>,
    settings: Arc<PushSettings>,
    authorization: Arc<Secret<String>>,
    observer: Option<DeliveryObserver>,
}

impl Pusher {
    /// A pusher over `store`; `sealing` opens users' API tokens.
    pub fn new(store: Arc<dyn Store>, sealing: SealingKey, settings: PushSettings) -> Self {
        let authorization = Secret::new(format!("Server {}", settings.server_key.expose()));
        Self {
            store,
            sealing: Arc::new(sealing),
            settings: Arc::new(settings),
            authorization: Arc::new(authorization),
            observer: None,
        }
    }

    /// This pusher, telling `observer` each delivery attempt's outcome.
    pub fn observed_by(self, observer: DeliveryObserver) -> Self {
        Self {
            observer: Some(observer),
            ..self
        }
    }

    fn observe(&self, app: &ClientAppUrl, delivery: Delivery) {
        if let Some(observer) = &self.observer {
            observer(app, delivery);
        }
    }

    /// Runs one task per client app until the returned set is dropped or aborted.
    pub fn spawn(self) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        for app in self.settings.client_apps.clone() {
            let pusher = self.clone();
            tasks.spawn(async move { pusher.serve(app).await });
        }
        tasks
    }

    async fn serve(self, app: ClientAppUrl) {
        let mut ticks = tokio::time::interval(self.settings.poll_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            // A full batch means more may be due: go again without waiting.
            loop {
                match self.round(&app, OffsetDateTime::now_utc()).await {
                    Ok(claimed) if claimed >= self.batch() => {}
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(client_app = %app, %error, "client sync: cannot read the outbox");
                        break;
                    }
                }
            }
        }
    }

    fn batch(&self) -> usize {
        usize::try_from(self.settings.batch_size).unwrap_or(usize::MAX)
    }

    /// Claims `app`'s due rows and delivers them side by side; how many were claimed.
    async fn round(&self, app: &ClientAppUrl, now: OffsetDateTime) -> Result<usize, SyncError> {
        // A claim outlives the delivery's deadline, so no one else takes the row meanwhile.
        let claimed_until = now + self.settings.http.timeout() * 2 + Duration::from_secs(10);
        let entries = self
            .store
            .claim_outbox_entries(app.as_str(), now, claimed_until, self.settings.batch_size)
            .await?;
        let claimed = entries.len();
        let mut deliveries = JoinSet::new();
        for entry in entries {
            let pusher = self.clone();
            let app = app.clone();
            deliveries.spawn(async move { pusher.deliver(&app, entry).await });
        }
        while let Some(outcome) = deliveries.join_next().await {
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::warn!(client_app = %app, %error, "client sync: cannot record a delivery");
                }
                Err(error) => tracing::error!(client_app = %app, %error, "client sync task failed"),
            }
        }
        Ok(claimed)
    }

    /// Sends one row and records the outcome: settled, retried later, or dead.
    async fn deliver(&self, app: &ClientAppUrl, entry: OutboxEntry) -> Result<(), SyncError> {
        let outcome = self.send(app, &entry).await;
        let now = OffsetDateTime::now_utc();
        let error = match outcome {
            Ok(()) => {
                let settled = self
                    .store
                    .settle_outbox_delivery(entry.id, entry.version, now)
                    .await?;
                tracing::info!(client_app = %app, user = entry.user_id.0, settled, "client sync: delivered");
                self.observe(app, Delivery::Delivered);
                return Ok(());
            }
            Err(error) => error.to_string(),
        };
        let pending_since = entry.pending_since.unwrap_or(now);
        let retry_at = self.settings.retry.next_attempt(
            entry.attempts + 1,
            pending_since,
            now,
            random_fraction(),
        );
        self.store
            .record_outbox_failure(entry.id, &error, retry_at, now)
            .await?;
        match retry_at {
            Some(at) => {
                tracing::warn!(client_app = %app, user = entry.user_id.0, %error, retry_at = %at, "client sync: delivery failed");
                self.observe(app, Delivery::Failed);
            }
            None => {
                tracing::error!(client_app = %app, user = entry.user_id.0, %error, "client sync: gave up; see `warrant sync status`");
                self.observe(app, Delivery::GaveUp);
            }
        }
        Ok(())
    }

    /// POSTs the user's current record; `Ok` when the client app took it (or the user is
    /// gone, so there is nothing left to send).
    async fn send(&self, app: &ClientAppUrl, entry: &OutboxEntry) -> Result<(), SyncError> {
        let Some(user) = self.store.user_by_id(entry.user_id).await? else {
            return Ok(());
        };
        let now = OffsetDateTime::now_utc();
        let api_token = api_token_of(&*self.store, &self.sealing, user.id, now).await?;
        let body = user_record(&user, &api_token).to_string().into_bytes();
        let url = app.add_update_user_url();
        let request =
            Request::post(url, Body::json(body)).authorized((*self.authorization).clone());
        let answer = self.settings.http.send(request).await?;
        if answer.is_success() {
            Ok(())
        } else {
            Err(SyncError::Refused(answer.status))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ten_o_clock() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap()
    }

    const POLICY: RetryPolicy = RetryPolicy {
        first_delay: Duration::from_secs(2),
        max_delay: Duration::from_secs(60),
        max_age: Duration::from_secs(3600),
    };

    #[test]
    fn backoff_doubles_up_to_the_maximum_with_jitter_below_it() {
        let now = ten_o_clock();
        let wait = |failures, jitter| {
            POLICY
                .next_attempt(failures, now, now, jitter)
                .map(|at| (at - now).whole_milliseconds())
        };
        assert_eq!(wait(1, 0.0), Some(1_000));
        assert_eq!(wait(1, 0.999_999), Some(1_999));
        assert_eq!(wait(3, 0.0), Some(4_000));
        assert_eq!(wait(10, 0.0), Some(30_000));
        assert_eq!(wait(1_000, 0.5), Some(45_000));
    }

    #[test]
    fn a_change_older_than_the_maximum_age_is_given_up() {
        let since = ten_o_clock();
        let nearly = since + time::Duration::seconds(59 * 60 + 10);
        assert!(POLICY.next_attempt(20, since, nearly, 0.0).is_some());
        assert_eq!(POLICY.next_attempt(20, since, nearly, 0.999), None);
        assert_eq!(
            POLICY.next_attempt(2, since, since + time::Duration::hours(2), 0.0),
            None
        );
    }
}
