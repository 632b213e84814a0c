//! The smaller records: consents, sessions, API tokens, upstream connections, signing keys
//! and device authorizations.

use std::fmt;

use crate::{
    ApplicationId, ModelError, ScopeSet, Sealed, SigningAlgorithm, Timestamp, TokenHash, UserId,
};

/// A user's standing approval of scopes for an application; `approval_prompt=auto` skips
/// the consent page when it covers the requested scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The approving user.
    pub user_id: UserId,
    /// The approved application.
    pub application_id: ApplicationId,
    /// Every scope approved so far.
    pub scope: ScopeSet,
    /// Last approval.
    pub granted_at: Timestamp,
}

/// A logged-in browser session; the cookie holds the key, the database its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the session key.
    pub key_hash: TokenHash,
    /// The logged-in user.
    pub user_id: UserId,
    /// When the user authenticated (OIDC `auth_time`, `max_age`).
    pub auth_time: Timestamp,
    /// Creation time.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// A session to store.
pub type NewSession = Session;

/// A user's API token (ocs-authentication's `AuthProfile.api_token`): one per user, used as
/// `Authorization: Token <key>` and pushed to client apps. Looked up by hash; kept sealed
/// as well because the profile endpoint and client sync must show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Owner.
    pub user_id: UserId,
    /// SHA-256 of the token.
    pub token_hash: TokenHash,
    /// The token sealed under `secret_key`.
    pub sealed_token: Sealed,
    /// When this token replaced the previous one.
    pub created_at: Timestamp,
}

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

/// A key that signs ID tokens and JWT access tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// JWK `kid`.
    pub kid: String,
    /// Algorithm.
    pub algorithm: SigningAlgorithm,
    /// The private key (PKCS#8), sealed.
    pub private_key: Sealed,
    /// The public JWK as JSON, served in the JWKS.
    pub public_jwk: String,
    /// Creation time; the newest unretired key signs.
    pub created_at: Timestamp,
    /// When it stopped signing; it stays in the JWKS until its tokens expire.
    pub retired_at: Option<Timestamp>,
}

/// Where a device authorization (RFC 8628) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Waiting for the user to enter the code.
    Pending,
    /// The user approved; the device may redeem it once.
    Approved,
    /// The user refused.
    Denied,
    /// The device received its tokens.
    Consumed,
}

impl DeviceStatus {
    /// The database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Consumed => "consumed",
        }
    }

    /// Parses the database name.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        match value {
            "pending" => Ok(Self::Pending),
            "approved" => Ok(Self::Approved),
            "denied" => Ok(Self::Denied),
            "consumed" => Ok(Self::Consumed),
            other => Err(ModelError::Unknown {
                kind: "device status",
                value: other.to_owned(),
            }),
        }
    }
}

/// A device flow user code (RFC 8628 §6.1): eight letters of an alphabet without vowels
/// (no words) and without look-alikes, shown as `BCDF-GHJK`. What a user types is
/// normalised: case, hyphens and spaces do not matter.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCode(String);

impl UserCode {
    /// The letters a user code is drawn from: 20 consonants, so about 34.6 bits of
    /// entropy in eight of them.
    pub const ALPHABET: &'static str = "BCDFGHJKLMNPQRSTVWXZ";
    /// Letters in a code.
    pub const LENGTH: usize = 8;

    /// Parses what a user typed (or a generator made).
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        let letters: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if letters.len() == Self::LENGTH && letters.chars().all(|c| Self::ALPHABET.contains(c)) {
            Ok(Self(letters))
        } else {
            Err(ModelError::UserCode)
        }
    }

    /// The normalised letters, which are hashed for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code as shown to the user: `BCDF-GHJK`.
    pub fn display(&self) -> String {
        let (first, second) = self.0.split_at(Self::LENGTH / 2);
        format!("{first}-{second}")
    }
}

/// A user code grants access while it is pending: never printed in logs.
impl fmt::Debug for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserCode([redacted])")
    }
}

/// A device authorization request (RFC 8628 §3.1); both codes are stored only as hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// Database id.
    pub id: i64,
    /// SHA-256 of the device code.
    pub device_code_hash: TokenHash,
    /// SHA-256 of the normalised user code.
    pub user_code_hash: TokenHash,
    /// Client.
    pub application_id: ApplicationId,
    /// Requested scopes.
    pub scope: ScopeSet,
    /// Where it stands.
    pub status: DeviceStatus,
    /// The approving user, once approved.
    pub user_id: Option<UserId>,
    /// When the approving user had logged in (OIDC `auth_time`), once approved.
    pub auth_time: Option<Timestamp>,
    /// Minimum polling interval in seconds.
    pub interval_seconds: i32,
    /// Last poll, for `slow_down`.
    pub last_polled_at: Option<Timestamp>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// A device authorization to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeviceAuthorization {
    /// SHA-256 of the device code.
    pub device_code_hash: TokenHash,
    /// SHA-256 of the normalised user code.
    pub user_code_hash: TokenHash,
    /// Client.
    pub application_id: ApplicationId,
    /// Requested scopes.
    pub scope: ScopeSet,
    /// Polling interval.
    pub interval_seconds: i32,
    /// Creation time.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_normalised_and_checked() {
        let code = UserCode::parse("bcdf-ghjk").unwrap();
        assert_eq!(code.as_str(), "BCDFGHJK");
        assert_eq!(code.display(), "BCDF-GHJK");
        assert_eq!(UserCode::parse(" BCDF GHJK "), Ok(code));
        for bad in ["BCDF-GHJ", "BCDF-GHJKL", "ABCD-EFGH", "BCDF-GHJ1", ""] {
            assert_eq!(UserCode::parse(bad), Err(ModelError::UserCode), "{bad}");
        }
        assert!(!format!("{:?}", UserCode::parse("BCDFGHJK").unwrap()).contains("BCDF"));
    }
}
