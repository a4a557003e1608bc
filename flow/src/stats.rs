//! Per-shard counters.

/// Counters of one [`FlowTracker`](crate::FlowTracker) shard. Every drop, cap hit and parse
/// failure increments one of these, so nothing is lost silently.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// Frames given to `process`.
    pub packets: u64,
    /// Sum of `wire_len` of those frames.
    pub bytes: u64,
    /// Frames whose network layer is not IPv4/IPv6 (ARP, LLDP, ...).
    pub non_ip: u64,
    /// Frames of a link type we do not decode.
    pub unknown_link: u64,
    /// Frames cut short by the snaplen inside a header we needed.
    pub truncated: u64,
    /// Frames with an inconsistent header (bad IP version/length, bad TCP offset, ...).
    pub parse_errors: u64,
    /// IP fragments seen.
    pub fragments: u64,
    /// Datagrams rebuilt from fragments.
    pub frags_reassembled: u64,
    /// Fragments discarded (cap hit, timeout, too many fragments, oversize datagram).
    pub frags_dropped: u64,
    /// Fragment overlaps seen (first data wins).
    pub frag_overlaps: u64,
    /// Flows created.
    pub flows_created: u64,
    /// Flows evicted because the table was full (`max_flows`).
    pub flows_evicted: u64,
    /// Flows ended by an idle timeout.
    pub flows_idle: u64,
    /// Flows ended after FIN/RST and the linger delay.
    pub flows_closed: u64,
    /// Non-final (active timeout) update records emitted.
    pub flow_updates: u64,
    /// Final flow records emitted.
    pub flow_records: u64,
    /// TCP bytes that could not be buffered because a reassembly cap was hit; the hole before
    /// them was given up and delivered as a gap instead.
    pub reassembly_overflow_bytes: u64,
    /// Times a reassembly cap forced the reassembler to give up on a hole.
    pub reassembly_overflows: u64,
    /// TCP bytes delivered as [`Chunk::Gap`](crate::Chunk::Gap) (sum of `missed_bytes`).
    pub gap_bytes: u64,
    /// TCP payload bytes received again after they had been seen (retransmissions).
    pub retransmitted_bytes: u64,
    /// TCP payload bytes buffered out of order (copied on the slow path).
    pub ooo_bytes: u64,
    /// Out-of-order bytes currently buffered across the shard.
    pub reassembly_bytes_in_use: u64,
    /// Tunnel encapsulations (GRE, ERSPAN, VXLAN, VXLAN-GPE, IP-in-IP) decapsulated.
    pub tunnels: u64,
    /// Tunnels not decapsulated because the packet was already nested `MAX_TUNNEL_DEPTH`
    /// (3) tunnels deep (reported as `weird` `tunnel_too_deep`).
    pub tunnels_too_deep: u64,
}
