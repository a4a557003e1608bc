//! Header offsets, field rewriting and checksums for Ethernet II / IPv4 / TCP-or-UDP frames.
//!
//! [`Layout::parse`] checks every length the setters rely on, once. The setters then use
//! checked slice access anyway, so a wrong layout can at worst leave a field unchanged,
//! never panic.

/// Field offsets inside the IPv4 header (RFC 791 section 3.1).
mod ipv4 {
    pub const TOTAL_LEN: usize = 2;
    pub const ID: usize = 4;
    pub const FRAG: usize = 6;
    pub const PROTO: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
}

/// Field offsets inside the TCP header (RFC 9293 section 3.1) and UDP header (RFC 768).
mod l4 {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const TCP_SEQ: usize = 4;
    pub const TCP_ACK: usize = 8;
    pub const TCP_OFFSET: usize = 12;
    pub const TCP_FLAGS: usize = 13;
    pub const TCP_CHECKSUM: usize = 16;
    pub const UDP_LEN: usize = 4;
    pub const UDP_CHECKSUM: usize = 6;
}

/// Ethernet II header length (no VLAN tag: seeds with tags are skipped).
pub const ETH_LEN: usize = 14;
/// Ethertype of IPv4.
const ETHERTYPE_IPV4: u16 = 0x0800;
/// IP protocol number of TCP.
pub const PROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const PROTO_UDP: u8 = 17;
/// Minimum Ethernet frame length without FCS; shorter frames get zero padding.
pub const MIN_FRAME: usize = 60;

/// TCP flag bits.
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// Where the headers of one frame start and end. Built only by [`Layout::parse`], which
/// guarantees `l3 < l4 < payload <= end <= frame.len()` and that the fixed L4 header fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Offset of the IPv4 header.
    pub l3: usize,
    /// Offset of the TCP/UDP header.
    pub l4: usize,
    /// Offset of the L4 payload.
    pub payload: usize,
    /// End of the IP packet (Ethernet padding may follow).
    pub end: usize,
    /// IP protocol: [`PROTO_TCP`] or [`PROTO_UDP`].
    pub proto: u8,
}

impl Layout {
    /// Parses an unfragmented IPv4 TCP or UDP packet in an Ethernet II frame.
    /// Returns `None` for anything else (other ethertypes, VLAN tags, IPv6, fragments,
    /// other protocols, or lengths that do not fit the captured bytes).
    pub fn parse(frame: &[u8]) -> Option<Layout> {
        if be16(frame, 12)? != ETHERTYPE_IPV4 {
            return None;
        }
        let l3 = ETH_LEN;
        let vihl = *frame.get(l3)?;
        let ihl = usize::from(vihl & 0x0f) * 4;
        if vihl >> 4 != 4 || ihl < 20 {
            return None;
        }
        let total = usize::from(be16(frame, l3 + ipv4::TOTAL_LEN)?);
        let end = l3.checked_add(total)?;
        if total < ihl || end > frame.len() || be16(frame, l3 + ipv4::FRAG)? & 0x3fff != 0 {
            return None;
        }
        let l4 = l3 + ihl;
        let proto = *frame.get(l3 + ipv4::PROTO)?;
        let payload = match proto {
            PROTO_TCP if l4 + 20 <= end => {
                let doff = usize::from(*frame.get(l4 + l4::TCP_OFFSET)? >> 4) * 4;
                if doff < 20 {
                    return None;
                }
                l4 + doff
            }
            PROTO_UDP => l4 + 8,
            _ => return None,
        };
        (payload <= end).then_some(Layout {
            l3,
            l4,
            payload,
            end,
            proto,
        })
    }

    /// Length of the L4 payload.
    pub fn payload_len(&self) -> usize {
        self.end - self.payload
    }
}

/// Reads a big-endian u16 at `off`, if it is in bounds.
pub fn be16(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

/// Reads a big-endian u32 at `off`, if it is in bounds.
pub fn be32(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn put(b: &mut [u8], off: usize, v: &[u8]) {
    if let Some(dst) = off.checked_add(v.len()).and_then(|e| b.get_mut(off..e)) {
        dst.copy_from_slice(v);
    }
}

/// TCP flags byte (0 for UDP or out-of-bounds).
pub fn tcp_flags(f: &[u8], lay: &Layout) -> u8 {
    if lay.proto == PROTO_TCP {
        f.get(lay.l4 + l4::TCP_FLAGS).copied().unwrap_or(0)
    } else {
        0
    }
}

/// TCP sequence and acknowledgement numbers (zeros for UDP).
pub fn tcp_seq_ack(f: &[u8], lay: &Layout) -> (u32, u32) {
    if lay.proto != PROTO_TCP {
        return (0, 0);
    }
    (
        be32(f, lay.l4 + l4::TCP_SEQ).unwrap_or(0),
        be32(f, lay.l4 + l4::TCP_ACK).unwrap_or(0),
    )
}

/// Source and destination ports.
pub fn ports(f: &[u8], lay: &Layout) -> (u16, u16) {
    (
        be16(f, lay.l4 + l4::SRC_PORT).unwrap_or(0),
        be16(f, lay.l4 + l4::DST_PORT).unwrap_or(0),
    )
}

/// Source and destination IPv4 addresses.
pub fn addrs(f: &[u8], lay: &Layout) -> ([u8; 4], [u8; 4]) {
    let a = |o| {
        f.get(o..o + 4)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; 4])
    };
    (a(lay.l3 + ipv4::SRC), a(lay.l3 + ipv4::DST))
}

/// IPv4 identification field.
pub fn ip_id(f: &[u8], lay: &Layout) -> u16 {
    be16(f, lay.l3 + ipv4::ID).unwrap_or(0)
}

/// Rewrites addresses and ports.
pub fn set_endpoints(
    f: &mut [u8],
    lay: &Layout,
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
) {
    put(f, lay.l3 + ipv4::SRC, &src);
    put(f, lay.l3 + ipv4::DST, &dst);
    put(f, lay.l4 + l4::SRC_PORT, &sport.to_be_bytes());
    put(f, lay.l4 + l4::DST_PORT, &dport.to_be_bytes());
}

/// Rewrites the IPv4 identification field.
pub fn set_ip_id(f: &mut [u8], lay: &Layout, id: u16) {
    put(f, lay.l3 + ipv4::ID, &id.to_be_bytes());
}

/// Rewrites TCP sequence and acknowledgement numbers (no-op for UDP).
pub fn set_tcp_seq_ack(f: &mut [u8], lay: &Layout, seq: u32, ack: u32) {
    if lay.proto == PROTO_TCP {
        put(f, lay.l4 + l4::TCP_SEQ, &seq.to_be_bytes());
        put(f, lay.l4 + l4::TCP_ACK, &ack.to_be_bytes());
    }
}

/// Rewrites the TCP flags byte (no-op for UDP).
pub fn set_tcp_flags(f: &mut [u8], lay: &Layout, fl: u8) {
    if lay.proto == PROTO_TCP {
        put(f, lay.l4 + l4::TCP_FLAGS, &[fl]);
    }
}

/// Sets the IPv4 total length (and UDP length) so the packet ends at `lay.end`.
pub fn set_lengths(f: &mut [u8], lay: &Layout) {
    let ip_len = u16::try_from(lay.end - lay.l3).unwrap_or(u16::MAX);
    put(f, lay.l3 + ipv4::TOTAL_LEN, &ip_len.to_be_bytes());
    if lay.proto == PROTO_UDP {
        let udp_len = u16::try_from(lay.end - lay.l4).unwrap_or(u16::MAX);
        put(f, lay.l4 + l4::UDP_LEN, &udp_len.to_be_bytes());
    }
}

/// One's-complement sum of big-endian 16-bit words (RFC 1071), not yet folded.
fn sum16(data: &[u8], mut acc: u64) -> u64 {
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

fn fold(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// Recomputes the IPv4 header checksum and the TCP or UDP checksum (with the IPv4
/// pseudo-header, RFC 9293 3.1 / RFC 768). A UDP checksum that computes to 0 is sent as
/// 0xffff, since 0 means "no checksum".
pub fn fix_checksums(f: &mut [u8], lay: &Layout) {
    put(f, lay.l3 + ipv4::CHECKSUM, &[0, 0]);
    if let Some(h) = f.get(lay.l3..lay.l4) {
        let c = fold(sum16(h, 0));
        put(f, lay.l3 + ipv4::CHECKSUM, &c.to_be_bytes());
    }
    let field = lay.l4
        + if lay.proto == PROTO_TCP {
            l4::TCP_CHECKSUM
        } else {
            l4::UDP_CHECKSUM
        };
    put(f, field, &[0, 0]);
    let Some(addrs) = f.get(lay.l3 + ipv4::SRC..lay.l3 + ipv4::DST + 4) else {
        return;
    };
    let l4_len = (lay.end - lay.l4) as u64;
    let pseudo = sum16(addrs, u64::from(lay.proto) + l4_len);
    let Some(seg) = f.get(lay.l4..lay.end) else {
        return;
    };
    let mut c = fold(sum16(seg, pseudo));
    if c == 0 && lay.proto == PROTO_UDP {
        c = 0xffff;
    }
    put(f, field, &c.to_be_bytes());
}

/// True when both the IPv4 and the L4 checksum of the frame verify (used by tests).
pub fn checksums_ok(f: &[u8], lay: &Layout) -> bool {
    let mut copy = f.to_vec();
    fix_checksums(&mut copy, lay);
    copy == f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DNS query of suricata-cond-log-dns-dig-input.pcap, checksums as captured.
    fn dns_query() -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/bench/suricata-cond-log-dns-dig-input.pcap"
        );
        let pkts = crate::gen::pcap::read_seed(std::path::Path::new(path)).unwrap();
        pkts[0].data.clone()
    }

    #[test]
    fn layout_parses_udp_and_rejects_garbage() {
        let f = dns_query();
        let lay = Layout::parse(&f).unwrap();
        assert_eq!(
            (lay.l3, lay.l4, lay.payload, lay.proto),
            (14, 34, 42, PROTO_UDP)
        );
        assert_eq!(ports(&f, &lay).1, 53);
        for n in 0..lay.end {
            assert!(Layout::parse(&f[..n]).is_none(), "truncated at {n}");
        }
        let mut frag = f.clone();
        frag[14 + 6] = 0x20; // MF set
        assert!(Layout::parse(&frag).is_none());
    }

    #[test]
    fn checksums_roundtrip_after_rewrite() {
        let mut f = dns_query();
        let lay = Layout::parse(&f).unwrap();
        assert!(checksums_ok(&f, &lay), "captured checksums should verify");
        set_endpoints(&mut f, &lay, [10, 1, 2, 3], [198, 18, 0, 53], 40000, 53);
        assert!(!checksums_ok(&f, &lay));
        fix_checksums(&mut f, &lay);
        assert!(checksums_ok(&f, &lay));
        assert_eq!(addrs(&f, &lay).0, [10, 1, 2, 3]);
    }
}
