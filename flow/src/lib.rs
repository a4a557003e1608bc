//! L2–L4 packet parsing, IP defragmentation, the flow table and TCP reassembly for netlake.
//!
//! This crate turns captured frames into *flows*: it parses the link layer (Ethernet with
//! 802.1Q/QinQ/MPLS/PPPoE and the Cisco MetaData, NSH and bare ERSPAN II shims, Linux cooked v1/v2, raw IP, BSD loopback, unencrypted 802.11 data
//! frames with or without radiotap), reassembles IPv4 and IPv6
//! fragments, keys every packet by its symmetric 5-tuple (+ outer VLAN), keeps per-flow
//! counters, Zeek-style `conn_state` and `history`, reassembles TCP streams per direction and
//! hands in-order payload to a caller-supplied [`FlowHandler`]. Tunnels (GRE, ERSPAN I–III,
//! VXLAN, VXLAN-GPE, Geneve, GTP-U, Teredo, IP-in-IP) are decapsulated: the outer flow is
//! tracked as usual and the inner packet as a packet of its own, whose flow names the outer
//! one in `tunnel_parents`. When a flow ends (FIN/RST plus a linger delay, a TCP connection
//! attempt unanswered for 5 s, idle timeout, eviction or end of input) the handler receives
//! its [`FlowRecord`]; long flows also produce periodic update records. As in Zeek, a TCP
//! flow's end time stops advancing once both sides have sent FIN or RST.
//!
//! Main types:
//! - [`Packet`] and [`LinkType`]: one captured frame, borrowed from the capture buffer.
//! - [`FlowTracker`]: one shard of the flow table (one per worker thread), generic over the
//!   caller's per-flow application state `A`.
//! - [`FlowHandler`]: the push-style consumer of payload [`Chunk`]s, [`FlowRecord`]s and
//!   anomalies (`weird`).
//! - [`dispatch_hash`]: the cheap symmetric hash a dispatcher uses to pick the worker.
//! - [`community_id`]: the Community ID v1 string of a [`FlowKey`].
//! - [`parse_headers`]: the same link/IP/transport parse alone (the benchmark read floor).
//!
//! # Example
//! ```
//! use flow::{Chunk, Dir, FlowConfig, FlowHandler, FlowMeta, FlowRecord, FlowTracker, Interest, LinkType, Packet};
//!
//! #[derive(Default)]
//! struct Counter { records: usize, payload: usize }
//! impl FlowHandler for Counter {
//!     type App = ();
//!     fn payload(&mut self, _f: &FlowMeta, _a: &mut (), _d: Dir, _ts: i64, c: Chunk<'_>) -> Interest {
//!         if let Chunk::Data(b) = c { self.payload += b.len(); }
//!         Interest::Continue
//!     }
//!     fn flow_record(&mut self, _r: &FlowRecord<'_>, _a: &mut ()) { self.records += 1; }
//!     fn weird(&mut self, _f: Option<&FlowMeta>, _ts: i64, _n: &'static str, _addl: &str) {}
//! }
//!
//! // A raw IPv4/UDP datagram 10.0.0.1:1234 -> 10.0.0.2:53 carrying 4 payload bytes.
//! let frame = [
//!     0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
//!     0x04, 0xd2, 0, 53, 0, 12, 0, 0, 1, 2, 3, 4,
//! ];
//! let mut tracker: FlowTracker<()> = FlowTracker::new(FlowConfig::default(), 0);
//! let mut h = Counter::default();
//! tracker.process(LinkType::RAW, Packet { ts_us: 1, wire_len: 32, data: &frame }, &mut h);
//! tracker.finish(&mut h);
//! assert_eq!((h.records, h.payload), (1, 4));
//! ```
//!
//! What it deliberately does not do: no I/O, no threads, no checksum verification, no
//! application-layer decoding. Memory is bounded by [`FlowConfig`] caps; hitting a cap
//! evicts or gives up on bytes and counts it in [`FlowStats`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod community_id;
mod config;
mod defrag;
mod error;
mod headers;
mod history;
mod key;
mod link;
mod lru;
mod packet;
mod parse;
mod record;
mod stats;
mod table;
mod tcp;
mod tracker;
mod tunnel;

pub use community_id::{community_id, community_id_with_seed};
pub use config::FlowConfig;
pub use error::{ParseError, Result};
pub use headers::{parse_headers, HeaderSummary};
pub use key::{dispatch_hash, FlowKey};
pub use packet::{Dir, LinkType, Packet};
pub use record::{Chunk, EndReason, FlowHandler, FlowMeta, FlowRecord, Interest};
pub use stats::FlowStats;
pub use tracker::FlowTracker;
