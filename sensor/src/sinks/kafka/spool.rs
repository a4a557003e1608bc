//! The disk spool: a bounded queue of Kafka messages kept while the broker is away.
//!
//! Segment files `<seq>.spool` (16 hex digits, so names sort in write order) hold
//! frames `u32 length | u16 topic length | topic | u16 key length | key |
//! u16 header count | (u16 name length | name | u32 value length | value)* | payload`,
//! all little-endian. A frame cut short by a crash (its length runs past the end of
//! the file) is counted as lost and the rest of that segment skipped. Segments are
//! deleted only after every message in them was handed back to the producer and
//! resolved (delivered, or spooled again).

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Rotate to a new segment once the current one holds this many bytes, so a drained
/// segment can be deleted early and reading one never needs much memory.
const MAX_SEGMENT_BYTES: u64 = 16 << 20;

/// One message as kept in the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolRecord {
    /// The topic.
    pub topic: String,
    /// The message key.
    pub key: Vec<u8>,
    /// Header names and values.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The message value.
    pub payload: Vec<u8>,
}

/// A bounded, ordered, on-disk queue of [`SpoolRecord`]s.
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    /// Bytes in all segments.
    bytes: u64,
    /// The segment being appended to, with its size.
    current: Option<(PathBuf, BufWriter<File>, u64)>,
    next_seq: u64,
    /// Records refused because the spool was full.
    pub dropped: u64,
    /// Records found cut short by a crash.
    pub torn: u64,
    /// Records written so far.
    pub written: u64,
}

impl Spool {
    /// Opens (creates) the spool directory; segments left by an earlier run are kept
    /// and come out first.
    ///
    /// # Errors
    /// When the directory cannot be created or listed.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("creating spool {}", dir.display()))?;
        let segs = segments(dir)?;
        let mut bytes = 0;
        for s in &segs {
            bytes += fs::metadata(s).map(|m| m.len()).unwrap_or(0);
        }
        let next_seq = segs.last().and_then(|p| seq_of(p)).map_or(0, |s| s + 1);
        Ok(Self {
            dir: dir.to_path_buf(),
            max_bytes,
            bytes,
            current: None,
            next_seq,
            dropped: 0,
            torn: 0,
            written: 0,
        })
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// True if nothing is spooled.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// Bytes spooled.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Appends a record; returns false (and counts it in `dropped`) if the spool is full.
    ///
    /// # Errors
    /// A write failure (the record is then not kept; the caller counts it).
    pub fn push(&mut self, r: &SpoolRecord) -> Result<bool> {
        let frame = encode(r);
        let len = frame.len() as u64;
        if self.bytes + len > self.max_bytes {
            self.dropped += 1;
            return Ok(false);
        }
        if self
            .current
            .as_ref()
            .is_some_and(|(_, _, n)| *n >= MAX_SEGMENT_BYTES)
        {
            self.seal()?;
        }
        if self.current.is_none() {
            let path = self.dir.join(format!("{:016x}.spool", self.next_seq));
            self.next_seq += 1;
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            self.current = Some((path, BufWriter::new(f), 0));
        }
        if let Some((path, w, n)) = self.current.as_mut() {
            w.write_all(&frame)
                .with_context(|| format!("writing {}", path.display()))?;
            *n += len;
        }
        self.bytes += len;
        self.written += 1;
        Ok(true)
    }

    /// Closes the current segment (flushed and fsynced), so that it can be drained.
    ///
    /// # Errors
    /// A flush or fsync failure.
    pub fn seal(&mut self) -> Result<()> {
        if let Some((path, w, _)) = self.current.take() {
            let f = w
                .into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("flushing {}", path.display()))?;
            f.sync_all()
                .with_context(|| format!("syncing {}", path.display()))?;
        }
        Ok(())
    }

    /// Seals the current segment and reads the oldest one: its path and records.
    ///
    /// # Errors
    /// A read failure.
    pub fn oldest(&mut self) -> Result<Option<(PathBuf, Vec<SpoolRecord>)>> {
        self.seal()?;
        let Some(path) = segments(&self.dir)?.into_iter().next() else {
            return Ok(None);
        };
        let data = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let (records, torn) = decode_all(&data);
        self.torn += torn;
        Ok(Some((path, records)))
    }

    /// Deletes a drained segment.
    ///
    /// # Errors
    /// A delete failure.
    pub fn remove(&mut self, path: &Path) -> Result<()> {
        let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
        self.bytes = self.bytes.saturating_sub(len);
        Ok(())
    }
}

fn seq_of(p: &Path) -> Option<u64> {
    let stem = p.file_stem()?.to_str()?;
    u64::from_str_radix(stem, 16).ok()
}

/// Segment files in write order.
fn segments(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("listing spool {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "spool") && seq_of(p).is_some())
        .collect();
    v.sort();
    Ok(v)
}

fn put_u16(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_le_bytes());
}

fn encode(r: &SpoolRecord) -> Vec<u8> {
    let mut body = Vec::with_capacity(r.payload.len() + 64);
    put_u16(&mut body, r.topic.len());
    body.extend_from_slice(r.topic.as_bytes());
    put_u16(&mut body, r.key.len());
    body.extend_from_slice(&r.key);
    put_u16(&mut body, r.headers.len());
    for (k, v) in &r.headers {
        put_u16(&mut body, k.len());
        body.extend_from_slice(k.as_bytes());
        body.extend_from_slice(&u32::try_from(v.len()).unwrap_or(u32::MAX).to_le_bytes());
        body.extend_from_slice(v);
    }
    body.extend_from_slice(&r.payload);
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// A cursor over one frame's bytes; every read is bounds-checked.
struct Cur<'a>(&'a [u8]);

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = b;
        Some(a)
    }
    fn u16(&mut self) -> Option<usize> {
        self.take(2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    }
    fn u32(&mut self) -> Option<usize> {
        self.take(4)
            .and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok())
    }
}

fn decode_one(frame: &[u8]) -> Option<SpoolRecord> {
    let mut c = Cur(frame);
    let n = c.u16()?;
    let topic = String::from_utf8(c.take(n)?.to_vec()).ok()?;
    let n = c.u16()?;
    let key = c.take(n)?.to_vec();
    let count = c.u16()?;
    let mut headers = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        let n = c.u16()?;
        let k = String::from_utf8(c.take(n)?.to_vec()).ok()?;
        let n = c.u32()?;
        headers.push((k, c.take(n)?.to_vec()));
    }
    Some(SpoolRecord {
        topic,
        key,
        headers,
        payload: c.0.to_vec(),
    })
}

/// Decodes a segment: its records and how many frames were torn or corrupt.
fn decode_all(data: &[u8]) -> (Vec<SpoolRecord>, u64) {
    let mut c = Cur(data);
    let mut out = Vec::new();
    let mut torn = 0;
    while !c.0.is_empty() {
        let Some(frame) = c.u32().and_then(|n| c.take(n)) else {
            torn += 1;
            break;
        };
        match decode_one(frame) {
            Some(r) => out.push(r),
            None => torn += 1,
        }
    }
    (out, torn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: u8) -> SpoolRecord {
        SpoolRecord {
            topic: "netlake.dns".into(),
            key: b"s1".to_vec(),
            headers: vec![("dataset".into(), b"dns".to_vec())],
            payload: vec![i; 100],
        }
    }

    #[test]
    fn spool_keeps_order_bound_and_torn_tails() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 450).unwrap();
        assert!(s.push(&rec(1)).unwrap());
        assert!(s.push(&rec(2)).unwrap());
        assert!(s.push(&rec(3)).unwrap());
        assert!(!s.push(&rec(4)).unwrap(), "over max_bytes");
        assert_eq!(s.dropped, 1);
        let (path, recs) = s.oldest().unwrap().unwrap();
        assert_eq!(recs, vec![rec(1), rec(2), rec(3)]);
        // A crash mid-frame: the tail is counted, the whole frames survive.
        let mut data = fs::read(&path).unwrap();
        data.truncate(data.len() - 10);
        fs::write(&path, data).unwrap();
        let mut s = Spool::open(dir.path(), 450).unwrap();
        assert!(!s.is_empty());
        let (path, recs) = s.oldest().unwrap().unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(s.torn, 1);
        s.remove(&path).unwrap();
        assert!(s.is_empty());
        assert!(s.oldest().unwrap().is_none());
    }
}
