//! The extraction hook: streaming selected files' bytes out of the decoders.
//!
//! Extraction is opt-in per analyzer ([`super::FileAnalyzer::with_extraction`]).
//! Without a policy the analyzer never copies a byte and never calls the
//! [`Extract`] receiver, so callers that do not extract pass `&mut ()`.
//!
//! With a policy, the decision is taken once the MIME type is known (after
//! [`super::MAX_SNIFF_LEN`] bytes, or at the end of a shorter file): the
//! buffered first bytes and then every later byte are handed to
//! [`Extract::chunk`] in order. The final [`super::FileRecord`] says whether
//! the stream was complete ([`super::ExtractState::Whole`]); the sensor then
//! names the object by [`super::FileRecord::sha256`] (content addressing).

/// Which files to stream out, and how much of each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtractPolicy {
    /// MIME types to extract. An entry ending in `/` is a prefix
    /// (`"application/"`); `"*"` selects everything, including files whose
    /// type could not be sniffed. Empty: nothing is extracted.
    pub mime_types: Vec<String>,
    /// Largest file to extract, in bytes. A file announced larger is not
    /// started; one that grows past it is cut ([`super::ExtractState::Cut`]).
    pub max_bytes: u64,
}

impl ExtractPolicy {
    /// Whether a file of type `mime` (`None`: unknown) is selected.
    pub fn selects(&self, mime: Option<&str>) -> bool {
        self.mime_types.iter().any(|m| match mime {
            _ if m == "*" => true,
            Some(t) if m.ends_with('/') => t.starts_with(m.as_str()),
            Some(t) => t == m,
            None => false,
        })
    }
}

/// Receiver of extracted bytes.
///
/// `()` implements it as a no-op for callers that never extract.
pub trait Extract {
    /// `data` are the file's bytes starting at `offset` (chunks arrive in
    /// order, without holes, and only for files the policy selected).
    fn chunk(&mut self, fuid: &str, offset: u64, data: &[u8]);
}

impl Extract for () {
    #[inline]
    fn chunk(&mut self, _fuid: &str, _offset: u64, _data: &[u8]) {}
}

/// An owned piece of an extracted file, for decoders that report through a
/// [`crate::RecordSink`] (HTTP's `HttpEvent::FileData`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChunk {
    /// The file these bytes belong to ([`super::FileRecord::fuid`]).
    pub fuid: String,
    /// Offset of `data` in the file.
    pub offset: u64,
    /// The bytes.
    pub data: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_matches_exact_prefix_and_star() {
        let p = ExtractPolicy {
            mime_types: vec!["application/".into(), "image/png".into()],
            max_bytes: 10,
        };
        assert!(p.selects(Some("application/zip")));
        assert!(p.selects(Some("image/png")));
        assert!(!p.selects(Some("image/gif")));
        assert!(!p.selects(None));
        let all = ExtractPolicy {
            mime_types: vec!["*".into()],
            max_bytes: 10,
        };
        assert!(all.selects(None));
    }
}
