//! The client: hyper over rustls.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Bytes;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use url::Url;

use crate::{Method, OutgoingError, Request, Response, url_policy};

/// The largest answer read from a peer. Every answer Warrant reads (discovery documents,
/// key sets, tokens, user records, introspection) is a few kilobytes; a peer that sends
/// more is refused before it fills memory, however fast it sends.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// How a [`Client`] reaches its peers.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The deadline of one exchange: connecting, sending, reading the whole answer.
    pub timeout: Duration,
    /// PEM certificates to trust besides the public roots (peers behind a private CA).
    pub trusted_pem: Vec<u8>,
    /// Allow plain `http` to hosts other than loopback (a private network the operator
    /// vouches for).
    pub allow_insecure_http: bool,
}

impl ClientOptions {
    /// The public roots only, https (or loopback http) only, giving up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            trusted_pem: Vec::new(),
            allow_insecure_http: false,
        }
    }
}

/// Sends requests; cheap to clone (connections are pooled and shared).
#[derive(Clone)]
pub struct Client {
    inner: hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
    allow_insecure_http: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client as `options` say; an error when a trusted certificate is unusable.
    pub fn new(options: &ClientOptions) -> Result<Self, OutgoingError> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let invalid = |error: &dyn std::fmt::Display| {
            OutgoingError::Config(format!("a trusted certificate: {error}"))
        };
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for certificate in CertificateDer::pem_slice_iter(&options.trusted_pem) {
            let certificate = certificate.map_err(|error| invalid(&error))?;
            roots.add(certificate).map_err(|error| invalid(&error))?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|error| OutgoingError::Config(format!("TLS: {error}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(options.timeout));
        http.enforce_http(false);
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            inner: hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .build(connector),
            timeout: options.timeout,
            allow_insecure_http: options.allow_insecure_http,
        })
    }

    /// Whether requests may go to `url`: `https`, or `http` to loopback unless insecure
    /// http is allowed. Callers check configured URLs with it at start.
    pub fn check_url(&self, url: &Url) -> Result<(), OutgoingError> {
        url_policy::check(url, self.allow_insecure_http)
    }

    /// The deadline of one exchange.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `request`; an error says why no answer came.
    pub async fn send(&self, request: Request) -> Result<Response, OutgoingError> {
        self.check_url(&request.url)?;
        let url = request.url.to_string();
        let unreachable = |reason: String| OutgoingError::Unreachable {
            url: url.clone(),
            reason,
        };
        let uri: hyper::Uri = request
            .url
            .as_str()
            .parse()
            .map_err(|_| unreachable("not a valid URI".into()))?;
        let method = match request.method {
            Method::Get => hyper::Method::GET,
            Method::Post => hyper::Method::POST,
        };
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(uri)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, "warrant");
        if let Some(authorization) = &request.authorization {
            let mut value = HeaderValue::from_str(authorization.expose())
                .map_err(|_| unreachable("the credentials are not a valid header".into()))?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        let body = match request.body {
            Some(body) => {
                builder = builder.header(CONTENT_TYPE, body.content_type);
                body.bytes
            }
            None => Vec::new(),
        };
        let http_request = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| unreachable(error.to_string()))?;
        let exchange = async {
            let response = self
                .inner
                .request(http_request)
                .await
                .map_err(|error| unreachable(innermost(&error)))?;
            let status = response.status().as_u16();
            let max_age = response
                .headers()
                .get(hyper::header::CACHE_CONTROL)
                .and_then(|value| value.to_str().ok())
                .and_then(max_age);
            let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|error| {
                    if error.is::<LengthLimitError>() {
                        unreachable(format!(
                            "the answer is larger than {MAX_ANSWER_BYTES} bytes"
                        ))
                    } else {
                        unreachable(error.to_string())
                    }
                })?
                .to_bytes()
                .to_vec();
            Ok(Response {
                status,
                body,
                max_age,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| OutgoingError::TimedOut {
                url: url.clone(),
                after: self.timeout,
            })?
    }
}

/// What a `Cache-Control` value allows: `max-age` seconds, 0 for `no-store` or `no-cache`.
fn max_age(cache_control: &str) -> Option<u64> {
    let mut seconds = None;
    for directive in cache_control.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(0);
        }
        if let Some(value) = lower.strip_prefix("max-age=") {
            seconds = value.trim_matches('"').parse().ok();
        }
    }
    seconds
}

/// The innermost cause: hyper's outer message ("client error (Connect)") says little.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    #[test]
    fn cache_control_says_how_long_an_answer_lasts() {
        assert_eq!(super::max_age("public, max-age=600"), Some(600));
        assert_eq!(super::max_age("max-age=600, no-store"), Some(0));
        assert_eq!(super::max_age("No-Cache"), Some(0));
        assert_eq!(super::max_age("public"), None);
    }
    use std::net::TcpListener;

    use super::*;

    /// A loopback peer that answers one request with a body of `size` bytes.
    fn peer_answering(size: usize) -> Url {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buffer = [0; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let read = stream.read(&mut buffer).unwrap();
                request.extend_from_slice(&buffer[..read]);
            }
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&vec![b'x'; size]);
        });
        Url::parse(&format!("http://{address}/")).unwrap()
    }

    #[tokio::test]
    async fn an_answer_past_the_limit_is_refused() {
        let client = Client::new(&ClientOptions::new(Duration::from_secs(10))).unwrap();
        let small = client
            .send(Request::get(peer_answering(MAX_ANSWER_BYTES)))
            .await
            .unwrap();
        assert_eq!(small.body.len(), MAX_ANSWER_BYTES);
        let refused = client
            .send(Request::get(peer_answering(MAX_ANSWER_BYTES + 1)))
            .await;
        assert!(
            matches!(&refused, Err(OutgoingError::Unreachable { reason, .. }) if reason.contains("larger than")),
            "{refused:?}"
        );
    }
}
