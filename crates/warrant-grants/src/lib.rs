//! Warrant's grant engine: the OAuth 2.0 and OpenID Connect flows as plain async functions over a
//! [`warrant_storage::Store`], taking typed requests and the current time and returning
//! typed outcomes or an [`OAuthError`].
//!
//! - [`Engine::validate_authorization`], [`Engine::next_step`], [`Engine::approve`],
//!   [`Engine::deny`]: the authorization endpoint (codes, the implicit grant, ID tokens,
//!   `prompt` and `max_age`);
//! - [`Engine::token`]: the token endpoint's `authorization_code` (with PKCE), `password`,
//!   `client_credentials`, `refresh_token` and device-code grants, with client
//!   authentication ([`ClientCredentials`]), refresh-token rotation and reuse detection,
//!   and ID tokens when `openid` is granted;
//! - [`Engine::device_authorization`], [`Engine::pending_device`],
//!   [`Engine::decide_device`]: the device authorization grant (RFC 8628);
//! - [`KeyRing`], [`ensure_signing_keys`], [`rotate_signing_key`]: the keys that sign ID
//!   tokens and JWT access tokens; [`userinfo`]: the claims a token releases;
//! - [`Engine::revoke`] (RFC 7009) and [`Engine::introspect`] (RFC 7662);
//! - [`Engine::validate_logout`]: OpenID Connect RP-initiated logout;
//! - [`Engine::authenticate_user`]: username or email plus password; [`Engine::start_session`],
//!   [`session_user`], [`Engine::end_session`]: browser sessions;
//! - [`authenticate_bearer`]: an access token presented to a resource (RFC 6750), and
//!   [`Engine::user_of_api_token`]: a user's API token;
//! - [`user_record`]: what client apps mirror of a user (client sync, `/api/profile/`), and
//!   [`sync_status`]: where each client app stands;
//! - [`clear_expired`]: deleting expired rows in batches;
//! - the management operations every frontend shares (CLI, admin API, pages), with Django
//!   OAuth Toolkit's rules: [`Engine::register_application`],
//!   [`Engine::update_application`], [`Engine::rotate_client_secret`],
//!   [`Engine::delete_application`], [`Engine::owned_application`]; [`Engine::create_user`],
//!   [`Engine::set_password`], [`Engine::update_account`], [`Engine::unlock_user`];
//!   [`Engine::api_token_of`], [`Engine::replace_api_token`]; [`Engine::authorized_tokens`],
//!   [`Engine::revoke_authorized_token`], [`Engine::revoke_token_grant`]: the grants a user
//!   can see and revoke. An engine for management alone (the CLI's) needs no `secret_key`:
//!   [`KeyRing::without_secret_key`].
//!
//! Dynamic client registration ([`Engine::register_client`] and its management), client
//! ID metadata documents ([`ClientDocuments`]), pushed authorization requests
//! ([`Engine::push_authorization_request`]) and JWT client assertions
//! (`private_key_jwt`, `client_secret_jwt`, with clients' published keys in
//! [`ClientKeySets`]) are here too; documents and key sets are the outgoing calls the engine
//! makes, through `warrant-outgoing`.
//!
//! This crate must not know about serving HTTP, Rocket, cookies or configuration files:
//! callers build an [`Engine`] from the store, the generators, a password hasher, the
//! [`GrantSettings`] and the rest, and pass `now`.

#![forbid(unsafe_code)]

mod api_tokens;
mod applications;
mod audit;
mod authorize;
mod authorized;
mod bearer;
mod cleanup;
mod client_assertion;
mod client_auth;
mod client_cache;
mod client_documents;
mod device;
mod dpop;
mod engine;
mod error;
mod events;
mod introspect;
mod issue;
mod keys;
mod logout;
mod oauth_error;
mod oidc;
mod origins;
mod pkce;
mod profile;
mod pushed;
mod registration;
mod resources;
mod revoke;
mod session;
mod settings;
mod sync;
mod throttle;
mod throttle_cache;
mod token;
mod users;

pub use api_tokens::{API_TOKEN_PURPOSE, api_token_of};
pub use applications::{ApplicationChanges, ApplicationRegistration};
pub use audit::{Actor, AuditPolicy};
pub use authorize::{
    ApprovalPrompt, AuthorizationParams, AuthorizationRejection, AuthorizationRequest, NextStep,
    Prompt, ResponseType,
};
pub use authorized::AuthorizedToken;
pub use bearer::{Bearer, authenticate_bearer};
pub use cleanup::{Cleared, clear_expired};
pub use client_assertion::{ClientKeySets, MAX_ASSERTION_LIFETIME};
pub use client_auth::{ClientCredentials, JWT_BEARER_ASSERTION};
pub use client_cache::ClientCache;
pub use client_documents::{ClientDocuments, DocumentPolicy};
pub use device::{DeviceCodeRejection, DeviceCodes, PendingDevice};
pub use dpop::{DpopHeader, DpopPolicy};
pub use engine::{Engine, EngineParts};
pub use error::GrantsError;
pub use events::{Event, Events, NoEvents};
pub use introspect::{ActiveToken, Introspection};
pub use issue::TokenResponse;
pub use keys::{
    KeyRing, KeySet, ensure_signing_keys, replace_signing_key, rotate_signing_key,
    unreadable_signing_keys,
};
pub use logout::{LogoutParams, LogoutRequest};
pub use oidc::{OIDC_SCOPES, OPENID, id_token_algorithm, subject, user_claims, userinfo};
pub use origins::AllowedOrigins;
pub use profile::{FAPI2_ALGORITHMS, FAPI2_CODE_LIFETIME};
pub use pushed::{Pushed, PushedAuthorization, PushedRequestPolicy, REQUEST_URI_PREFIX};
pub use registration::{
    RegistrationAccess, RegistrationPolicy, RegistrationRefused, clear_unused_registrations,
    registration_client_uri,
};
pub use resources::{ResourceCatalog, requested_resources};
pub use revoke::TokenTypeHint;
pub use session::{SESSION_LIFETIME, session_user};
pub use settings::{ADMIN_SCOPE, GrantSettings, ScopeCatalog};
pub use sync::{ClientAppStatus, sync_status, user_record};
pub use throttle::{BruteForce, Locked};
pub use throttle_cache::ThrottleCache;
pub use token::{TokenRequest, requested_scope};
pub use users::{AccountChanges, InitialPassword, MIN_PASSWORD_LENGTH, NewAccount, PasswordCheck};
pub use warrant_model::OAuthError;
