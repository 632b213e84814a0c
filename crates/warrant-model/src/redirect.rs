use std::fmt;
use std::net::IpAddr;

use serde::Serialize;
use url::{Host, Url};

use crate::ModelError;

/// What an operator allows beyond RFC 6749 §3.1.2's rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedirectUriPolicy {
    /// Allow plain `http` for hosts other than loopback (off by default: a code sent over
    /// plain HTTP to a real host can be read on the way).
    pub allow_insecure_http: bool,
}

/// Schemes that run code or read local data in a browser: never a redirection endpoint.
const FORBIDDEN_SCHEMES: &[&str] = &["javascript", "data", "vbscript", "file", "about", "blob"];

/// A registered or requested redirection endpoint (RFC 6749 §3.1.2).
///
/// Valid means: an absolute URI without fragment or credentials; `https`, `http` on a
/// loopback host (RFC 8252 §7.3) or everywhere if the policy allows, or a private-use
/// scheme for native apps (RFC 8252 §7.1). Comparison is exact string equality on the
/// text as registered, as RFC 6749 §3.1.2.3 and OAuth 2.1 require, but for the port of a
/// loopback IP literal ([`RedirectUri::matches_registered`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Parses a redirect URI under `policy`.
    pub fn parse(value: &str, policy: RedirectUriPolicy) -> Result<Self, ModelError> {
        let reject = |reason| ModelError::RedirectUri {
            uri: value.to_owned(),
            reason,
        };
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(reject("it contains whitespace"));
        }
        let url = Url::parse(value).map_err(|_| reject("it is not an absolute URI"))?;
        if url.fragment().is_some() {
            return Err(reject("it has a fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(reject("it carries credentials"));
        }
        match url.scheme() {
            "https" if url.host().is_none() => Err(reject("it has no host")),
            "https" => Ok(Self(value.to_owned())),
            "http" if url.host().is_none() => Err(reject("it has no host")),
            "http" if is_loopback(&url) || policy.allow_insecure_http => Ok(Self(value.to_owned())),
            "http" => Err(reject("plain http is allowed only for loopback hosts")),
            scheme if FORBIDDEN_SCHEMES.contains(&scheme) => {
                Err(reject("its scheme is not allowed"))
            }
            _ => Ok(Self(value.to_owned())),
        }
    }

    /// The URI exactly as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a request's redirect URI (`self`) names the `registered` one: the same
    /// text, or, for `http` on a loopback IP literal, the same but for the port. Native
    /// apps listen on a port the system gives them at the time of the request, so RFC 8252
    /// §7.3 requires any port to be allowed there (DOT's `ALLOW_LOCALHOST_LOOPBACK`);
    /// `localhost`, which may resolve elsewhere (RFC 8252 §8.3), is matched exactly.
    pub fn matches_registered(&self, registered: &RedirectUri) -> bool {
        if self == registered {
            return true;
        }
        let (Ok(mut requested), Ok(mut registered)) =
            (Url::parse(&self.0), Url::parse(&registered.0))
        else {
            return false;
        };
        let loopback_ip = |url: &Url| {
            url.scheme() == "http"
                && match url.host() {
                    Some(Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(Host::Ipv6(ip)) => ip.is_loopback(),
                    _ => false,
                }
        };
        loopback_ip(&requested)
            && loopback_ip(&registered)
            && requested.set_port(None).is_ok()
            && registered.set_port(None).is_ok()
            && requested == registered
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A web origin allowed to call Warrant's endpoints from a browser (CORS):
/// `scheme://host[:port]`, kept in its serialised form (lower-case, default port dropped).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Origin(String);

impl Origin {
    /// Parses an origin; a path, query or fragment other than a bare `/` is refused.
    pub fn parse(value: &str) -> Result<Self, ModelError> {
        let invalid = || ModelError::Origin(value.to_owned());
        let url = Url::parse(value).map_err(|_| invalid())?;
        let bare = matches!(url.path(), "" | "/")
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none();
        let origin = url.origin();
        if !bare || !origin.is_tuple() {
            return Err(invalid());
        }
        Ok(Self(origin.ascii_serialization()))
    }

    /// The serialised origin.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(uri: &str) -> Result<RedirectUri, ModelError> {
        RedirectUri::parse(uri, RedirectUriPolicy::default())
    }

    #[test]
    fn accepts_https_loopback_http_and_private_use_schemes() {
        for good in [
            "https://client.example.com/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "http://localhost/cb",
            "http://[::1]:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(parse(good).map(|u| u.0), Ok(good.to_string()), "{good}");
        }
    }

    #[test]
    fn loopback_ip_redirects_match_on_any_port_and_nothing_else_does() {
        let matches = |requested: &str, registered: &str| {
            parse(requested)
                .unwrap()
                .matches_registered(&parse(registered).unwrap())
        };
        assert!(matches("http://127.0.0.1:51004/cb", "http://127.0.0.1/cb"));
        assert!(matches(
            "http://127.0.0.1:51004/cb",
            "http://127.0.0.1:8080/cb"
        ));
        assert!(matches("http://[::1]:6000/cb?x=1", "http://[::1]/cb?x=1"));
        assert!(matches("https://app.example/cb", "https://app.example/cb"));
        for (requested, registered) in [
            ("http://127.0.0.1:51004/other", "http://127.0.0.1/cb"),
            ("http://127.0.0.2:51004/cb", "http://127.0.0.1/cb"),
            ("http://localhost:51004/cb", "http://localhost/cb"),
            ("https://127.0.0.1:51004/cb", "https://127.0.0.1/cb"),
            ("https://app.example:8443/cb", "https://app.example/cb"),
            ("http://127.0.0.1:51004/cb?x=2", "http://127.0.0.1/cb?x=1"),
        ] {
            assert!(
                !matches(requested, registered),
                "{requested} ~ {registered}"
            );
        }
    }

    #[test]
    fn refuses_what_rfc_6749_and_browsers_make_unsafe() {
        for bad in [
            "",
            "/relative/path",
            "https://client.example.com/cb#frag",
            "https://user:pw@client.example.com/cb",
            "http://client.example.com/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "https://client.example.com/ cb",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn policy_can_allow_plain_http() {
        let policy = RedirectUriPolicy {
            allow_insecure_http: true,
        };
        assert!(RedirectUri::parse("http://intranet.example/cb", policy).is_ok());
    }

    #[test]
    fn origin_is_scheme_host_port_only() {
        assert_eq!(
            Origin::parse("https://App.Example.com").map(|o| o.0),
            Ok("https://app.example.com".into())
        );
        assert_eq!(
            Origin::parse("http://localhost:3000/").map(|o| o.0),
            Ok("http://localhost:3000".into())
        );
        for bad in [
            "https://app.example.com/path",
            "app.example.com",
            "com.example:/x",
            "https://a.example?q",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad:?}");
        }
    }
}
