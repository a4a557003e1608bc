//! TLS (SSL 3.0 to TLS 1.3, SSLv2-compatible ClientHello) over TCP, on any port.
//!
//! [`TlsParser`] holds one flow's state: per direction, the record layer
//! (records spanning segments) and the handshake layer (messages spanning
//! records, several per record), both bounded. Messages are parsed with
//! `tls-parser`; this module does the reassembly. It emits one
//! [`TlsEvent::Session`] per flow (a [`TlsRecord`]) and one
//! [`TlsEvent::Certificate`] per certificate seen, and returns
//! [`Progress::Done`](crate::Progress::Done) for a direction once the
//! handshake is over, so the sensor stops paying for encrypted bytes.
//!
//! Layout: `record_layer.rs` (record headers, skipping, resync),
//! `handshake.rs` (message reassembly and dispatch), `hello.rs` (hello
//! parsing), `session.rs` (accumulated facts and the record),
//! `fingerprint.rs` (JA3, JA3S, JA4, JA4S), `names.rs` (Zeek's names).
//!
//! Limits: a plaintext record is at most [`MAX_RECORD_LEN`] bytes (the most
//! the caller is asked to buffer), a handshake message at most
//! [`MAX_HANDSHAKE_LEN`], a chain at most [`MAX_CHAIN_CERTS`] certificates.
//!
//! STARTTLS: a mail decoder that sees the switch creates a `TlsParser` and
//! feeds it the rest of the stream; nothing else is needed.

mod fingerprint;
mod handshake;
mod hello;
mod names;
mod record;
mod record_layer;
mod session;

#[cfg(test)]
mod tests;

pub use handshake::{MAX_CHAIN_CERTS, MAX_HANDSHAKE_LEN};
pub use record::{TlsEvent, TlsRecord};
pub use record_layer::MAX_RECORD_LEN;

use crate::detect::Transport;
use crate::error::{DecodeError, Result};
use crate::{Dir, Progress, RecordSink, Segment};
use handshake::{on_chain, on_message, weird, HsEvent};
use hello::{parse_sslv2_client_hello, parse_sslv2_server_hello};
use record_layer::{content, find_record_start, DirState, Header, HEADER_LEN, MAX_RESYNC_SCAN};
use session::Session;

/// Per-flow TLS decoder. See the module documentation.
#[derive(Debug)]
pub struct TlsParser {
    transport: Transport,
    /// Originator (client) and responder (server) state.
    dirs: [DirState; 2],
    session: Session,
    /// The session record was emitted (exactly once per flow).
    emitted: bool,
}

/// Index of a direction in [`TlsParser::dirs`].
fn idx(dir: Dir) -> usize {
    match dir {
        Dir::Orig => 0,
        Dir::Resp => 1,
    }
}

impl TlsParser {
    /// A parser for a TLS stream over `transport` (TCP; STARTTLS callers too).
    pub fn new(transport: Transport) -> Self {
        Self {
            transport,
            dirs: [DirState::default(), DirState::default()],
            session: Session::default(),
            emitted: false,
        }
    }

    /// Feed the next in-order segment of direction `dir`, seen at `ts_us`.
    ///
    /// - `Data`: records are read from the front. A plaintext record
    ///   (handshake, alert, change_cipher_spec) must be whole: with an
    ///   incomplete one at the front the answer is `NeedMore { consumed,
    ///   needed }` (keep the rest, call again once `needed` bytes are there;
    ///   at most 5 + [`MAX_RECORD_LEN`]). Bodies of encrypted or application
    ///   records are consumed as they arrive, never buffered.
    /// - `Done` once this direction carries only encrypted data: TLS 1.2 and
    ///   below after its ChangeCipherSpec and the encrypted record after it;
    ///   TLS 1.3 after the server's ServerHello and the first encrypted record
    ///   of that direction. The session record is emitted when both directions
    ///   are done.
    /// - `Gap`: absorbed when it falls inside a body being skipped; otherwise
    ///   the direction loses sync (`tls_gap` weird). The caller drops its
    ///   buffered tail of that direction; the following data is searched for a
    ///   plausible record header (up to `MAX_RESYNC_SCAN` bytes, then
    ///   `tls_resync_failed` and `Done`).
    /// - `Eof`: the direction is over (`Done`).
    ///
    /// # Errors
    /// [`DecodeError::TlsBadRecord`] when the first bytes of a direction are
    /// not TLS (the caller bypasses the flow). Garbage after valid records
    /// only ends that direction, with a `tls_bad_record` weird.
    pub fn feed(
        &mut self,
        dir: Dir,
        ts_us: i64,
        seg: Segment<'_>,
        out: &mut impl RecordSink<TlsEvent>,
    ) -> Result<Progress> {
        let p = match seg {
            _ if self.dirs[idx(dir)].done => Ok(Progress::Done),
            Segment::Data(d) => self.feed_data(dir, ts_us, d, out),
            Segment::Gap(n) => Ok(self.gap(dir, ts_us, n, out)),
            Segment::Eof => {
                self.dirs[idx(dir)].done = true;
                Ok(Progress::Done)
            }
        };
        self.maybe_emit(out);
        p
    }

    /// The flow ended: emit the session record if it has not been emitted
    /// yet (only when some handshake message was seen).
    pub fn finish(&mut self, out: &mut impl RecordSink<TlsEvent>) {
        self.emit(out);
    }

    /// Emit the session once both directions are done.
    fn maybe_emit(&mut self, out: &mut impl RecordSink<TlsEvent>) {
        if self.dirs.iter().all(|d| d.done) {
            self.emit(out);
        }
    }

    fn emit(&mut self, out: &mut impl RecordSink<TlsEvent>) {
        if self.emitted || self.session.first_ts_us.is_none() {
            return;
        }
        self.emitted = true;
        let quic = self.transport == Transport::Udp;
        out.record(TlsEvent::Session(Box::new(self.session.to_record(quic))));
    }

    fn gap(
        &mut self,
        dir: Dir,
        ts_us: i64,
        n: u32,
        out: &mut impl RecordSink<TlsEvent>,
    ) -> Progress {
        let st = &mut self.dirs[idx(dir)];
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if st.skip >= n {
            // Inside an encrypted body we were skipping anyway: nothing is lost.
            st.skip -= n;
            return Progress::Consumed(0);
        }
        weird(out, ts_us, "tls_gap", format!("{n} bytes missing"));
        st.skip = 0;
        st.hs.reset_after_gap();
        if st.encrypted {
            // Encrypted data flowed in the hole: the handshake of this side is over.
            st.ciphertext_records += 1;
            self.after_record(dir);
        } else {
            st.desync = true;
            st.resync_skipped = 0;
        }
        if self.dirs[idx(dir)].done {
            Progress::Done
        } else {
            Progress::Consumed(0)
        }
    }

    /// Update `established` and this direction's `done` after a record.
    fn after_record(&mut self, dir: Dir) {
        if self.dirs.iter().all(|d| d.ciphertext_records > 0) {
            self.session.established = true;
        }
        let st = &mut self.dirs[idx(dir)];
        if st.encrypted && st.ciphertext_records > 0 {
            st.done = true;
        }
    }

    fn feed_data(
        &mut self,
        dir: Dir,
        ts_us: i64,
        d: &[u8],
        out: &mut impl RecordSink<TlsEvent>,
    ) -> Result<Progress> {
        let i = idx(dir);
        let mut pos = 0usize;
        loop {
            if self.dirs[i].done {
                return Ok(Progress::Done);
            }
            let rest = d.get(pos..).unwrap_or_default();
            let st = &mut self.dirs[i];
            if st.skip > 0 {
                let n = st.skip.min(rest.len());
                st.skip -= n;
                pos += n;
                if st.skip > 0 {
                    return Ok(Progress::Consumed(pos));
                }
                continue;
            }
            if rest.is_empty() {
                return Ok(Progress::Consumed(pos));
            }
            if st.desync {
                match find_record_start(rest) {
                    Some(at) => {
                        st.desync = false;
                        pos += at;
                        continue;
                    }
                    None => {
                        let dropped = rest.len().saturating_sub(HEADER_LEN - 1);
                        st.resync_skipped = st.resync_skipped.saturating_add(dropped);
                        if st.resync_skipped > MAX_RESYNC_SCAN {
                            st.done = true;
                            weird(
                                out,
                                ts_us,
                                "tls_resync_failed",
                                format!("{} bytes", st.resync_skipped),
                            );
                            return Ok(Progress::Done);
                        }
                        return Ok(Progress::NeedMore {
                            consumed: pos + dropped,
                            needed: HEADER_LEN,
                        });
                    }
                }
            }
            if !st.started && rest.first().is_some_and(|b| b & 0x80 != 0) {
                match self.sslv2(dir, ts_us, rest, out)? {
                    Some(used) => {
                        pos += used;
                        continue;
                    }
                    None => {
                        return Ok(Progress::NeedMore {
                            consumed: pos,
                            needed: sslv2_len(rest),
                        })
                    }
                }
            }
            let Some(h) = Header::parse(rest) else {
                return Ok(Progress::NeedMore {
                    consumed: pos,
                    needed: HEADER_LEN,
                });
            };
            if let Some(reason) = h.problem() {
                if !st.started {
                    return Err(DecodeError::TlsBadRecord { reason });
                }
                st.done = true;
                weird(out, ts_us, "tls_bad_record", reason.to_string());
                return Ok(Progress::Done);
            }
            st.started = true;
            let tls13 = self.session.tls13();
            let ciphertext = st.encrypted
                && match h.typ {
                    content::CCS => false,
                    // TLS 1.3 hides everything in application_data records; a
                    // short alert record there is a plaintext one.
                    content::ALERT if tls13 => h.len > 2,
                    _ => true,
                };
            let skip_body =
                ciphertext || h.typ == content::APPLICATION_DATA || h.typ == content::HEARTBEAT;
            if skip_body {
                if ciphertext {
                    st.ciphertext_records += 1;
                }
                st.skip = h.len;
                pos += HEADER_LEN;
                self.after_record(dir);
                continue;
            }
            let total = HEADER_LEN + h.len;
            let Some(body) = rest.get(HEADER_LEN..total) else {
                return Ok(Progress::NeedMore {
                    consumed: pos,
                    needed: total,
                });
            };
            self.plaintext_record(dir, ts_us, h.typ, body, out);
            pos += total;
            self.after_record(dir);
        }
    }

    /// One whole plaintext record (handshake, alert, change_cipher_spec).
    fn plaintext_record(
        &mut self,
        dir: Dir,
        ts_us: i64,
        typ: u8,
        body: &[u8],
        out: &mut impl RecordSink<TlsEvent>,
    ) {
        match typ {
            content::HANDSHAKE => {
                let Self { dirs, session, .. } = self;
                dirs[idx(dir)].hs.push(body, &mut |e| match e {
                    HsEvent::Message(m) => on_message(session, dir, ts_us, m, out),
                    HsEvent::TooLarge(len) => weird(
                        out,
                        ts_us,
                        DecodeError::TlsHandshakeTooLarge { len }.weird_name(),
                        format!("{len} bytes"),
                    ),
                });
                // A TLS 1.3 ServerHello: everything after it is encrypted,
                // the client's next records too.
                if dir == Dir::Resp && self.session.version().is_some_and(names::is_tls13_like) {
                    for st in &mut self.dirs {
                        st.encrypted = true;
                    }
                }
            }
            content::CCS => {
                if dir == Dir::Orig {
                    self.session.client_ccs = true;
                }
                // TLS 1.3 sends ChangeCipherSpec only for middlebox compatibility.
                if !self.session.tls13() {
                    self.dirs[idx(dir)].encrypted = true;
                }
            }
            content::ALERT => {
                if !body.len().is_multiple_of(2) {
                    weird(out, ts_us, "tls_bad_alert", format!("{} bytes", body.len()));
                }
                if let Some(&[_level, desc]) = body
                    .chunks_exact(2)
                    .last()
                    .and_then(|c| c.first_chunk::<2>())
                {
                    self.session.last_alert = Some(names::alert_name(desc));
                }
            }
            _ => {}
        }
    }

    /// An SSLv2-framed message at the start of a direction (2-byte header,
    /// high bit set). `Ok(None)`: incomplete; `Ok(Some(n))`: `n` bytes used.
    fn sslv2(
        &mut self,
        dir: Dir,
        ts_us: i64,
        rest: &[u8],
        out: &mut impl RecordSink<TlsEvent>,
    ) -> Result<Option<usize>> {
        let total = sslv2_len(rest);
        if total > HEADER_LEN + MAX_RECORD_LEN {
            return Err(DecodeError::TlsBadRecord {
                reason: "SSLv2 hello longer than a TLS record",
            });
        }
        let Some(m) = rest.get(2..total) else {
            return Ok(None);
        };
        let bad = DecodeError::TlsBadRecord {
            reason: "not an SSLv2 hello",
        };
        self.session.first_ts_us.get_or_insert(ts_us);
        match dir {
            Dir::Orig => {
                let ch = parse_sslv2_client_hello(m).map_err(|_| bad)?;
                self.session.client.get_or_insert(ch);
            }
            Dir::Resp => {
                let sh = parse_sslv2_server_hello(m).map_err(|_| bad)?;
                if let Some(cert) = sh.sslv2_cert.clone() {
                    on_chain(&mut self.session, dir, ts_us, &[cert.as_slice()], out);
                }
                self.session.server.get_or_insert(sh);
                // The rest of an SSLv2 session, both ways, is encrypted.
                for st in &mut self.dirs {
                    st.done = true;
                }
            }
        }
        self.dirs[idx(dir)].started = true;
        Ok(Some(total))
    }
}

/// Length of an SSLv2 message with its 2-byte header (RFC 6101 appendix E.2
/// framing), from the first two bytes; 2 while they are not there yet.
fn sslv2_len(b: &[u8]) -> usize {
    match b {
        [hi, lo, ..] => 2 + (usize::from(hi & 0x7f) << 8 | usize::from(*lo)),
        _ => 2,
    }
}

/// Build the client half of a session record from one complete ClientHello
/// handshake message (type, 3-byte length, body), for callers that reassemble
/// the handshake themselves (QUIC's CRYPTO frames). Fills `server_name`, `alpn`,
/// `client_versions`, `ja3`/`ja3_string` and `ja4`/`ja4_r` (prefix `q` when `quic`).
///
/// # Errors
/// [`DecodeError::TlsBadRecord`] when `msg` is not a whole, readable ClientHello.
pub fn session_from_client_hello(msg: &[u8], ts_us: i64, quic: bool) -> Result<TlsRecord> {
    let bad = |reason| DecodeError::TlsBadRecord { reason };
    let (&[typ, a, b, c], body) = (
        msg.first_chunk::<4>()
            .ok_or(bad("ClientHello shorter than its header"))?,
        msg.get(4..).unwrap_or_default(),
    );
    if typ != 1 {
        return Err(bad("handshake message is not a ClientHello"));
    }
    let len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
    let body = body
        .get(..len)
        .ok_or(bad("ClientHello shorter than announced"))?;
    let (info, _) = hello::parse_client_hello(body).map_err(|e| bad(e.0))?;
    let mut r = TlsRecord {
        ts_us,
        quic,
        ..TlsRecord::default()
    };
    session::fill_client(&mut r, &info, quic);
    Ok(r)
}

/// Whether `payload` (the first bytes of a TCP direction) looks like the start
/// of TLS: a handshake record of SSL 3.0 to TLS 1.3, or an SSLv2-framed ClientHello.
pub fn probe(payload: &[u8]) -> bool {
    match payload {
        [0x16, 0x03, minor, ..] => *minor <= 4,
        [hi, _, 0x01, 0x03 | 0x00, ..] => hi & 0x80 != 0,
        _ => false,
    }
}
