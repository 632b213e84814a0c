//! The one HTTP client both halves use: plain HTTP/1.1 over hyper, with a deadline on the
//! whole exchange (connect, send, read the answer).

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use url::Url;
use warrant_model::Secret;

use crate::SyncError;

/// What a peer answered.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    /// Read by the client-app half; the pusher needs only the status.
    #[cfg_attr(not(feature = "client-app"), allow(dead_code))]
    pub body: Bytes,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A request to send: method, URL, credentials and body.
pub(crate) struct Outgoing<'a> {
    pub method: Method,
    pub url: &'a Url,
    pub authorization: Option<&'a Secret<String>>,
    pub body: Option<(&'static str, Vec<u8>)>,
}

/// Sends requests, each abandoned after `timeout`.
#[derive(Clone)]
pub(crate) struct HttpClient {
    inner: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl HttpClient {
    pub fn new(timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        Self {
            inner: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        }
    }

    /// Sends `request`; an error says why no answer came (never a credential: the URL is
    /// checked to carry none where it is configured).
    pub async fn send(&self, request: Outgoing<'_>) -> Result<Answer, SyncError> {
        if request.url.scheme() != "http" {
            return Err(SyncError::Unreachable(format!(
                "{}: only http:// URLs can be reached for now",
                request.url
            )));
        }
        let uri: hyper::Uri = request
            .url
            .as_str()
            .parse()
            .map_err(|_| SyncError::Unreachable(format!("{}: not a valid URI", request.url)))?;
        let mut builder = Request::builder().method(request.method).uri(uri);
        if let Some(authorization) = request.authorization {
            let mut value = HeaderValue::from_str(authorization.expose()).map_err(|_| {
                SyncError::Unreachable("the credentials are not a valid header".into())
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        let body = match request.body {
            Some((content_type, body)) => {
                builder = builder.header(CONTENT_TYPE, content_type);
                body
            }
            None => Vec::new(),
        };
        let request = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| SyncError::Unreachable(error.to_string()))?;
        let exchange = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|error| SyncError::Unreachable(describe(&error)))?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|error| SyncError::Unreachable(error.to_string()))?
                .to_bytes();
            Ok(Answer { status, body })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| SyncError::TimedOut(self.timeout))?
    }
}

/// The innermost cause: hyper's outer message ("client error (Connect)") says little.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}
