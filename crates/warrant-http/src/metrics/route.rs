//! `GET /metrics`: the counters, then what the database says now (the sync outbox per
//! client app, the connection pools), in Prometheus' text format (0.0.4), which every
//! Prometheus-compatible scraper reads.

use std::collections::BTreeMap;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::{Request, Route, State, get, routes};
use time::OffsetDateTime;
use warrant_model::OutboxStatus;

use super::Metrics;
use super::access::{Scrape, Verdict};
use crate::AppState;

pub(crate) fn routes() -> Vec<Route> {
    routes![metrics]
}

/// A scrape `metrics.*` allows; otherwise the status it is answered.
struct Allowed;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Allowed {
    type Error = Status;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Status> {
        let Some(state) = request.rocket().state::<AppState>() else {
            return Outcome::Error((Status::InternalServerError, Status::InternalServerError));
        };
        let headers = request.headers();
        let scrape = Scrape {
            peer: request.remote().map(|peer| peer.ip()),
            authorization: headers.get_one("Authorization"),
            forwarded: ["Forwarded", "X-Forwarded-For", "X-Real-IP"]
                .iter()
                .any(|name| headers.contains(*name)),
        };
        let status = match state.metrics_access.decide(scrape) {
            Verdict::Allowed => return Outcome::Success(Allowed),
            Verdict::Hidden => Status::NotFound,
            Verdict::Unauthorized => Status::Unauthorized,
            Verdict::Forbidden => Status::Forbidden,
        };
        Outcome::Error((status, status))
    }
}

/// The text, or the `401` challenge a scraper's bearer configuration answers.
#[derive(rocket::Responder)]
enum Answer {
    Text(String, Header<'static>),
    #[response(status = 401)]
    Challenge((), Header<'static>),
}

/// Refusals other than `401` get the small JSON body of every error (the catcher's).
#[get("/metrics")]
async fn metrics(
    state: &State<AppState>,
    allowed: Result<Allowed, Status>,
) -> Result<Answer, Status> {
    match allowed {
        Ok(Allowed) => {}
        Err(Status::Unauthorized) => {
            return Ok(Answer::Challenge(
                (),
                Header::new("WWW-Authenticate", "Bearer realm=\"metrics\""),
            ));
        }
        Err(status) => return Err(status),
    }
    let text = state.metrics.encode(state).await.map_err(|error| {
        tracing::error!(%error, "metrics could not be written");
        Status::InternalServerError
    })?;
    let content_type = Header::new("Content-Type", prometheus_text::CONTENT_TYPE);
    Ok(Answer::Text(text, content_type))
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClientAppLabels {
    client_app: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolStateLabels {
    pool: &'static str,
    state: &'static str,
}

impl Metrics {
    /// The counters and the gauges read now, as text.
    async fn encode(&self, state: &AppState) -> Result<String, std::fmt::Error> {
        let mut text = self.encode_counted()?;
        let mut now = Registry::with_prefix("warrant");
        let outbox = state.store.outbox_status().await;
        let database_up = Gauge::<i64>::default();
        database_up.set(i64::from(outbox.is_ok()));
        now.register(
            "database_up",
            "Whether the database answered this scrape's queries (1) or not (0)",
            database_up,
        );
        match outbox {
            Ok(outbox) => register_outbox(&mut now, state, outbox),
            Err(error) => tracing::warn!(%error, "metrics: the sync outbox could not be read"),
        }
        register_pools(&mut now, state);
        prometheus_text::encode(&mut text, &now)?;
        Ok(text)
    }

    /// The counters alone.
    pub(super) fn encode_counted(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Each client app's outbox: configured ones with nothing waiting as zeros, and ones no
/// longer configured that still have rows.
fn register_outbox(registry: &mut Registry, state: &AppState, outbox: Vec<OutboxStatus>) {
    let mut apps: BTreeMap<String, Option<OutboxStatus>> = state
        .grants
        .client_apps
        .iter()
        .map(|app| (app.as_str().to_owned(), None))
        .collect();
    for status in outbox {
        apps.insert(status.target.clone(), Some(status));
    }
    let pending = Family::<ClientAppLabels, Gauge>::default();
    let dead = Family::<ClientAppLabels, Gauge>::default();
    let oldest = Family::<ClientAppLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    let now = OffsetDateTime::now_utc();
    for (client_app, status) in apps {
        let labels = ClientAppLabels { client_app };
        let status = status.as_ref();
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        pending
            .get_or_create(&labels)
            .set(status.map_or(0, |s| count(s.pending)));
        dead.get_or_create(&labels)
            .set(status.map_or(0, |s| count(s.dead)));
        let age = status
            .and_then(|s| s.oldest_pending_since)
            .map_or(0.0, |since| (now - since).as_seconds_f64().max(0.0));
        oldest.get_or_create(&labels).set(age);
    }
    registry.register(
        "sync_outbox_pending",
        "Users waiting to be delivered to a client app",
        pending,
    );
    registry.register(
        "sync_outbox_dead",
        "Users whose delivery to a client app was given up (retry with `warrant sync retry`)",
        dead,
    );
    registry.register(
        "sync_outbox_oldest_pending_seconds",
        "Age of the oldest undelivered change for a client app (0 when none waits)",
        oldest,
    );
}

fn register_pools(registry: &mut Registry, state: &AppState) {
    let connections = Family::<PoolStateLabels, Gauge>::default();
    let max = Family::<PoolLabels, Gauge>::default();
    for usage in state.store.pool_usage() {
        let busy = usage.open.saturating_sub(usage.idle);
        for (state, count) in [("idle", usage.idle), ("busy", busy)] {
            connections
                .get_or_create(&PoolStateLabels {
                    pool: usage.pool,
                    state,
                })
                .set(i64::from(count));
        }
        max.get_or_create(&PoolLabels { pool: usage.pool })
            .set(i64::from(usage.max));
    }
    registry.register(
        "database_pool_connections",
        "Open database connections, idle or busy, per pool",
        connections,
    );
    registry.register(
        "database_pool_max_connections",
        "The most connections a pool opens",
        max,
    );
    let (acquired, waited) = state.store.acquire_waits();
    registry.register(
        "database_acquires",
        "Connections handed to statements run outside a transaction",
        ConstCounter::new(acquired),
    );
    registry.register(
        "database_acquire_wait_seconds",
        "Seconds those statements waited for a connection, in all",
        ConstCounter::new(waited),
    );
}
