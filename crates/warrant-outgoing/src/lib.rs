//! The one HTTP client Warrant calls out with: upstream login providers, client apps
//! receiving user records, a resource server's introspection endpoint, a client app's
//! calls to its server.
//!
//! - [`Client`]: hyper, HTTP/1.1 over TLS (rustls with ring; the Mozilla roots of
//!   `webpki-roots`, plus a private CA when given) with a deadline on the whole exchange;
//! - [`Client::check_url`]: `https` anywhere; plain `http` only to a loopback host, unless
//!   the caller allows it explicitly (`allow_insecure_http`), since credentials and user
//!   records travel in these requests;
//! - [`Request`], [`Response`], [`OutgoingError`].
//!
//! This crate must not know what it carries: no OAuth, no storage, no Rocket.

#![forbid(unsafe_code)]

mod client;
mod error;
mod request;
mod url_policy;

pub use client::{Client, ClientOptions, MAX_ANSWER_BYTES};
pub use error::OutgoingError;
pub use request::{Body, Method, Request, Response};
pub use url_policy::is_loopback;
