//! DNS (and mDNS, LLMNR) over UDP and TCP.
//!
//! [`DnsParser`] holds one flow's state: open transactions (queries waiting
//! for responses, capped by [`MAX_DNS_TX`]) and, for TCP, the framing state
//! of each direction. It emits one [`DnsRecord`] per transaction, rendered
//! like Zeek's `dns.log`, and `weird`s for anomalies.
//!
//! Layout: `parser.rs` (pure wire parsing), `render.rs` (Zeek's answer
//! strings), `names.rs` (names of numbers), `tx.rs` (query/response pairing),
//! `framing.rs` (TCP length prefixes and gap resync), `record.rs`.

mod framing;
mod names;
pub mod parser;
mod record;
pub mod render;
mod tx;

#[cfg(test)]
mod tests;

pub use names::{class_name, opcode_name, rcode_name, type_name};
pub use record::DnsRecord;
pub use tx::MAX_DNS_TX;

use crate::detect::Transport;
use crate::error::{DecodeError, Result};
use crate::{Dir, Progress, RecordSink, Segment};
use framing::TcpFraming;
use parser::{parse_question, parse_rr, read_u16, Header, HEADER_LEN};
use tx::Transactions;

/// Counters of one flow's DNS decoding (nothing is dropped without a count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DnsStats {
    /// Open transactions written out early because of [`MAX_DNS_TX`].
    pub evicted_tx: u64,
    /// Responses emitted without their query (`is_response_only`).
    pub unmatched_replies: u64,
    /// Messages too short for a DNS header.
    pub bad_messages: u64,
    /// TCP bytes announced missing by gaps.
    pub gap_bytes: u64,
    /// TCP bytes skipped while resynchronising after a gap.
    pub skipped_bytes: u64,
    /// TCP message boundaries found again after a gap.
    pub resyncs: u64,
}

/// Per-flow DNS decoder. See the module documentation.
#[derive(Debug)]
pub struct DnsParser {
    transport: Transport,
    tx: Transactions,
    tcp: TcpFraming,
}

impl DnsParser {
    /// A parser for a unicast flow over `transport`.
    pub fn new(transport: Transport) -> Self {
        DnsParser {
            transport,
            tx: Transactions::default(),
            tcp: TcpFraming::default(),
        }
    }

    /// A parser for a flow to a multicast group (mDNS): like Zeek, every
    /// message becomes its own record instead of being paired.
    pub fn new_multicast(transport: Transport) -> Self {
        let mut p = Self::new(transport);
        p.tx.multicast = true;
        p
    }

    /// Feed one segment of direction `dir`, seen at `ts_us` (microseconds since the epoch).
    ///
    /// - UDP: each `Data` is one whole datagram; always returns `Consumed(len)`.
    ///   A datagram that is not a readable DNS message becomes a `weird`.
    /// - TCP: stream bytes holding 2-octet length-prefixed messages, several per
    ///   segment or one spanning segments. `NeedMore { consumed, needed }` asks
    ///   the caller to keep the unconsumed tail and call again, with the tail
    ///   plus new bytes, once at least `needed` bytes are available (at most
    ///   65537: one maximal message and its prefix).
    /// - `Gap`: UDP ignores it; TCP loses framing in that direction. The caller
    ///   discards its buffered tail of that direction (bytes before a hole cannot
    ///   be joined to bytes after it), and the following `Data` is probed for a
    ///   plausible message boundary (`dns_resync` weird); bytes before it are
    ///   skipped and counted in [`DnsStats::skipped_bytes`].
    /// - `Eof`: returns `Done`.
    ///
    /// Records are emitted when a response completes a query; queries still
    /// open are emitted by [`DnsParser::finish`].
    ///
    /// # Errors
    /// TCP only: a length prefix shorter than a DNS header
    /// ([`crate::DecodeError::DnsBadTcpLength`]): framing is lost and the
    /// caller should bypass the flow.
    pub fn feed(
        &mut self,
        dir: Dir,
        ts_us: i64,
        seg: Segment<'_>,
        out: &mut impl RecordSink<DnsRecord>,
    ) -> Result<Progress> {
        match (self.transport, seg) {
            (_, Segment::Eof) => Ok(Progress::Done),
            (Transport::Udp, Segment::Data(d)) => {
                if !d.is_empty() {
                    self.tx.on_message(ts_us, d, out);
                }
                Ok(Progress::Consumed(d.len()))
            }
            (Transport::Udp, Segment::Gap(_)) => Ok(Progress::Consumed(0)),
            (Transport::Tcp, Segment::Data(d)) => self.tcp.feed(dir, ts_us, d, &mut self.tx, out),
            (Transport::Tcp, Segment::Gap(n)) => {
                self.tcp.gap(dir, n);
                Ok(Progress::Consumed(0))
            }
        }
    }

    /// The flow ended: emit every transaction still open (queries without
    /// response, responses without query), oldest first.
    pub fn finish(&mut self, out: &mut impl RecordSink<DnsRecord>) {
        self.tx.flush(out);
    }

    /// Counters so far.
    pub fn stats(&self) -> DnsStats {
        DnsStats {
            evicted_tx: self.tx.evicted,
            unmatched_replies: self.tx.unmatched_replies,
            bad_messages: self.tx.bad_messages,
            gap_bytes: self.tcp.gap_bytes,
            skipped_bytes: self.tcp.skipped_bytes,
            resyncs: self.tcp.resyncs,
        }
    }

    /// Number of transactions currently open (bounded by [`MAX_DNS_TX`]).
    pub fn open_transactions(&self) -> usize {
        self.tx.open()
    }
}

/// Cheap plausibility check of a DNS message (UDP payload, or the message
/// after a TCP length prefix). `complete` says whether `msg` is the whole message.
fn probe_message(msg: &[u8], complete: bool) -> bool {
    let Ok(h) = Header::parse(msg) else {
        return false;
    };
    // Opcodes seen in real traffic: QUERY, NOTIFY, UPDATE (RFC 1035, 1996, 2136).
    if !matches!(h.opcode(), 0 | 4 | 5) {
        return false;
    }
    // A message asks at most a handful of questions; mDNS announcements have
    // none but then carry answers.
    if h.qdcount > 16 || (h.qdcount == 0 && (h.ancount == 0 || !h.qr())) {
        return false;
    }
    let mut pos = HEADER_LEN;
    for _ in 0..h.qdcount {
        match parse_question(msg, pos) {
            Ok((_, next)) => pos = next,
            Err(DecodeError::DnsTruncated { .. }) if !complete => return true,
            Err(_) => return false,
        }
    }
    if h.ancount > 0 || h.nscount > 0 || h.arcount > 0 {
        match parse_rr(msg, pos) {
            Ok(_) => true,
            Err(DecodeError::DnsTruncated { .. }) => !complete,
            Err(_) => false,
        }
    } else {
        !complete || pos == msg.len()
    }
}

/// Whether a UDP payload looks like a DNS message (header, questions and the first RR parse).
pub fn probe_udp(payload: &[u8]) -> bool {
    probe_message(payload, true)
}

/// Whether the start of a TCP stream looks like a length-prefixed DNS message.
/// Works on a prefix: a message cut short by the segment end still passes.
pub fn probe_tcp(payload: &[u8]) -> bool {
    let Ok(len) = read_u16(payload, 0, "tcp length") else {
        return false;
    };
    let len = usize::from(len);
    if len < HEADER_LEN {
        return false;
    }
    let body = payload.get(2..).unwrap_or(&[]);
    match body.get(..len) {
        Some(msg) => probe_message(msg, true),
        None => body.len() >= HEADER_LEN && probe_message(body, false),
    }
}
