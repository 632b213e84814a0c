//! Device authorizations (RFC 8628) and their user codes.

use std::fmt;

use crate::{ApplicationId, ModelError, ScopeSet, Timestamp, TokenHash, UserId};

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
