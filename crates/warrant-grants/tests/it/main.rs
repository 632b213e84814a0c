//! The grant engine against a real (in-memory SQLite) store: every flow's success and
//! each of its errors. The storage contract tests show the store behaves the same on
//! PostgreSQL.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod authorization;
mod bearer;
mod cleanup;
mod client_assertions;
mod client_cache;
mod device;
mod dpop;
mod fapi2;
mod introspection;
mod management;
mod oidc;
mod passwords;
mod pushed;
mod registration;
mod resources;
mod revocation;
mod support;
mod throttle;
mod token;
