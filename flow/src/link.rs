//! Link-layer demultiplexing: from a frame to its IPv4/IPv6 bytes.
//!
//! etherparse has no Linux cooked v2, BSD loopback or MPLS support and keeps at most three
//! link extensions, so this small layer is our own. Every read goes through `get`, so no
//! input can make it panic.

use crate::error::{ParseError, Result};
use crate::packet::LinkType;

/// Maximum VLAN/MPLS/PPPoE headers we walk through before giving up (bounded loop).
const MAX_LINK_DEPTH: usize = 8;

const ETH_HDR_LEN: usize = 14;
const SLL_HDR_LEN: usize = 16;
const SLL2_HDR_LEN: usize = 20;
const NULL_HDR_LEN: usize = 4;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_MPLS_UC: u16 = 0x8847;
const ETHERTYPE_MPLS_MC: u16 = 0x8848;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
/// Cisco MetaData (SGT tag): 6 bytes (version, length, option, SGT), then an EtherType.
const ETHERTYPE_CISCO_METADATA: u16 = 0x8909;
/// Network Service Header (RFC 8300).
const ETHERTYPE_NSH: u16 = 0x894f;
/// ERSPAN type II: normally inside GRE, but also met straight on Ethernet.
const ETHERTYPE_ERSPAN_2: u16 = 0x88be;
const CISCO_METADATA_LEN: usize = 6;
const ERSPAN_2_LEN: usize = 8;
/// Smallest NSH header: base header plus service path header (RFC 8300 section 2.2).
const NSH_MIN_LEN: usize = 8;

/// Network layer found under the link layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum L3Kind {
    /// IPv4 header follows.
    Ipv4,
    /// IPv6 header follows.
    Ipv6,
    /// Something else (ARP, LLDP, ...): the EtherType, or 0 if unknown.
    Other(u16),
}

/// The link layer of one frame, with the bytes of its network layer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct L2<'a> {
    pub kind: L3Kind,
    pub data: &'a [u8],
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    /// Outermost 802.1Q VLAN id.
    pub vlan: Option<u16>,
}

#[inline]
fn be16(d: &[u8], at: usize) -> Option<u16> {
    let b = d.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

fn mac_at(d: &[u8], at: usize) -> Option<[u8; 6]> {
    let b = d.get(at..at.checked_add(6)?)?;
    <[u8; 6]>::try_from(b).ok()
}

fn by_version(data: &[u8]) -> L3Kind {
    match data.first().map(|b| b >> 4) {
        Some(4) => L3Kind::Ipv4,
        Some(6) => L3Kind::Ipv6,
        _ => L3Kind::Other(0),
    }
}

/// Parses the link layer of `data` for pcap link type `link`.
///
/// # Errors
/// [`ParseError::UnknownLinkType`] for link types we do not decode, `Truncated` when the
/// frame ends inside a link header, `UnknownAddressFamily` for a loopback frame that is
/// neither IPv4 nor IPv6, `TooDeep` for more than `MAX_LINK_DEPTH` nested tags.
pub(crate) fn parse_link(link: LinkType, data: &[u8]) -> Result<L2<'_>> {
    let mut l2 = L2 {
        kind: L3Kind::Other(0),
        data,
        src_mac: None,
        dst_mac: None,
        vlan: None,
    };
    match link.0 {
        1 => {
            let ethertype = be16(data, 12).ok_or(ParseError::Truncated("ethernet"))?;
            l2.dst_mac = mac_at(data, 0);
            l2.src_mac = mac_at(data, 6);
            let rest = data.get(ETH_HDR_LEN..).unwrap_or(&[]);
            demux_ethertype(ethertype, rest, &mut l2)?;
        }
        113 => {
            let proto = be16(data, 14).ok_or(ParseError::Truncated("linux_sll"))?;
            if be16(data, 4) == Some(6) {
                l2.src_mac = mac_at(data, 6);
            }
            let rest = data.get(SLL_HDR_LEN..).unwrap_or(&[]);
            demux_ethertype(proto, rest, &mut l2)?;
        }
        276 => {
            if data.len() < SLL2_HDR_LEN {
                return Err(ParseError::Truncated("linux_sll2"));
            }
            let proto = be16(data, 0).ok_or(ParseError::Truncated("linux_sll2"))?;
            if data.get(11) == Some(&6) {
                l2.src_mac = mac_at(data, 12);
            }
            let rest = data.get(SLL2_HDR_LEN..).unwrap_or(&[]);
            demux_ethertype(proto, rest, &mut l2)?;
        }
        0 | 108 => {
            let b = data
                .get(..NULL_HDR_LEN)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .ok_or(ParseError::Truncated("loopback"))?;
            // The family is in the capturing host's byte order (NULL) or network order
            // (LOOP); accept both, since pcaps travel between hosts.
            let le = u32::from_le_bytes(b);
            let be = u32::from_be_bytes(b);
            let fam = if le < 256 { le } else { be };
            l2.data = data.get(NULL_HDR_LEN..).unwrap_or(&[]);
            l2.kind = match fam {
                2 => L3Kind::Ipv4,
                24 | 28 | 30 => L3Kind::Ipv6,
                other => return Err(ParseError::UnknownAddressFamily(other)),
            };
        }
        105 => parse_80211(data, &mut l2)?,
        127 => {
            // Radiotap: version 0, little-endian header length at byte 2.
            let len = data
                .get(2..4)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
                .ok_or(ParseError::Truncated("radiotap"))?;
            let frame = data.get(len..).ok_or(ParseError::Truncated("radiotap"))?;
            parse_80211(frame, &mut l2)?;
        }
        101 | 12 | 14 => l2.kind = by_version(data),
        228 => l2.kind = L3Kind::Ipv4,
        229 => l2.kind = L3Kind::Ipv6,
        other => return Err(ParseError::UnknownLinkType(other)),
    }
    Ok(l2)
}

/// An IEEE 802.11 frame: data frames (QoS or not, any DS bits) that are not protected
/// and carry an LLC/SNAP header lead to their EtherType; management, control, null and
/// encrypted frames are `Other` (not IP). The MAC addresses are the frame's source and
/// destination stations, whichever address fields the DS bits put them in.
fn parse_80211<'a>(data: &'a [u8], l2: &mut L2<'a>) -> Result<()> {
    const T: ParseError = ParseError::Truncated("802.11");
    const DATA: u8 = 2;
    const SNAP: [u8; 6] = [0xaa, 0xaa, 0x03, 0, 0, 0];
    let fc0 = *data.first().ok_or(T)?;
    let fc1 = *data.get(1).ok_or(T)?;
    let subtype = fc0 >> 4;
    // Not data, null-function subtypes (bit 2), or protected (encrypted) payload.
    if (fc0 >> 2) & 3 != DATA || subtype & 0x4 != 0 || fc1 & 0x40 != 0 {
        return Ok(());
    }
    let (to_ds, from_ds) = (fc1 & 1 != 0, fc1 & 2 != 0);
    let mut hdr = 24;
    if to_ds && from_ds {
        hdr += 6;
    }
    if subtype & 0x8 != 0 {
        // QoS control, and the HT control field when the order bit is set.
        hdr += 2;
        if fc1 & 0x80 != 0 {
            hdr += 4;
        }
    }
    let (dst_at, src_at) = match (to_ds, from_ds) {
        (false, false) => (4, 10),
        (true, false) => (16, 10),
        (false, true) => (4, 16),
        (true, true) => (16, 24),
    };
    let body = data.get(hdr..).ok_or(T)?;
    if body.get(..6) != Some(&SNAP[..]) {
        return Ok(());
    }
    let ethertype = be16(body, 6).ok_or(T)?;
    l2.dst_mac = mac_at(data, dst_at);
    l2.src_mac = mac_at(data, src_at);
    demux_ethertype(ethertype, body.get(8..).unwrap_or(&[]), l2)
}

/// Continues with the Ethernet frame `frame` carried inside a link-layer shim (NSH,
/// ERSPAN): its addresses are the ones of the traffic, so they replace the outer ones.
fn inner_ethernet<'a>(frame: &'a [u8], l2: &mut L2<'a>) -> Result<(u16, &'a [u8])> {
    let ethertype = be16(frame, 12).ok_or(ParseError::Truncated("ethernet"))?;
    l2.dst_mac = mac_at(frame, 0);
    l2.src_mac = mac_at(frame, 6);
    Ok((ethertype, frame.get(ETH_HDR_LEN..).unwrap_or(&[])))
}

/// Walks VLAN tags, MPLS labels, PPPoE session headers and the Cisco MetaData, NSH and
/// ERSPAN type II shims starting at an EtherType.
pub(crate) fn demux_ethertype<'a>(
    mut ethertype: u16,
    mut data: &'a [u8],
    l2: &mut L2<'a>,
) -> Result<()> {
    for _ in 0..MAX_LINK_DEPTH {
        match ethertype {
            ETHERTYPE_IPV4 => {
                l2.kind = L3Kind::Ipv4;
                l2.data = data;
                return Ok(());
            }
            ETHERTYPE_IPV6 => {
                l2.kind = L3Kind::Ipv6;
                l2.data = data;
                return Ok(());
            }
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                let tci = be16(data, 0).ok_or(ParseError::Truncated("vlan"))?;
                if l2.vlan.is_none() {
                    l2.vlan = Some(tci & 0x0fff);
                }
                ethertype = be16(data, 2).ok_or(ParseError::Truncated("vlan"))?;
                data = data.get(4..).unwrap_or(&[]);
            }
            ETHERTYPE_MPLS_UC | ETHERTYPE_MPLS_MC => {
                // Labels until bottom-of-stack; then guess the payload by its first nibble
                // (what Zeek and Wireshark do without a control-word hint).
                let mut rest = data;
                let mut bottom = false;
                for _ in 0..MAX_LINK_DEPTH {
                    let b2 = rest.get(2).ok_or(ParseError::Truncated("mpls"))?;
                    rest = rest.get(4..).ok_or(ParseError::Truncated("mpls"))?;
                    if b2 & 1 == 1 {
                        bottom = true;
                        break;
                    }
                }
                if !bottom {
                    return Err(ParseError::TooDeep);
                }
                l2.kind = by_version(rest);
                l2.data = rest;
                return Ok(());
            }
            ETHERTYPE_PPPOE_SESSION => {
                // 6-byte PPPoE header, then the 2-byte PPP protocol.
                let ppp = be16(data, 6).ok_or(ParseError::Truncated("pppoe"))?;
                let rest = data.get(8..).unwrap_or(&[]);
                l2.data = rest;
                l2.kind = match ppp {
                    0x0021 => L3Kind::Ipv4,
                    0x0057 => L3Kind::Ipv6,
                    _ => L3Kind::Other(ETHERTYPE_PPPOE_SESSION),
                };
                return Ok(());
            }
            ETHERTYPE_CISCO_METADATA => {
                ethertype = be16(data, CISCO_METADATA_LEN)
                    .ok_or(ParseError::Truncated("cisco_metadata"))?;
                data = data.get(CISCO_METADATA_LEN + 2..).unwrap_or(&[]);
            }
            ETHERTYPE_NSH => {
                // Length in 4-byte words (low 6 bits of the first 16), next protocol in
                // byte 3: 1 IPv4, 2 IPv6, 3 Ethernet, 5 MPLS.
                let word = be16(data, 0).ok_or(ParseError::Truncated("nsh"))?;
                let next = *data.get(3).ok_or(ParseError::Truncated("nsh"))?;
                let len = usize::from(word & 0x3f) * 4;
                let rest = match data.get(len..) {
                    Some(r) if len >= NSH_MIN_LEN => r,
                    _ => return Err(ParseError::Truncated("nsh")),
                };
                match next {
                    1 => ethertype = ETHERTYPE_IPV4,
                    2 => ethertype = ETHERTYPE_IPV6,
                    3 => {
                        (ethertype, data) = inner_ethernet(rest, l2)?;
                        continue;
                    }
                    5 => ethertype = ETHERTYPE_MPLS_UC,
                    _ => {
                        l2.kind = L3Kind::Other(ETHERTYPE_NSH);
                        l2.data = rest;
                        return Ok(());
                    }
                }
                data = rest;
            }
            ETHERTYPE_ERSPAN_2 => {
                let frame = data
                    .get(ERSPAN_2_LEN..)
                    .ok_or(ParseError::Truncated("erspan"))?;
                (ethertype, data) = inner_ethernet(frame, l2)?;
            }
            other => {
                l2.kind = L3Kind::Other(other);
                l2.data = data;
                return Ok(());
            }
        }
    }
    Err(ParseError::TooDeep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(ethertype: u16, body: &[u8]) -> Vec<u8> {
        let mut f = vec![0xaa; 6];
        f.extend_from_slice(&[0xbb; 6]);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(body);
        f
    }

    #[test]
    fn cisco_metadata_nsh_and_bare_erspan_shims() {
        // Cisco MetaData: version, length, option, SGT, then IPv4.
        let cmd = eth(0x8909, &[1, 1, 0, 1, 0, 7, 0x08, 0x00, 0x45]);
        let l2 = parse_link(LinkType::ETHERNET, &cmd).unwrap();
        assert_eq!((l2.kind, l2.data), (L3Kind::Ipv4, &[0x45][..]));
        // NSH MD type 1 (6 words) carrying IPv4.
        let mut nsh = vec![0x0f, 0xc6, 0x01, 0x01];
        nsh.extend_from_slice(&[0; 20]);
        nsh.push(0x45);
        let f = eth(0x894f, &nsh);
        let l2 = parse_link(LinkType::ETHERNET, &f).unwrap();
        assert_eq!((l2.kind, l2.data), (L3Kind::Ipv4, &[0x45][..]));
        // NSH carrying Ethernet: the inner frame's addresses win.
        nsh.truncate(24);
        nsh[3] = 3;
        let inner = {
            let mut f = vec![1; 6];
            f.extend_from_slice(&[2; 6]);
            f.extend_from_slice(&[0x86, 0xdd, 0x60]);
            f
        };
        nsh.extend_from_slice(&inner);
        let f = eth(0x894f, &nsh);
        let l2 = parse_link(LinkType::ETHERNET, &f).unwrap();
        assert_eq!((l2.kind, l2.data), (L3Kind::Ipv6, &[0x60][..]));
        assert_eq!((l2.src_mac, l2.dst_mac), (Some([2; 6]), Some([1; 6])));
        // A too-short NSH length is an error, not a loop.
        let bad = eth(0x894f, &[0x0f, 0xc1, 0x01, 0x01, 0, 0, 0, 0]);
        assert!(parse_link(LinkType::ETHERNET, &bad).is_err());
        // ERSPAN type II header straight on Ethernet.
        let mut erspan = vec![0x10, 0, 0, 0, 0, 0, 0, 0];
        erspan.extend_from_slice(&inner);
        let f = eth(0x88be, &erspan);
        let l2 = parse_link(LinkType::ETHERNET, &f).unwrap();
        assert_eq!((l2.kind, l2.data), (L3Kind::Ipv6, &[0x60][..]));
        assert_eq!(l2.src_mac, Some([2; 6]));
    }

    #[test]
    fn radiotap_80211_qos_data_with_snap() {
        // Radiotap (8-byte header), QoS data ToDS, LLC/SNAP, IPv4.
        let mut f = vec![0, 0, 8, 0, 0, 0, 0, 0];
        f.extend_from_slice(&[0x88, 0x01, 0, 0]);
        f.extend_from_slice(&[1; 6]); // BSSID
        f.extend_from_slice(&[2; 6]); // source
        f.extend_from_slice(&[3; 6]); // destination
        f.extend_from_slice(&[0, 0, 0, 0]); // sequence, QoS control
        f.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, 0x45]);
        let l2 = parse_link(LinkType(127), &f).unwrap();
        assert_eq!((l2.kind, l2.data), (L3Kind::Ipv4, &[0x45][..]));
        assert_eq!((l2.src_mac, l2.dst_mac), (Some([2; 6]), Some([3; 6])));
        // Protected and management frames are not IP.
        let mut p = f[8..].to_vec();
        p[1] |= 0x40;
        assert_eq!(
            parse_link(LinkType(105), &p).unwrap().kind,
            L3Kind::Other(0)
        );
        let beacon = [0x80, 0, 0, 0];
        assert_eq!(
            parse_link(LinkType(105), &beacon).unwrap().kind,
            L3Kind::Other(0)
        );
    }

    const IPV4_MIN: [u8; 20] = [
        0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];

    #[test]
    fn ethernet_qinq_records_outer_vlan() {
        let mut f = vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0xa8];
        f.extend_from_slice(&[0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x08, 0x00]);
        f.extend_from_slice(&IPV4_MIN);
        let l2 = parse_link(LinkType::ETHERNET, &f).unwrap();
        assert_eq!(l2.kind, L3Kind::Ipv4);
        assert_eq!(l2.vlan, Some(100));
        assert_eq!(l2.src_mac, Some([7, 8, 9, 10, 11, 12]));
        assert_eq!(l2.data, &IPV4_MIN);
    }

    #[test]
    fn ethernet_mpls_two_labels() {
        let mut f = vec![0; 12];
        f.extend_from_slice(&[0x88, 0x47, 0, 0x01, 0x00, 0x40, 0, 0x02, 0x01, 0x40]);
        f.extend_from_slice(&IPV4_MIN);
        let l2 = parse_link(LinkType::ETHERNET, &f).unwrap();
        assert_eq!(l2.kind, L3Kind::Ipv4);
        assert_eq!(l2.data, &IPV4_MIN);
    }

    #[test]
    fn sll_and_sll2() {
        let mut f = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        f.extend_from_slice(&IPV4_MIN);
        let l2 = parse_link(LinkType::LINUX_SLL, &f).unwrap();
        assert_eq!(
            (l2.kind, l2.src_mac),
            (L3Kind::Ipv4, Some([1, 2, 3, 4, 5, 6]))
        );
        let mut f = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        f.extend_from_slice(&IPV4_MIN);
        let l2 = parse_link(LinkType::LINUX_SLL2, &f).unwrap();
        assert_eq!((l2.kind, l2.data.len()), (L3Kind::Ipv4, 20));
    }

    #[test]
    fn null_both_byte_orders() {
        for hdr in [[2u8, 0, 0, 0], [0, 0, 0, 2]] {
            let mut f = hdr.to_vec();
            f.extend_from_slice(&IPV4_MIN);
            assert_eq!(parse_link(LinkType::NULL, &f).unwrap().kind, L3Kind::Ipv4);
        }
        for hdr in [[30u8, 0, 0, 0], [0, 0, 0, 24], [0, 0, 0, 28]] {
            assert_eq!(parse_link(LinkType::LOOP, &hdr).unwrap().kind, L3Kind::Ipv6);
        }
        assert!(parse_link(LinkType::NULL, &[7, 0, 0, 0]).is_err());
    }

    #[test]
    fn raw_aliases_and_unknown() {
        for lt in [101, 12, 14, 228] {
            assert_eq!(
                parse_link(LinkType(lt), &IPV4_MIN).unwrap().kind,
                L3Kind::Ipv4
            );
        }
        assert_eq!(
            parse_link(LinkType(147), &IPV4_MIN).unwrap_err(),
            ParseError::UnknownLinkType(147)
        );
    }

    #[test]
    fn truncated_headers_are_errors() {
        let f = [0u8; 13];
        assert!(parse_link(LinkType::ETHERNET, &f).is_err());
        assert!(parse_link(LinkType::LINUX_SLL2, &f).is_err());
        let mut f = vec![0; 12];
        f.extend_from_slice(&[0x81, 0x00, 0x00]);
        assert!(parse_link(LinkType::ETHERNET, &f).is_err());
    }
}
