//! Client sync, compatible on the wire with ocs-authentication: Warrant pushes user records
//! and API tokens to client apps (`POST <base>addupdateuser/` with
//! `Authorization: Server <key>`), and client apps mirror them.
//!
//! - feature `pusher` (the server half, for `warrant-server`): `Pusher` delivers the
//!   outbox that `warrant-storage` fills in the same transaction as each user change, with
//!   `RetryPolicy`'s backoff;
//! - feature `client-app` (for other Rocket services): `client_app`, the routes, guards,
//!   mirror store and password authenticator of a client app.
//!
//! The server half must not know about Rocket or any frontend; the client-app half must
//! not know about the server's storage or grant engine, so a client app compiles neither.

#![forbid(unsafe_code)]

#[cfg(feature = "client-app")]
pub mod client_app;
mod error;
#[cfg(feature = "pusher")]
mod pusher;

pub use error::SyncError;
#[cfg(feature = "pusher")]
pub use pusher::{Delivery, DeliveryObserver, PushSettings, Pusher, RetryPolicy};
