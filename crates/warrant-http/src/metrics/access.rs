//! Who may scrape `/metrics`: what it tells (traffic, failures, client apps' names) is for
//! operators, so it is off on a listener others can reach unless a bearer token or an
//! address list says who.

use std::net::IpAddr;

use ipnet::IpNet;
use warrant_generators::constant_time_eq;
use warrant_model::Secret;

/// `/metrics`' access rule (`[metrics]`).
#[derive(Debug)]
pub enum MetricsAccess {
    /// Not served (`404`): `metrics.enabled = false`, or a listener beyond loopback with
    /// neither a token nor an address list.
    Off,
    /// Nothing configured on a loopback listener: scrapers on this machine, not through a
    /// proxy (a request that names a forwarded client came from elsewhere).
    Loopback,
    /// A scraper presenting `token`, or one whose address is in `allow`.
    Configured {
        /// `Authorization: Bearer <token>` (`metrics.bearer_token`).
        token: Option<Secret<String>>,
        /// Addresses and ranges (`metrics.allow`).
        allow: Vec<IpNet>,
    },
}

/// What a scrape is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Allowed,
    /// `404`, as if there were no such page.
    Hidden,
    /// `401`: a token is needed, or the one given is wrong.
    Unauthorized,
    /// `403`: the address is not in the list, and no token could open it.
    Forbidden,
}

/// What a scrape request shows of itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scrape<'a> {
    /// The connection's peer (not a forwarded address).
    pub peer: Option<IpAddr>,
    /// The `Authorization` header's value.
    pub authorization: Option<&'a str>,
    /// It names a forwarded client (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`).
    pub forwarded: bool,
}

impl MetricsAccess {
    pub(crate) fn decide(&self, scrape: Scrape<'_>) -> Verdict {
        match self {
            Self::Off => Verdict::Hidden,
            Self::Loopback => {
                let local = scrape.peer.is_some_and(|peer| peer.is_loopback());
                if local && !scrape.forwarded {
                    Verdict::Allowed
                } else {
                    Verdict::Hidden
                }
            }
            Self::Configured { token, allow } => {
                let presented = scrape
                    .authorization
                    .and_then(|value| value.strip_prefix("Bearer "));
                if let (Some(token), Some(presented)) = (token, presented) {
                    return if constant_time_eq(token.expose().as_bytes(), presented.as_bytes()) {
                        Verdict::Allowed
                    } else {
                        Verdict::Unauthorized
                    };
                }
                let listed = scrape
                    .peer
                    .is_some_and(|peer| allow.iter().any(|net| net.contains(&peer)));
                match (listed, token) {
                    (true, _) => Verdict::Allowed,
                    (false, Some(_)) => Verdict::Unauthorized,
                    (false, None) => Verdict::Forbidden,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(peer: &str, authorization: Option<&'static str>, forwarded: bool) -> Scrape<'static> {
        Scrape {
            peer: Some(peer.parse().unwrap()),
            authorization,
            forwarded,
        }
    }

    #[test]
    fn loopback_serves_local_scrapers_that_did_not_come_through_a_proxy() {
        let access = MetricsAccess::Loopback;
        assert_eq!(
            access.decide(scrape("127.0.0.1", None, false)),
            Verdict::Allowed
        );
        assert_eq!(access.decide(scrape("::1", None, false)), Verdict::Allowed);
        assert_eq!(
            access.decide(scrape("127.0.0.1", None, true)),
            Verdict::Hidden
        );
        assert_eq!(
            access.decide(scrape("10.0.0.5", None, false)),
            Verdict::Hidden
        );
        assert_eq!(
            MetricsAccess::Off.decide(scrape("127.0.0.1", None, false)),
            Verdict::Hidden
        );
    }

    #[test]
    fn a_token_or_a_listed_address_opens_it() {
        let access = MetricsAccess::Configured {
            token: Some(Secret::new("scrape-me".into())),
            allow: vec!["10.1.0.0/16".parse().unwrap()],
        };
        let cases = [
            (
                scrape("192.0.2.1", Some("Bearer scrape-me"), false),
                Verdict::Allowed,
            ),
            (
                scrape("192.0.2.1", Some("Bearer wrong"), false),
                Verdict::Unauthorized,
            ),
            (scrape("192.0.2.1", None, false), Verdict::Unauthorized),
            (scrape("10.1.2.3", None, true), Verdict::Allowed),
            // A wrong token is wrong wherever it comes from.
            (
                scrape("10.1.2.3", Some("Bearer wrong"), false),
                Verdict::Unauthorized,
            ),
        ];
        for (scrape, verdict) in cases {
            assert_eq!(access.decide(scrape), verdict, "{scrape:?}");
        }
        let listed_only = MetricsAccess::Configured {
            token: None,
            allow: vec!["10.1.0.0/16".parse().unwrap()],
        };
        assert_eq!(
            listed_only.decide(scrape("192.0.2.1", None, false)),
            Verdict::Forbidden
        );
        assert_eq!(
            listed_only.decide(scrape("10.1.0.9", None, false)),
            Verdict::Allowed
        );
    }
}
