//! Timeouts and memory caps of a [`FlowTracker`](crate::FlowTracker).

/// Timeouts and memory caps of one flow-table shard.
///
/// `Default` gives Zeek-like values. All caps are per shard (per worker thread).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowConfig {
    /// A TCP flow without packets for this long is ended (Zeek `tcp_inactivity_timeout`, 5 min).
    pub tcp_idle_ms: u64,
    /// A UDP flow without packets for this long is ended (Zeek `udp_inactivity_timeout`, 1 min).
    pub udp_idle_ms: u64,
    /// ICMP and other protocols (Zeek `icmp_inactivity_timeout`, 1 min).
    pub other_idle_ms: u64,
    /// After FIN in both directions (or from one side while the other sent nothing) or an
    /// RST, the flow is emitted this long after its last packet, so late ACKs and
    /// retransmissions are still counted (Zeek `tcp_close_delay`). Once both sides have
    /// sent FIN or RST, later packets are counted but no longer extend the flow's end time
    /// or this delay, as in Zeek.
    pub tcp_close_linger_ms: u64,
    /// A TCP connection attempt (SYN from the originator, nothing from the responder) ends
    /// this long after its SYN; a later packet starts a new flow (Zeek
    /// `tcp_attempt_delay`, 5 s).
    pub tcp_attempt_ms: u64,
    /// A long flow emits a non-final update record every interval (0 = off; default 1 h).
    ///
    /// Interval boundaries are `start + k × interval` of the flow's own clock; the first
    /// packet of the flow at or past a boundary emits the update (with the counters before
    /// that packet), so the records do not depend on other traffic. A flow silent across a
    /// boundary emits no update for it: its final record comes at the idle timeout.
    pub active_timeout_ms: u64,
    /// Maximum number of tracked flows; over the cap the least recently active flow is
    /// evicted (record with `end_reason = evicted`, counted in `flows_evicted`).
    pub max_flows: usize,
    /// Out-of-order TCP bytes buffered per flow direction before the reassembler gives up on
    /// the hole (delivered as a gap).
    pub max_stream_buffer_bytes: usize,
    /// Out-of-order TCP bytes buffered across all flows of the shard.
    pub max_reassembly_bytes: usize,
    /// Bytes held in IP fragment reassembly buffers across the shard.
    pub max_frag_bytes: usize,
    /// An incomplete fragmented datagram is dropped this long after its first fragment.
    pub frag_timeout_ms: u64,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            tcp_idle_ms: 300_000,
            udp_idle_ms: 60_000,
            other_idle_ms: 60_000,
            tcp_close_linger_ms: 5_000,
            tcp_attempt_ms: 5_000,
            active_timeout_ms: 3_600_000,
            max_flows: 1_000_000,
            max_stream_buffer_bytes: 1 << 20,
            max_reassembly_bytes: 256 << 20,
            max_frag_bytes: 16 << 20,
            frag_timeout_ms: 30_000,
        }
    }
}
