//! How the flows talk to providers: the [`HttpClient`] trait, so tests can answer for a
//! provider, and [`HyperClient`], the real one.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use url::Url;
use warrant_model::Secret;

use crate::UpstreamError;

/// A request to a provider.
#[derive(Debug)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: Method,
    /// Where.
    pub url: Url,
    /// `Authorization` (a bearer token), never printed.
    pub authorization: Option<Secret<String>>,
    /// A form body (`application/x-www-form-urlencoded`).
    pub form: Option<Vec<(String, Secret<String>)>>,
}

/// The methods the flows use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

/// A provider's answer.
#[derive(Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// The body's length only: token endpoints answer with tokens.
impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body", &format_args!("{} bytes", self.body.len()))
            .finish()
    }
}

/// Sends requests to providers.
#[async_trait]
pub trait HttpClient: Send + Sync {
    /// Sends `request`; an error when no answer came.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, UpstreamError>;
}

/// The real client: hyper, HTTP/1.1 over TLS (rustls with ring; the Mozilla roots of
/// `webpki-roots`) or plain `http`, JSON accepted, a deadline on the whole exchange.
pub struct HyperClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl HyperClient {
    /// A client that trusts the usual public roots and gives up after `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, UpstreamError> {
        Self::trusting(timeout, &[])
    }

    /// As [`HyperClient::new`], also trusting the certificates in `pem` (a private CA).
    pub fn trusting(timeout: Duration, pem: &[u8]) -> Result<Self, UpstreamError> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let invalid = |error: &dyn std::fmt::Display| {
            UpstreamError::Config(format!("a trusted certificate: {error}"))
        };
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate.map_err(|error| invalid(&error))?;
            roots.add(certificate).map_err(|error| invalid(&error))?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|error| UpstreamError::Config(format!("TLS: {error}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(timeout));
        http.enforce_http(false);
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            inner: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        })
    }
}

#[async_trait]
impl HttpClient for HyperClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, UpstreamError> {
        let unreachable = |reason: String| UpstreamError::Unreachable {
            provider: request.url.to_string(),
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
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::USER_AGENT, "warrant");
        if let Some(authorization) = &request.authorization {
            let mut value = hyper::header::HeaderValue::from_str(authorization.expose())
                .map_err(|_| unreachable("the credentials are not a valid header".into()))?;
            value.set_sensitive(true);
            builder = builder.header(hyper::header::AUTHORIZATION, value);
        }
        let body = match &request.form {
            Some(fields) => {
                builder = builder.header(
                    hyper::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                );
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for (name, value) in fields {
                    form.append_pair(name, value.expose());
                }
                form.finish().into_bytes()
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
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|error| unreachable(error.to_string()))?
                .to_bytes()
                .to_vec();
            Ok(HttpResponse { status, body })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| {
                unreachable(format!("no answer within {} s", self.timeout.as_secs_f64()))
            })?
    }
}

fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_print_without_their_body() {
        let answer = HttpResponse {
            status: 200,
            body: br#"{"access_token":"a-token"}"#.to_vec(),
        };
        let printed = format!("{answer:?}");
        assert!(!printed.contains("a-token"), "{printed}");
        assert!(
            printed.contains("200") && printed.contains("26 bytes"),
            "{printed}"
        );
    }
}
