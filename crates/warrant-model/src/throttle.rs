//! Failed attempts, counted per what they were made against (brute-force protection).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use crate::{ModelError, Timestamp};

/// What a run of failures is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ThrottleKind {
    /// A login name as typed (username or email, lower-cased), existing or not: password
    /// logins and password grants.
    Account,
    /// An address password logins and grants come from.
    LoginAddress,
    /// A client id whose secret was wrong.
    Client,
    /// An address client authentication comes from.
    ClientAddress,
    /// A user typing device codes (RFC 8628 §5.1).
    DeviceUser,
    /// An address device codes are typed from.
    DeviceAddress,
}

impl ThrottleKind {
    /// Every kind.
    pub const ALL: [ThrottleKind; 6] = [
        Self::Account,
        Self::LoginAddress,
        Self::Client,
        Self::ClientAddress,
        Self::DeviceUser,
        Self::DeviceAddress,
    ];

    /// The name kept in the database and used by the admin API and CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::LoginAddress => "login_address",
            Self::Client => "client",
            Self::ClientAddress => "client_address",
            Self::DeviceUser => "device_user",
            Self::DeviceAddress => "device_address",
        }
    }

    /// Parses a name of [`ThrottleKind::as_str`].
    pub fn parse(name: &str) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| ModelError::Unknown {
                kind: "throttle kind",
                value: name.to_owned(),
            })
    }

    /// Whether its subject is an address (a shared one may be many people's).
    pub fn is_address(self) -> bool {
        matches!(
            self,
            Self::LoginAddress | Self::ClientAddress | Self::DeviceAddress
        )
    }
}

impl fmt::Display for ThrottleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One counter: a kind and what it counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThrottleKey {
    /// The kind.
    pub kind: ThrottleKind,
    /// The login name, address, client id or user id.
    pub subject: String,
}

/// The longest subject kept: a longer login name is no username or email address anyway,
/// and is counted by its first 255 characters.
pub const MAX_SUBJECT_CHARS: usize = 255;

impl ThrottleKey {
    /// A counter of `kind` for `subject`: login names are compared lower-cased (`Alice` and
    /// `alice` share one), addresses as [`ThrottleKey::address`] counts them.
    pub fn new(kind: ThrottleKind, subject: &str) -> Self {
        if kind.is_address()
            && let Ok(address) = subject.parse::<IpAddr>()
        {
            return Self::address(kind, address);
        }
        let subject: String = subject.chars().take(MAX_SUBJECT_CHARS).collect();
        let subject = match kind {
            ThrottleKind::Account => subject.to_lowercase(),
            _ => subject,
        };
        Self { kind, subject }
    }

    /// The counter of `address` for `kind`: an IPv4 address on its own (also written as
    /// IPv6), an IPv6 address by its /64, since one host or home usually has a whole /64.
    pub fn address(kind: ThrottleKind, address: IpAddr) -> Self {
        let subject = match address.to_canonical() {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & !(u128::from(u64::MAX));
                format!("{}/64", Ipv6Addr::from(network))
            }
        };
        Self { kind, subject }
    }
}

/// The failures counted against a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle {
    /// What they are counted against.
    pub key: ThrottleKey,
    /// Failures since the count last started (a success, or a quiet spell, starts it over).
    pub failures: u32,
    /// The latest failure.
    pub last_failure_at: Timestamp,
    /// Attempts are refused until then, if at all.
    pub locked_until: Option<Timestamp>,
    /// Refused until staff clear it.
    pub permanent: bool,
}

impl Throttle {
    /// Whether attempts against its key are refused at `now`.
    pub fn is_locked(&self, now: Timestamp) -> bool {
        self.permanent || self.locked_until.is_some_and(|until| until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_counted_in_one_form() {
        let key = |kind, subject| ThrottleKey::new(kind, subject).subject;
        assert_eq!(
            key(ThrottleKind::Account, "Alice@Example.COM"),
            "alice@example.com"
        );
        assert_eq!(
            key(ThrottleKind::Client, "AbC"),
            "AbC",
            "client ids are exact"
        );
        assert_eq!(key(ThrottleKind::LoginAddress, "192.0.2.7"), "192.0.2.7");
        assert_eq!(
            key(ThrottleKind::LoginAddress, "::ffff:192.0.2.7"),
            "192.0.2.7"
        );
        assert_eq!(
            key(ThrottleKind::ClientAddress, "2001:db8:1:2:aaaa::7"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            key(ThrottleKind::DeviceAddress, "2001:db8:1:2::/64"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            key(ThrottleKind::Account, &"x".repeat(1000)).len(),
            MAX_SUBJECT_CHARS
        );
    }
}
