//! File analysis shared by every decoder that carries files (HTTP bodies,
//! mail attachments, SMB reads and writes).
//!
//! One entry point: a decoder creates a [`FileAnalyzer`] when a file starts,
//! pushes its decoded bytes in order with [`FileAnalyzer::data`] (or at an
//! offset with [`FileAnalyzer::data_at`]), reports holes with
//! [`FileAnalyzer::gap`], and calls [`FileAnalyzer::finish`] to get the
//! [`FileRecord`]. The analyzer streams MD5, SHA-1 and SHA-256 (it never
//! buffers a body: memory per file is the hash states plus at most
//! [`MAX_SNIFF_LEN`] bytes kept for MIME sniffing) and sniffs the MIME type
//! from the first bytes ([`sniff_mime`], Zeek's names).
//!
//! File ids come from a per-flow [`FuidGen`] seeded by the caller, so reruns
//! give the same ids. Extraction of selected files' bytes is described in
//! [`ExtractPolicy`] and [`Extract`].
//!
//! ```
//! use decoders::files::{FileAnalyzer, FileSource, FuidGen};
//!
//! let mut fuids = FuidGen::new(7);
//! let mut f = FileAnalyzer::new(FileSource::Http, fuids.next_fuid(), false, 1_000_000);
//! f.set_total_bytes(Some(11));
//! f.data(b"hello ", &mut ());
//! f.data(b"world", &mut ());
//! let rec = f.finish(&mut ());
//! assert_eq!(rec.md5.as_deref(), Some("5eb63bbbe01eeed093cb22bb8f5acdc3"));
//! assert_eq!(rec.mime_type.as_deref(), Some("text/plain"));
//! assert_eq!(rec.seen_bytes, 11);
//! ```
//!
//! Not done here: reassembling out-of-order file pieces (an SMB read behind
//! the current offset counts as `overflow_bytes`), archive unpacking, and any
//! I/O (extracted bytes go to the caller).

mod extract;
mod fuid;
mod record;
pub(crate) mod sniff;

pub use extract::{Extract, ExtractPolicy, FileChunk};
pub use fuid::FuidGen;
pub use record::{ExtractState, FileRecord, FileSource};
pub use sniff::{sniff_mime, MAX_SNIFF_LEN};

use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;

/// Extraction progress of one file.
#[derive(Debug)]
enum Extracting {
    /// No policy.
    Off,
    /// Policy given, waiting for the MIME type.
    Pending(ExtractPolicy),
    /// Streaming out, up to this many bytes in total.
    On { max_bytes: u64 },
    /// Stopped, with this outcome.
    Stopped(ExtractState),
}

/// Streaming analysis of one file. See the module documentation.
#[derive(Debug)]
pub struct FileAnalyzer {
    rec: FileRecord,
    md5: Md5,
    sha1: Sha1,
    sha256: Sha256,
    /// First bytes, kept until the MIME type is decided.
    head: Vec<u8>,
    sniffed: bool,
    /// Offset of the next expected byte (delivered + missing).
    next_offset: u64,
    extracting: Extracting,
}

impl FileAnalyzer {
    /// Start a file carried by `source`, with id `fuid`, sent by the
    /// originator when `is_orig`, whose first byte was seen at `ts_us`.
    pub fn new(source: FileSource, fuid: String, is_orig: bool, ts_us: i64) -> Self {
        Self {
            rec: FileRecord {
                ts_us,
                fuid,
                source,
                is_orig,
                filename: None,
                mime_type: None,
                seen_bytes: 0,
                total_bytes: None,
                missing_bytes: 0,
                overflow_bytes: 0,
                timedout: false,
                md5: None,
                sha1: None,
                sha256: None,
                extracted: None,
                extract: ExtractState::Off,
                depth: 0,
                parent_fuid: None,
            },
            md5: Md5::new(),
            sha1: Sha1::new(),
            sha256: Sha256::new(),
            head: Vec::new(),
            sniffed: false,
            next_offset: 0,
            extracting: Extracting::Off,
        }
    }

    /// Ask for this file's bytes to be streamed out if `policy` selects it
    /// (decided once the MIME type is known). Files announced larger than
    /// `policy.max_bytes` are never started.
    pub fn with_extraction(mut self, policy: &ExtractPolicy) -> Self {
        self.extracting = Extracting::Pending(policy.clone());
        self
    }

    /// The file's id.
    pub fn fuid(&self) -> &str {
        &self.rec.fuid
    }

    /// Set the file name (Content-Disposition, MIME name, URI path, SMB path).
    pub fn set_filename(&mut self, name: Option<String>) {
        self.rec.filename = name;
    }

    /// Set the size the protocol announced.
    pub fn set_total_bytes(&mut self, total: Option<u64>) {
        self.rec.total_bytes = total.and_then(|t| i64::try_from(t).ok());
    }

    /// Set `depth` (HTTP: trans_depth; mail: MIME depth).
    pub fn set_depth(&mut self, depth: i32) {
        self.rec.depth = depth;
    }

    /// Set the containing file (parts of a multipart body).
    pub fn set_parent(&mut self, parent: Option<String>) {
        self.rec.parent_fuid = parent;
    }

    /// Bytes delivered so far.
    pub fn seen_bytes(&self) -> u64 {
        u64::try_from(self.rec.seen_bytes).unwrap_or(0)
    }

    /// The MIME type, once decided (after [`MAX_SNIFF_LEN`] bytes or at the end).
    pub fn mime_type(&self) -> Option<&str> {
        self.rec.mime_type.as_deref()
    }

    /// Deliver the next bytes of the file, in order.
    pub fn data(&mut self, bytes: &[u8], ex: &mut impl Extract) {
        if bytes.is_empty() {
            return;
        }
        self.md5.update(bytes);
        self.sha1.update(bytes);
        self.sha256.update(bytes);
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        self.rec.seen_bytes = self
            .rec
            .seen_bytes
            .saturating_add(i64::try_from(len).unwrap_or(i64::MAX));
        let offset = self.next_offset;
        self.next_offset = self.next_offset.saturating_add(len);
        if self.sniffed {
            self.extract_bytes(offset, bytes, ex);
            return;
        }
        let room = MAX_SNIFF_LEN.saturating_sub(self.head.len());
        let (into_head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(into_head);
        if self.head.len() >= MAX_SNIFF_LEN {
            self.decide(ex);
            let head_len = u64::try_from(into_head.len()).unwrap_or(0);
            self.extract_bytes(offset.saturating_add(head_len), rest, ex);
        }
    }

    /// Deliver bytes that start at `offset` in the file (SMB reads and
    /// writes). Data ahead of the next expected offset leaves a gap; data
    /// behind it (already delivered) is counted in `overflow_bytes` and only
    /// its new tail, if any, is used.
    pub fn data_at(&mut self, offset: u64, bytes: &[u8], ex: &mut impl Extract) {
        if offset > self.next_offset {
            self.gap(offset - self.next_offset);
        }
        let behind = usize::try_from(self.next_offset.saturating_sub(offset)).unwrap_or(usize::MAX);
        let skip = behind.min(bytes.len());
        self.overflow(u64::try_from(skip).unwrap_or(0));
        self.data(bytes.get(skip..).unwrap_or_default(), ex);
    }

    /// `n` bytes of the file are missing (a reassembly gap): hashes become
    /// null, extraction is cut.
    pub fn gap(&mut self, n: u64) {
        if n == 0 {
            return;
        }
        self.rec.missing_bytes = self
            .rec
            .missing_bytes
            .saturating_add(i64::try_from(n).unwrap_or(i64::MAX));
        self.next_offset = self.next_offset.saturating_add(n);
        self.stop_extraction();
    }

    /// `n` bytes of the file were seen but will not be delivered (a
    /// decompression limit, overlapping data): hashes become null.
    pub fn overflow(&mut self, n: u64) {
        if n == 0 {
            return;
        }
        self.rec.overflow_bytes = self
            .rec
            .overflow_bytes
            .saturating_add(i64::try_from(n).unwrap_or(i64::MAX));
        self.stop_extraction();
    }

    /// The flow expired before the file ended (Zeek's `timedout`).
    pub fn set_timedout(&mut self) {
        self.rec.timedout = true;
    }

    /// The file ended: decide the MIME type if not done yet, finalise the
    /// hashes (null if any byte was missing or undelivered, or the file is
    /// shorter than its announced size) and return the record.
    pub fn finish(mut self, ex: &mut impl Extract) -> FileRecord {
        if !self.sniffed {
            self.decide(ex);
        }
        if let Extracting::On { .. } = self.extracting {
            self.extracting = Extracting::Stopped(ExtractState::Whole);
        }
        if let Extracting::Stopped(s) = self.extracting {
            self.rec.extract = s;
        }
        // A file that ended before its announced size is as incomplete as
        // one with a hole: a hash of a prefix would match nothing.
        let short = self
            .rec
            .total_bytes
            .is_some_and(|t| self.rec.seen_bytes.saturating_add(self.rec.missing_bytes) < t);
        let complete = self.rec.missing_bytes == 0 && self.rec.overflow_bytes == 0 && !short;
        if complete {
            self.rec.md5 = Some(hex(&self.md5.finalize()));
            self.rec.sha1 = Some(hex(&self.sha1.finalize()));
            self.rec.sha256 = Some(hex(&self.sha256.finalize()));
        }
        self.rec
    }

    /// Sniff the MIME type from the buffered head, take the extraction
    /// decision and hand the head out if selected.
    fn decide(&mut self, ex: &mut impl Extract) {
        self.sniffed = true;
        self.rec.mime_type = sniff_mime(&self.head).map(str::to_string);
        let head = std::mem::take(&mut self.head);
        if let Extracting::Pending(p) = &self.extracting {
            let too_big = self
                .rec
                .total_bytes
                .is_some_and(|t| u64::try_from(t).unwrap_or(u64::MAX) > p.max_bytes);
            self.extracting = if self.rec.missing_bytes > 0 || self.rec.overflow_bytes > 0 {
                Extracting::Stopped(ExtractState::Off)
            } else if p.selects(self.rec.mime_type.as_deref()) && !too_big {
                Extracting::On {
                    max_bytes: p.max_bytes,
                }
            } else {
                Extracting::Off
            };
            self.extract_bytes(0, &head, ex);
        }
    }

    fn extract_bytes(&mut self, offset: u64, bytes: &[u8], ex: &mut impl Extract) {
        if bytes.is_empty() {
            return;
        }
        if let Extracting::On { max_bytes } = self.extracting {
            let end = offset.saturating_add(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
            if end > max_bytes {
                self.extracting = Extracting::Stopped(ExtractState::Cut);
                return;
            }
            ex.chunk(&self.rec.fuid, offset, bytes);
        }
    }

    fn stop_extraction(&mut self) {
        self.extracting = match std::mem::replace(&mut self.extracting, Extracting::Off) {
            Extracting::On { .. } => Extracting::Stopped(ExtractState::Cut),
            Extracting::Pending(_) => Extracting::Stopped(ExtractState::Off),
            other => other,
        };
    }
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

#[cfg(test)]
mod tests;
