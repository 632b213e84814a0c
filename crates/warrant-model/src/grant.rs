use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// An authorization grant an application may use (RFC 6749 §1.3, RFC 8628).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum GrantType {
    /// `authorization_code` (RFC 6749 §4.1), with PKCE (RFC 7636).
    AuthorizationCode,
    /// `implicit` (RFC 6749 §4.2): tokens in the redirect; off unless allowed.
    Implicit,
    /// `password` (RFC 6749 §4.3): the resource owner's username and password.
    Password,
    /// `client_credentials` (RFC 6749 §4.4).
    ClientCredentials,
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken,
    /// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628).
    DeviceCode,
}

impl GrantType {
    /// Every grant type, in a stable order.
    pub const ALL: [GrantType; 6] = [
        Self::AuthorizationCode,
        Self::Implicit,
        Self::Password,
        Self::ClientCredentials,
        Self::RefreshToken,
        Self::DeviceCode,
    ];

    /// The RFC name, as sent in `grant_type` and kept in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::Implicit => "implicit",
            Self::Password => "password",
            Self::ClientCredentials => "client_credentials",
            Self::RefreshToken => "refresh_token",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    /// Parses the RFC name, or Django OAuth Toolkit's hyphenated name
    /// (`authorization-code`, `client-credentials`) so DOT users' scripts keep working.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        let canonical = match value {
            "authorization-code" => "authorization_code",
            "client-credentials" => "client_credentials",
            "refresh-token" => "refresh_token",
            "device-code" | "device_code" => Self::DeviceCode.as_str(),
            other => other,
        };
        Self::ALL
            .into_iter()
            .find(|grant| grant.as_str() == canonical)
            .ok_or_else(|| ModelError::GrantType(value.to_owned()))
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for GrantType {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<GrantType> for &'static str {
    fn from(grant: GrantType) -> Self {
        grant.as_str()
    }
}

/// The grant types an application may use: a non-empty set (Django OAuth Toolkit allows
/// one per application; Warrant allows several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantTypes(BTreeSet<GrantType>);

impl GrantTypes {
    /// Builds the set; an empty one is refused.
    pub fn new(grants: impl IntoIterator<Item = GrantType>) -> Result<Self, ModelError> {
        let set: BTreeSet<_> = grants.into_iter().collect();
        if set.is_empty() {
            Err(ModelError::NoGrantTypes)
        } else {
            Ok(Self(set))
        }
    }

    /// The set of `first` and `rest`: never empty, so never refused.
    pub fn of(first: GrantType, rest: impl IntoIterator<Item = GrantType>) -> Self {
        Self(std::iter::once(first).chain(rest).collect())
    }

    /// Parses the space-separated database form.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        let grants = value
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(GrantType::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(grants)
    }

    /// Whether the application may use `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.0.contains(&grant)
    }

    /// The grant types, in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = GrantType> + '_ {
        self.0.iter().copied()
    }
}

impl fmt::Display for GrantTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.iter().map(GrantType::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

/// Whether a client can keep a secret (RFC 6749 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    /// Runs on a server; authenticates with its secret.
    Confidential,
    /// Runs on the user's device (SPA, native app); has no secret and must use PKCE.
    Public,
}

impl ClientType {
    /// The name used in config, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }

    /// Parses `confidential` or `public`.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        match value {
            "confidential" => Ok(Self::Confidential),
            "public" => Ok(Self::Public),
            other => Err(ModelError::ClientType(other.to_owned())),
        }
    }
}

impl fmt::Display for ClientType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_type_names_round_trip_and_accept_dot_aliases() {
        for grant in GrantType::ALL {
            assert_eq!(GrantType::parse(grant.as_str()), Ok(grant));
        }
        assert_eq!(
            GrantType::parse("authorization-code"),
            Ok(GrantType::AuthorizationCode)
        );
        assert_eq!(
            GrantType::parse("client-credentials"),
            Ok(GrantType::ClientCredentials)
        );
        assert!(GrantType::parse("magic").is_err());
    }

    #[test]
    fn grant_types_are_a_non_empty_set() {
        assert_eq!(GrantTypes::parse(""), Err(ModelError::NoGrantTypes));
        let set = GrantTypes::parse("password authorization_code password").unwrap();
        assert_eq!(set.to_string(), "authorization_code password");
        assert!(set.allows(GrantType::Password) && !set.allows(GrantType::Implicit));
    }
}
