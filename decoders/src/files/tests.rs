//! Tests of the file analyzer.

use super::*;

#[derive(Default)]
struct Collect(Vec<(String, u64, Vec<u8>)>);

impl Extract for Collect {
    fn chunk(&mut self, fuid: &str, offset: u64, data: &[u8]) {
        self.0.push((fuid.to_string(), offset, data.to_vec()));
    }
}

fn analyzer() -> FileAnalyzer {
    FileAnalyzer::new(FileSource::Http, "Ftest".into(), false, 5)
}

#[test]
fn hashes_match_known_vectors() {
    let mut f = analyzer();
    f.data(b"hello world", &mut ());
    let r = f.finish(&mut ());
    assert_eq!(r.md5.as_deref(), Some("5eb63bbbe01eeed093cb22bb8f5acdc3"));
    assert_eq!(
        r.sha1.as_deref(),
        Some("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")
    );
    assert_eq!(
        r.sha256.as_deref(),
        Some("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
    );
    assert_eq!(r.source.name(), "HTTP");
    assert_eq!(r.extract, ExtractState::Off);
}

#[test]
fn gap_nulls_hashes_and_counts_missing() {
    let mut f = analyzer();
    f.data(b"hello", &mut ());
    f.gap(3);
    f.data(b"world", &mut ());
    let r = f.finish(&mut ());
    assert_eq!(r.missing_bytes, 3);
    assert_eq!(r.seen_bytes, 10);
    assert!(r.md5.is_none() && r.sha1.is_none() && r.sha256.is_none());
}

#[test]
fn data_at_handles_holes_and_overlaps() {
    let mut f = analyzer();
    f.data_at(0, b"abcdef", &mut ());
    f.data_at(4, b"efgh", &mut ());
    assert_eq!(f.seen_bytes(), 8);
    f.data_at(10, b"kl", &mut ());
    let r = f.finish(&mut ());
    assert_eq!(r.overflow_bytes, 2);
    assert_eq!(r.missing_bytes, 2);
    assert!(r.sha256.is_none());
}

#[test]
fn extraction_streams_selected_files_in_order() {
    let policy = ExtractPolicy {
        mime_types: vec!["text/".into()],
        max_bytes: 1 << 20,
    };
    let body: Vec<u8> = b"plain text body "
        .iter()
        .copied()
        .cycle()
        .take(10_000)
        .collect();
    let mut f = analyzer().with_extraction(&policy);
    let mut ex = Collect::default();
    for c in body.chunks(777) {
        f.data(c, &mut ex);
    }
    let r = f.finish(&mut ex);
    assert_eq!(r.extract, ExtractState::Whole);
    let mut joined = Vec::new();
    for (fuid, off, d) in &ex.0 {
        assert_eq!(fuid, "Ftest");
        assert_eq!(*off, joined.len() as u64);
        joined.extend_from_slice(d);
    }
    assert_eq!(joined, body);
}

#[test]
fn extraction_skips_unselected_and_cuts_at_limit() {
    let policy = ExtractPolicy {
        mime_types: vec!["image/".into()],
        max_bytes: 100,
    };
    let mut f = analyzer().with_extraction(&policy);
    let mut ex = Collect::default();
    f.data(b"just some text here", &mut ex);
    assert_eq!(f.finish(&mut ex).extract, ExtractState::Off);
    assert!(ex.0.is_empty());

    let policy = ExtractPolicy {
        mime_types: vec!["*".into()],
        max_bytes: 5000,
    };
    let mut f = analyzer().with_extraction(&policy);
    f.data(&[b'a'; 4096], &mut ex);
    f.data(&[b'a'; 4096], &mut ex);
    let r = f.finish(&mut ex);
    assert_eq!(r.extract, ExtractState::Cut);
    assert_eq!(ex.0.len(), 1);
    assert!(
        r.sha256.is_some(),
        "extraction limits do not affect hashing"
    );

    let mut f = analyzer().with_extraction(&policy);
    f.set_total_bytes(Some(6000));
    f.data(b"0123456789abc", &mut ex);
    assert_eq!(f.finish(&mut ex).extract, ExtractState::Off);
}

#[test]
fn short_binary_file_has_no_mime() {
    let mut f = analyzer();
    f.data(&[0, 1, 2], &mut ());
    let r = f.finish(&mut ());
    assert_eq!(r.mime_type, None);
    assert_eq!(r.seen_bytes, 3);
}
