//! Which URLs requests may go to: credentials and user records must not cross a network in
//! clear.

use std::net::IpAddr;

use url::{Host, Url};

use crate::OutgoingError;

/// Whether `url` names this machine (`localhost`, `127.0.0.0/8`, `::1`): plain http there
/// never leaves it.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        None => false,
    }
}

/// `https` anywhere; `http` to loopback, or anywhere when `allow_insecure_http`; nothing
/// else.
pub(crate) fn check(url: &Url, allow_insecure_http: bool) -> Result<(), OutgoingError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(OutgoingError::InsecureUrl(url.to_string())),
        other => Err(OutgoingError::Unreachable {
            url: url.to_string(),
            reason: format!("{other}: only http and https can be reached"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_stays_on_this_machine_unless_allowed() {
        let url = |text: &str| Url::parse(text).unwrap();
        for allowed in [
            "https://warrant.example/o/introspect/",
            "http://127.0.0.1:8000/",
            "http://127.8.9.10/",
            "http://localhost:8000/",
            "http://LOCALHOST/",
            "http://[::1]:8000/",
        ] {
            assert!(check(&url(allowed), false).is_ok(), "{allowed}");
        }
        for refused in [
            "http://warrant.internal/",
            "http://10.0.0.1/",
            "http://[2001:db8::1]/",
            "http://localhost.example/",
        ] {
            assert!(
                matches!(
                    check(&url(refused), false),
                    Err(OutgoingError::InsecureUrl(_))
                ),
                "{refused}"
            );
            assert!(check(&url(refused), true).is_ok(), "{refused}");
        }
        assert!(check(&url("ftp://warrant.example/"), true).is_err());
    }
}
