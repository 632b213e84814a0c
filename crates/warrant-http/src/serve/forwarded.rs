//! The client behind trusted proxies: a connection from an address in
//! `server.trusted_proxies` names its client in `Forwarded` (RFC 7239) or, without it,
//! `X-Forwarded-For`. Walking the list from its end (the nearest hop), addresses of trusted
//! proxies are skipped and the first other one is the client: what a client wrote at the
//! list's start itself is believed only when every hop after it is trusted.

use std::net::{IpAddr, SocketAddr};

use hyper::HeaderMap;
use ipnet::IpNet;

/// The address to treat as the request's client: `peer` unless it is a trusted proxy that
/// names another.
pub(super) fn client_address(
    peer: SocketAddr,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> SocketAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer.ip()) {
        return peer;
    }
    let hops = forwarded_for(headers);
    // Nearest hop last: skip the trusted ones; the first untrusted is the client. When all
    // are trusted, the farthest is as near the client as can be known.
    let client = hops
        .iter()
        .rev()
        .find(|hop| !is_trusted(hop))
        .or_else(|| hops.first());
    client.map_or(peer, |ip| SocketAddr::new(*ip, peer.port()))
}

/// The addresses the proxies named, farthest first: `Forwarded`'s `for=` if the header is
/// there, else `X-Forwarded-For`'s. A hop that is no address (`unknown`, an obfuscated
/// name) ends the list there: nothing beyond it can be trusted.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|hop| hop.trim().to_owned())
            .collect()
    };
    let forwarded = values("forwarded");
    let hops: Vec<Option<IpAddr>> = if forwarded.is_empty() {
        values("x-forwarded-for")
            .iter()
            .map(|hop| parse_node(hop))
            .collect()
    } else {
        forwarded.iter().map(|element| for_of(element)).collect()
    };
    // Only the hops after the last unreadable one (nearest the proxy) are worth anything.
    let start = hops
        .iter()
        .rposition(Option::is_none)
        .map_or(0, |unreadable| unreadable + 1);
    hops[start..].iter().flatten().copied().collect()
}

/// The `for=` of one `Forwarded` element (`for=192.0.2.60;proto=http;by=203.0.113.43`).
fn for_of(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_node(value.trim().trim_matches('"')))?
    })
}

/// An address as proxies write it: `192.0.2.60`, `192.0.2.60:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    node.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn client(peer: &str, pairs: &[(&'static str, &'static str)]) -> String {
        let trusted: Vec<IpNet> = vec![
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1/32".parse().unwrap(),
        ];
        let peer: SocketAddr = peer.parse().unwrap();
        client_address(peer, &headers(pairs), &trusted)
            .ip()
            .to_string()
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        assert_eq!(
            client("127.0.0.1:1", &[("x-forwarded-for", "203.0.113.7")]),
            "203.0.113.7"
        );
        assert_eq!(
            client(
                "10.0.0.2:1",
                &[("forwarded", "for=\"[2001:db8::1]:4711\";proto=https")]
            ),
            "2001:db8::1"
        );
        // Forwarded wins over X-Forwarded-For; hops of trusted proxies are skipped.
        assert_eq!(
            client(
                "127.0.0.1:1",
                &[
                    ("x-forwarded-for", "198.51.100.1"),
                    ("forwarded", "for=192.0.2.60, for=10.1.1.1")
                ]
            ),
            "192.0.2.60"
        );
    }

    #[test]
    fn what_a_client_wrote_itself_is_not_believed() {
        // The client said 1.2.3.4; the trusted proxy appended the address it saw.
        assert_eq!(
            client(
                "127.0.0.1:1",
                &[("x-forwarded-for", "1.2.3.4, 198.51.100.9")]
            ),
            "198.51.100.9"
        );
        // An untrusted peer's headers are ignored.
        assert_eq!(
            client("198.51.100.9:1", &[("x-forwarded-for", "1.2.3.4")]),
            "198.51.100.9"
        );
        // Nothing readable: the proxy itself.
        assert_eq!(
            client("127.0.0.1:1", &[("forwarded", "for=unknown")]),
            "127.0.0.1"
        );
        assert_eq!(client("127.0.0.1:1", &[]), "127.0.0.1");
        // An unreadable hop ends what can be believed before it.
        assert_eq!(
            client(
                "127.0.0.1:1",
                &[("forwarded", "for=192.0.2.1, for=_hidden, for=10.0.0.9")]
            ),
            "10.0.0.9"
        );
    }
}
