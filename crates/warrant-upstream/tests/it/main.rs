//! The provider side of upstream login, against a stand-in provider: configuration errors,
//! each preset's authorization URL, code exchange and user, OpenID Connect ID-token checks,
//! refresh, and the real client over TLS.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod accounts;
mod config;
mod fake;
mod oauth2;
mod oidc;

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("warrant_{prefix}_{}_{nanos}", std::process::id())
}
