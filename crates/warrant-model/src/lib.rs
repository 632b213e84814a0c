//! Warrant's domain types: the words of OAuth 2.0, OpenID Connect and the Django packages
//! Warrant replaces, as Rust types.
//!
//! Parsing is validation: a [`RedirectUri`], [`Scope`], [`ClientId`], [`Username`] or
//! [`Email`] that exists is valid, so code past the edge never re-checks strings.
//! Secrets travel in [`Secret`], whose `Debug`/`Display` never show the value.
//!
//! This crate must not know about I/O of any kind: no database, no HTTP, no files, no
//! randomness, no clock. Hashing, sealing and generation live in `warrant-generators`.

#![forbid(unsafe_code)]

mod api_token;
mod application;
mod audit;
mod client_auth;
mod consent;
mod device;
mod error;
mod grant;
mod hashes;
mod identity;
mod oauth_error;
mod pushed;
mod redirect;
mod registration;
mod resource;
mod scope;
mod secret;
mod session;
mod signing_key;
mod sync;
mod throttle;
mod token;
mod upstream;
mod user;

pub use api_token::ApiToken;
pub use application::{
    Application, ClientSecurity, NewApplication, SecurityProfile, SigningAlgorithm,
};
pub use audit::{AuditAction, AuditEvent, NewAuditEvent};
pub use client_auth::{AuthMethod, ClientJwks, ClientKeys};
pub use consent::Consent;
pub use device::{DeviceAuthorization, DeviceStatus, NewDeviceAuthorization, UserCode};
pub use error::ModelError;
pub use grant::{ClientType, GrantType, GrantTypes};
pub use hashes::{ClientSecretHash, PasswordHash, Sealed, TokenHash, sealing_purpose};
pub use identity::{ApplicationId, ClientId, Email, UserId, Username};
pub use oauth_error::OAuthError;
pub use pushed::PushedRequest;
pub use redirect::{Origin, RedirectUri, RedirectUriPolicy};
pub use registration::ClientRegistration;
pub use resource::{ResourceUri, Resources};
pub use scope::{Scope, ScopeSet};
pub use secret::Secret;
pub use session::{NewSession, Session};
pub use signing_key::SigningKey;
pub use sync::{ClientAppUrl, OutboxEntry, OutboxStatus};
pub use throttle::{MAX_SUBJECT_CHARS, Throttle, ThrottleKey, ThrottleKind};
pub use token::{
    AccessToken, AuthorizationCode, CodeChallenge, CodeChallengeMethod, FamilyId, NewAccessToken,
    NewAuthorizationCode, NewRefreshToken, RefreshToken,
};
pub use upstream::{NewUpstreamConnection, ProviderKey, UpstreamAccount, UpstreamConnection};
pub use user::{NewUser, User};

/// A point in time. Always UTC; storage keeps microsecond precision.
pub type Timestamp = time::OffsetDateTime;
