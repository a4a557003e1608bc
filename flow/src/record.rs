//! What the tracker hands to its consumer: flow identity, payload chunks and flow records.

use crate::key::FlowKey;
use crate::packet::Dir;

/// Identity of one flow, shared by its payload chunks and its records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowMeta {
    /// Flow id, unique per run (see [`FlowTracker::new`](crate::FlowTracker::new)).
    pub id: u64,
    /// Oriented 5-tuple (+ VLAN): `src` is the originator.
    pub key: FlowKey,
    /// Time of the first packet, microseconds since the epoch.
    pub start_ts_us: i64,
    /// Ethernet source address of the originator, when the link layer had one.
    pub src_mac: Option<[u8; 6]>,
    /// Ethernet address of the responder (destination of the originator's first frame).
    pub dst_mac: Option<[u8; 6]>,
}

/// One piece of a direction's in-order payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// The next bytes of the stream (TCP, never a byte twice) or one whole datagram payload
    /// (UDP, ICMP, other).
    Data(&'a [u8]),
    /// `n` bytes the reassembler gave up on (never captured, or a cap was hit). Counted in
    /// the flow's `missed_bytes`.
    Gap(u32),
    /// This direction is closed (FIN, RST or flow end); sent once, last.
    End,
}

/// What the handler wants next from a direction.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    /// Keep delivering payload.
    Continue,
    /// Stop buffering and delivering payload for this direction; counters continue.
    Bypass,
}

/// Why a flow record was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// TCP FIN in both directions (after the linger delay).
    Fin,
    /// TCP RST (after the linger delay).
    Rst,
    /// No packet for the protocol's idle timeout.
    Idle,
    /// Periodic update of a long flow (non-final record).
    ActiveTimeout,
    /// Removed because the table was full.
    Evicted,
    /// End of input ([`FlowTracker::finish`](crate::FlowTracker::finish)).
    Shutdown,
}

impl EndReason {
    /// The schema's `end_reason` text.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Fin => "fin",
            EndReason::Rst => "rst",
            EndReason::Idle => "idle",
            EndReason::ActiveTimeout => "active_timeout",
            EndReason::Evicted => "evicted",
            EndReason::Shutdown => "shutdown",
        }
    }
}

/// A flow record: a periodic update (`is_final == false`) or the final one.
///
/// Counters are cumulative since the flow started, also in update records, so the latest
/// record of a flow always carries its totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowRecord<'a> {
    /// The flow's identity.
    pub meta: &'a FlowMeta,
    /// Time of the last packet, microseconds since the epoch.
    pub end_ts_us: i64,
    /// Packets sent by the originator (a reassembled IP datagram counts once).
    pub orig_pkts: u64,
    /// Packets sent by the responder.
    pub resp_pkts: u64,
    /// Originator payload bytes: TCP from sequence numbers as Zeek's conn.log `orig_bytes`
    /// (gaps counted, retransmissions not); other protocols the sum of datagram payloads.
    pub orig_bytes: u64,
    /// Responder payload bytes, counted like `orig_bytes`.
    pub resp_bytes: u64,
    /// Sum of the IP total lengths of the originator's packets.
    pub orig_ip_bytes: u64,
    /// Sum of the IP total lengths of the responder's packets.
    pub resp_ip_bytes: u64,
    /// Sum of the originator's frame lengths (`wire_len`, link-layer header included).
    pub orig_l2_bytes: u64,
    /// Sum of the responder's frame lengths.
    pub resp_l2_bytes: u64,
    /// TCP bytes never seen (sequence gaps), both directions.
    pub missed_bytes: u64,
    /// Zeek `conn_state` code (`S0`, `SF`, `REJ`, ..., `OTH`).
    pub state: &'static str,
    /// Zeek history letters (upper case = originator).
    pub history: &'a str,
    /// OR of the TCP flags sent by the originator.
    pub tcp_flags_orig: u8,
    /// OR of the TCP flags sent by the responder.
    pub tcp_flags_resp: u8,
    /// 0 for the first record of the flow, then 1, 2, ...
    pub update_seq: u32,
    /// True on the last record of the flow.
    pub is_final: bool,
    /// Why this record was written.
    pub end_reason: EndReason,
    /// Id of the outer flow this flow was decapsulated from (GRE, ERSPAN, VXLAN,
    /// VXLAN-GPE, IP-in-IP): the innermost tunnel, as Zeek's conn.log `tunnel_parents`.
    /// Empty for flows seen outside any tunnel.
    pub tunnel_parents: &'a [u64],
}

/// The consumer of a [`FlowTracker`](crate::FlowTracker): receives payload, flow records
/// and anomalies. Calls for one flow happen in packet order; `flow_record` with
/// `is_final == true` is the last call for a flow, after which its `App` is dropped.
pub trait FlowHandler {
    /// Per-flow application state, created with `Default` when the flow is created.
    type App: Default;

    /// In-order payload of one direction: TCP after reassembly (never a retransmitted byte
    /// twice), or a whole UDP/ICMP/other datagram payload (one `Data` per datagram).
    /// Returning [`Interest::Bypass`] stops delivery for this direction.
    fn payload(
        &mut self,
        flow: &FlowMeta,
        app: &mut Self::App,
        dir: Dir,
        ts_us: i64,
        chunk: Chunk<'_>,
    ) -> Interest;

    /// A flow record: periodic update (`is_final == false`) or the final one.
    fn flow_record(&mut self, rec: &FlowRecord<'_>, app: &mut Self::App);

    /// An anomaly (Zeek weird.log style `name`, e.g. `truncated_header`,
    /// `ip_fragment_overlap`); `flow` is `None` when it cannot be attributed to a flow.
    fn weird(&mut self, flow: Option<&FlowMeta>, ts_us: i64, name: &'static str, addl: &str);
}
