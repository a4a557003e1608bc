//! Tunnel headers we decapsulate: GRE (RFC 2784/2890, PPTP's enhanced GRE of RFC 2637 with
//! PPP inside), ERSPAN types I–III carried in GRE, VXLAN (RFC 7348, UDP 4789), VXLAN-GPE
//! (UDP 4790), Geneve (RFC 8926, UDP 6081), GTP-U (3GPP TS 29.281, UDP 2152), Teredo
//! (RFC 4380, found by content on any UDP port, as Zeek does) and IP-in-IP (IPv4/IPv6 in
//! IPv4/IPv6).
//!
//! Each function reads through `get` only and returns the encapsulated frame as a borrowed
//! slice: `Ok(None)` when the tunnel carries something we do not follow (an unknown GRE
//! protocol, PPP control traffic, NSH), `Err` when its header is cut short or invalid.

use crate::error::{ParseError, Result};
use crate::link::L3Kind;

/// UDP destination port of VXLAN (IANA, RFC 7348).
pub(crate) const VXLAN_PORT: u16 = 4789;
/// UDP destination port of VXLAN-GPE (IANA, draft-ietf-nvo3-vxlan-gpe).
pub(crate) const VXLAN_GPE_PORT: u16 = 4790;
/// UDP port of Geneve (IANA, RFC 8926).
pub(crate) const GENEVE_PORT: u16 = 6081;
/// UDP port of GTP-U (3GPP TS 29.281).
pub(crate) const GTP_U_PORT: u16 = 2152;
/// UDP port of Teredo servers (RFC 4380).
pub(crate) const TEREDO_PORT: u16 = 3544;
/// IP protocol numbers of tunnels.
pub(crate) const IPPROTO_IPIP: u8 = 4;
pub(crate) const IPPROTO_IPV6: u8 = 41;
pub(crate) const IPPROTO_GRE: u8 = 47;

/// GRE header fields (RFC 2784 section 2, RFC 2890, RFC 2637 section 4.1).
mod gre {
    pub const CHECKSUM: u16 = 0x8000;
    pub const ROUTING: u16 = 0x4000;
    pub const KEY: u16 = 0x2000;
    pub const SEQ: u16 = 0x1000;
    /// Enhanced GRE (version 1) only.
    pub const ACK: u16 = 0x0080;
    pub const VERSION: u16 = 0x0007;
    pub const FIXED_LEN: usize = 4;
    pub const OPTION_LEN: usize = 4;
}

/// GRE protocol types (EtherTypes) we follow.
mod ptype {
    pub const IPV4: u16 = 0x0800;
    pub const IPV6: u16 = 0x86dd;
    /// Transparent Ethernet bridging (NVGRE and friends).
    pub const TEB: u16 = 0x6558;
    /// ERSPAN type I (no sequence number) and type II.
    pub const ERSPAN_2: u16 = 0x88be;
    pub const ERSPAN_3: u16 = 0x22eb;
    pub const PPP: u16 = 0x880b;
}

/// ERSPAN header lengths (draft-foschiano-erspan-03 sections 4.1–4.3).
const ERSPAN_2_LEN: usize = 8;
const ERSPAN_3_LEN: usize = 12;
/// ERSPAN type III optional platform-specific subheader (`O` bit).
const ERSPAN_3_SUB_LEN: usize = 8;
const VXLAN_LEN: usize = 8;

/// What a tunnel carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inner<'a> {
    /// An Ethernet frame.
    Ethernet(&'a [u8]),
    /// An IPv4 or IPv6 packet.
    Ip(L3Kind, &'a [u8]),
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([
        *d.get(at)?,
        *d.get(at.checked_add(1)?)?,
    ]))
}

/// Decapsulates a GRE packet (`data` starts at the GRE header).
///
/// # Errors
/// `Truncated("gre")` when the header or an ERSPAN/PPP header is cut short.
pub(crate) fn parse_gre(data: &[u8]) -> Result<Option<Inner<'_>>> {
    const T: ParseError = ParseError::Truncated("gre");
    let flags = be16(data, 0).ok_or(T)?;
    let proto = be16(data, 2).ok_or(T)?;
    let version = flags & gre::VERSION;
    if flags & gre::ROUTING != 0 || version > 1 || (version == 1 && proto != ptype::PPP) {
        // Source routing (deprecated by RFC 2784) and unknown versions: not followed.
        return Ok(None);
    }
    let mut len = gre::FIXED_LEN;
    let optional = [
        (gre::CHECKSUM, version == 0),
        (gre::KEY, true),
        (gre::SEQ, true),
        (gre::ACK, version == 1),
    ];
    for (bit, applies) in optional {
        if applies && flags & bit != 0 {
            len += gre::OPTION_LEN;
        }
    }
    let body = data.get(len..).ok_or(T)?;
    match proto {
        ptype::IPV4 => Ok(Some(Inner::Ip(L3Kind::Ipv4, body))),
        ptype::IPV6 => Ok(Some(Inner::Ip(L3Kind::Ipv6, body))),
        ptype::TEB => Ok(Some(Inner::Ethernet(body))),
        ptype::ERSPAN_2 if flags & gre::SEQ == 0 => Ok(Some(Inner::Ethernet(body))),
        ptype::ERSPAN_2 => {
            let frame = body
                .get(ERSPAN_2_LEN..)
                .ok_or(ParseError::Truncated("erspan"))?;
            Ok(Some(Inner::Ethernet(frame)))
        }
        ptype::ERSPAN_3 => {
            let last = *body
                .get(ERSPAN_3_LEN - 1)
                .ok_or(ParseError::Truncated("erspan"))?;
            let hdr = if last & 1 == 1 {
                ERSPAN_3_LEN + ERSPAN_3_SUB_LEN
            } else {
                ERSPAN_3_LEN
            };
            let frame = body.get(hdr..).ok_or(ParseError::Truncated("erspan"))?;
            Ok(Some(Inner::Ethernet(frame)))
        }
        ptype::PPP => parse_ppp(body),
        _ => Ok(None),
    }
}

/// PPP in HDLC-like framing as PPTP sends it (RFC 1662): optional `ff 03` address and
/// control, then a 1- or 2-byte protocol (RFC 1661 section 6.5 field compression).
fn parse_ppp(data: &[u8]) -> Result<Option<Inner<'_>>> {
    const T: ParseError = ParseError::Truncated("ppp");
    let d = if data.starts_with(&[0xff, 0x03]) {
        data.get(2..).ok_or(T)?
    } else {
        data
    };
    let first = *d.first().ok_or(T)?;
    let (proto, rest) = if first & 1 == 1 {
        (u16::from(first), d.get(1..).ok_or(T)?)
    } else {
        (be16(d, 0).ok_or(T)?, d.get(2..).ok_or(T)?)
    };
    Ok(match proto {
        0x0021 => Some(Inner::Ip(L3Kind::Ipv4, rest)),
        0x0057 => Some(Inner::Ip(L3Kind::Ipv6, rest)),
        // LCP, IPCP, CCP, compressed or encrypted data: nothing we can follow.
        _ => None,
    })
}

/// Decapsulates a VXLAN (`gpe == false`) or VXLAN-GPE payload of a UDP datagram.
///
/// VXLAN needs the `I` (valid VNI) flag; without it the datagram is not VXLAN and
/// `Ok(None)` leaves it a plain UDP flow.
///
/// # Errors
/// `Truncated("vxlan")` when the 8-byte header is cut short.
pub(crate) fn parse_vxlan(data: &[u8], gpe: bool) -> Result<Option<Inner<'_>>> {
    const I_FLAG: u8 = 0x08;
    const P_FLAG: u8 = 0x04;
    let hdr = data
        .get(..VXLAN_LEN)
        .ok_or(ParseError::Truncated("vxlan"))?;
    let flags = hdr.first().copied().unwrap_or(0);
    let body = data.get(VXLAN_LEN..).unwrap_or(&[]);
    if flags & I_FLAG == 0 {
        return Ok(None);
    }
    if !gpe || flags & P_FLAG == 0 {
        return Ok(Some(Inner::Ethernet(body)));
    }
    Ok(match hdr.get(3).copied() {
        Some(1) => Some(Inner::Ip(L3Kind::Ipv4, body)),
        Some(2) => Some(Inner::Ip(L3Kind::Ipv6, body)),
        Some(3) => Some(Inner::Ethernet(body)),
        // NSH and anything newer: not followed.
        _ => None,
    })
}

/// Decapsulates a Geneve payload of a UDP datagram (RFC 8926 section 3.4): version 0,
/// options skipped, Ethernet (`0x6558`), IPv4 or IPv6 inside.
///
/// # Errors
/// `Truncated("geneve")` when the header or its options are cut short.
pub(crate) fn parse_geneve(data: &[u8]) -> Result<Option<Inner<'_>>> {
    const T: ParseError = ParseError::Truncated("geneve");
    let first = *data.first().ok_or(T)?;
    let proto = be16(data, 2).ok_or(T)?;
    if first >> 6 != 0 {
        return Ok(None);
    }
    let len = 8 + usize::from(first & 0x3f) * 4;
    let body = data.get(len..).ok_or(T)?;
    Ok(match proto {
        ptype::TEB => Some(Inner::Ethernet(body)),
        ptype::IPV4 => Some(Inner::Ip(L3Kind::Ipv4, body)),
        ptype::IPV6 => Some(Inner::Ip(L3Kind::Ipv6, body)),
        _ => None,
    })
}

/// Decapsulates a GTP-U payload (3GPP TS 29.281 section 5): version 1 G-PDUs (message
/// type 255) only, optional fields and extension headers skipped, IPv4 or IPv6 inside.
/// Signalling messages (echo, error indication, end marker) are not followed.
///
/// # Errors
/// `Truncated("gtp")` when the header or an extension header is cut short.
pub(crate) fn parse_gtp_u(data: &[u8]) -> Result<Option<Inner<'_>>> {
    const T: ParseError = ParseError::Truncated("gtp");
    const G_PDU: u8 = 0xff;
    let flags = *data.first().ok_or(T)?;
    let msg = *data.get(1).ok_or(T)?;
    // Version 1 and protocol type GTP (not GTP').
    if flags & 0xf0 != 0x30 || msg != G_PDU {
        return Ok(None);
    }
    let mut at = 8usize;
    if flags & 0x07 != 0 {
        // Sequence number, N-PDU number and next extension header type.
        let mut next = *data.get(at + 3).ok_or(T)?;
        at += 4;
        while next != 0 {
            // Length in 4-byte units, covering the length and next-type bytes.
            let units = usize::from(*data.get(at).ok_or(T)?);
            if units == 0 {
                return Ok(None);
            }
            at += units * 4;
            next = *data.get(at - 1).ok_or(T)?;
        }
    }
    let body = data.get(at..).ok_or(T)?;
    Ok(match body.first().map(|b| b >> 4) {
        Some(4) => Some(Inner::Ip(L3Kind::Ipv4, body)),
        Some(6) => Some(Inner::Ip(L3Kind::Ipv6, body)),
        _ => None,
    })
}

/// Recognises a Teredo datagram (RFC 4380 section 5.1.1) by content, as Zeek does on any
/// UDP port: optional authentication and origin indication headers, then an IPv6 packet
/// whose header is complete and whose payload length matches the datagram exactly.
/// Anything else, and bubbles (no next header, no payload), is `None`: not Teredo, or
/// nothing to follow.
pub(crate) fn parse_teredo(data: &[u8]) -> Option<Inner<'_>> {
    let mut d = data;
    let (mut auth, mut origin) = (false, false);
    loop {
        match be16(d, 0)? {
            // Origin indication: 8 bytes, at most once, after any authentication.
            0x0000 if !origin => {
                origin = true;
                d = d.get(8..)?;
            }
            // Authentication: 4 + client id + auth value + nonce (8) + confirmation (1).
            0x0001 if !auth && !origin => {
                auth = true;
                let id_len = usize::from(*d.get(2)?);
                let au_len = usize::from(*d.get(3)?);
                d = d.get(4 + id_len + au_len + 8 + 1..)?;
            }
            _ => break,
        }
    }
    const IPV6_HDR: usize = 40;
    if d.first()? >> 4 != 6 || d.len() < IPV6_HDR {
        return None;
    }
    let plen = usize::from(be16(d, 4)?);
    if IPV6_HDR + plen != d.len() {
        return None;
    }
    const NO_NEXT_HEADER: u8 = 59;
    if plen == 0 && d.get(6) == Some(&NO_NEXT_HEADER) {
        return None;
    }
    Some(Inner::Ip(L3Kind::Ipv6, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geneve_gtp_teredo() {
        // Geneve: one 4-byte option, Ethernet inside; IPv4; version 1 not followed.
        let p = [0x01, 0, 0x65, 0x58, 0, 0, 1, 0, 1, 2, 3, 4, 0xaa];
        assert_eq!(parse_geneve(&p), Ok(Some(Inner::Ethernet(&[0xaa][..]))));
        let p = [0, 0, 0x08, 0, 0, 0, 1, 0, 0x45];
        assert_eq!(
            parse_geneve(&p),
            Ok(Some(Inner::Ip(L3Kind::Ipv4, &[0x45][..])))
        );
        assert_eq!(parse_geneve(&[0x40, 0, 0x08, 0, 0, 0, 1, 0]), Ok(None));
        assert!(parse_geneve(&[0x02, 0, 0x65, 0x58, 0, 0, 1, 0, 1]).is_err());
        // GTP-U G-PDU: plain, and with sequence number plus one extension header.
        let p = [0x30, 0xff, 0, 1, 0, 0, 0, 1, 0x45];
        assert_eq!(
            parse_gtp_u(&p),
            Ok(Some(Inner::Ip(L3Kind::Ipv4, &[0x45][..])))
        );
        let p = [
            0x36, 0xff, 0, 9, 0, 0, 0, 1, 0, 7, 0, 0x85, 1, 0x10, 0, 0, 0x60,
        ];
        assert_eq!(
            parse_gtp_u(&p),
            Ok(Some(Inner::Ip(L3Kind::Ipv6, &[0x60][..])))
        );
        // Echo request, GTP', bad extension length: not followed / error.
        assert_eq!(
            parse_gtp_u(&[0x32, 1, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0]),
            Ok(None)
        );
        assert_eq!(parse_gtp_u(&[0x20, 0xff, 0, 0, 0, 0, 0, 0, 0x45]), Ok(None));
        assert_eq!(
            parse_gtp_u(&[0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 0]),
            Ok(None)
        );
        assert!(parse_gtp_u(&[0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 2, 0]).is_err());
        // Teredo: origin indication + IPv6 with 4 payload bytes.
        let mut v6 = vec![0x60, 0, 0, 0, 0, 4, 17, 64];
        v6.extend_from_slice(&[0; 32]);
        v6.extend_from_slice(&[1, 2, 3, 4]);
        let mut p = vec![0, 0, 1, 2, 3, 4, 5, 6];
        p.extend_from_slice(&v6);
        assert_eq!(parse_teredo(&p), Some(Inner::Ip(L3Kind::Ipv6, &v6[..])));
        // Authentication (no id, no value) before the packet.
        let mut p = vec![0, 1, 0, 0];
        p.extend_from_slice(&[0; 9]);
        p.extend_from_slice(&v6);
        assert_eq!(parse_teredo(&p), Some(Inner::Ip(L3Kind::Ipv6, &v6[..])));
        // Length mismatch, IPv4, bubble: not followed.
        assert_eq!(parse_teredo(&v6[..v6.len() - 1]), None);
        assert_eq!(parse_teredo(&[0x45; 60]), None);
        let mut bubble = vec![0x60, 0, 0, 0, 0, 0, 59, 64];
        bubble.extend_from_slice(&[0; 32]);
        assert_eq!(parse_teredo(&bubble), None);
    }

    #[test]
    fn gre_options_and_payload_types() {
        // Key + sequence present, IPv4 inside.
        let p = [0x30, 0, 0x08, 0, 1, 2, 3, 4, 0, 0, 0, 9, 0x45];
        assert_eq!(
            parse_gre(&p),
            Ok(Some(Inner::Ip(L3Kind::Ipv4, &[0x45][..])))
        );
        // Checksum, TEB.
        let p = [0x80, 0, 0x65, 0x58, 0, 0, 0, 0, 0xaa];
        assert_eq!(parse_gre(&p), Ok(Some(Inner::Ethernet(&[0xaa][..]))));
        // ERSPAN type I (no sequence) and type II (sequence + 8-byte header).
        let p = [0, 0, 0x88, 0xbe, 0xaa];
        assert_eq!(parse_gre(&p), Ok(Some(Inner::Ethernet(&[0xaa][..]))));
        let mut p = vec![0x10, 0, 0x88, 0xbe, 0, 0, 0, 0];
        p.extend_from_slice(&[0x10, 0, 0, 0x14, 0, 0, 0, 1, 0xbb]);
        assert_eq!(parse_gre(&p), Ok(Some(Inner::Ethernet(&[0xbb][..]))));
        // ERSPAN type III with the platform subheader.
        let mut p = vec![0, 0, 0x22, 0xeb];
        p.extend_from_slice(&[0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0; 8]);
        p.push(0xcc);
        assert_eq!(parse_gre(&p), Ok(Some(Inner::Ethernet(&[0xcc][..]))));
        // Unknown protocol, routing, version 2: not followed. Short: error.
        assert_eq!(parse_gre(&[0, 0, 0x12, 0x34]), Ok(None));
        assert_eq!(parse_gre(&[0x40, 0, 0x08, 0]), Ok(None));
        assert_eq!(parse_gre(&[0, 2, 0x08, 0]), Ok(None));
        assert!(parse_gre(&[0x30, 0, 0x08, 0, 1]).is_err());
        assert!(parse_gre(&[0x10, 0, 0x88, 0xbe, 0, 0, 0, 0, 1]).is_err());
    }

    #[test]
    fn pptp_enhanced_gre_with_ppp() {
        // Version 1, key + sequence + ack, PPP with address/control, IPv4.
        let mut p = vec![
            0x30, 0x81, 0x88, 0x0b, 0, 0x67, 0x17, 0x80, 0, 0, 0, 1, 0, 0, 0, 2,
        ];
        p.extend_from_slice(&[0xff, 0x03, 0x00, 0x21, 0x45]);
        assert_eq!(
            parse_gre(&p),
            Ok(Some(Inner::Ip(L3Kind::Ipv4, &[0x45][..])))
        );
        // Compressed protocol field, then LCP (not followed).
        assert_eq!(
            parse_ppp(&[0x21, 0x45]),
            Ok(Some(Inner::Ip(L3Kind::Ipv4, &[0x45][..])))
        );
        assert_eq!(parse_ppp(&[0xc0, 0x21, 1]), Ok(None));
        assert!(parse_ppp(&[0xff, 0x03]).is_err());
    }

    #[test]
    fn vxlan_and_gpe() {
        let p = [0x08, 0, 0, 0, 0, 0, 1, 0, 0xaa];
        assert_eq!(
            parse_vxlan(&p, false),
            Ok(Some(Inner::Ethernet(&[0xaa][..])))
        );
        assert_eq!(parse_vxlan(&[0; 8], false), Ok(None));
        assert!(parse_vxlan(&[0x08, 0, 0], false).is_err());
        let p = [0x0c, 0, 0, 1, 0, 0, 1, 0, 0x45];
        assert_eq!(
            parse_vxlan(&p, true),
            Ok(Some(Inner::Ip(L3Kind::Ipv4, &[0x45][..])))
        );
        let p = [0x0c, 0, 0, 4, 0, 0, 1, 0, 0x45];
        assert_eq!(parse_vxlan(&p, true), Ok(None));
    }
}
