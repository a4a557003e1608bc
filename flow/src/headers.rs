//! [`parse_headers`]: the tracker's L2→L3→L4 parse on its own, for the benchmark read floor.

use crate::error::{ParseError, Result};
use crate::key::icmp_counterpart;
use crate::link::{parse_link, L3Kind};
use crate::packet::LinkType;
use crate::parse::{parse_ip, parse_l4, L4};

/// What [`parse_headers`] found in one frame. Borrows the frame; nothing is copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderSummary<'a> {
    /// IP protocol number (after IPv6 extension headers).
    pub ip_proto: u8,
    /// Source port as the tracker keys it (TCP, UDP, SCTP; ICMP: the type; else 0).
    pub src_port: u16,
    /// Destination port as the tracker keys it (ICMP: the counterpart type or the code).
    pub dst_port: u16,
    /// True for an IP fragment (not an atomic one): the transport header is not parsed,
    /// ports are 0 and `payload` is the fragment's data.
    pub fragment: bool,
    /// Transport payload bytes as captured (may be shorter than `payload_len`).
    pub payload: &'a [u8],
    /// Transport payload length stated by the headers (what flow byte counters use for
    /// TCP and UDP).
    pub payload_len: u32,
}

/// Parses one frame's link, IP and transport headers exactly as
/// [`FlowTracker::process`](crate::FlowTracker::process) does, without IP defragmentation,
/// flow lookup or reassembly.
///
/// This is the parse of the benchmark's *read floor*: the cost of reading and parsing every
/// frame, against which the tracker's and decoders' cost is measured. It allocates nothing.
///
/// # Errors
/// The [`ParseError`] the tracker would count and report as a `weird` for this frame, or
/// [`ParseError::NotIp`] for a frame whose network layer is not IPv4/IPv6 (the tracker
/// counts those in `non_ip`).
pub fn parse_headers(link: LinkType, data: &[u8]) -> Result<HeaderSummary<'_>> {
    let l2 = parse_link(link, data)?;
    if let L3Kind::Other(ethertype) = l2.kind {
        return Err(ParseError::NotIp(ethertype));
    }
    let ip = parse_ip(l2.kind, l2.data)?;
    if ip.frag.is_some() {
        return Ok(HeaderSummary {
            ip_proto: ip.proto,
            src_port: 0,
            dst_port: 0,
            fragment: true,
            payload: ip.payload,
            payload_len: ip.payload_len,
        });
    }
    let (src_port, dst_port, payload, payload_len) =
        match parse_l4(ip.proto, ip.payload, ip.payload_len)? {
            L4::Tcp(t) => (t.sport, t.dport, t.payload, t.len),
            L4::Udp {
                sport,
                dport,
                payload,
                len,
            } => (sport, dport, payload, len),
            L4::Icmp {
                v6,
                ty,
                code,
                payload,
            } => {
                let dport = u16::from(icmp_counterpart(v6, ty).unwrap_or(code));
                (u16::from(ty), dport, payload, len32(payload))
            }
            L4::Sctp {
                sport,
                dport,
                payload,
            } => (sport, dport, payload, len32(payload)),
            L4::Other { payload } => (0, 0, payload, len32(payload)),
        };
    Ok(HeaderSummary {
        ip_proto: ip.proto,
        src_port,
        dst_port,
        fragment: false,
        payload,
        payload_len,
    })
}

fn len32(b: &[u8]) -> u32 {
    u32::try_from(b.len()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet + IPv4 + TCP SYN-less data segment 10.0.0.1:40000 -> 10.0.0.2:80, 3 bytes.
    fn eth_tcp() -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        f.extend_from_slice(&[
            0x45, 0, 0, 43, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ]);
        f.extend_from_slice(&[
            0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
        ]);
        f.extend_from_slice(b"GET");
        f
    }

    #[test]
    fn tcp_over_ethernet() {
        let f = eth_tcp();
        let s = parse_headers(LinkType::ETHERNET, &f).unwrap();
        assert_eq!(
            s,
            HeaderSummary {
                ip_proto: 6,
                src_port: 40000,
                dst_port: 80,
                fragment: false,
                payload: b"GET",
                payload_len: 3,
            }
        );
    }

    #[test]
    fn icmp_ports_and_fragments_and_errors() {
        let icmp = [
            0x45, 0, 0, 29, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 1, 0,
            1, 9,
        ];
        let s = parse_headers(LinkType::RAW, &icmp).unwrap();
        assert_eq!(
            (s.ip_proto, s.src_port, s.dst_port, s.payload_len),
            (1, 8, 0, 1)
        );
        let mut frag = icmp;
        frag[6] = 0x20; // more fragments
        let s = parse_headers(LinkType::RAW, &frag).unwrap();
        assert!(s.fragment);
        assert_eq!((s.src_port, s.payload.len()), (0, 9));
        let f = eth_tcp();
        assert_eq!(
            parse_headers(LinkType::ETHERNET, &f[..40]),
            Err(ParseError::Truncated("tcp"))
        );
        let mut arp = f;
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(
            parse_headers(LinkType::ETHERNET, &arp),
            Err(ParseError::NotIp(0x0806))
        );
    }
}
