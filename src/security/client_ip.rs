//! The client's address, for rate limits and the audit trail.
//!
//! Stops rate-limit evasion and forged audit addresses by header spoofing:
//! `X-Forwarded-For` is believed only when the TCP peer is one of
//! `TRUSTED_PROXIES`. Then the entries are walked from the right (the end our
//! own proxies write), trusted proxies are skipped, and the first other valid
//! address is the client. An entry that is not a valid address (`unknown`,
//! garbage) ends the walk: everything to its left is the client's own text, so
//! the trusted hop that reported it is taken as the client instead.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<IpAddr>>);

impl TrustedProxies {
    pub fn new(proxies: Vec<IpAddr>) -> Self {
        Self(Arc::new(
            proxies.into_iter().map(|ip| ip.to_canonical()).collect(),
        ))
    }

    fn trusts(&self, ip: &IpAddr) -> bool {
        self.0.contains(ip)
    }

    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        // A dual-stack listener reports IPv4 peers as `::ffff:a.b.c.d`.
        let peer = peer?.to_canonical();
        if !self.trusts(&peer) {
            return Some(peer);
        }
        // The last trusted hop so far: the one that appended the next entry.
        let mut reporter = peer;
        // Several headers form one list, in order; the last is the nearest hop.
        for value in headers.get_all("x-forwarded-for").rev() {
            let Ok(value) = value.to_str() else {
                return Some(reporter);
            };
            for entry in value.split(',').rev() {
                match parse_entry(entry) {
                    Some(ip) if self.trusts(&ip) => reporter = ip,
                    Some(ip) => return Some(ip),
                    None => return Some(reporter),
                }
            }
        }
        // Every hop is one of ours: the request started at the left-most one.
        Some(reporter)
    }

    pub fn of_request(&self, req: &ServiceRequest) -> Option<IpAddr> {
        self.client_ip(req.peer_addr().map(|a| a.ip()), req.headers())
    }
}

/// One list entry: `a.b.c.d`, `a.b.c.d:port`, a bare IPv6 address, `[v6]` or
/// `[v6]:port`, with optional surrounding spaces. Anything else is `None`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim_matches([' ', '\t']);
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = entry.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return port_ok
            .then(|| v6.parse::<Ipv6Addr>().ok())
            .flatten()
            .map(|ip| IpAddr::V6(ip).to_canonical());
    }
    let (v4, port) = entry.rsplit_once(':')?;
    is_port(port)
        .then(|| v4.parse::<Ipv4Addr>().ok())
        .flatten()
        .map(IpAddr::V4)
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u16>().is_ok()
}

/// The bucket a client address is counted in: an IPv4 address, or an IPv6
/// address's /64. Stops limit evasion by address rotation: one IPv6 subscriber
/// usually holds a whole /64, 2^64 addresses. (The audit trail keeps the full
/// address.)
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    const XFF: HeaderName = HeaderName::from_static("x-forwarded-for");

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for value in values {
            h.append(XFF, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// The client seen through the trusted proxy 10.0.0.1 (also trusting 10.0.0.2).
    fn via_proxy(values: &[&str]) -> Option<IpAddr> {
        TrustedProxies::new(vec![ip("10.0.0.1"), ip("10.0.0.2")])
            .client_ip(Some(ip("10.0.0.1")), &headers(values))
    }

    #[test]
    fn untrusted_peers_cannot_choose_their_address() {
        let proxies = TrustedProxies::new(vec![]);
        let peer = ip("203.0.113.9");
        assert_eq!(
            proxies.client_ip(Some(peer), &headers(&["1.2.3.4"])),
            Some(peer)
        );
    }

    #[test]
    fn trusted_proxies_forward_the_rightmost_untrusted_address() {
        let got = via_proxy(&["6.6.6.6, 198.51.100.7, 10.0.0.2"]);
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn ports_are_stripped_not_skipped() {
        assert_eq!(
            via_proxy(&["6.6.6.6, 198.51.100.9:5555"]),
            Some(ip("198.51.100.9"))
        );
        assert_eq!(
            via_proxy(&["6.6.6.6, [2001:db8::9]:443"]),
            Some(ip("2001:db8::9"))
        );
        assert_eq!(
            via_proxy(&["6.6.6.6, [2001:db8::9]"]),
            Some(ip("2001:db8::9"))
        );
        assert_eq!(
            via_proxy(&["6.6.6.6, 2001:db8::9"]),
            Some(ip("2001:db8::9"))
        );
        assert_eq!(
            via_proxy(&["6.6.6.6, 198.51.100.9:5555, 10.0.0.2:80"]),
            Some(ip("198.51.100.9"))
        );
    }

    #[test]
    fn an_unparseable_entry_is_the_boundary() {
        // The proxy that appended `unknown` is the client, never the left side.
        assert_eq!(via_proxy(&["6.6.6.6, unknown"]), Some(ip("10.0.0.1")));
        assert_eq!(
            via_proxy(&["6.6.6.6, unknown, 10.0.0.2"]),
            Some(ip("10.0.0.2"))
        );
        for garbage in [
            "6.6.6.6, not-an-ip",
            "6.6.6.6, _hidden",
            "6.6.6.6, 198.51.100.9:",
            "6.6.6.6, 198.51.100.9:99999",
            "6.6.6.6, 198.51.100.9:+80",
            "6.6.6.6, [2001:db8::9",
            "6.6.6.6, [2001:db8::9]x",
            "6.6.6.6, [198.51.100.9]",
            "6.6.6.6, 2001:db8::9:443x",
            "6.6.6.6, fe80::1%eth0",
            "6.6.6.6,",
            "6.6.6.6, , ",
            "",
        ] {
            assert_eq!(via_proxy(&[garbage]), Some(ip("10.0.0.1")), "{garbage:?}");
        }
    }

    #[test]
    fn non_text_header_values_are_the_boundary() {
        let mut h = headers(&["6.6.6.6"]);
        h.append(XFF, HeaderValue::from_bytes(b"198.51.100.9\xff").unwrap());
        let proxies = TrustedProxies::new(vec![ip("10.0.0.1")]);
        assert_eq!(
            proxies.client_ip(Some(ip("10.0.0.1")), &h),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn several_headers_are_one_list_in_order() {
        assert_eq!(
            via_proxy(&["6.6.6.6", "198.51.100.7"]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            via_proxy(&["6.6.6.6", "198.51.100.7, 10.0.0.2", "10.0.0.1"]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(via_proxy(&["6.6.6.6", "unknown"]), Some(ip("10.0.0.1")));
    }

    #[test]
    fn an_all_trusted_chain_is_its_left_most_hop() {
        assert_eq!(via_proxy(&["10.0.0.2, 10.0.0.1"]), Some(ip("10.0.0.2")));
        assert_eq!(via_proxy(&[]), Some(ip("10.0.0.1")));
    }

    #[test]
    fn spaces_and_tabs_around_entries_are_ignored() {
        assert_eq!(
            via_proxy(&["6.6.6.6 ,\t198.51.100.7 \t, 10.0.0.2 "]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            via_proxy(&["6.6.6.6,  [2001:db8::9]:443  "]),
            Some(ip("2001:db8::9"))
        );
    }

    #[test]
    fn ipv4_mapped_addresses_are_plain_ipv4() {
        let proxies = TrustedProxies::new(vec![ip("10.0.0.1")]);
        let peer = ip("::ffff:10.0.0.1");
        assert_eq!(
            proxies.client_ip(Some(peer), &headers(&["::ffff:198.51.100.7"])),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_ipv4_per_address() {
        assert_eq!(limit_key(ip("2001:db8:1:2:ffff::5")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2::1")), ip("2001:db8:1:2::"));
        assert_ne!(limit_key(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("198.51.100.7")), ip("198.51.100.7"));
    }
}
