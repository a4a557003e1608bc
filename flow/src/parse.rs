//! Network and transport layer parsing over borrowed bytes.
//!
//! IPv4, IPv6 and TCP/UDP fixed headers are read through etherparse's header slices, which
//! check their lengths once; IPv6 extension headers are walked here because we need the
//! fragment header's fields for reassembly. Nothing here allocates.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{Ipv4HeaderSlice, Ipv6HeaderSlice, TcpHeaderSlice, UdpHeaderSlice};

use crate::error::{ParseError, Result};
use crate::link::L3Kind;

/// Maximum IPv6 extension headers walked (RFC 8200 allows any number; real traffic uses 1–3).
const MAX_IPV6_EXTS: usize = 8;

/// IP protocol numbers we dispatch on.
pub(crate) mod proto {
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const ICMPV6: u8 = 58;
    pub const SCTP: u8 = 132;
}

/// Fragment fields of an IPv4 header or IPv6 fragment header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FragInfo {
    pub id: u32,
    /// Offset of this fragment's data in the datagram's payload, in bytes.
    pub offset: u32,
    pub more: bool,
}

/// A parsed IP header with its payload.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Transport protocol (after IPv6 extension headers).
    pub proto: u8,
    /// Total length as stated by the header (what Zeek sums into `ip_bytes`).
    pub ip_len: u32,
    /// Length of the IP header including extension headers up to the payload.
    pub hdr_len: u32,
    /// Set when this packet is a fragment (not an atomic one).
    pub frag: Option<FragInfo>,
    /// Transport bytes, clipped to the stated length and the captured length.
    pub payload: &'a [u8],
    /// Transport length stated by the header (may exceed `payload.len()` when truncated).
    pub payload_len: u32,
}

/// Parses an IPv4 or IPv6 header.
///
/// # Errors
/// `Truncated("ip")` when the capture ends inside the header, `BadIpHeader` when the version
/// or lengths are inconsistent, `TooDeep` for too many IPv6 extension headers.
pub(crate) fn parse_ip(kind: L3Kind, data: &[u8]) -> Result<IpPacket<'_>> {
    match kind {
        L3Kind::Ipv4 => parse_ipv4(data),
        L3Kind::Ipv6 => parse_ipv6(data),
        L3Kind::Other(_) => Err(ParseError::BadIpHeader),
    }
}

fn parse_ipv4(data: &[u8]) -> Result<IpPacket<'_>> {
    let h = Ipv4HeaderSlice::from_slice(data).map_err(|e| match e {
        etherparse::err::ipv4::HeaderSliceError::Len(_) => ParseError::Truncated("ipv4"),
        etherparse::err::ipv4::HeaderSliceError::Content(_) => ParseError::BadIpHeader,
    })?;
    let hdr_len = h.slice().len();
    let stated = usize::from(h.total_len());
    // A total length of 0 happens with TCP segmentation offload captures: trust the capture.
    let total = if stated == 0 { data.len() } else { stated };
    if total < hdr_len {
        return Err(ParseError::BadIpHeader);
    }
    let end = total.min(data.len());
    let payload = data.get(hdr_len..end).unwrap_or(&[]);
    let frag_off = u32::from(h.fragments_offset().value()) * 8;
    let frag = (h.more_fragments() || frag_off != 0).then(|| FragInfo {
        id: u32::from(h.identification()),
        offset: frag_off,
        more: h.more_fragments(),
    });
    Ok(IpPacket {
        src: IpAddr::V4(Ipv4Addr::from(h.source())),
        dst: IpAddr::V4(Ipv4Addr::from(h.destination())),
        proto: h.protocol().0,
        ip_len: u32::try_from(total).unwrap_or(u32::MAX),
        hdr_len: u32::try_from(hdr_len).unwrap_or(u32::MAX),
        frag,
        payload,
        payload_len: u32::try_from(total - hdr_len).unwrap_or(u32::MAX),
    })
}

fn parse_ipv6(data: &[u8]) -> Result<IpPacket<'_>> {
    let h = Ipv6HeaderSlice::from_slice(data).map_err(|e| match e {
        etherparse::err::ipv6::HeaderSliceError::Len(_) => ParseError::Truncated("ipv6"),
        etherparse::err::ipv6::HeaderSliceError::Content(_) => ParseError::BadIpHeader,
    })?;
    const FIXED: usize = 40;
    let stated = usize::from(h.payload_length());
    // Payload length 0: jumbogram or offload capture; trust the captured length.
    let plen = if stated == 0 {
        data.len().saturating_sub(FIXED)
    } else {
        stated
    };
    let end = FIXED.saturating_add(plen).min(data.len());
    let after = data.get(FIXED..end).unwrap_or(&[]);
    let ext = walk_ipv6_exts(h.next_header().0, after)?;
    let hdr_len = FIXED.saturating_add(ext.skipped);
    Ok(IpPacket {
        src: IpAddr::V6(Ipv6Addr::from(h.source())),
        dst: IpAddr::V6(Ipv6Addr::from(h.destination())),
        proto: ext.proto,
        ip_len: u32::try_from(FIXED.saturating_add(plen)).unwrap_or(u32::MAX),
        hdr_len: u32::try_from(hdr_len).unwrap_or(u32::MAX),
        frag: ext.frag,
        payload: after.get(ext.skipped..).unwrap_or(&[]),
        payload_len: u32::try_from(plen.saturating_sub(ext.skipped)).unwrap_or(u32::MAX),
    })
}

/// Result of walking IPv6 extension headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ipv6Exts {
    /// The upper-layer protocol (or the fragment header's next header for fragments).
    pub proto: u8,
    /// Bytes of extension headers before the payload.
    pub skipped: usize,
    pub frag: Option<FragInfo>,
}

/// Skips IPv6 extension headers starting with next-header `next` over `data`.
///
/// Stops at a non-atomic fragment header: what follows it is the fragmentable part.
pub(crate) fn walk_ipv6_exts(mut next: u8, data: &[u8]) -> Result<Ipv6Exts> {
    let mut off = 0usize;
    for _ in 0..MAX_IPV6_EXTS {
        let rest = data.get(off..).unwrap_or(&[]);
        match next {
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6.
            0 | 43 | 60 | 135 | 139 | 140 => {
                let (&nh, &len) = rest
                    .first()
                    .zip(rest.get(1))
                    .ok_or(ParseError::Truncated("ipv6_ext"))?;
                let l = (usize::from(len) + 1) * 8;
                if rest.len() < l {
                    return Err(ParseError::Truncated("ipv6_ext"));
                }
                next = nh;
                off += l;
            }
            // Authentication header: length in 4-byte units minus 2.
            51 => {
                let (&nh, &len) = rest
                    .first()
                    .zip(rest.get(1))
                    .ok_or(ParseError::Truncated("ipv6_ext"))?;
                let l = (usize::from(len) + 2) * 4;
                if rest.len() < l {
                    return Err(ParseError::Truncated("ipv6_ext"));
                }
                next = nh;
                off += l;
            }
            44 => {
                let b = rest.get(..8).ok_or(ParseError::Truncated("ipv6_frag"))?;
                let nh = b.first().copied().unwrap_or(59);
                let fo = u16::from_be_bytes([
                    b.get(2).copied().unwrap_or(0),
                    b.get(3).copied().unwrap_or(0),
                ]);
                let id = b
                    .get(4..8)
                    .and_then(|x| <[u8; 4]>::try_from(x).ok())
                    .map(u32::from_be_bytes)
                    .unwrap_or(0);
                let offset = u32::from(fo & 0xfff8);
                let more = fo & 1 == 1;
                off += 8;
                next = nh;
                if offset != 0 || more {
                    return Ok(Ipv6Exts {
                        proto: nh,
                        skipped: off,
                        frag: Some(FragInfo { id, offset, more }),
                    });
                }
                // Atomic fragment (RFC 6946): just skip it.
            }
            _ => {
                return Ok(Ipv6Exts {
                    proto: next,
                    skipped: off,
                    frag: None,
                })
            }
        }
    }
    Err(ParseError::TooDeep)
}

/// TCP flag bits as in the header's 14th byte.
pub(crate) mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const ACK: u8 = 0x10;
}

/// A TCP segment's fields and payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TcpSeg<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Captured payload bytes.
    pub payload: &'a [u8],
    /// Payload length stated by the IP header (>= `payload.len()`).
    pub len: u32,
}

impl TcpSeg<'_> {
    #[inline]
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

/// The transport layer of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum L4<'a> {
    Tcp(TcpSeg<'a>),
    /// `len` is the payload length stated by the UDP header (Zeek counts it even when
    /// the capture truncated the datagram).
    Udp {
        sport: u16,
        dport: u16,
        payload: &'a [u8],
        len: u32,
    },
    /// ICMP or ICMPv6: payload after the 8-byte header (as Zeek counts ICMP bytes).
    Icmp {
        v6: bool,
        ty: u8,
        code: u8,
        payload: &'a [u8],
    },
    /// SCTP: ports from the common header; payload is the chunks.
    Sctp {
        sport: u16,
        dport: u16,
        payload: &'a [u8],
    },
    Other {
        payload: &'a [u8],
    },
}

/// Parses the transport header of protocol `proto`.
///
/// `stated_len` is the transport length claimed by the IP header.
///
/// # Errors
/// `Truncated` when the capture ends inside the transport header, `BadTcpHeader` for a TCP
/// data offset below 5.
pub(crate) fn parse_l4(proto: u8, data: &[u8], stated_len: u32) -> Result<L4<'_>> {
    match proto {
        proto::TCP => {
            let h = TcpHeaderSlice::from_slice(data).map_err(|e| match e {
                etherparse::err::tcp::HeaderSliceError::Len(_) => ParseError::Truncated("tcp"),
                etherparse::err::tcp::HeaderSliceError::Content(_) => ParseError::BadTcpHeader,
            })?;
            let hl = h.slice().len();
            let payload = data.get(hl..).unwrap_or(&[]);
            let hl32 = u32::try_from(hl).unwrap_or(u32::MAX);
            let plen = u32::try_from(payload.len()).unwrap_or(u32::MAX);
            Ok(L4::Tcp(TcpSeg {
                sport: h.source_port(),
                dport: h.destination_port(),
                seq: h.sequence_number(),
                ack: h.acknowledgment_number(),
                flags: h.slice().get(13).copied().unwrap_or(0),
                window: h.window_size(),
                payload,
                len: stated_len.saturating_sub(hl32).max(plen),
            }))
        }
        proto::UDP => {
            let h = UdpHeaderSlice::from_slice(data).map_err(|_| ParseError::Truncated("udp"))?;
            let ulen = usize::from(h.length());
            // Trust the UDP length when it is sane, else the IP length (Zeek does the same).
            let stated = if ulen >= 8 {
                ulen
            } else {
                usize::try_from(stated_len).unwrap_or(0).max(8)
            };
            let end = stated.min(data.len());
            Ok(L4::Udp {
                sport: h.source_port(),
                dport: h.destination_port(),
                payload: data.get(8..end).unwrap_or(&[]),
                len: u32::try_from(stated - 8).unwrap_or(u32::MAX),
            })
        }
        proto::ICMP | proto::ICMPV6 => {
            let ty = *data.first().ok_or(ParseError::Truncated("icmp"))?;
            let code = *data.get(1).ok_or(ParseError::Truncated("icmp"))?;
            Ok(L4::Icmp {
                v6: proto == proto::ICMPV6,
                ty,
                code,
                payload: data.get(8..).unwrap_or(&[]),
            })
        }
        proto::SCTP => {
            let b = data.get(..4).ok_or(ParseError::Truncated("sctp"))?;
            let sport = u16::from_be_bytes([
                b.first().copied().unwrap_or(0),
                b.get(1).copied().unwrap_or(0),
            ]);
            let dport = u16::from_be_bytes([
                b.get(2).copied().unwrap_or(0),
                b.get(3).copied().unwrap_or(0),
            ]);
            Ok(L4::Sctp {
                sport,
                dport,
                payload: data.get(12..).unwrap_or(&[]),
            })
        }
        _ => Ok(L4::Other { payload: data }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPv4 TCP SYN 192.168.1.2:51000 -> 93.184.216.34:80 (hand-built, checksum ignored).
    const V4_SYN: [u8; 40] = [
        0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 192, 168, 1, 2, 93, 184, 216, 34, 0xc7,
        0x38, 0, 80, 0, 0, 0, 100, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
    ];

    #[test]
    fn ipv4_tcp_syn() {
        let ip = parse_ip(L3Kind::Ipv4, &V4_SYN).unwrap();
        assert_eq!(ip.proto, proto::TCP);
        assert_eq!(ip.ip_len, 40);
        assert!(ip.frag.is_none());
        let L4::Tcp(t) = parse_l4(ip.proto, ip.payload, ip.payload_len).unwrap() else {
            panic!()
        };
        assert_eq!(
            (t.sport, t.dport, t.seq, t.flags, t.len),
            (51000, 80, 100, 2, 0)
        );
    }

    #[test]
    fn ipv4_fragment_fields() {
        let mut p = V4_SYN;
        p[6] = 0x20; // MF
        p[7] = 0x02; // offset 2*8
        let ip = parse_ip(L3Kind::Ipv4, &p).unwrap();
        assert_eq!(
            ip.frag,
            Some(FragInfo {
                id: 0x1234,
                offset: 16,
                more: true
            })
        );
    }

    #[test]
    fn ipv4_bad_lengths() {
        let mut p = V4_SYN;
        p[3] = 10;
        assert_eq!(
            parse_ip(L3Kind::Ipv4, &p).unwrap_err(),
            ParseError::BadIpHeader
        );
        assert!(parse_ip(L3Kind::Ipv4, &p[..12]).is_err());
        let mut p = V4_SYN;
        p[0] = 0x65;
        assert!(parse_ip(L3Kind::Ipv4, &p).is_err());
    }

    #[test]
    fn ipv6_with_dest_opts_and_fragment() {
        let mut p = vec![0x60, 0, 0, 0, 0, 24, 60, 64];
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        // Destination options (8 bytes) -> fragment header (offset 0, M=1) -> UDP.
        p.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
        p.extend_from_slice(&[17, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef]);
        p.extend_from_slice(&[0, 53, 0, 53, 0, 16, 0, 0]);
        let ip = parse_ip(L3Kind::Ipv6, &p).unwrap();
        assert_eq!(ip.proto, proto::UDP);
        assert_eq!(
            ip.frag,
            Some(FragInfo {
                id: 0xdeadbeef,
                offset: 0,
                more: true
            })
        );
        assert_eq!(ip.payload.len(), 8);
        assert_eq!(ip.ip_len, 64);
    }

    #[test]
    fn udp_icmp_other() {
        let u = [0, 53, 0x30, 0x39, 0, 10, 0, 0, 0xaa, 0xbb, 0xcc];
        assert_eq!(
            parse_l4(proto::UDP, &u, 11).unwrap(),
            L4::Udp {
                sport: 53,
                dport: 12345,
                payload: &[0xaa, 0xbb],
                len: 2
            }
        );
        let i = [8, 0, 0, 0, 0, 1, 0, 1, 9];
        assert_eq!(
            parse_l4(proto::ICMP, &i, 9).unwrap(),
            L4::Icmp {
                v6: false,
                ty: 8,
                code: 0,
                payload: &[9]
            }
        );
        assert_eq!(
            parse_l4(89, &[1, 2], 2).unwrap(),
            L4::Other { payload: &[1, 2] }
        );
        assert!(parse_l4(132, &[1, 2], 2).is_err());
        assert!(parse_l4(proto::TCP, &[0; 19], 19).is_err());
        assert!(parse_l4(proto::UDP, &[0; 7], 7).is_err());
    }
}
