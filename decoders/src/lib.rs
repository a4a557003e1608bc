//! Application-layer protocol decoders for netlake.
//!
//! This crate turns the payload bytes of one flow into typed records (one per
//! protocol transaction) and anomalies ([`Weird`]). It is pure: no I/O, no
//! threads, no Arrow. The sensor owns one parser per flow, feeds it in-order
//! [`Segment`]s per direction and receives records through a [`RecordSink`].
//!
//! Main types:
//! - [`detect::detect`]: which protocol a flow speaks (port hints + probes).
//! - [`dns::DnsParser`]: DNS over UDP and TCP (also mDNS and LLMNR), producing
//!   [`dns::DnsRecord`]s rendered like Zeek's `dns.log`.
//! - [`http::HttpParser`]: HTTP/1.x, producing [`http::HttpRecord`]s
//!   rendered like Zeek's `http.log` and, through [`files::FileAnalyzer`]
//!   (shared by every protocol that carries files), [`files::FileRecord`]s.
//! - [`Progress`], [`Segment`], [`RecordSink`], [`Weird`]: the streaming
//!   contract every decoder implements.
//!
//! ```
//! use decoders::dns::{DnsParser, DnsRecord};
//! use decoders::detect::Transport;
//! use decoders::{Dir, Progress, Segment, VecSink};
//!
//! // A query for "example.com" A IN, then its response with one A record.
//! let query: &[u8] = &[
//!     0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
//!     7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 0, 1, 0, 1,
//! ];
//! let mut response = query.to_vec();
//! response[2] = 0x81;
//! response[3] = 0x80;
//! response[7] = 1; // one answer
//! response.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
//!
//! let mut parser = DnsParser::new(Transport::Udp);
//! let mut sink: VecSink<DnsRecord> = VecSink::default();
//! let p = parser.feed(Dir::Orig, 1_000_000, Segment::Data(query), &mut sink).unwrap();
//! assert_eq!(p, Progress::Consumed(query.len()));
//! let _ = parser.feed(Dir::Resp, 1_002_000, Segment::Data(&response), &mut sink).unwrap();
//! parser.finish(&mut sink);
//! let rec = &sink.records[0];
//! assert_eq!(rec.query.as_deref(), Some("example.com"));
//! assert_eq!(rec.answers, vec!["192.0.2.1".to_string()]);
//! assert_eq!(rec.rtt, Some(0.002));
//! ```
//!
//! What this crate deliberately does not do: reassemble TCP (the `flow` crate
//! hands us in-order segments and gaps), build Arrow columns, or keep global
//! state. Every limit is a `MAX_*` constant with its origin documented.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod detect;
pub mod dns;
pub mod error;
pub mod files;
pub mod http;
pub mod quic;
pub mod tls;
pub mod x509;

pub use detect::{detect, AppProto, Transport};
pub use error::{DecodeError, Result};

/// Direction of a segment within a flow.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dir {
    /// From the flow originator (the client: sent the first packet / the SYN).
    Orig,
    /// From the responder (the server).
    Resp,
}

/// One unit of in-order input for a decoder.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Segment<'a> {
    /// Payload bytes (UDP: one whole datagram; TCP: the next stream bytes).
    Data(&'a [u8]),
    /// The reassembler gave up on this many bytes: the stream continues after a hole.
    Gap(u32),
    /// This direction ended (FIN, RST, or flow expiry).
    Eof,
}

/// What a decoder did with a [`Segment`].
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Used this many bytes; the caller drops them.
    Consumed(usize),
    /// Used `consumed` bytes; keep the rest and call again once at least
    /// `needed` bytes (counted from the first unconsumed byte) are available.
    NeedMore {
        /// Bytes used from the front of the segment.
        consumed: usize,
        /// Bytes needed from the first unconsumed byte before progress is possible.
        needed: usize,
    },
    /// Nothing left of interest in this direction: the caller may bypass it.
    Done,
}

/// A protocol anomaly, like a line of Zeek's `weird.log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weird {
    /// Time of the packet that showed the anomaly, microseconds since the epoch.
    pub ts_us: i64,
    /// Stable snake_case code (`dns_bad_message`, ...), see [`DecodeError::weird_name`].
    pub name: &'static str,
    /// Free-form detail.
    pub addl: String,
    /// Whether this anomaly deserves an analyst's attention (Zeek's `notice`).
    pub notice: bool,
}

/// Receiver of a decoder's output: records of type `R` and anomalies.
///
/// The sensor implements this by appending into Arrow builders; tests use [`VecSink`].
pub trait RecordSink<R> {
    /// Accept one finished record.
    fn record(&mut self, r: R);
    /// Accept one anomaly.
    fn weird(&mut self, w: Weird);
}

/// A [`RecordSink`] that collects into vectors, for tests and simple callers.
#[derive(Debug)]
pub struct VecSink<R> {
    /// Records in emission order.
    pub records: Vec<R>,
    /// Anomalies in emission order.
    pub weirds: Vec<Weird>,
}

impl<R> Default for VecSink<R> {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            weirds: Vec::new(),
        }
    }
}

impl<R> RecordSink<R> for VecSink<R> {
    fn record(&mut self, r: R) {
        self.records.push(r);
    }
    fn weird(&mut self, w: Weird) {
        self.weirds.push(w);
    }
}
