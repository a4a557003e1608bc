//! Pure, zero-copy DNS wire parsing (RFC 1035 section 4): header, names,
//! questions and resource records. No state, no allocation: every value
//! borrows from the message, and every read is bounds-checked, so no input
//! can make these functions panic.
//!
//! Inside one message parsing is "complete": running out of bytes is an error
//! ([`DecodeError::DnsTruncated`]), never "need more" (framing is done by the
//! caller, see `framing.rs`).

use crate::error::{DecodeError, Result};

/// Length of the fixed DNS header (RFC 1035 section 4.1.1).
pub const HEADER_LEN: usize = 12;

/// Maximum wire length of a name, length octets included (RFC 1035 section 2.3.4).
pub const MAX_NAME_LEN: usize = 255;

/// Maximum number of labels in a name: a 255-octet wire name holds at most 127
/// one-octet labels plus the root (RFC 1035 section 2.3.4 arithmetic).
pub const MAX_LABELS: usize = 127;

/// Maximum compression pointers followed in one name. Pointers must also go
/// strictly backwards (before the start of the labels being read), which
/// alone guarantees termination; this cap bounds the work per name (like
/// Suricata's `dns/parser.rs`, which caps pointer jumps too).
pub const MAX_POINTER_HOPS: usize = 64;

/// Byte ranges of the header fields (RFC 1035 section 4.1.1).
mod field {
    use std::ops::Range;
    pub const ID: Range<usize> = 0..2;
    pub const FLAGS: Range<usize> = 2..4;
    pub const QDCOUNT: Range<usize> = 4..6;
    pub const ANCOUNT: Range<usize> = 6..8;
    pub const NSCOUNT: Range<usize> = 8..10;
    pub const ARCOUNT: Range<usize> = 10..12;
}

/// Read a big-endian u16 at `pos`.
pub fn read_u16(msg: &[u8], pos: usize, what: &'static str) -> Result<u16> {
    match msg.get(pos..pos.saturating_add(2)) {
        Some(&[a, b]) => Ok(u16::from_be_bytes([a, b])),
        _ => Err(DecodeError::DnsTruncated { what, offset: pos }),
    }
}

/// Read a big-endian u32 at `pos`.
pub fn read_u32(msg: &[u8], pos: usize, what: &'static str) -> Result<u32> {
    match msg.get(pos..pos.saturating_add(4)) {
        Some(&[a, b, c, d]) => Ok(u32::from_be_bytes([a, b, c, d])),
        _ => Err(DecodeError::DnsTruncated { what, offset: pos }),
    }
}

fn header_u16(msg: &[u8], r: std::ops::Range<usize>) -> Result<u16> {
    read_u16(msg, r.start, "header")
}

/// The fixed DNS header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Transaction id.
    pub id: u16,
    /// The flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode).
    pub flags: u16,
    /// Number of questions.
    pub qdcount: u16,
    /// Number of answer RRs.
    pub ancount: u16,
    /// Number of authority RRs.
    pub nscount: u16,
    /// Number of additional RRs.
    pub arcount: u16,
}

impl Header {
    /// Parse the header at the start of `msg`.
    ///
    /// # Errors
    /// [`DecodeError::DnsTruncated`] when `msg` is shorter than 12 octets.
    pub fn parse(msg: &[u8]) -> Result<Header> {
        Ok(Header {
            id: header_u16(msg, field::ID)?,
            flags: header_u16(msg, field::FLAGS)?,
            qdcount: header_u16(msg, field::QDCOUNT)?,
            ancount: header_u16(msg, field::ANCOUNT)?,
            nscount: header_u16(msg, field::NSCOUNT)?,
            arcount: header_u16(msg, field::ARCOUNT)?,
        })
    }
    /// QR: true for a response.
    pub fn qr(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// The 4-bit opcode.
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    /// Authoritative answer.
    pub fn aa(&self) -> bool {
        self.flags & 0x0400 != 0
    }
    /// Truncated.
    pub fn tc(&self) -> bool {
        self.flags & 0x0200 != 0
    }
    /// Recursion desired.
    pub fn rd(&self) -> bool {
        self.flags & 0x0100 != 0
    }
    /// Recursion available.
    pub fn ra(&self) -> bool {
        self.flags & 0x0080 != 0
    }
    /// The three bits after RA (Z, AD, CD) as one number, as Zeek's `Z` column has them.
    pub fn z(&self) -> u8 {
        ((self.flags >> 4) & 0x7) as u8
    }
    /// The 4-bit response code.
    pub fn rcode(&self) -> u16 {
        self.flags & 0xf
    }
}

/// A validated domain name inside a message (its labels are read lazily).
#[derive(Clone, Copy, Debug)]
pub struct Name<'a> {
    msg: &'a [u8],
    start: usize,
}

impl<'a> Name<'a> {
    /// Call `f` with each label, in order (the root label is not reported).
    ///
    /// # Errors
    /// The same as [`parse_name`]; cannot fail for a `Name` that it returned.
    pub fn for_each_label(&self, f: impl FnMut(&'a [u8])) -> Result<()> {
        walk_name(self.msg, self.start, f).map(|_| ())
    }
    /// True for the root name (no labels).
    pub fn is_root(&self) -> bool {
        let mut any = false;
        let _ = self.for_each_label(|_| any = true);
        !any
    }
}

/// Walk a (possibly compressed) name at `start`, calling `f` per label.
/// Returns the offset just after the name's in-place bytes.
fn walk_name<'a>(msg: &'a [u8], start: usize, mut f: impl FnMut(&'a [u8])) -> Result<usize> {
    let mut pos = start;
    // Where the labels currently being read began: a pointer must target
    // strictly before it, so the walk always moves backwards and ends.
    let mut segment_start = start;
    let mut end: Option<usize> = None;
    let mut hops = 0usize;
    let mut wire_len = 1usize; // the root octet
    let mut labels = 0usize;
    loop {
        let len = *msg.get(pos).ok_or(DecodeError::DnsTruncated {
            what: "name",
            offset: pos,
        })?;
        match len & 0xc0 {
            // A plain label: the two top bits are 00, so its length is at most
            // 63 octets (RFC 1035 section 2.3.4) by construction.
            0x00 => {
                if len == 0 {
                    return Ok(end.unwrap_or(pos + 1));
                }
                let n = usize::from(len);
                let label = msg
                    .get(pos + 1..pos + 1 + n)
                    .ok_or(DecodeError::DnsTruncated {
                        what: "label",
                        offset: pos,
                    })?;
                labels += 1;
                wire_len += n + 1;
                if wire_len > MAX_NAME_LEN || labels > MAX_LABELS {
                    return Err(DecodeError::DnsNameTooLong { offset: start });
                }
                f(label);
                pos += n + 1;
            }
            0xc0 => {
                let lo = *msg.get(pos + 1).ok_or(DecodeError::DnsTruncated {
                    what: "compression pointer",
                    offset: pos,
                })?;
                let target = (usize::from(len & 0x3f) << 8) | usize::from(lo);
                hops += 1;
                if target >= segment_start || hops > MAX_POINTER_HOPS {
                    return Err(DecodeError::DnsBadPointer {
                        offset: pos,
                        target,
                    });
                }
                if end.is_none() {
                    end = Some(pos + 2);
                }
                segment_start = target;
                pos = target;
            }
            _ => {
                // 01 and 10: extended label types (RFC 6891 section 5: deprecated).
                return Err(DecodeError::DnsBadLabelType {
                    byte: len,
                    offset: pos,
                });
            }
        }
    }
}

/// Parse and validate the name at `pos`; returns it and the offset after it.
///
/// # Errors
/// Truncation, names over 255 octets or 127 labels, pointers that do not go
/// strictly backwards, and extended label types.
pub fn parse_name(msg: &[u8], pos: usize) -> Result<(Name<'_>, usize)> {
    let end = walk_name(msg, pos, |_| {})?;
    Ok((Name { msg, start: pos }, end))
}

/// One entry of the question section.
#[derive(Clone, Copy, Debug)]
pub struct Question<'a> {
    /// QNAME.
    pub name: Name<'a>,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS (for mDNS the top bit is the unicast-response flag).
    pub qclass: u16,
}

/// Parse one question at `pos`; returns it and the offset after it.
///
/// # Errors
/// See [`parse_name`]; truncation of QTYPE/QCLASS.
pub fn parse_question(msg: &[u8], pos: usize) -> Result<(Question<'_>, usize)> {
    let (name, p) = parse_name(msg, pos)?;
    let qtype = read_u16(msg, p, "qtype")?;
    let qclass = read_u16(msg, p + 2, "qclass")?;
    Ok((
        Question {
            name,
            qtype,
            qclass,
        },
        p + 4,
    ))
}

/// A resource record with its RDATA as a borrowed slice.
#[derive(Clone, Copy, Debug)]
pub struct Rr<'a> {
    /// Owner name.
    pub name: Name<'a>,
    /// TYPE.
    pub rtype: u16,
    /// CLASS (for OPT: the UDP payload size).
    pub rclass: u16,
    /// TTL in seconds.
    pub ttl: u32,
    /// Offset of RDATA in the message (names inside RDATA may point before it).
    pub rdata_pos: usize,
    /// RDATA.
    pub rdata: &'a [u8],
}

/// Parse one resource record at `pos`; returns it and the offset after it.
///
/// # Errors
/// See [`parse_name`]; truncation of the fixed fields or of RDATA.
pub fn parse_rr(msg: &[u8], pos: usize) -> Result<(Rr<'_>, usize)> {
    let (name, p) = parse_name(msg, pos)?;
    let rtype = read_u16(msg, p, "rr type")?;
    let rclass = read_u16(msg, p + 2, "rr class")?;
    let ttl = read_u32(msg, p + 4, "rr ttl")?;
    let rdlen = usize::from(read_u16(msg, p + 8, "rdlength")?);
    let rdata_pos = p + 10;
    let rdata = msg
        .get(rdata_pos..rdata_pos + rdlen)
        .ok_or(DecodeError::DnsTruncated {
            what: "rdata",
            offset: rdata_pos,
        })?;
    Ok((
        Rr {
            name,
            rtype,
            rclass,
            ttl,
            rdata_pos,
            rdata,
        },
        rdata_pos + rdlen,
    ))
}

/// Section of a message an RR came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// Answer (UPDATE: prerequisite).
    Answer,
    /// Authority (UPDATE: update).
    Authority,
    /// Additional.
    Additional,
}

/// A DNS message: its header plus the position of the first RR after the questions.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// The whole message.
    pub bytes: &'a [u8],
    /// Its header.
    pub header: Header,
}

impl<'a> Message<'a> {
    /// Check the header of `bytes`.
    ///
    /// # Errors
    /// [`DecodeError::DnsTruncated`] for less than 12 octets.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        Ok(Message {
            bytes,
            header: Header::parse(bytes)?,
        })
    }

    /// Parse the question section: the first question and the offset after the last.
    ///
    /// # Errors
    /// The first malformed question.
    pub fn questions(&self) -> Result<(Option<Question<'a>>, usize)> {
        let mut pos = HEADER_LEN;
        let mut first = None;
        for _ in 0..self.header.qdcount {
            let (q, next) = parse_question(self.bytes, pos)?;
            if first.is_none() {
                first = Some(q);
            }
            pos = next;
        }
        Ok((first, pos))
    }

    /// Iterate over the RRs of all three sections, starting at `pos` (the
    /// offset after the questions). Stops after the first error.
    pub fn records(&self, pos: usize) -> Records<'a> {
        Records {
            msg: self.bytes,
            pos,
            left: [
                self.header.ancount,
                self.header.nscount,
                self.header.arcount,
            ],
            failed: false,
        }
    }
}

/// Iterator over the RRs of a message, see [`Message::records`].
#[derive(Debug)]
pub struct Records<'a> {
    msg: &'a [u8],
    pos: usize,
    left: [u16; 3],
    failed: bool,
}

impl<'a> Records<'a> {
    /// Offset of the next RR.
    pub fn pos(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<(Section, Rr<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let (idx, section) = if self.left[0] > 0 {
            (0, Section::Answer)
        } else if self.left[1] > 0 {
            (1, Section::Authority)
        } else if self.left[2] > 0 {
            (2, Section::Additional)
        } else {
            return None;
        };
        match parse_rr(self.msg, self.pos) {
            Ok((rr, next)) => {
                self.pos = next;
                if let Some(l) = self.left.get_mut(idx) {
                    *l -= 1;
                }
                Some(Ok((section, rr)))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPF_RESPONSE: &[u8] = include_bytes!("../../../testdata/decoders/dns/spf_response.bin");

    fn labels(n: Name<'_>) -> Vec<String> {
        let mut v = Vec::new();
        n.for_each_label(|l| v.push(String::from_utf8_lossy(l).into_owned()))
            .unwrap();
        v
    }

    #[test]
    fn parse_header_of_captured_response() {
        let h = Header::parse(SPF_RESPONSE).unwrap();
        assert_eq!(h.id, 64161);
        assert!(h.qr());
        assert!(h.ra());
        assert_eq!(h.opcode(), 0);
        assert_eq!(h.rcode(), 0);
        assert_eq!((h.qdcount, h.ancount), (1, 2));
    }

    #[test]
    fn parse_question_and_compressed_owner_names() {
        let m = Message::parse(SPF_RESPONSE).unwrap();
        let (q, pos) = m.questions().unwrap();
        let q = q.unwrap();
        assert_eq!(labels(q.name), ["mail", "vladg", "net"]);
        assert_eq!(q.qtype, 99);
        let rrs: Vec<_> = m.records(pos).collect::<Result<_>>().unwrap();
        assert_eq!(rrs.len(), 3);
        assert_eq!(rrs[0].0, Section::Answer);
        assert_eq!(rrs[2].0, Section::Additional);
        assert_eq!(labels(rrs[0].1.name), ["mail", "vladg", "net"]);
        assert_eq!(rrs[0].1.rtype, 99);
        assert_eq!(rrs[0].1.ttl, 300);
    }

    #[test]
    fn parse_name_rejects_pointer_loops_and_forward_pointers() {
        // Pointer to itself.
        let msg = [0u8; 12]
            .iter()
            .copied()
            .chain([0xc0, 12])
            .collect::<Vec<_>>();
        assert!(matches!(
            parse_name(&msg, 12),
            Err(DecodeError::DnsBadPointer { .. })
        ));
        // Label then a pointer back into that same label: still a loop.
        let msg = [0u8; 12]
            .iter()
            .copied()
            .chain([1, b'a', 0xc0, 12])
            .collect::<Vec<_>>();
        assert!(matches!(
            parse_name(&msg, 12),
            Err(DecodeError::DnsBadPointer { .. })
        ));
        // Forward pointer.
        let msg = [0u8; 12]
            .iter()
            .copied()
            .chain([0xc0, 14, 0])
            .collect::<Vec<_>>();
        assert!(parse_name(&msg, 12).is_err());
    }

    #[test]
    fn parse_name_enforces_length_limits() {
        let mut msg = vec![0u8; 12];
        for _ in 0..5 {
            msg.push(63);
            msg.extend_from_slice(&[b'x'; 63]);
        }
        msg.push(0);
        assert!(matches!(
            parse_name(&msg, 12),
            Err(DecodeError::DnsNameTooLong { .. })
        ));
        let msg = [0u8, 0x40, 0];
        assert!(matches!(
            parse_name(&msg, 1),
            Err(DecodeError::DnsBadLabelType { .. })
        ));
    }

    #[test]
    fn parse_rr_truncated_rdata_is_an_error() {
        let n = SPF_RESPONSE.len();
        let m = Message::parse(&SPF_RESPONSE[..n - 3]).unwrap();
        let (_, pos) = m.questions().unwrap();
        let res: Result<Vec<_>> = m.records(pos).collect();
        assert!(matches!(res, Err(DecodeError::DnsTruncated { .. })));
    }
}
