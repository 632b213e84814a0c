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
mod forwarded;
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
pub use rustls::ServerConfig as TlsServerConfig;

/// How connections and requests are bounded, and who connects.
#[derive(Debug, Clone)]
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
    /// Proxies whose `Forwarded` / `X-Forwarded-For` name the client
    /// (`server.trusted_proxies`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Serve HTTPS with this (`server.tls`); plain HTTP without.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// A TLS configuration serving `certificate` (PEM, the chain, leaf first) with `key` (PEM,
/// PKCS#8, SEC1 or PKCS#1), HTTP/1.1 only; the error says what was wrong, in words.
pub fn tls_config(certificate: &[u8], key: &[u8]) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(certificate)
        .collect::<Result<_, _>>()
        .map_err(|error| format!("not a PEM certificate chain ({error})"))?;
    if chain.is_empty() {
        return Err("no certificate in it".to_owned());
    }
    let key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|error| format!("not a PEM private key ({error})"))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| error.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|error| format!("the key does not fit the certificate ({error})"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
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
        let (client, settings) = (client.clone(), settings.clone());
        match settings.tls.clone() {
            None => {
                tokio::spawn(dispatch::connection(
                    stream, peer, client, settings, admission,
                ));
            }
            Some(tls) => {
                tokio::spawn(async move {
                    // The handshake is part of reading the first request's headers.
                    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
                    let handshake = acceptor.accept(stream);
                    match tokio::time::timeout(settings.header_read_timeout, handshake).await {
                        Ok(Ok(stream)) => {
                            dispatch::connection(stream, peer, client, settings, admission).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake not done in time"),
                    }
                });
            }
        }
    }
    connections.drain(grace).await;
    Ok(())
}
