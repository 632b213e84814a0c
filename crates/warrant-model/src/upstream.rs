//! Upstream providers and the accounts users hold there.

use std::fmt;

use crate::{ModelError, Sealed, Timestamp, UserId};

/// The configured name of an upstream provider (`github`, `corp-sso`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderKey(String);

impl ProviderKey {
    /// Parses a provider key: 1–64 lower-case letters, digits, `-` and `_` (it appears in
    /// URLs such as `/oauth/<provider>/login/`).
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        let valid = (1..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'));
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(ModelError::Unknown {
                kind: "provider key",
                value: value.to_owned(),
            })
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProviderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A link between a user and their account at an upstream provider
/// (django-oauth-login's `OAuthConnection`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamConnection {
    /// Database id.
    pub id: i64,
    /// The Warrant user.
    pub user_id: UserId,
    /// Which configured provider.
    pub provider: ProviderKey,
    /// The user's id at the provider.
    pub provider_user_id: String,
    /// The provider's access token, sealed.
    pub access_token: Sealed,
    /// The provider's refresh token, sealed.
    pub refresh_token: Option<Sealed>,
    /// When the provider's access token expires.
    pub access_token_expires_at: Option<Timestamp>,
    /// The provider's user record as JSON, for display and claim mapping.
    pub extra_data: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last token refresh or update.
    pub updated_at: Timestamp,
}

/// A connection to store: a user and their account at a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpstreamConnection {
    /// The Warrant user.
    pub user_id: UserId,
    /// The account.
    pub account: UpstreamAccount,
}

/// An account at an upstream provider, as a login there delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamAccount {
    /// Provider.
    pub provider: ProviderKey,
    /// The user's id at the provider.
    pub provider_user_id: String,
    /// Sealed access token.
    pub access_token: Sealed,
    /// Sealed refresh token.
    pub refresh_token: Option<Sealed>,
    /// Access-token expiry.
    pub access_token_expires_at: Option<Timestamp>,
    /// Provider's user record as JSON.
    pub extra_data: String,
    /// Creation time.
    pub created_at: Timestamp,
}
