//! HTTP/1.0 and HTTP/1.1 over TCP, on any port.
//!
//! [`HttpParser`] holds one flow's state: per direction, where it is in a
//! message (head, body, tunnel), and the open transactions (requests waiting
//! for their responses, paired in order, so pipelining works; at most
//! [`MAX_HTTP_TX`]). It emits, through a [`RecordSink<HttpEvent>`]:
//! one [`HttpEvent::File`] per body (or multipart part) when it ends, one
//! [`HttpEvent::Transaction`] per request/response pair once both are
//! complete, and [`HttpEvent::FileData`] only when extraction is on.
//!
//! Handled: keep-alive and pipelining (`trans_depth`), 100 Continue and other
//! 1xx (`info_code`), HEAD and 1xx/204/304 responses without body, CONNECT
//! (logged; the tunnel is not parsed: [`Progress::Done`]), 101 Switching
//! Protocols (likewise), Content-Length, chunked and read-until-close bodies,
//! Content-Encoding gzip/deflate/br (decoded for hashing and sniffing, with
//! the caps of `decode.rs`), multipart bodies split into one file per part,
//! HTTP/0.9 requests, garbage between messages (skipped until the next
//! plausible start line, with a weird), and gaps.
//!
//! Layout: `head.rs` (start line and header fields; `httparse` with a lenient
//! fallback), `pairing.rs` (heads to transactions), `select.rs` (framing,
//! coding and naming of a body), `body.rs` (framing), `decode.rs` (content
//! codings), `entity.rs` and `multipart.rs` (bodies to files), `sync.rs`
//! (gaps, garbage, end of stream), `tx.rs` (records from heads), `ja4h.rs`,
//! `record.rs`.
//!
//! Limits: a head is at most [`MAX_HEAD_LEN`] bytes (the most the caller is
//! asked to buffer), with at most [`MAX_HEADERS`] fields; chunk-size lines
//! at most [`MAX_CHUNK_LINE`]; decoded bodies are capped by
//! [`MAX_DECODED_BYTES`] and [`MAX_DECOMPRESSION_RATIO`]; resynchronising
//! gives up after [`MAX_RESYNC_SCAN`] bytes. Bodies are never buffered.
//!
//! ```
//! use decoders::http::{HttpEvent, HttpParser};
//! use decoders::{Dir, Segment, VecSink};
//!
//! let mut p = HttpParser::new(1);
//! let mut sink: VecSink<HttpEvent> = VecSink::default();
//! let req = b"GET /hello.txt HTTP/1.1\r\nHost: example.com\r\n\r\n";
//! let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
//! let _ = p.feed(Dir::Orig, 1_000_000, Segment::Data(req), &mut sink).unwrap();
//! let _ = p.feed(Dir::Resp, 1_000_500, Segment::Data(resp), &mut sink).unwrap();
//! p.finish(&mut sink);
//! let HttpEvent::File(f) = &sink.records[0] else { panic!() };
//! assert_eq!(f.mime_type.as_deref(), Some("text/plain"));
//! let HttpEvent::Transaction(t) = &sink.records[1] else { panic!() };
//! assert_eq!(t.uri.as_deref(), Some("/hello.txt"));
//! assert_eq!(t.status_code, Some(200));
//! assert_eq!(t.resp_fuids, vec![f.fuid.clone()]);
//! ```

mod body;
mod decode;
mod entity;
mod head;
#[cfg_attr(not(feature = "ja4plus"), allow(dead_code))]
mod ja4h;
mod multipart;
mod pairing;
mod record;
mod select;
mod sync;
mod tx;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod tests;

pub use body::MAX_CHUNK_LINE;
pub use decode::{MAX_DECODED_BYTES, MAX_DECOMPRESSION_RATIO};
pub use head::{KNOWN_METHODS, MAX_HEADERS, MAX_HEAD_LEN};
pub use record::{HttpEvent, HttpRecord};

use crate::error::{DecodeError, Result};
use crate::files::{Extract, ExtractPolicy, FileChunk, FileRecord, FuidGen};
use crate::{Dir, Progress, RecordSink, Segment, Weird};
use body::{BodyReader, BodyStep, Framing};
use decode::{Coding, Stop};
use entity::{Emit, Entity, FileCtx, PartSpec};
use head::{parse_head, plausible_start, Head, HeadResult};
use std::collections::VecDeque;
use std::ops::Range;
use sync::tail_keep;
use tx::Tx;

/// Most open transactions per flow (requests waiting for responses). Real
/// pipelines are shallow (browsers gave pipelining up; clients that use it
/// send a handful of requests ahead), so 64 bounds memory (each open
/// transaction keeps its header names, at most one head's worth) without
/// touching real traffic. Beyond it the oldest is written out early
/// (`http_too_many_tx`) and its response, when it comes, is logged alone.
pub const MAX_HTTP_TX: usize = 64;

/// Bytes skipped while looking for the next message start before giving up
/// on a direction (`http_resync_failed`): 1 MiB, enough to step over a lost
/// body tail or a burst of garbage, not enough to scan a whole download.
pub const MAX_RESYNC_SCAN: u64 = 1024 * 1024;

/// Counters of one flow's HTTP decoding (nothing is dropped without a count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HttpStats {
    /// Transaction records emitted.
    pub transactions: u64,
    /// Transactions written out early because of [`MAX_HTTP_TX`].
    pub evicted_tx: u64,
    /// Responses logged without their request.
    pub unmatched_replies: u64,
    /// Files (bodies and parts) emitted.
    pub files: u64,
    /// Bytes announced missing by gaps.
    pub gap_bytes: u64,
    /// Bytes skipped while resynchronising after garbage or a gap.
    pub skipped_bytes: u64,
    /// Message starts found again after garbage or a gap.
    pub resyncs: u64,
    /// Bodies whose content decoding stopped (caps, corrupt data, gaps).
    pub decoding_stops: u64,
}

/// Where a direction is in its current message.
#[derive(Debug, Default)]
enum Phase {
    /// Between messages or reading a head.
    #[default]
    Head,
    /// Reading a body.
    Body(Box<BodyState>),
    /// Client side after a CONNECT request: tunnel data or a new request?
    ConnectWait,
}

/// Which transaction a response belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TxRef {
    /// One in the queue, by trans_depth.
    Queued(i32),
    /// The response-only transaction in [`HttpParser::orphan`].
    Orphan,
}

#[derive(Debug)]
struct BodyState {
    tx: TxRef,
    /// trans_depth of that transaction.
    depth: i32,
    reader: BodyReader,
    entity: Entity,
    ts_us: i64,
}

#[derive(Debug, Default)]
struct DirState {
    phase: Phase,
    /// Framing lost: looking for the next message start.
    desync: bool,
    /// Whether a message may start at the very next byte (after a gap) or
    /// only after a line end (after garbage).
    resync_at_zero: bool,
    resync_skipped: u64,
    /// Bypassed (tunnel, Eof, resync failed).
    done: bool,
}

/// Per-flow HTTP decoder. See the module documentation.
#[derive(Debug)]
pub struct HttpParser {
    fuids: FuidGen,
    policy: Option<ExtractPolicy>,
    txs: VecDeque<Tx>,
    /// Response-only transaction being filled.
    orphan: Option<Tx>,
    /// trans_depth of the next request.
    next_depth: i32,
    /// Depths of transactions evicted before their response began: their
    /// responses, still to come, are logged alone.
    evicted_unanswered: Range<i32>,
    dirs: [DirState; 2],
    /// Some message was parsed in this flow (garbage at the very start of
    /// the client side is an error, later it is a weird).
    seen_message: bool,
    warned_eviction: bool,
    stats: HttpStats,
}

/// Index of a direction in [`HttpParser::dirs`].
fn idx(dir: Dir) -> usize {
    match dir {
        Dir::Orig => 0,
        Dir::Resp => 1,
    }
}

fn weird<S: RecordSink<HttpEvent>>(out: &mut S, ts_us: i64, name: &'static str, addl: String) {
    out.weird(Weird {
        ts_us,
        name,
        addl,
        notice: false,
    });
}

/// The sink seen by bodies: files go to the sink and into the transaction's lists.
struct Out<'a, S> {
    sink: &'a mut S,
    rec: Option<&'a mut HttpRecord>,
    is_orig: bool,
    files: &'a mut u64,
}

impl<S: RecordSink<HttpEvent>> Extract for Out<'_, S> {
    fn chunk(&mut self, fuid: &str, offset: u64, data: &[u8]) {
        self.sink.record(HttpEvent::FileData(Box::new(FileChunk {
            fuid: fuid.to_string(),
            offset,
            data: data.to_vec(),
        })));
    }
}

impl<S: RecordSink<HttpEvent>> Emit for Out<'_, S> {
    fn file(&mut self, rec: FileRecord, disposition: Option<String>) {
        *self.files += 1;
        if let Some(r) = self.rec.as_deref_mut() {
            let (fuids, names, mimes) = if self.is_orig {
                (
                    &mut r.orig_fuids,
                    &mut r.orig_filenames,
                    &mut r.orig_mime_types,
                )
            } else {
                (
                    &mut r.resp_fuids,
                    &mut r.resp_filenames,
                    &mut r.resp_mime_types,
                )
            };
            fuids.push(rec.fuid.clone());
            names.extend(disposition);
            mimes.extend(rec.mime_type.clone());
        }
        self.sink.record(HttpEvent::File(Box::new(rec)));
    }
}

impl HttpParser {
    /// A parser for one flow. `fuid_seed` makes file ids deterministic: pass
    /// something stable per flow (a hash of its uid or 5-tuple and start
    /// time); the same seed and traffic give the same fuids.
    pub fn new(fuid_seed: u64) -> Self {
        Self {
            fuids: FuidGen::new(fuid_seed),
            policy: None,
            txs: VecDeque::new(),
            orphan: None,
            next_depth: 1,
            evicted_unanswered: 0..0,
            dirs: [DirState::default(), DirState::default()],
            seen_message: false,
            warned_eviction: false,
            stats: HttpStats::default(),
        }
    }

    /// Stream out the bytes of files that `policy` selects, as
    /// [`HttpEvent::FileData`] (see [`crate::files::ExtractPolicy`]).
    /// Without this call nothing is copied.
    pub fn with_extraction(mut self, policy: ExtractPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Counters so far.
    pub fn stats(&self) -> HttpStats {
        self.stats
    }

    /// Number of transactions currently open (bounded by [`MAX_HTTP_TX`]).
    pub fn open_transactions(&self) -> usize {
        self.txs.len()
    }

    /// Feed the next in-order segment of direction `dir`, seen at `ts_us`.
    ///
    /// - `Data`: heads must be whole: with an incomplete head (or chunk-size
    ///   line) at the front the answer is `NeedMore { consumed, needed }`
    ///   (keep the rest, call again with more; a head is at most
    ///   [`MAX_HEAD_LEN`] bytes, beyond that it is skipped with
    ///   `http_header_too_large`). Body bytes are consumed as they arrive.
    /// - `Done` once the direction carries nothing more to parse: a CONNECT
    ///   tunnel or protocol switch, after `Eof`, or after resynchronising
    ///   failed for [`MAX_RESYNC_SCAN`] bytes.
    /// - `Gap`: absorbed inside a body of known extent (the file records the
    ///   missing bytes and gets no hashes); otherwise the direction loses
    ///   framing (`http_gap`): the current body ends, the caller drops its
    ///   buffered tail of that direction, and the following data is searched
    ///   for a plausible start line.
    /// - `Eof`: ends a read-until-close body (or truncates another,
    ///   `http_body_truncated`); returns `Done`.
    ///
    /// # Errors
    /// [`DecodeError::HttpBadMessage`] when the very first bytes of the client
    /// side are not an HTTP request (the caller bypasses the flow). Garbage
    /// later only costs a weird and a resync.
    pub fn feed(
        &mut self,
        dir: Dir,
        ts_us: i64,
        seg: Segment<'_>,
        out: &mut impl RecordSink<HttpEvent>,
    ) -> Result<Progress> {
        if self.dirs[idx(dir)].done {
            return Ok(Progress::Done);
        }
        let p = match seg {
            Segment::Data(d) => self.feed_data(dir, ts_us, d, out),
            Segment::Gap(n) => Ok(self.gap(dir, ts_us, n, out)),
            Segment::Eof => {
                self.eof(dir, ts_us, out);
                Ok(Progress::Done)
            }
        };
        self.emit_ready(out);
        p
    }

    /// The flow ended: close open bodies (their files are emitted), then
    /// emit every open transaction, oldest first.
    pub fn finish(&mut self, out: &mut impl RecordSink<HttpEvent>) {
        self.close(false, out);
    }

    /// Like [`HttpParser::finish`], for a flow that expired: files still
    /// open are marked `timedout`.
    pub fn finish_expired(&mut self, out: &mut impl RecordSink<HttpEvent>) {
        self.close(true, out);
    }

    fn close(&mut self, timedout: bool, out: &mut impl RecordSink<HttpEvent>) {
        for dir in [Dir::Orig, Dir::Resp] {
            self.end_body(dir, timedout, out);
            self.dirs[idx(dir)].done = true;
        }
        if let Some(t) = self.orphan.take() {
            self.emit(t, out);
        }
        while let Some(t) = self.txs.pop_front() {
            self.emit(t, out);
        }
    }

    fn emit(&mut self, t: Tx, out: &mut impl RecordSink<HttpEvent>) {
        self.stats.transactions += 1;
        out.record(HttpEvent::Transaction(Box::new(t.rec)));
    }

    /// Emit finished transactions from the front of the queue.
    fn emit_ready(&mut self, out: &mut impl RecordSink<HttpEvent>) {
        if self.orphan.as_ref().is_some_and(|t| t.resp_done) {
            if let Some(t) = self.orphan.take() {
                self.emit(t, out);
            }
        }
        while self.txs.front().is_some_and(|t| t.req_done && t.resp_done) {
            if let Some(t) = self.txs.pop_front() {
                self.emit(t, out);
            }
        }
    }

    fn tx_mut(&mut self, r: TxRef) -> Option<&mut Tx> {
        tx_in(&mut self.txs, &mut self.orphan, r)
    }

    fn feed_data(
        &mut self,
        dir: Dir,
        ts_us: i64,
        d: &[u8],
        out: &mut impl RecordSink<HttpEvent>,
    ) -> Result<Progress> {
        let i = idx(dir);
        let mut pos = 0usize;
        loop {
            // Emit as soon as a transaction completes, so the order of
            // events does not depend on how the stream was segmented.
            self.emit_ready(out);
            if self.dirs[i].done {
                return Ok(Progress::Done);
            }
            let rest = d.get(pos..).unwrap_or_default();
            if rest.is_empty() {
                return Ok(Progress::Consumed(pos));
            }
            if self.dirs[i].desync {
                match self.resync(dir, ts_us, rest, out) {
                    Some(at) => {
                        pos += at;
                        continue;
                    }
                    None if self.dirs[i].done => return Ok(Progress::Done),
                    None => {
                        // Keep a possible start line cut by the segment end.
                        let keep = tail_keep(rest);
                        let skip = rest.len() - keep;
                        self.skipped(i, skip);
                        return Ok(if keep == 0 {
                            Progress::Consumed(pos + skip)
                        } else {
                            Progress::NeedMore {
                                consumed: pos + skip,
                                needed: keep + 1,
                            }
                        });
                    }
                }
            }
            match &mut self.dirs[i].phase {
                Phase::Head => {
                    let blank = rest
                        .iter()
                        .take_while(|&&c| c == b'\r' || c == b'\n')
                        .count();
                    if blank > 0 {
                        pos += blank;
                        continue;
                    }
                    if dir == Dir::Resp && self.start_http09_response(ts_us) {
                        continue;
                    }
                    match parse_head(rest, dir) {
                        HeadResult::Complete(h) => {
                            pos += h.len;
                            self.seen_message = true;
                            self.on_head(dir, ts_us, h, out);
                        }
                        HeadResult::Partial => {
                            return Ok(Progress::NeedMore {
                                consumed: pos,
                                needed: rest.len() + 1,
                            })
                        }
                        HeadResult::Invalid(reason) => {
                            if !self.seen_message && dir == Dir::Orig && pos == 0 {
                                return Err(DecodeError::HttpBadMessage { reason });
                            }
                            let e = DecodeError::HttpBadMessage { reason };
                            weird(out, ts_us, e.weird_name(), e.to_string());
                            self.lose_sync(i, false);
                        }
                        HeadResult::TooLarge => {
                            let e = DecodeError::HttpHeaderTooLarge { len: rest.len() };
                            weird(out, ts_us, e.weird_name(), e.to_string());
                            self.lose_sync(i, false);
                        }
                    }
                }
                Phase::Body(b) => match b.reader.step(rest) {
                    BodyStep::Data(n) => {
                        let complete = b.reader.complete();
                        let data = rest.get(..n).unwrap_or_default();
                        self.body_data(dir, ts_us, data, out);
                        pos += n;
                        if complete {
                            // End now, not with the next message's bytes.
                            self.end_body(dir, false, out);
                        }
                    }
                    BodyStep::Framing(n) => pos += n,
                    BodyStep::End(n) => {
                        pos += n;
                        self.end_body(dir, false, out);
                    }
                    BodyStep::NeedMore => {
                        return Ok(Progress::NeedMore {
                            consumed: pos,
                            needed: rest.len() + 1,
                        })
                    }
                    BodyStep::Bad(reason) => {
                        let e = DecodeError::HttpBadChunk { reason };
                        weird(out, ts_us, e.weird_name(), e.to_string());
                        self.end_body(dir, false, out);
                        self.lose_sync(i, false);
                    }
                },
                Phase::ConnectWait => match plausible_start(rest, Dir::Orig, false) {
                    Some(true) => self.dirs[i].phase = Phase::Head,
                    None => {
                        return Ok(Progress::NeedMore {
                            consumed: pos,
                            needed: rest.len() + 1,
                        })
                    }
                    Some(false) => {
                        // Tunnel data sent before the proxy's answer.
                        self.dirs[i].done = true;
                        return Ok(Progress::Done);
                    }
                },
            }
        }
    }

    fn body_data(
        &mut self,
        dir: Dir,
        ts_us: i64,
        data: &[u8],
        out: &mut impl RecordSink<HttpEvent>,
    ) {
        let Self {
            fuids,
            policy,
            txs,
            orphan,
            dirs,
            stats,
            ..
        } = self;
        let Phase::Body(b) = &mut dirs[idx(dir)].phase else {
            return;
        };
        let rec = tx_in(txs, orphan, b.tx).map(|t| &mut t.rec);
        let mut ctx = FileCtx {
            fuids,
            policy: policy.as_ref(),
            ts_us: b.ts_us,
            is_orig: dir == Dir::Orig,
            depth: b.depth,
        };
        let mut em = Out {
            sink: out,
            rec,
            is_orig: dir == Dir::Orig,
            files: &mut stats.files,
        };
        if let Some(stop) = b.entity.data(data, &mut ctx, &mut em) {
            stats.decoding_stops += 1;
            let name = match stop {
                Stop::Ratio => "http_decompression_ratio",
                Stop::Size => "http_decompression_limit",
                Stop::Corrupt | Stop::Gap => "http_bad_content_encoding",
            };
            weird(em.sink, ts_us, name, format!("{stop:?}"));
        }
    }

    /// End the body being read in `dir` (if any): its files are emitted and
    /// its transaction side is complete.
    fn end_body(&mut self, dir: Dir, timedout: bool, out: &mut impl RecordSink<HttpEvent>) {
        let i = idx(dir);
        let Phase::Body(b) = std::mem::take(&mut self.dirs[i].phase) else {
            return;
        };
        let BodyState {
            tx: r,
            depth,
            entity,
            ts_us,
            ..
        } = *b;
        let raw_len = i64::try_from(entity.raw_len).unwrap_or(i64::MAX);
        let Self {
            fuids,
            policy,
            txs,
            orphan,
            stats,
            ..
        } = self;
        let t = tx_in(txs, orphan, r);
        let rec = t.map(|t| {
            if dir == Dir::Orig {
                t.req_done = true;
                t.rec.request_body_len = raw_len;
            } else {
                t.resp_done = true;
                t.rec.response_body_len = raw_len;
            }
            &mut t.rec
        });
        let mut ctx = FileCtx {
            fuids,
            policy: policy.as_ref(),
            ts_us,
            is_orig: dir == Dir::Orig,
            depth,
        };
        let mut em = Out {
            sink: out,
            rec,
            is_orig: dir == Dir::Orig,
            files: &mut stats.files,
        };
        entity.finish(timedout, &mut ctx, &mut em);
    }
}

/// The transaction `r` refers to.
fn tx_in<'a>(
    txs: &'a mut VecDeque<Tx>,
    orphan: &'a mut Option<Tx>,
    r: TxRef,
) -> Option<&'a mut Tx> {
    match r {
        TxRef::Orphan => orphan.as_mut(),
        TxRef::Queued(d) => {
            let front = txs.front()?.rec.trans_depth;
            let at = usize::try_from(d.checked_sub(front)?).ok()?;
            txs.get_mut(at).filter(|t| t.rec.trans_depth == d)
        }
    }
}

/// Whether `payload` (the first bytes of a TCP direction) looks like HTTP/1.x:
/// a request line with a known method (`GET / HTTP/1.1`) or, from the server,
/// a status line (`HTTP/1.1 200`). Works on a prefix of the first line.
pub fn probe(payload: &[u8], dir: Dir) -> bool {
    let strict = plausible_start(payload, dir, true) == Some(true);
    match dir {
        // A complete request line must carry an HTTP/1.x version for detection.
        Dir::Orig => strict && request_line_has_version(payload),
        Dir::Resp => strict && payload.starts_with(b"HTTP/1."),
    }
}

fn request_line_has_version(b: &[u8]) -> bool {
    let line = b.split(|&c| c == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.rsplit(|&c| c == b' ')
        .next()
        .is_some_and(|v| v.starts_with(b"HTTP/1."))
}
