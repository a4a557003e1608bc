//! Content-Encoding decoders (gzip, deflate, br), streaming and zip-bomb safe.
//!
//! Each decoder works on whatever piece of body arrives, through one fixed
//! output buffer ([`OUT_BUF_LEN`]), and hands decoded bytes to a callback.
//! Two caps stop it: the decoded size ([`MAX_DECODED_BYTES`]) and, past
//! [`RATIO_CHECK_AFTER`] decoded bytes, the ratio of decoded to encoded bytes
//! ([`MAX_DECOMPRESSION_RATIO`]). A decoder that hit a cap or met corrupt
//! data stops for good; the caller counts the rest of the body as undelivered.

use brotli::{BrotliDecompressStream, BrotliResult, BrotliState, HeapAlloc, HuffmanCode};
use flate2::{Decompress, FlushDecompress, Status};

/// Size of the output buffer each active decoder owns, in bytes.
pub const OUT_BUF_LEN: usize = 16 * 1024;

/// Most decoded bytes per body: 64 MiB bounds the hashing work a small
/// compressed body can cause, while real pages and downloads sent with a
/// Content-Encoding stay far below it.
pub const MAX_DECODED_BYTES: u64 = 64 * 1024 * 1024;

/// Largest ratio of decoded to encoded bytes. Deflate cannot exceed about
/// 1032:1 (so libhtp's 2048 only catches layered bombs); ordinary text and
/// markup compress 3 to 20 times, very repetitive JSON rarely beyond 100.
/// 250 stops a single-layer bomb early and leaves real bodies alone.
pub const MAX_DECOMPRESSION_RATIO: u64 = 250;

/// The ratio is checked only once this many bytes were decoded (libhtp's
/// bomb limit is 1 MiB too): small bodies may compress very well.
pub const RATIO_CHECK_AFTER: u64 = 1024 * 1024;

/// Longest gzip member header (RFC 1952 section 2.3) we accept, in bytes:
/// FNAME and FCOMMENT are unbounded on the wire.
const MAX_GZIP_HEADER: usize = 1024;

/// A supported Content-Encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// `gzip` or `x-gzip` (RFC 1952).
    Gzip,
    /// `deflate`: zlib (RFC 1950), or raw deflate as some servers send it.
    Deflate,
    /// `br` (RFC 7932).
    Brotli,
}

impl Coding {
    /// The coding named by a Content-Encoding value; `Ok(None)` for identity
    /// or none, `Err(())` for codings we cannot decode (several, compress, zstd...).
    pub fn from_header(v: Option<&str>) -> Result<Option<Coding>, ()> {
        let Some(v) = v.map(str::trim) else {
            return Ok(None);
        };
        if v.is_empty() || v.eq_ignore_ascii_case("identity") {
            Ok(None)
        } else if v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip") {
            Ok(Some(Coding::Gzip))
        } else if v.eq_ignore_ascii_case("deflate") {
            Ok(Some(Coding::Deflate))
        } else if v.eq_ignore_ascii_case("br") {
            Ok(Some(Coding::Brotli))
        } else {
            Err(())
        }
    }
}

/// Why a decoder stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// [`MAX_DECOMPRESSION_RATIO`] exceeded.
    Ratio,
    /// [`MAX_DECODED_BYTES`] exceeded.
    Size,
    /// The data is not valid for its coding.
    Corrupt,
    /// Encoded bytes were missing (a gap): decoding cannot go on.
    Gap,
}

enum Engine {
    /// Collecting the gzip member header.
    GzipHeader(Vec<u8>),
    /// Waiting for the first two bytes of a deflate body (zlib or raw?).
    DeflateProbe(Vec<u8>),
    Inflate(Box<Decompress>),
    Brotli(Box<BrotliState<HeapAlloc<u8>, HeapAlloc<u32>, HeapAlloc<HuffmanCode>>>),
    /// The stream ended; trailing bytes are ignored.
    Finished,
}

/// A streaming decoder for one body.
pub struct Decoder {
    engine: Engine,
    out: Vec<u8>,
    total_in: u64,
    total_out: u64,
    stopped: Option<Stop>,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("total_in", &self.total_in)
            .field("total_out", &self.total_out)
            .field("stopped", &self.stopped)
            .finish()
    }
}

impl Decoder {
    /// A decoder for `coding`.
    pub fn new(coding: Coding) -> Self {
        let engine = match coding {
            Coding::Gzip => Engine::GzipHeader(Vec::new()),
            Coding::Deflate => Engine::DeflateProbe(Vec::new()),
            Coding::Brotli => Engine::Brotli(Box::new(BrotliState::new(
                HeapAlloc::<u8>::new(0),
                HeapAlloc::<u32>::new(0),
                HeapAlloc::<HuffmanCode>::new(HuffmanCode::default()),
            ))),
        };
        Self {
            engine,
            out: Vec::new(),
            total_in: 0,
            total_out: 0,
            stopped: None,
        }
    }

    /// Stop because encoded bytes went missing.
    pub fn stop_for_gap(&mut self) {
        if self.stopped.is_none() {
            self.stopped = Some(Stop::Gap);
            self.out = Vec::new();
        }
    }

    /// Why it stopped, if it did.
    pub fn stopped(&self) -> Option<Stop> {
        self.stopped
    }

    /// Decode `input`, handing decoded bytes to `emit`. Returns the reason
    /// when this call made the decoder stop (once); later calls do nothing.
    pub fn push(&mut self, input: &[u8], emit: &mut impl FnMut(&[u8])) -> Option<Stop> {
        if self.stopped.is_some() || input.is_empty() {
            return None;
        }
        self.total_in = self
            .total_in
            .saturating_add(u64::try_from(input.len()).unwrap_or(u64::MAX));
        let r = self.run(input, emit);
        if let Err(stop) = r {
            self.stopped = Some(stop);
            self.out = Vec::new();
            return Some(stop);
        }
        None
    }

    fn run(&mut self, input: &[u8], emit: &mut impl FnMut(&[u8])) -> Result<(), Stop> {
        let mut input = input;
        loop {
            match &mut self.engine {
                Engine::Finished => return Ok(()),
                Engine::GzipHeader(buf) => {
                    let take = input
                        .len()
                        .min(MAX_GZIP_HEADER + 1 - buf.len().min(MAX_GZIP_HEADER));
                    let before = buf.len();
                    buf.extend_from_slice(input.get(..take).unwrap_or_default());
                    match gzip_header_len(buf) {
                        Some(Ok(n)) => {
                            let used = n.saturating_sub(before);
                            input = input.get(used..).unwrap_or_default();
                            self.engine = Engine::Inflate(Box::new(Decompress::new(false)));
                        }
                        Some(Err(())) => return Err(Stop::Corrupt),
                        None if buf.len() > MAX_GZIP_HEADER => return Err(Stop::Corrupt),
                        None => return Ok(()),
                    }
                }
                Engine::DeflateProbe(buf) => {
                    let need = 2usize.saturating_sub(buf.len()).min(input.len());
                    buf.extend_from_slice(input.get(..need).unwrap_or_default());
                    input = input.get(need..).unwrap_or_default();
                    let [a, b] = buf.as_slice() else {
                        return Ok(());
                    };
                    // RFC 1950 section 2.2: CM = 8 and FCHECK makes the pair a multiple of 31.
                    let zlib = a & 0x0f == 8 && (u16::from(*a) << 8 | u16::from(*b)) % 31 == 0;
                    let first = std::mem::take(buf);
                    self.engine = Engine::Inflate(Box::new(Decompress::new(zlib)));
                    self.inflate(&first, emit)?;
                }
                Engine::Inflate(_) => return self.inflate(input, emit),
                Engine::Brotli(_) => return self.brotli(input, emit),
            }
        }
    }

    fn ensure_out(&mut self) {
        if self.out.len() != OUT_BUF_LEN {
            self.out = vec![0; OUT_BUF_LEN];
        }
    }

    fn produced(&mut self, n: usize, emit: &mut impl FnMut(&[u8])) -> Result<(), Stop> {
        if n == 0 {
            return Ok(());
        }
        self.total_out = self
            .total_out
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        if self.total_out > MAX_DECODED_BYTES {
            return Err(Stop::Size);
        }
        if self.total_out > RATIO_CHECK_AFTER
            && self.total_out / self.total_in.max(1) > MAX_DECOMPRESSION_RATIO
        {
            return Err(Stop::Ratio);
        }
        emit(self.out.get(..n).unwrap_or_default());
        Ok(())
    }

    fn inflate(&mut self, mut input: &[u8], emit: &mut impl FnMut(&[u8])) -> Result<(), Stop> {
        self.ensure_out();
        loop {
            let Engine::Inflate(z) = &mut self.engine else {
                return Ok(());
            };
            let (in0, out0) = (z.total_in(), z.total_out());
            let status = z
                .decompress(input, &mut self.out, FlushDecompress::None)
                .map_err(|_| Stop::Corrupt)?;
            let used = usize::try_from(z.total_in() - in0).unwrap_or(input.len());
            let made = usize::try_from(z.total_out() - out0).unwrap_or(0);
            input = input.get(used..).unwrap_or_default();
            if status == Status::StreamEnd {
                self.engine = Engine::Finished;
            }
            self.produced(made, emit)?;
            if matches!(self.engine, Engine::Finished) || (used == 0 && made == 0) {
                return Ok(());
            }
            if input.is_empty() && made < self.out.len() {
                return Ok(());
            }
        }
    }

    fn brotli(&mut self, input: &[u8], emit: &mut impl FnMut(&[u8])) -> Result<(), Stop> {
        self.ensure_out();
        let mut in_off = 0usize;
        loop {
            let Engine::Brotli(state) = &mut self.engine else {
                return Ok(());
            };
            let mut avail_in = input.len().saturating_sub(in_off);
            let mut avail_out = self.out.len();
            let mut out_off = 0usize;
            let mut written = 0usize;
            let r = BrotliDecompressStream(
                &mut avail_in,
                &mut in_off,
                input,
                &mut avail_out,
                &mut out_off,
                &mut self.out,
                &mut written,
                state,
            );
            let finished = match r {
                BrotliResult::ResultFailure => return Err(Stop::Corrupt),
                BrotliResult::ResultSuccess => true,
                BrotliResult::NeedsMoreInput | BrotliResult::NeedsMoreOutput => false,
            };
            if finished {
                self.engine = Engine::Finished;
            }
            self.produced(out_off, emit)?;
            if finished || matches!(r, BrotliResult::NeedsMoreInput) {
                return Ok(());
            }
            if out_off == 0 {
                // No progress possible: treat as corrupt rather than spin.
                return Err(Stop::Corrupt);
            }
        }
    }
}

/// Length of a complete gzip member header at the start of `b`
/// (`Some(Ok(n))`), `Some(Err(()))` if it is not gzip, `None` if incomplete.
fn gzip_header_len(b: &[u8]) -> Option<Result<usize, ()>> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    match b {
        [0x1f, 0x8b, 8, ..] | [0x1f, 0x8b] | [0x1f] => {}
        [] => return None,
        _ => return Some(Err(())),
    }
    let flags = *b.get(3)?;
    let mut pos = 10usize;
    if b.len() < pos {
        return None;
    }
    if flags & FEXTRA != 0 {
        let xlen = usize::from(*b.get(pos)?) | usize::from(*b.get(pos + 1)?) << 8;
        pos += 2 + xlen;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let z = b.get(pos..)?.iter().position(|&c| c == 0)?;
            pos += z + 1;
        }
    }
    if flags & FHCRC != 0 {
        pos += 2;
    }
    (b.len() >= pos).then_some(Ok(pos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode_all(c: Coding, enc: &[u8], piece: usize) -> (Vec<u8>, Option<Stop>) {
        let mut d = Decoder::new(c);
        let mut out = Vec::new();
        let mut stop = None;
        for p in enc.chunks(piece.max(1)) {
            stop = stop.or(d.push(p, &mut |b| out.extend_from_slice(b)));
        }
        (out, stop)
    }

    #[test]
    fn gzip_in_any_pieces() {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let enc = gzip(&data);
        for piece in [1, 7, 100, enc.len()] {
            assert_eq!(decode_all(Coding::Gzip, &enc, piece), (data.clone(), None));
        }
    }

    #[test]
    fn deflate_zlib_and_raw() {
        let data = b"deflate me deflate me deflate me".to_vec();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&data).unwrap();
        assert_eq!(decode_all(Coding::Deflate, &z.finish().unwrap(), 3).0, data);
        let mut r = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        r.write_all(&data).unwrap();
        assert_eq!(decode_all(Coding::Deflate, &r.finish().unwrap(), 5).0, data);
    }

    #[test]
    fn brotli_decodes() {
        let data = b"brotli brotli brotli brotli brotli".repeat(100);
        let mut enc = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut enc, 4096, 5, 22);
            w.write_all(&data).unwrap();
        }
        assert_eq!(decode_all(Coding::Brotli, &enc, 10), (data, None));
    }

    #[test]
    fn bomb_stops_on_ratio() {
        let enc = gzip(&vec![0u8; 20 * 1024 * 1024]);
        let (out, stop) = decode_all(Coding::Gzip, &enc, 4096);
        assert_eq!(stop, Some(Stop::Ratio));
        assert!(out.len() as u64 <= RATIO_CHECK_AFTER + OUT_BUF_LEN as u64 * 2);
    }

    #[test]
    fn corrupt_data_stops() {
        assert_eq!(
            decode_all(Coding::Gzip, b"not gzip at all", 4).1,
            Some(Stop::Corrupt)
        );
        assert_eq!(
            decode_all(Coding::Brotli, &[0xff; 64], 4).1,
            Some(Stop::Corrupt)
        );
        assert_eq!(Coding::from_header(Some("x-gzip")), Ok(Some(Coding::Gzip)));
        assert_eq!(Coding::from_header(Some("gzip, br")), Err(()));
        assert_eq!(Coding::from_header(None), Ok(None));
    }
}
