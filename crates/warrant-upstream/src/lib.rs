//! Log in with upstream providers, django-oauth-login's flows: sign up, log in, connect and
//! disconnect with any OpenID Connect issuer (discovery), GitHub, GitLab, Bitbucket or a
//! plain OAuth 2.0 provider described in config.
//!
//! Status: skeleton. The storage it will use already exists
//! (`warrant_storage::UpstreamStore`, sealed tokens in `warrant_model::UpstreamConnection`);
//! the flows arrive with the upstream-login issue.
//!
//! This crate must not know about Rocket: routes live in `warrant-http`. It will talk to
//! providers with hyper's client and keep state and PKCE towards them.

#![forbid(unsafe_code)]
