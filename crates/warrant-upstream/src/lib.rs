//! Log in with upstream providers, django-oauth-login's flows: sign up, log in, connect and
//! disconnect with any OpenID Connect issuer (discovery), GitHub, GitLab, Bitbucket or a
//! plain OAuth 2.0 provider described in config.
//!
//! - [`providers`]: `[upstream.<key>]` tables ([`ProviderConfig`]) parsed into
//!   [`Provider`]s, errors naming the key;
//! - [`Provider::authorization`], [`Provider::finish`], [`Provider::refresh`]: the
//!   authorization URL with state, PKCE (S256) and a nonce, the code exchange with the
//!   user's identity (an ID token verified against the provider's keys, or the provider's
//!   user API), and refreshing an access token;
//! - [`Accounts`]: the connection rules (log in or sign up, connect, disconnect, a fresh
//!   access token), with provider tokens sealed at rest;
//! - [`HttpClient`]: how they talk to providers, so tests can stand in for one;
//!   [`warrant_outgoing::Client`] is the real client.
//!
//! This crate must not know about Rocket: routes live in `warrant-http`.

#![forbid(unsafe_code)]

mod accounts;
mod config;
mod error;
mod http_client;
mod oidc;
mod provider;

pub use accounts::{ACCESS_TOKEN_PURPOSE, Accounts, Login, REFRESH_TOKEN_PURPOSE};
pub use config::{FieldMapConfig, ProviderConfig, providers};
pub use error::UpstreamError;
pub use http_client::HttpClient;
pub use provider::{Authorization, Prompt, Provider, UpstreamTokens, UpstreamUser};
