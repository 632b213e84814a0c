//! The provider side of upstream login, against a stand-in provider: configuration errors,
//! each preset's authorization URL, code exchange and user, OpenID Connect ID-token checks,
//! refresh.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod accounts;
mod config;
mod fake;
mod oauth2;
mod oidc;
