//! DNS over TCP framing (RFC 1035 section 4.2.2, RFC 7766): every message has
//! a 2-octet length prefix; messages may share a segment or span several.
//! After a gap the stream is probed for a plausible message boundary.

use super::parser::{parse_question, read_u16, Header, Message, HEADER_LEN, MAX_NAME_LEN};
use super::record::DnsRecord;
use super::tx::{weird, Transactions};
use crate::error::{DecodeError, Result};
use crate::{Dir, Progress, RecordSink};

/// Bytes from a candidate boundary that must be present to judge it: the
/// length prefix, the header and the longest possible first question.
const PROBE_WINDOW: usize = 2 + HEADER_LEN + MAX_NAME_LEN + 4;

/// Per-direction TCP framing state.
#[derive(Debug, Default)]
pub(crate) struct TcpFraming {
    /// Per direction (`Orig`, `Resp`): framing lost after a gap.
    desynced: [bool; 2],
    /// Stream bytes skipped while looking for a boundary after a gap.
    pub skipped_bytes: u64,
    /// Bytes announced missing by `Segment::Gap`.
    pub gap_bytes: u64,
    /// Boundaries found after a gap.
    pub resyncs: u64,
}

fn idx(dir: Dir) -> usize {
    match dir {
        Dir::Orig => 0,
        Dir::Resp => 1,
    }
}

/// Whether a plausible length-prefixed message starts at the front of `rest`:
/// a header that fits the direction and one complete, valid question.
fn plausible_at(rest: &[u8], dir: Dir) -> bool {
    let Ok(len) = read_u16(rest, 0, "tcp length") else {
        return false;
    };
    let len = usize::from(len);
    // Header plus at least the root name, QTYPE and QCLASS.
    if len < HEADER_LEN + 5 {
        return false;
    }
    let avail = rest.get(2..).unwrap_or(&[]);
    let msg = avail.get(..len).unwrap_or(avail);
    let Ok(h) = Header::parse(msg) else {
        return false;
    };
    let rr_count = usize::from(h.ancount) + usize::from(h.nscount) + usize::from(h.arcount);
    // Each RR takes at least 11 octets (root owner, type, class, TTL, rdlength).
    let fits = HEADER_LEN + 5 + rr_count.saturating_mul(11) <= len;
    let header_ok = if h.qr() {
        // Responses: rcodes of RFC 1035/2136 (the 12-bit extended ones need OPT).
        h.rcode() <= 10
    } else {
        // Queries carry no rcode; a standard query has no answer or authority
        // RRs, and at most OPT plus TSIG/SIG(0) as additionals.
        h.rcode() == 0 && (h.opcode() != 0 || (h.ancount == 0 && h.nscount == 0 && h.arcount <= 2))
    };
    if h.qr() != (dir == Dir::Resp)
        || !matches!(h.opcode(), 0 | 4 | 5)
        || h.qdcount != 1
        || !fits
        || !header_ok
    {
        return false;
    }
    let Ok((_, after_q)) = parse_question(msg, HEADER_LEN) else {
        return false;
    };
    if msg.len() < len {
        // Only a prefix is here: the header and question will have to do.
        return true;
    }
    // The whole message is here: every RR must parse and end exactly at its end.
    let Ok(m) = Message::parse(msg) else {
        return false;
    };
    let mut records = m.records(after_q);
    if records.by_ref().any(|rr| rr.is_err()) {
        return false;
    }
    records.pos() == len
}

impl TcpFraming {
    /// Note a gap in `dir`: framing is lost until a boundary is found.
    pub fn gap(&mut self, dir: Dir, len: u32) {
        if let Some(d) = self.desynced.get_mut(idx(dir)) {
            *d = true;
        }
        self.gap_bytes += u64::from(len);
    }

    /// Frame and decode stream bytes of one direction.
    pub fn feed<O: RecordSink<DnsRecord>>(
        &mut self,
        dir: Dir,
        ts: i64,
        buf: &[u8],
        tx: &mut Transactions,
        out: &mut O,
    ) -> Result<Progress> {
        let mut pos = 0usize;
        if self.desynced.get(idx(dir)).copied().unwrap_or(false) {
            let found =
                (0..buf.len()).find(|&i| buf.get(i..).is_some_and(|r| plausible_at(r, dir)));
            match found {
                Some(i) => {
                    if let Some(d) = self.desynced.get_mut(idx(dir)) {
                        *d = false;
                    }
                    self.resyncs += 1;
                    self.skipped_bytes += i as u64;
                    weird(
                        out,
                        ts,
                        "dns_resync",
                        format!("skipped {i} bytes after a gap"),
                    );
                    pos = i;
                }
                None => {
                    // Keep a tail that may hold the start of the next message.
                    let consumed = buf.len().saturating_sub(PROBE_WINDOW);
                    self.skipped_bytes += consumed as u64;
                    let kept = buf.len() - consumed;
                    return Ok(if kept == 0 {
                        Progress::Consumed(consumed)
                    } else {
                        Progress::NeedMore {
                            consumed,
                            needed: kept + 1,
                        }
                    });
                }
            }
        }
        loop {
            let rest = buf.get(pos..).unwrap_or(&[]);
            if rest.is_empty() {
                return Ok(Progress::Consumed(pos));
            }
            let Ok(len) = read_u16(rest, 0, "tcp length") else {
                return Ok(Progress::NeedMore {
                    consumed: pos,
                    needed: 2,
                });
            };
            if usize::from(len) < HEADER_LEN {
                return Err(DecodeError::DnsBadTcpLength { len });
            }
            let total = 2 + usize::from(len);
            let Some(msg) = rest.get(2..total) else {
                return Ok(Progress::NeedMore {
                    consumed: pos,
                    needed: total,
                });
            };
            tx.on_message(ts, msg, out);
            pos += total;
        }
    }
}
