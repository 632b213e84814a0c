//! One line per answered request (`log.access`): method, route template, path without its
//! query (codes and states travel there), status, latency, the client when an endpoint
//! learned it, and the request id the answer carries. Bodies and headers are never logged.

use std::sync::OnceLock;
use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

use crate::metrics::route_of;
use crate::serve::REQUEST_ID;

/// The fairing.
pub(crate) struct AccessLog;

/// When Rocket began with the request.
struct Started(Instant);

/// The client id an endpoint authenticated or was named, for the request's line.
#[derive(Default)]
pub(crate) struct KnownClient(OnceLock<String>);

impl KnownClient {
    /// The request's slot.
    pub(crate) fn of<'r>(request: &'r Request<'_>) -> &'r Self {
        request.local_cache(Self::default)
    }

    /// Names the request's client (the first name given stays).
    pub(crate) fn set(&self, client_id: &str) {
        let _ = self.0.set(client_id.to_owned());
    }
}

#[rocket::async_trait]
impl Fairing for AccessLog {
    fn info(&self) -> Info {
        Info {
            name: "access log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        request.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let took = request.local_cache(|| Started(Instant::now())).0.elapsed();
        let client_id = KnownClient::of(request).0.get().map(String::as_str);
        tracing::info!(
            target: "warrant::access",
            method = request.method().as_str(),
            route = route_of(request),
            path = request.uri().path().as_str(),
            client_address = request.client_ip().map(tracing::field::display),
            status = response.status().code,
            latency_ms = took.as_secs_f64() * 1000.0,
            client_id,
            request_id = request.headers().get_one(REQUEST_ID),
            "request answered"
        );
    }
}
