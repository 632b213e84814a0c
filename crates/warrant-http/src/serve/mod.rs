//! Serving the Rocket application over HTTP/1.1 with the limits Rocket 0.5 does not have:
//! a deadline for a request's headers, for an idle keep-alive connection and for the whole
//! request, and a cap on open connections below the process's file limit. Rocket 0.5 reads
//! headers without a deadline and accepts every connection it is offered, so that idle or
//! slow sockets (slowloris) could hold every file descriptor; here hyper reads requests and
//! each is dispatched to Rocket in process (`rocket::local`), answers unchanged.
//!
//! At the cap, a new connection displaces the longest-waiting one that has no request in
//! progress, so idle sockets cannot keep anyone else out; only when every connection is busy
//! do new ones wait in the listen queue.

mod connections;
mod dispatch;
mod limits;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rocket::local::asynchronous::Client;
use rocket::{Build, Rocket};
use tokio::net::TcpListener;

use crate::HttpError;
use connections::Connections;

pub(crate) use dispatch::REQUEST_ID;
pub use limits::file_limit;

/// How connections and requests are bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeSettings {
    /// From a new connection, or a request's first byte, until its headers are complete.
    pub header_read_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request.
    pub keep_alive_timeout: Duration,
    /// From a request's headers until its answer is ready (reading the body included): a
    /// slow body is `408`, a slow answer `503`.
    pub request_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Largest request body, in bytes (`413` beyond).
    pub max_body_bytes: u64,
}

/// Serves `rocket` on `listener` until `shutdown` completes; then stops accepting and gives
/// requests in progress up to `grace` to finish.
pub async fn serve(
    rocket: Rocket<Build>,
    listener: TcpListener,
    settings: ServeSettings,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> Result<(), HttpError> {
    let client = Client::untracked(rocket)
        .await
        .map_err(|error| HttpError::Launch(error.to_string()))?;
    let client = Arc::new(client);
    let connections = Connections::new(settings.max_connections);
    let settings = Arc::new(settings);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = connections.make_room() => slot,
            () = &mut shutdown => break,
        };
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors (another part of the process), or a
                    // connection reset before it was accepted: not fatal.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let admission = connections.admit(slot, tokio::time::Instant::now());
        tokio::spawn(dispatch::connection(
            stream,
            peer,
            client.clone(),
            settings.clone(),
            admission,
        ));
    }
    connections.drain(grace).await;
    Ok(())
}
