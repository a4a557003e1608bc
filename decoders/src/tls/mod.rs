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
//! STARTTLS: a mail decoder that sees the switch creates a `TlsParser` and
//! feeds it the rest of the stream; nothing else is needed.

mod record;

pub use record::{TlsEvent, TlsRecord};

use crate::detect::Transport;
use crate::error::Result;
use crate::{Dir, Progress, RecordSink, Segment};

/// Per-flow TLS decoder. See the module documentation.
#[derive(Debug)]
pub struct TlsParser {
    transport: Transport,
}

impl TlsParser {
    /// A parser for a TLS stream over `transport` (TCP; STARTTLS callers too).
    pub fn new(transport: Transport) -> Self {
        Self { transport }
    }

    /// Feed the next in-order segment of direction `dir`, seen at `ts_us`.
    ///
    /// Returns how much of `seg` was used (the caller keeps the rest and calls
    /// again with more), or `Done` once this direction carries only encrypted
    /// application data.
    pub fn feed(
        &mut self,
        dir: Dir,
        ts_us: i64,
        seg: Segment<'_>,
        out: &mut impl RecordSink<TlsEvent>,
    ) -> Result<Progress> {
        let _ = (dir, ts_us, out, self.transport);
        Ok(match seg {
            Segment::Data(d) => Progress::Consumed(d.len()),
            _ => Progress::Consumed(0),
        })
    }

    /// The flow ended: emit the session record if it has not been emitted yet.
    pub fn finish(&mut self, out: &mut impl RecordSink<TlsEvent>) {
        let _ = out;
    }
}

/// Build the client half of a session record from one complete ClientHello
/// handshake message (type, 3-byte length, body), for callers that reassemble
/// the handshake themselves (QUIC's CRYPTO frames). Fills `server_name`, `alpn`,
/// `client_versions`, `ja3`/`ja3_string` and `ja4`/`ja4_r` (prefix `q` when `quic`).
pub fn session_from_client_hello(msg: &[u8], ts_us: i64, quic: bool) -> Result<TlsRecord> {
    // Filled in by the TLS work.
    let _ = msg;
    Ok(TlsRecord {
        ts_us,
        quic,
        ..TlsRecord::default()
    })
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
