//! Warrant's grant engine: the OAuth 2.0 and OpenID Connect flows as plain async functions
//! over a [`warrant_storage::Store`], taking typed requests and returning typed outcomes.
//!
//! So far it holds the management operations every frontend shares (the CLI now, the
//! admin API and application pages later): registering applications, rotating secrets,
//! creating users and setting passwords, with the rules Django OAuth Toolkit applies.
//! The token, authorization, revocation and introspection flows join it next.
//!
//! This crate must not know about HTTP, Rocket, cookies or configuration files: callers
//! pass in the store, the generators, a password hasher and the current time.

#![forbid(unsafe_code)]

mod applications;
mod error;
mod users;

pub use applications::{
    ApplicationRegistration, delete_application, register_application, rotate_client_secret,
};
pub use error::GrantsError;
pub use users::{MIN_PASSWORD_LENGTH, NewAccount, create_user, set_password};
