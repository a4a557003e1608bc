//! Flow identity: the oriented [`FlowKey`], the symmetric table key and the dispatcher hash.

use core::net::IpAddr;

use crate::link::{parse_link, L3Kind};
use crate::packet::LinkType;
use crate::parse::proto;

/// Oriented identity of a flow: `src` is the originator.
///
/// For ICMP/ICMPv6, `src_port` is the ICMP type and `dst_port` the type of the matching
/// reply for request/reply pairs (echo 8 -> 0, ...) or else the code, as Zeek's conn.log
/// and Community ID map them, so a request and its reply share one flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Originator address.
    pub src_ip: IpAddr,
    /// Responder address.
    pub dst_ip: IpAddr,
    /// Originator port (ICMP: type).
    pub src_port: u16,
    /// Responder port (ICMP: counterpart type or code).
    pub dst_port: u16,
    /// IP protocol number.
    pub proto: u8,
    /// Outermost VLAN id, if tagged.
    pub vlan: Option<u16>,
}

impl FlowKey {
    /// The schema's `proto` text: `tcp`, `udp`, `icmp`, `icmp6`, or the number.
    pub fn proto_name(&self) -> Option<&'static str> {
        match self.proto {
            proto::TCP => Some("tcp"),
            proto::UDP => Some("udp"),
            proto::ICMP => Some("icmp"),
            proto::ICMPV6 => Some("icmp6"),
            _ => None,
        }
    }

    /// The same flow seen from the other side.
    pub fn reversed(&self) -> FlowKey {
        FlowKey {
            src_ip: self.dst_ip,
            dst_ip: self.src_ip,
            src_port: self.dst_port,
            dst_port: self.src_port,
            proto: self.proto,
            vlan: self.vlan,
        }
    }
}

/// For ICMP type `ty` (v4 or v6), the type of the paired message, if it has one.
///
/// Table from the Community ID specification (and Zeek's `ICMP4_counterpart`).
pub(crate) fn icmp_counterpart(v6: bool, ty: u8) -> Option<u8> {
    if v6 {
        match ty {
            128 => Some(129),
            129 => Some(128),
            130 => Some(131),
            131 => Some(130),
            133 => Some(134),
            134 => Some(133),
            135 => Some(136),
            136 => Some(135),
            139 => Some(140),
            140 => Some(139),
            144 => Some(145),
            145 => Some(144),
            _ => None,
        }
    } else {
        match ty {
            8 => Some(0),
            0 => Some(8),
            13 => Some(14),
            14 => Some(13),
            15 => Some(16),
            16 => Some(15),
            10 => Some(9),
            9 => Some(10),
            17 => Some(18),
            18 => Some(17),
            _ => None,
        }
    }
}

/// Unordered table key: the same for both directions of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TableKey {
    a: IpAddr,
    b: IpAddr,
    pa: u16,
    pb: u16,
    proto: u8,
    vlan: Option<u16>,
}

impl TableKey {
    /// Normalises `key`; the flag is true when `key.src` became the `a` side.
    pub(crate) fn from_key(key: &FlowKey) -> (TableKey, bool) {
        let src_first = (key.src_ip, key.src_port) <= (key.dst_ip, key.dst_port);
        let (a, pa, b, pb) = if src_first {
            (key.src_ip, key.src_port, key.dst_ip, key.dst_port)
        } else {
            (key.dst_ip, key.dst_port, key.src_ip, key.src_port)
        };
        (
            TableKey {
                a,
                b,
                pa,
                pb,
                proto: key.proto,
                vlan: key.vlan,
            },
            src_first,
        )
    }
}

/// 64-bit finaliser (splitmix64): spreads FNV's weak low bits over the whole word.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One word from a 4- or 16-byte address (other lengths cannot reach here).
#[inline]
fn fold(addr: &[u8]) -> u64 {
    match <[u8; 4]>::try_from(addr) {
        Ok(v4) => u64::from(u32::from_be_bytes(v4)),
        Err(_) => addr.chunks(8).fold(0u64, |acc, c| {
            let mut w = [0u8; 8];
            if let Some(dst) = w.get_mut(..c.len()) {
                dst.copy_from_slice(c);
            }
            mix64(acc ^ u64::from_be_bytes(w))
        }),
    }
}

/// Symmetric hash for the dispatcher: (unordered IP pair, outer VLAN).
///
/// Every packet of a host pair, including all IP fragments (which lack ports), hashes alike,
/// so one worker owns each flow. Only the link and IP headers are read. Non-IP or
/// unparsable frames hash to 0. The value is deterministic across runs and threads.
pub fn dispatch_hash(link: LinkType, data: &[u8]) -> u64 {
    let Ok(l2) = parse_link(link, data) else {
        return 0;
    };
    let (src, dst) = match l2.kind {
        L3Kind::Ipv4 => (l2.data.get(12..16), l2.data.get(16..20)),
        L3Kind::Ipv6 => (l2.data.get(8..24), l2.data.get(24..40)),
        L3Kind::Other(_) => return 0,
    };
    let (Some(src), Some(dst)) = (src, dst) else {
        return 0;
    };
    // Fold each address to one word, order the pair, then mix: symmetric, and a
    // handful of instructions instead of a byte loop (this runs once per packet on
    // the single dispatcher thread).
    let (a, b) = (fold(src), fold(dst));
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let vlan = u64::from(l2.vlan.unwrap_or(0xffff));
    match mix64(lo ^ mix64(hi ^ (vlan << 48)).rotate_left(23)) {
        0 => 1,
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    #[test]
    fn table_key_symmetric() {
        let k = FlowKey {
            src_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            dst_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            src_port: 1000,
            dst_port: 80,
            proto: 6,
            vlan: Some(3),
        };
        let (t1, f1) = TableKey::from_key(&k);
        let (t2, f2) = TableKey::from_key(&k.reversed());
        assert_eq!(t1, t2);
        assert_ne!(f1, f2);
    }

    #[test]
    fn dispatch_hash_symmetric_and_fragment_stable() {
        let a = [
            0x45, 0, 0, 20, 0, 1, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let mut b = a;
        b[12..16].copy_from_slice(&[10, 0, 0, 2]);
        b[16..20].copy_from_slice(&[10, 0, 0, 1]);
        b[6] = 0; // not a fragment
        let ha = dispatch_hash(LinkType::RAW, &a);
        assert_ne!(ha, 0);
        assert_eq!(ha, dispatch_hash(LinkType::RAW, &b));
        assert_eq!(dispatch_hash(LinkType::RAW, &[0x45, 0]), 0);
        assert_eq!(dispatch_hash(LinkType(9999), &a), 0);
    }
}
