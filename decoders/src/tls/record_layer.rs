//! The TLS record layer of one direction: 5-byte headers, bodies skipped
//! without buffering, and resynchronisation after a gap.

use super::handshake::Reassembler;

/// Length of a record header: type, version, length (RFC 8446 section 5.1).
pub(crate) const HEADER_LEN: usize = 5;

/// Largest record body accepted: TLSCiphertext may carry 2^14 + 2048 bytes
/// (RFC 5246 section 6.2.3; TLS 1.3 lowers it to 2^14 + 256). Anything longer
/// is not TLS, and bounds what the caller buffers for one plaintext record.
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// How many bytes a direction may skip while looking for a record header
/// after a gap before it gives up (four maximal records: a real stream shows
/// a header well within that).
pub(crate) const MAX_RESYNC_SCAN: usize = 4 * (HEADER_LEN + MAX_RECORD_LEN);

/// Record content types (IANA "TLS ContentType").
pub(crate) mod content {
    /// change_cipher_spec.
    pub const CCS: u8 = 20;
    /// alert.
    pub const ALERT: u8 = 21;
    /// handshake.
    pub const HANDSHAKE: u8 = 22;
    /// application_data.
    pub const APPLICATION_DATA: u8 = 23;
    /// heartbeat (RFC 6520).
    pub const HEARTBEAT: u8 = 24;
}

/// A record header read from the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Content type.
    pub typ: u8,
    /// Record-layer version.
    pub version: u16,
    /// Body length.
    pub len: usize,
}

impl Header {
    /// Read a header from the first 5 bytes of `b` (`None` when shorter).
    pub fn parse(b: &[u8]) -> Option<Header> {
        let &[typ, v0, v1, l0, l1] = b.first_chunk::<HEADER_LEN>()?;
        Some(Header {
            typ,
            version: u16::from_be_bytes([v0, v1]),
            len: usize::from(u16::from_be_bytes([l0, l1])),
        })
    }

    /// Why this header cannot start a TLS record, if it cannot: a known
    /// content type, an SSL 3.0 to TLS 1.3 record version, a bounded length.
    pub fn problem(&self) -> Option<&'static str> {
        if !(content::CCS..=content::HEARTBEAT).contains(&self.typ) {
            Some("unknown record content type")
        } else if self.version >> 8 != 3 || self.version & 0xff > 4 {
            Some("record version is not SSL 3.0 to TLS 1.3")
        } else if self.len > MAX_RECORD_LEN {
            Some("record longer than 2^14 + 2048")
        } else {
            None
        }
    }
}

/// Whether a record plausibly starts at `d[i]` (used to resynchronise): a
/// valid, non-empty header, and a valid next header if it is in `d`.
fn plausible_at(d: &[u8], i: usize) -> bool {
    let Some(h) = d.get(i..).and_then(Header::parse) else {
        return false;
    };
    if h.problem().is_some() || h.len == 0 {
        return false;
    }
    let next = i + HEADER_LEN + h.len;
    match d.get(next..).and_then(Header::parse) {
        Some(n) => n.problem().is_none(),
        None => true,
    }
}

/// Offset of the first plausible record header in `d`.
pub(crate) fn find_record_start(d: &[u8]) -> Option<usize> {
    (0..d.len().saturating_sub(HEADER_LEN - 1)).find(|&i| plausible_at(d, i))
}

/// Record-layer and handshake state of one direction.
#[derive(Debug, Default)]
pub(crate) struct DirState {
    /// Body bytes of the current (encrypted or uninteresting) record still to skip.
    pub skip: usize,
    /// Handshake messages spanning records.
    pub hs: Reassembler,
    /// Framing lost after a gap: look for a record header before parsing.
    pub desync: bool,
    /// Bytes skipped while looking for a header since the last gap.
    pub resync_skipped: usize,
    /// A valid record (or SSLv2 message) was seen: SSLv2 framing is only
    /// accepted at the start of a direction.
    pub started: bool,
    /// Records of this direction are encrypted from now on (after its
    /// ChangeCipherSpec, or after a TLS 1.3 ServerHello).
    pub encrypted: bool,
    /// Encrypted records seen since `encrypted` was set.
    pub ciphertext_records: u32,
    /// Nothing of interest left: `feed` answers `Done`.
    pub done: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_checks() {
        let h = Header::parse(&[22, 3, 1, 0, 5]);
        assert_eq!(
            h,
            Some(Header {
                typ: 22,
                version: 0x0301,
                len: 5
            })
        );
        assert!(h.is_some_and(|h| h.problem().is_none()));
        assert!(Header::parse(&[22, 3, 1, 0]).is_none());
        let bad_type = Header::parse(&[0x47, 0x45, 0x54, 0x20, 0x2f]);
        assert!(bad_type.is_some_and(|h| h.problem().is_some()));
        let too_long = Header::parse(&[23, 3, 3, 0xff, 0xff]);
        assert!(too_long.is_some_and(|h| h.problem().is_some()));
    }

    #[test]
    fn resync_finds_a_header_chain() {
        let mut d = vec![0x55; 7];
        d.extend_from_slice(&[23, 3, 3, 0, 2, 0xaa, 0xbb, 23, 3, 3, 0, 1]);
        assert_eq!(find_record_start(&d), Some(7));
        assert_eq!(find_record_start(&[1, 2, 3]), None);
        // A header whose successor is garbage is not accepted.
        let bad = [23, 3, 3, 0, 1, 0, 9, 9, 9, 9, 9];
        assert_eq!(find_record_start(&bad), None);
    }
}
