//! IP networks, allowlists and the client address.
//!
//! Networks are parsed once at compile time and checked per request from
//! the live snapshot. Nothing here knows about HTTP beyond the values of the
//! one header that proxies use to pass the client address on.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// A set of networks; an address matches if any network contains it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Networks(Vec<IpNet>);

impl std::fmt::Display for Networks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.0.iter().map(IpNet::to_string).collect();
        f.write_str(&list.join(", "))
    }
}

impl Networks {
    pub fn new(nets: Vec<IpNet>) -> Networks {
        Networks(nets)
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.0.iter().any(|net| net.contains(&addr))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parses `10.0.0.0/8`, `2001:db8::/32` or a single address (`192.0.2.7`).
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if let Ok(net) = IpNet::from_str(text) {
        return Ok(canonical_net(net));
    }
    match IpAddr::from_str(text) {
        Ok(addr) => Ok(IpNet::from(canonical(addr))),
        Err(_) => Err(format!(
            "`{text}` is not an IP address or network (write `10.0.0.0/8`, `2001:db8::/32` or `192.0.2.7`)"
        )),
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) are the IPv4 address they carry:
/// a dual-stack socket reports IPv4 clients that way.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net,
        },
        other => other,
    }
}

/// A hop of `X-Forwarded-For` that the walk from the right reached, behind
/// trusted proxies only, and that is no address: who sent the request
/// cannot be told, so it is refused rather than taken for the proxy.
#[derive(Debug, PartialEq, Eq)]
pub struct UnreadableHop(pub String);

impl std::fmt::Display for UnreadableHop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the X-Forwarded-For hop `{}` passed on by a trusted proxy is not an IP address",
            self.0.escape_debug()
        )
    }
}

/// The client's address: the socket peer, unless the peer is a trusted
/// proxy; then the rightmost `X-Forwarded-For` entry that is not a trusted
/// proxy. Entries left of an untrusted hop were written by the client and are
/// never believed. A hop may carry a port (`192.0.2.7:5100`,
/// `[2001:db8::7]:443`), as some load balancers write it.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a [u8]>,
    trusted: &Networks,
) -> Result<IpAddr, UnreadableHop> {
    let peer = canonical(peer);
    if trusted.is_empty() || !trusted.contains(peer) {
        return Ok(peer);
    }
    let hops: Vec<&[u8]> = forwarded_for
        .flat_map(|value| value.split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        client = hop_address(hop)
            .map(canonical)
            .ok_or_else(|| UnreadableHop(String::from_utf8_lossy(hop).into_owned()))?;
        if !trusted.contains(client) {
            return Ok(client);
        }
    }
    Ok(client)
}

/// One hop's address: `IP`, `IPv4:port`, `[IPv6]` or `[IPv6]:port`.
fn hop_address(hop: &[u8]) -> Option<IpAddr> {
    let hop = std::str::from_utf8(hop).ok()?;
    IpAddr::from_str(hop)
        .ok()
        .or_else(|| std::net::SocketAddr::from_str(hop).ok().map(|s| s.ip()))
        .or_else(|| {
            let bracketed = hop.strip_prefix('[')?.strip_suffix(']')?;
            std::net::Ipv6Addr::from_str(bracketed).ok().map(IpAddr::V6)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nets(list: &[&str]) -> Networks {
        Networks::new(list.iter().map(|s| parse_network(s).unwrap()).collect())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_networks_and_single_addresses() {
        let n = nets(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]);
        assert!(n.contains(ip("10.200.1.1")));
        assert!(n.contains(ip("2001:db8::1")));
        assert!(n.contains(ip("192.0.2.7")));
        assert!(!n.contains(ip("192.0.2.8")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(
            parse_network("example.com")
                .unwrap_err()
                .contains("not an IP address")
        );
    }

    #[test]
    fn ipv4_mapped_addresses_match_ipv4_rules() {
        let n = nets(&["10.0.0.0/8"]);
        assert!(n.contains(ip("::ffff:10.1.2.3")));
        let mapped_rule = nets(&["::ffff:192.0.2.0/120"]);
        assert!(mapped_rule.contains(ip("192.0.2.9")));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = nets(&["10.0.0.0/8"]);
        // Untrusted peer: the header is ignored, whatever it says.
        let client = client_ip(ip("203.0.113.5"), [&b"1.2.3.4"[..]].into_iter(), &trusted);
        assert_eq!(client, Ok(ip("203.0.113.5")));
        // Trusted peer: the rightmost untrusted hop.
        let client = client_ip(
            ip("10.0.0.1"),
            [&b"6.6.6.6, 198.51.100.7, 10.0.0.2"[..]].into_iter(),
            &trusted,
        );
        assert_eq!(client, Ok(ip("198.51.100.7")));
        // Every hop trusted: the leftmost one.
        let client = client_ip(ip("10.0.0.1"), [&b"10.0.0.9"[..]].into_iter(), &trusted);
        assert_eq!(client, Ok(ip("10.0.0.9")));
        // No header: the peer.
        assert_eq!(
            client_ip(ip("10.0.0.1"), std::iter::empty(), &trusted),
            Ok(ip("10.0.0.1"))
        );
    }

    #[test]
    fn hops_may_carry_ports() {
        let trusted = nets(&["10.0.0.0/8"]);
        for (header, client) in [
            ("9.9.9.9:1234", "9.9.9.9"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("1.2.3.4, 9.9.9.9:443, 10.0.0.2:80", "9.9.9.9"),
        ] {
            assert_eq!(
                client_ip(ip("10.0.0.1"), [header.as_bytes()].into_iter(), &trusted),
                Ok(ip(client)),
                "{header}"
            );
        }
    }

    #[test]
    fn a_hop_that_is_no_address_is_refused_never_taken_for_the_proxy() {
        let trusted = nets(&["10.0.0.0/8"]);
        for (header, hop) in [
            ("unknown", "unknown"),
            ("1.1.1.1, nonsense, 10.0.0.3", "nonsense"),
            ("1.2.3.4,", ""),
            ("", ""),
            ("9.9.9.9:http", "9.9.9.9:http"),
        ] {
            assert_eq!(
                client_ip(ip("10.0.0.1"), [header.as_bytes()].into_iter(), &trusted),
                Err(UnreadableHop(hop.to_owned())),
                "{header}"
            );
        }
        // Bytes that are not UTF-8 are no address either, not a skipped value.
        let client = client_ip(
            ip("10.0.0.1"),
            [&b"\xff9.9.9.9"[..], b"10.0.0.2"].into_iter(),
            &trusted,
        );
        assert_eq!(client, Err(UnreadableHop("\u{FFFD}9.9.9.9".to_owned())));
        // Left of the client's hop, nothing is read at all.
        let client = client_ip(
            ip("10.0.0.1"),
            [&b"nonsense, \xff"[..], b"198.51.100.7"].into_iter(),
            &trusted,
        );
        assert_eq!(client, Ok(ip("198.51.100.7")));
    }

    proptest! {
        #[test]
        fn an_ipv4_network_contains_exactly_its_prefix(addr: u32, other: u32, len in 0u8..=32) {
            let net = ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(addr), len).unwrap().trunc();
            let n = Networks::new(vec![IpNet::V4(net)]);
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            let inside = (other & mask) == (addr & mask);
            prop_assert_eq!(n.contains(IpAddr::V4(other.into())), inside);
            // The same address seen through a dual-stack socket matches the same way.
            let mapped = IpAddr::V6(std::net::Ipv4Addr::from(other).to_ipv6_mapped());
            prop_assert_eq!(n.contains(mapped), inside);
        }

        #[test]
        fn a_client_never_picks_its_own_address(peer: u32, claimed: u32) {
            let trusted = nets(&["10.0.0.0/8"]);
            let peer = IpAddr::V4(peer.into());
            let header = std::net::Ipv4Addr::from(claimed).to_string();
            let client = client_ip(peer, [header.as_bytes()].into_iter(), &trusted);
            if !trusted.contains(peer) {
                prop_assert_eq!(client, Ok(peer));
            }
        }
    }
}
