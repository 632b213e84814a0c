//! Client sync, compatible on the wire with ocs-authentication: Warrant pushes user records
//! and API tokens to client apps (`POST <base>addupdateuser/` with
//! `Authorization: Server <key>`), and client apps mirror them.
//!
//! Status: skeleton. The durable outbox it will drain already exists
//! (`warrant_storage::OutboxStore`); the pusher and the client-app library arrive with the
//! client-sync issue.
//!
//! The server half must not know about Rocket; the client-app half (mountable routes and
//! guards for other Rocket services) will sit behind a cargo feature.

#![forbid(unsafe_code)]
