//! Counts every answered request by method, route template and status, and times it. The
//! route is Rocket's template (`/oauth/<key>/callback`), never the path: labels stay few
//! whatever paths clients send; a request no route took is `unmatched`.

use std::sync::Arc;
use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

use super::Metrics;

/// The fairing; it shares the server's [`Metrics`].
pub(crate) struct RequestMetrics(pub(crate) Arc<Metrics>);

/// When Rocket began with the request.
struct Started(Instant);

#[rocket::async_trait]
impl Fairing for RequestMetrics {
    fn info(&self) -> Info {
        Info {
            name: "request metrics",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        request.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let took = request.local_cache(|| Started(Instant::now())).0.elapsed();
        let route = route_of(request);
        self.0.request(
            request.method().as_str(),
            route,
            response.status().code,
            took,
        );
    }
}

/// The template of the route that answered, `unmatched` if none did.
pub(crate) fn route_of<'r>(request: &'r Request<'_>) -> &'r str {
    request
        .route()
        .map_or("unmatched", |route| route.uri.path())
}
