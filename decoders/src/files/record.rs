//! The `files` dataset record.

/// Protocol that carried a file (SCHEMA.md `files.source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileSource {
    /// An HTTP request or response body (or one part of a multipart body).
    Http,
    /// A MIME part of an SMTP message.
    Smtp,
    /// A MIME part of an IMAP message.
    Imap,
    /// A MIME part of a POP3 message.
    Pop3,
    /// A file read or written over SMB.
    Smb,
}

impl FileSource {
    /// The `files.source` column value (`HTTP`, `SMTP`, `IMAP`, `POP3`, `SMB`), as Zeek spells it.
    pub fn name(&self) -> &'static str {
        match self {
            FileSource::Http => "HTTP",
            FileSource::Smtp => "SMTP",
            FileSource::Imap => "IMAP",
            FileSource::Pop3 => "POP3",
            FileSource::Smb => "SMB",
        }
    }
}

/// What happened to extraction of a file's bytes (see [`super::ExtractPolicy`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExtractState {
    /// Extraction was not requested, or the policy did not select this file.
    #[default]
    Off,
    /// Every byte was streamed out in order: the sensor may store the object
    /// under [`FileRecord::sha256`].
    Whole,
    /// Some bytes were streamed out, then a limit, a gap or a decoding failure
    /// stopped it: the sensor should discard (or quarantine) the partial object.
    Cut,
}

/// One file (SCHEMA.md `files`), with Zeek's `files.log` meanings.
///
/// Hashes are over the *decoded* content (after de-chunking and
/// Content-Encoding, as Zeek and Suricata hash), and are null as soon as a
/// byte is missing or undelivered: a hash of a file with holes would match
/// nothing anyone else computes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRecord {
    /// Time of the first byte of the file, µs since the epoch.
    pub ts_us: i64,
    /// File id, Zeek style (`F` + 17 base62 characters), deterministic per flow seed.
    pub fuid: String,
    /// Protocol that carried it.
    pub source: FileSource,
    /// Sent by the originator (HTTP: a request body / upload).
    pub is_orig: bool,
    /// Content-Disposition or MIME name; for HTTP without one, the URI path
    /// (as Suricata logs it); for SMB the file path.
    pub filename: Option<String>,
    /// MIME type from content sniffing of the first bytes (Zeek's names:
    /// `text/plain`, `text/html`, `text/json`, `image/png`...); null when
    /// nothing matched (fewer than 10 bytes of text, unknown binary).
    pub mime_type: Option<String>,
    /// Bytes delivered to the analyzer (decoded content).
    pub seen_bytes: i64,
    /// Size announced by the protocol (HTTP: Content-Length of an
    /// identity-encoded body), null when unknown.
    pub total_bytes: Option<i64>,
    /// Bytes known to be missing (reassembly gaps inside the file).
    pub missing_bytes: i64,
    /// Bytes seen but not delivered to the hashes: overlapping or
    /// out-of-order data, or data beyond a decompression limit (Zeek's
    /// `overflow_bytes`).
    pub overflow_bytes: i64,
    /// The flow ended (expired) before the file did (Zeek's `timedout`).
    pub timedout: bool,
    /// MD5 of the content, lower-case hex; null when bytes are missing.
    pub md5: Option<String>,
    /// SHA-1 of the content; null when bytes are missing.
    pub sha1: Option<String>,
    /// SHA-256 of the content; null when bytes are missing.
    pub sha256: Option<String>,
    /// Object path of the extracted file: always null from the decoders; the
    /// sensor fills it when it stored the bytes ([`FileRecord::extract`] is `Whole`).
    pub extracted: Option<String>,
    /// Whether the bytes were streamed out for extraction, and completely.
    pub extract: ExtractState,
    /// HTTP: the transaction's `trans_depth`; mail: MIME nesting depth.
    pub depth: i32,
    /// The containing file, for parts of a multipart body (Zeek's `parent_fuid`).
    pub parent_fuid: Option<String>,
}
