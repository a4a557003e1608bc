//! QUIC v1 (RFC 9000/9001) and v2 (RFC 9369) Initial packets: decrypt, reassemble
//! CRYPTO frames, and log the ClientHello as a `tls` record (`quic = true`).
//!
//! Initial packets are protected with keys derived from the client's
//! Destination Connection ID and a public salt, so a passive observer can read
//! them. [`QuicParser`] takes the DCID of the client's first Initial, removes
//! header and payload protection from every client Initial (coalesced packets
//! in one datagram included), reassembles the CRYPTO stream by offset (bounded
//! to 64 KiB) and, once the whole ClientHello is in,
//! builds the session with [`crate::tls::session_from_client_hello`]. Exactly
//! one [`TlsEvent::Session`] is emitted per connection.
//!
//! Not done: the server's Initials (the ServerHello: cipher and version) are
//! not decrypted, so the responder direction is `Done` at once; everything
//! after the Initials is opaque and only counted.

mod frames;
mod keys;
mod packet;

#[cfg(test)]
mod tests;

use crate::error::Result;
use crate::tls::{TlsEvent, TlsRecord};
use crate::{Dir, Progress, RecordSink, Segment, Weird};

use keys::{Keys, Version};
use packet::Header;

/// After this many client packets that are not Initials (Handshake, 0-RTT,
/// 1-RTT) without a complete ClientHello, the client direction is given up:
/// by then the client has moved past the Initial packet number space.
pub const MAX_NON_INITIAL_PACKETS: u32 = 16;

/// Weird: a packet that cannot be framed (`addl` says why).
const WEIRD_BAD_PACKET: &str = "quic_bad_packet";
/// Weird: a client Initial that does not authenticate with the Initial keys.
const WEIRD_DECRYPT_FAILED: &str = "quic_decrypt_failed";
/// Weird: the CRYPTO stream exceeds its bound.
const WEIRD_CRYPTO_LIMIT: &str = "quic_crypto_limit";
/// Weird: the reassembled handshake message is not a ClientHello we can read.
const WEIRD_BAD_CLIENT_HELLO: &str = "quic_bad_client_hello";

/// Per-flow QUIC decoder. See the module documentation.
#[derive(Debug, Default)]
pub struct QuicParser {
    /// Version of the client's first Initial.
    version: Option<Version>,
    /// The DCID the Initial keys derive from (the client's first, or the one
    /// after a Retry).
    key_dcid: Vec<u8>,
    client_keys: Option<Keys>,
    crypto: frames::CryptoStream,
    largest_pn: Option<u64>,
    non_initial: u32,
    client_done: bool,
    session: Option<Box<TlsRecord>>,
    emitted: bool,
}

impl QuicParser {
    /// A parser for one UDP flow.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one UDP datagram of direction `dir`, seen at `ts_us`.
    ///
    /// Anomalies (unframeable packets, Initials that do not decrypt, an
    /// oversized CRYPTO stream) are reported as `quic_*` weirds and the datagram
    /// is skipped. Returns `Done` for the responder at once (its Initials are
    /// not read) and for the client once the ClientHello is out or after
    /// [`MAX_NON_INITIAL_PACKETS`] other packets.
    ///
    /// # Errors
    ///
    /// None at present: a datagram is independent of the next, so a bad one is a weird.
    pub fn feed(
        &mut self,
        dir: Dir,
        ts_us: i64,
        seg: Segment<'_>,
        out: &mut impl RecordSink<TlsEvent>,
    ) -> Result<Progress> {
        let d = match seg {
            Segment::Data(d) => d,
            Segment::Gap(_) | Segment::Eof => return Ok(Progress::Consumed(0)),
        };
        if dir == Dir::Resp || self.client_done {
            return Ok(Progress::Done);
        }
        let mut pos = 0;
        while pos < d.len() && !self.client_done {
            let Some(rest) = d.get(pos..) else { break };
            let hdr = match packet::parse_header(rest) {
                Ok(Header::Long(h)) => h,
                Ok(Header::Opaque | Header::UnknownVersion(_)) => {
                    self.non_initial += 1;
                    break;
                }
                Err(reason) => {
                    weird(out, ts_us, WEIRD_BAD_PACKET, reason);
                    break;
                }
            };
            let Some(pkt) = rest.get(..hdr.len) else {
                break;
            };
            pos += hdr.len.max(1);
            if !hdr.initial {
                self.non_initial += 1;
                continue;
            }
            self.client_initial(ts_us, &hdr, pkt, out);
        }
        if self.non_initial >= MAX_NON_INITIAL_PACKETS {
            self.client_done = true;
        }
        if self.client_done {
            self.emit(out);
            return Ok(Progress::Done);
        }
        Ok(Progress::Consumed(d.len()))
    }

    /// Decrypt one client Initial and take in its CRYPTO data.
    fn client_initial(
        &mut self,
        ts_us: i64,
        hdr: &packet::LongHeader<'_>,
        pkt: &[u8],
        out: &mut impl RecordSink<TlsEvent>,
    ) {
        let version = *self.version.get_or_insert(hdr.version);
        if version != hdr.version {
            weird(out, ts_us, WEIRD_BAD_PACKET, "Initial of another version");
            return;
        }
        if self.client_keys.is_none() {
            self.key_dcid = hdr.dcid.to_vec();
            self.client_keys = Some(Keys::initial(version, hdr.dcid, true));
        }
        let opened = self
            .client_keys
            .as_ref()
            .map(|k| packet::open_packet(k, hdr, pkt, self.largest_pn));
        let plain = match opened {
            Some(Ok(p)) => Some(p),
            // After a Retry the client derives new keys from the DCID it now uses.
            _ if hdr.dcid != self.key_dcid.as_slice() => {
                let keys = Keys::initial(version, hdr.dcid, true);
                let p = packet::open_packet(&keys, hdr, pkt, None).ok();
                if p.is_some() {
                    self.key_dcid = hdr.dcid.to_vec();
                    self.client_keys = Some(keys);
                    self.crypto = frames::CryptoStream::default();
                }
                p
            }
            _ => None,
        };
        let Some((pn, plain)) = plain else {
            weird(out, ts_us, WEIRD_DECRYPT_FAILED, "client Initial");
            return;
        };
        self.largest_pn = Some(self.largest_pn.map_or(pn, |l| l.max(pn)));
        match frames::read_frames(&plain, &mut self.crypto) {
            Ok(()) => {}
            Err(frames::FrameError::Malformed(reason)) => {
                weird(out, ts_us, WEIRD_BAD_PACKET, reason);
            }
            Err(frames::FrameError::Limit) => {
                weird(out, ts_us, WEIRD_CRYPTO_LIMIT, "client CRYPTO stream");
                self.client_done = true;
                return;
            }
        }
        if self.crypto.first_message_too_large() {
            weird(out, ts_us, WEIRD_CRYPTO_LIMIT, "ClientHello length");
            self.client_done = true;
            return;
        }
        if let Some(msg) = self.crypto.first_message() {
            match crate::tls::session_from_client_hello(msg, ts_us, true) {
                Ok(rec) => self.session = Some(Box::new(rec)),
                Err(e) => weird(out, ts_us, WEIRD_BAD_CLIENT_HELLO, &e.to_string()),
            }
            self.client_done = true;
        }
    }

    /// Emit the session once.
    fn emit(&mut self, out: &mut impl RecordSink<TlsEvent>) {
        if self.emitted {
            return;
        }
        if let Some(rec) = self.session.take() {
            out.record(TlsEvent::Session(rec));
            self.emitted = true;
        }
    }

    /// The flow ended: emit what has not been emitted yet.
    pub fn finish(&mut self, out: &mut impl RecordSink<TlsEvent>) {
        self.emit(out);
    }
}

fn weird(out: &mut impl RecordSink<TlsEvent>, ts_us: i64, name: &'static str, addl: &str) {
    out.weird(Weird {
        ts_us,
        name,
        addl: addl.to_string(),
        notice: false,
    });
}

/// Whether `payload` (a UDP datagram) is a QUIC v1 or v2 long-header Initial packet.
pub fn probe(payload: &[u8]) -> bool {
    // Long header (0x80), fixed bit (0x40), then the 4-byte version.
    let Some(&[first, a, b, c, d, ..]) = payload.first_chunk::<7>() else {
        return false;
    };
    if first & 0xc0 != 0xc0 {
        return false;
    }
    let ty = (first >> 4) & 3;
    match Version::from_wire(u32::from_be_bytes([a, b, c, d])) {
        Some(v) => ty == v.initial_type(),
        None => false,
    }
}
