//! Prometheus metrics: what this instance counted since it started (requests, tokens,
//! introspections, logins, client authentication, lockouts, upstream logins, client-sync
//! deliveries), and gauges read when `/metrics` is scraped (the sync outbox, the database
//! pools). The families are `prometheus-client`'s; the engine's outcomes arrive as
//! [`Event`]s, the HTTP ones from [`fairing::RequestMetrics`].

mod access;
mod fairing;
mod route;

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use warrant_grants::{Event, Events};
use warrant_model::GrantType;

pub use access::MetricsAccess;
pub(crate) use fairing::{RequestMetrics, route_of};
pub(crate) use route::routes;

/// Every counter and histogram of this instance, registered once.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    tokens: Family<GrantLabels, Counter>,
    introspections: Family<ActiveLabels, Counter>,
    password_logins: Family<ResultLabels, Counter>,
    client_authentication_failures: Counter,
    refused: Family<CounterLabels, Counter>,
    lockouts: Family<LockoutLabels, Counter>,
    upstream_logins: Family<UpstreamLabels, Counter>,
    sync_deliveries: Family<DeliveryLabels, Counter>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

/// `route` for a label, without an allocation per request: the templates are the mounted
/// routes' (a fixed set), so each is copied once and kept for the process's life.
fn interned(route: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{OnceLock, PoisonError, RwLock};
    static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(RwLock::default);
    let known = routes
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(route)
        .copied();
    known.unwrap_or_else(|| {
        let mut routes = routes.write().unwrap_or_else(PoisonError::into_inner);
        match routes.get(route) {
            Some(kept) => kept,
            None => {
                let kept: &'static str = Box::leak(route.to_owned().into_boxed_str());
                routes.insert(kept);
                kept
            }
        }
    })
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrantLabels {
    grant_type: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActiveLabels {
    active: bool,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CounterLabels {
    counter: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LockoutLabels {
    counter: &'static str,
    permanent: bool,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabels {
    provider: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    client_app: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: &'static str,
}

/// Request latencies from 0.5 ms to about 8 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Metrics {
    /// The families, registered under `warrant_`, with `version` as the build's.
    pub fn new(version: &'static str) -> Self {
        let mut registry = Registry::with_prefix("warrant");
        let requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's headers to its answer, by method and route template",
            latency.clone(),
        );
        let tokens = Family::default();
        registry.register(
            "tokens_issued",
            "Token responses issued, by grant type",
            tokens.clone(),
        );
        let introspections = Family::default();
        registry.register(
            "introspections",
            "Tokens introspected (RFC 7662), by whether they were active",
            introspections.clone(),
        );
        let password_logins = Family::default();
        registry.register(
            "password_logins",
            "Passwords checked (login page, password grant), by result",
            password_logins.clone(),
        );
        let client_authentication_failures = Counter::default();
        registry.register(
            "client_authentication_failures",
            "Client authentications that failed (wrong secret or assertion, unknown client)",
            client_authentication_failures.clone(),
        );
        let refused = Family::default();
        registry.register(
            "attempts_refused",
            "Attempts refused unchecked because their brute-force counter is locked",
            refused.clone(),
        );
        let lockouts = Family::default();
        registry.register(
            "lockouts",
            "Brute-force counters that passed their threshold and locked",
            lockouts.clone(),
        );
        let upstream_logins = Family::default();
        registry.register(
            "upstream_logins",
            "Returns from an upstream provider, by provider and outcome",
            upstream_logins.clone(),
        );
        let sync_deliveries = Family::default();
        registry.register(
            "sync_deliveries",
            "Client-sync delivery attempts, by client app and outcome",
            sync_deliveries.clone(),
        );
        let build = Family::<VersionLabels, Gauge>::default();
        build.get_or_create(&VersionLabels { version }).set(1);
        registry.register("build_info", "The running build (always 1)", build);
        Self {
            registry,
            requests,
            latency,
            tokens,
            introspections,
            password_logins,
            client_authentication_failures,
            refused,
            lockouts,
            upstream_logins,
            sync_deliveries,
        }
    }

    /// A request to `route` (a template, or `unmatched`) answered `status` after `took`.
    pub(crate) fn request(&self, method: &'static str, route: &str, status: u16, took: Duration) {
        let route = interned(route);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(took.as_secs_f64());
    }

    /// A browser came back from `provider`: `outcome` is what became of it.
    pub(crate) fn upstream_login(&self, provider: &str, outcome: UpstreamOutcome) {
        self.upstream_logins
            .get_or_create(&UpstreamLabels {
                provider: provider.to_owned(),
                outcome: outcome.label(),
            })
            .inc();
    }

    /// A client-sync delivery attempt to `client_app` ended as `outcome` (`delivered`,
    /// `failed`, `gave_up`).
    pub fn sync_delivery(&self, client_app: &str, outcome: &'static str) {
        self.sync_deliveries
            .get_or_create(&DeliveryLabels {
                client_app: client_app.to_owned(),
                outcome,
            })
            .inc();
    }
}

impl Events for Metrics {
    fn record(&self, event: Event) {
        match event {
            Event::PasswordChecked { valid } => {
                let result = if valid { "success" } else { "failure" };
                self.password_logins
                    .get_or_create(&ResultLabels { result })
                    .inc();
            }
            Event::ClientAuthenticationFailed => {
                self.client_authentication_failures.inc();
            }
            Event::AttemptRefused { kind } => {
                self.refused
                    .get_or_create(&CounterLabels {
                        counter: kind.as_str(),
                    })
                    .inc();
            }
            Event::LockedOut { kind, permanent } => {
                self.lockouts
                    .get_or_create(&LockoutLabels {
                        counter: kind.as_str(),
                        permanent,
                    })
                    .inc();
            }
            Event::TokensIssued { grant } => {
                self.tokens
                    .get_or_create(&GrantLabels {
                        grant_type: grant_label(grant),
                    })
                    .inc();
            }
            Event::Introspected { active } => {
                self.introspections
                    .get_or_create(&ActiveLabels { active })
                    .inc();
            }
        }
    }
}

/// The grant's name, the device grant's without its URN prefix.
fn grant_label(grant: GrantType) -> &'static str {
    match grant {
        GrantType::DeviceCode => "device_code",
        other => other.as_str(),
    }
}

/// What became of a return from an upstream provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpstreamOutcome {
    /// An existing user logged in.
    LoggedIn,
    /// A new user signed up.
    SignedUp,
    /// A logged-in user connected the account.
    Connected,
    /// The provider said no (`error=` in its answer: the user declined, for one).
    Denied,
    /// The provider could not be reached or its answer could not be used.
    ProviderFailed,
    /// Warrant refused it (another issuer, an expired or foreign flow, a rule).
    Refused,
}

impl UpstreamOutcome {
    fn label(self) -> &'static str {
        match self {
            Self::LoggedIn => "logged_in",
            Self::SignedUp => "signed_up",
            Self::Connected => "connected",
            Self::Denied => "denied",
            Self::ProviderFailed => "provider_failed",
            Self::Refused => "refused",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warrant_model::ThrottleKind;

    #[test]
    fn events_and_requests_appear_in_the_text_format() {
        let metrics = Metrics::new("1.2.3");
        metrics.record(Event::TokensIssued {
            grant: GrantType::DeviceCode,
        });
        metrics.record(Event::LockedOut {
            kind: ThrottleKind::Account,
            permanent: false,
        });
        metrics.request("POST", "/o/token", 200, Duration::from_millis(3));
        let text = metrics.encode_counted().unwrap();
        for line in [
            "warrant_tokens_issued_total{grant_type=\"device_code\"} 1",
            "warrant_lockouts_total{counter=\"account\",permanent=\"false\"} 1",
            "warrant_http_requests_total{method=\"POST\",route=\"/o/token\",status=\"200\"} 1",
            "warrant_http_request_duration_seconds_count{method=\"POST\",route=\"/o/token\"} 1",
            "warrant_build_info{version=\"1.2.3\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in:\n{text}");
        }
    }
}
