//! One connection: hyper reads its requests; each is answered by Rocket, in process, within
//! the request deadline; the connection closes when a deadline of its phase passes or the
//! cap needs its place.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rocket::http::{Cookie, Header, Method};
use rocket::local::asynchronous::Client;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tracing::Instrument as _;

use super::ServeSettings;
use super::connections::{Admission, Tracker};

/// Serves one connection (plain or TLS) until it closes, times out or is evicted.
pub(super) async fn connection<S>(
    stream: S,
    peer: SocketAddr,
    client: Arc<Client>,
    settings: Arc<ServeSettings>,
    admission: Admission,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let tracker = admission.tracker.clone();
    let io = TokioIo::new(Watched {
        stream,
        tracker: tracker.clone(),
    });
    let service = service_fn(|request| {
        let (client, settings, tracker) = (client.clone(), settings.clone(), tracker.clone());
        async move {
            tracker.request_started();
            let response = answer_within_deadline(request, peer, &client, &settings).await;
            tracker.request_answered(tokio::time::Instant::now());
            Ok::<_, Infallible>(response)
        }
    });
    // The deadlines are the watchdog's: hyper keeps no timers of its own (its header
    // timeout would also close idle kept-alive connections, and costs a timer a request).
    let serving = http1::Builder::new()
        .header_read_timeout(None)
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::select! {
        result = serving => {
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        }
        () = watchdog(&tracker, &settings) => {
            tracing::debug!(%peer, "connection closed: its deadline passed");
        }
        () = tracker.evicted.notified() => {
            tracing::debug!(%peer, "connection closed to make room for another");
        }
    }
    drop(admission);
}

/// Completes when the connection's deadline (which changes with its phase) has passed.
async fn watchdog(tracker: &Tracker, settings: &ServeSettings) {
    loop {
        match tracker.deadline(settings) {
            Some(deadline) if deadline <= tokio::time::Instant::now() => return,
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            // Busy: the request has its own deadline; look again after it.
            None => tokio::time::sleep(settings.request_timeout).await,
        }
    }
}

/// The stream, telling the tracker when bytes arrive.
struct Watched<S> {
    stream: S,
    tracker: Arc<Tracker>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.tracker.bytes_arrived(tokio::time::Instant::now());
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The answer to `request`, or `503` when it is not ready within the request deadline
/// (`408` when the body itself did not arrive in time).
async fn answer_within_deadline(
    request: Request<Incoming>,
    peer: SocketAddr,
    client: &Client,
    settings: &ServeSettings,
) -> Response<Full<Bytes>> {
    let body_read = std::sync::atomic::AtomicBool::new(false);
    let answer = async {
        let (parts, body) = request.into_parts();
        // Read before any answer: a connection closed on unread bytes is reset, and the
        // client may lose the answer.
        let body = match read_body(body, settings).await {
            Ok(body) => body,
            Err(status) => return bare(status),
        };
        body_read.store(true, std::sync::atomic::Ordering::Relaxed);
        match rocket_method(&parts.method) {
            Some(method) => {
                let client_address = super::forwarded::client_address(
                    peer,
                    &parts.headers,
                    &settings.trusted_proxies,
                );
                dispatch(method, parts, body, client_address, client).await
            }
            None => method_not_allowed(),
        }
    };
    match tokio::time::timeout(settings.request_timeout, answer).await {
        Ok(response) => response,
        Err(_) if !body_read.load(std::sync::atomic::Ordering::Relaxed) => {
            bare(StatusCode::REQUEST_TIMEOUT)
        }
        Err(_) => {
            tracing::warn!(%peer, "request not answered within server.request_timeout_seconds");
            unavailable()
        }
    }
}

/// Rocket's name for the method; `None` for one Warrant never serves (`TRACE`, `CONNECT`,
/// or one Rocket does not know, such as `QUERY`).
fn rocket_method(method: &hyper::Method) -> Option<Method> {
    Some(match *method {
        hyper::Method::GET => Method::Get,
        hyper::Method::HEAD => Method::Head,
        hyper::Method::POST => Method::Post,
        hyper::Method::PUT => Method::Put,
        hyper::Method::PATCH => Method::Patch,
        hyper::Method::DELETE => Method::Delete,
        hyper::Method::OPTIONS => Method::Options,
        _ => return None,
    })
}

/// The body, at most `max_body_bytes` of it (`413` beyond; `400` if it breaks off).
async fn read_body(body: Incoming, settings: &ServeSettings) -> Result<Bytes, StatusCode> {
    let limit = usize::try_from(settings.max_body_bytes).unwrap_or(usize::MAX);
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            Err(StatusCode::PAYLOAD_TOO_LARGE)
        }
        Err(_) => Err(StatusCode::BAD_REQUEST),
    }
}

/// Rocket's answer to the request, as Rocket's own server would send it.
async fn dispatch(
    method: Method,
    parts: hyper::http::request::Parts,
    body: Bytes,
    peer: SocketAddr,
    client: &Client,
) -> Response<Full<Bytes>> {
    let uri = parts
        .uri
        .path_and_query()
        .map_or("/", |path_and_query| path_and_query.as_str())
        .to_owned();
    let request_id = request_id_of(&parts.headers);
    let mut request = client.req(method, uri).remote(peer);
    request.add_header(Header::new(REQUEST_ID, request_id.clone()));
    for (name, value) in &parts.headers {
        if name == REQUEST_ID {
            continue;
        }
        // Rocket keeps only UTF-8 header values, as its own server does.
        let Ok(value) = value.to_str() else { continue };
        if name == hyper::header::COOKIE {
            let cookies = value
                .split(';')
                .filter_map(|cookie| Cookie::parse_encoded(cookie.trim().to_owned()).ok());
            request = request.cookies(cookies);
        }
        if name == hyper::header::HOST
            && let Ok(host) = rocket::http::uri::Host::parse_owned(value.to_owned())
        {
            request.inner_mut().set_host(host);
        }
        request.add_header(Header::new(name.as_str().to_owned(), value.to_owned()));
    }
    request.set_body(body);
    // Every line logged while the request is answered carries its id.
    let span = tracing::info_span!("request", request_id = %request_id);
    let response = request.dispatch().instrument(span).await;
    let mut answer = Response::builder()
        .status(response.status().code)
        .header(REQUEST_ID, request_id);
    for header in response.headers().iter() {
        answer = answer.header(header.name().as_str(), header.value());
    }
    let body = response.into_bytes().await.unwrap_or_default();
    answer
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| unavailable())
}

/// The header that names a request in logs, both ways.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// The request's id: the one a proxy or client sent in `X-Request-Id` when it is a short
/// token that cannot break a log line, otherwise a new one.
fn request_id_of(headers: &hyper::HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            (1..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(&b))
        })
        .map_or_else(warrant_generators::request_id, str::to_owned)
}

/// `status` with the small JSON body every error of Warrant's has.
fn bare(status: StatusCode) -> Response<Full<Bytes>> {
    let reason = status
        .canonical_reason()
        .unwrap_or("error")
        .to_lowercase()
        .replace(' ', "_");
    let body = format!("{{\"error\":\"{reason}\"}}");
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn method_not_allowed() -> Response<Full<Bytes>> {
    let mut response = bare(StatusCode::METHOD_NOT_ALLOWED);
    response.headers_mut().insert(
        hyper::header::ALLOW,
        hyper::header::HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"),
    );
    response
}

fn unavailable() -> Response<Full<Bytes>> {
    let mut response = bare(StatusCode::SERVICE_UNAVAILABLE);
    response.headers_mut().insert(
        hyper::header::RETRY_AFTER,
        hyper::header::HeaderValue::from_static("1"),
    );
    response
}
