//! The client's address, for rate limits and the audit trail.
//!
//! Stops rate-limit evasion by header spoofing: `X-Forwarded-For` is believed
//! only when the TCP peer is one of `TRUSTED_PROXIES`, and then the client is
//! the right-most address that is not itself a trusted proxy.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<IpAddr>>);

impl TrustedProxies {
    pub fn new(proxies: Vec<IpAddr>) -> Self {
        Self(Arc::new(proxies))
    }

    fn trusts(&self, ip: &IpAddr) -> bool {
        self.0.contains(ip)
    }

    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(&peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|part| part.trim().parse().ok())
            .collect();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|ip| !self.trusts(ip))
                .unwrap_or(peer),
        )
    }

    pub fn of_request(&self, req: &ServiceRequest) -> Option<IpAddr> {
        self.client_ip(req.peer_addr().map(|a| a.ip()), req.headers())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_str(xff).unwrap(),
        );
        h
    }

    #[test]
    fn untrusted_peers_cannot_choose_their_address() {
        let proxies = TrustedProxies::new(vec![]);
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            proxies.client_ip(Some(peer), &headers("1.2.3.4")),
            Some(peer)
        );
    }

    #[test]
    fn trusted_proxies_forward_the_rightmost_untrusted_address() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let proxies = TrustedProxies::new(vec![proxy]);
        let got = proxies.client_ip(Some(proxy), &headers("6.6.6.6, 198.51.100.7, 10.0.0.1"));
        assert_eq!(got, Some("198.51.100.7".parse().unwrap()));
    }
}
