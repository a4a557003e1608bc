//! The captured frame, its link type and the direction of a packet within a flow.

/// A captured frame borrowed from the capture buffer.
///
/// It is `Copy` and never turned into an owned buffer: the flow table copies bytes only into
/// bounded reassembly buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Capture timestamp, microseconds since the Unix epoch.
    pub ts_us: i64,
    /// Original length on the wire (may exceed `data.len()` when the snaplen truncated it).
    pub wire_len: u32,
    /// The captured bytes, starting at the link-layer header.
    pub data: &'a [u8],
}

/// A pcap `LINKTYPE_*` number.
///
/// A newtype rather than an enum so that values we do not know stay representable: an
/// unknown link type is counted and reported as a `weird`, never a fatal error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte address family in host byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II (with optional 802.1Q/802.1ad tags and MPLS).
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IPv4 or IPv6 (version nibble decides). 12 and 14 are accepted as aliases.
    pub const RAW: LinkType = LinkType(101);
    /// IEEE 802.11 (unencrypted data frames with LLC/SNAP are decoded).
    pub const IEEE802_11: LinkType = LinkType(105);
    /// 802.11 with a radiotap header.
    pub const IEEE802_11_RADIOTAP: LinkType = LinkType(127);
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6 only.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

impl From<u32> for LinkType {
    fn from(v: u32) -> Self {
        LinkType(v)
    }
}

impl From<LinkType> for u32 {
    fn from(v: LinkType) -> Self {
        v.0
    }
}

/// Direction of a packet or payload chunk relative to the flow's originator.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Dir {
    /// Sent by the originator (the `src_*` side of the flow).
    Orig,
    /// Sent by the responder (the `dst_*` side of the flow).
    Resp,
}

impl Dir {
    /// The other direction.
    #[inline]
    pub fn flip(self) -> Dir {
        match self {
            Dir::Orig => Dir::Resp,
            Dir::Resp => Dir::Orig,
        }
    }

    /// 0 for [`Dir::Orig`], 1 for [`Dir::Resp`]: an index into per-direction arrays.
    #[inline]
    pub fn idx(self) -> usize {
        match self {
            Dir::Orig => 0,
            Dir::Resp => 1,
        }
    }
}
