use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// A user's database id; stable for the user's lifetime (OIDC `sub` derives from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub i64);

/// An application's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ApplicationId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An OAuth client identifier (RFC 6749 §2.2): 1–255 visible ASCII characters.
///
/// `:` and spaces are refused although RFC 6749 allows them, because many clients put the
/// id into HTTP Basic auth without form-encoding it first (Django OAuth Toolkit refuses
/// `:` too).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    /// Parses a client id: printable ASCII without spaces. A `:` is allowed for the https
    /// URLs of client ID metadata documents (such clients never use HTTP Basic, where a
    /// client id is URL-encoded anyway, RFC 6749 §2.3.1).
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        let valid =
            (1..=255).contains(&value.len()) && value.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(ModelError::ClientId)
        }
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A username by Django's rules: 1–150 characters, letters, digits and `@ . + - _`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Parses a username.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        let valid = (1..=150).contains(&value.chars().count())
            && value
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '@' | '.' | '+' | '-' | '_'));
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(ModelError::Username(value.to_owned()))
        }
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, normalised as Django does: the domain part is lower-cased.
///
/// The check is deliberately structural (one `@`, non-empty parts, a dot-separated domain,
/// no spaces or control characters); deliverability is the mail server's question.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an email address.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        let invalid = || ModelError::Email(value.to_owned());
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && domain.split('.').all(|label| !label.is_empty())
            && !domain.contains('@');
        let chars_ok =
            value.len() <= 254 && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if local.is_empty() || !domain_ok || !chars_ok {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_refuses_spaces_and_empty() {
        assert!(ClientId::parse("abcDEF123-._~").is_ok());
        assert!(ClientId::parse("https://client.example.com/client.json").is_ok());
        for bad in ["", "a b", "é", &"x".repeat(256)] {
            assert_eq!(ClientId::parse(bad), Err(ModelError::ClientId), "{bad:?}");
        }
    }

    #[test]
    fn username_follows_django_rules() {
        assert!(Username::parse("alice.o'neil").is_err());
        assert!(Username::parse("zoë+test@example_1-2").is_ok());
        assert!(Username::parse("").is_err());
        assert!(Username::parse("with space").is_err());
        assert!(Username::parse(&"a".repeat(151)).is_err());
    }

    #[test]
    fn email_lowercases_the_domain_and_refuses_malformed_addresses() {
        assert_eq!(
            Email::parse("Alice@Example.COM").map(|e| e.0),
            Ok("Alice@example.com".into())
        );
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@example.com",
            "alice@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
