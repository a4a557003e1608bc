//! Body framing (RFC 9112 section 6): Content-Length, chunked, or until close.
//!
//! [`BodyReader::step`] looks at the bytes after the head and says which of
//! them are body data and which are framing (chunk-size lines, CRLFs,
//! trailers). Body data is never copied here: the caller hands the slice on.

/// Longest chunk-size or trailer line, in bytes. A chunk-size line is hex
/// digits plus optional extensions; 4 KiB is far above anything legitimate
/// and bounds what the caller buffers.
pub const MAX_CHUNK_LINE: usize = 4096;

/// Most trailer field lines after the last chunk (bounds the loop; same as
/// [`super::head::MAX_HEADERS`]).
const MAX_TRAILER_LINES: u32 = 200;

/// How the body of a message is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the connection closes (responses without length).
    UntilClose,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailer(u32),
}

/// One step of [`BodyReader::step`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyStep {
    /// The next `n` bytes are body data.
    Data(usize),
    /// The next `n` bytes are framing (possibly 0 after a state change).
    Framing(usize),
    /// The body ended after the next `n` framing bytes.
    End(usize),
    /// More bytes are needed (an incomplete framing line).
    NeedMore,
    /// Broken framing.
    Bad(&'static str),
}

/// Framing state of one body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyReader {
    framing: Framing,
    /// Remaining bytes (`Length`).
    remaining: u64,
    chunk: Chunk,
}

impl BodyReader {
    /// A reader for a body delimited by `framing`.
    pub fn new(framing: Framing) -> Self {
        let remaining = match framing {
            Framing::Length(n) => n,
            _ => 0,
        };
        Self {
            framing,
            remaining,
            chunk: Chunk::Size,
        }
    }

    /// The framing this reader follows.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// A Content-Length body whose last byte was read.
    pub fn complete(&self) -> bool {
        matches!(self.framing, Framing::Length(_)) && self.remaining == 0
    }

    /// Bytes still announced (Content-Length framing only).
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Classify the front of `rest`. Never returns `Data(0)`; `Framing(0)`
    /// only together with a state change, so repeated calls make progress.
    pub fn step(&mut self, rest: &[u8]) -> BodyStep {
        let len = u64::try_from(rest.len()).unwrap_or(u64::MAX);
        match self.framing {
            Framing::Length(_) => {
                if self.remaining == 0 {
                    return BodyStep::End(0);
                }
                if rest.is_empty() {
                    return BodyStep::NeedMore;
                }
                let n = self.remaining.min(len);
                self.remaining -= n;
                BodyStep::Data(usize::try_from(n).unwrap_or(rest.len()))
            }
            Framing::UntilClose => {
                if rest.is_empty() {
                    BodyStep::NeedMore
                } else {
                    BodyStep::Data(rest.len())
                }
            }
            Framing::Chunked => self.chunked(rest, len),
        }
    }

    fn chunked(&mut self, rest: &[u8], len: u64) -> BodyStep {
        match self.chunk {
            Chunk::Size => {
                let Some((line, used)) = line(rest) else {
                    return incomplete_line(rest);
                };
                let Some(size) = chunk_size(line) else {
                    return BodyStep::Bad("bad chunk size line");
                };
                self.chunk = if size == 0 {
                    Chunk::Trailer(0)
                } else {
                    Chunk::Data(size)
                };
                BodyStep::Framing(used)
            }
            Chunk::Data(left) => {
                if rest.is_empty() {
                    return BodyStep::NeedMore;
                }
                let n = left.min(len);
                self.chunk = if n == left {
                    Chunk::DataEnd
                } else {
                    Chunk::Data(left - n)
                };
                BodyStep::Data(usize::try_from(n).unwrap_or(rest.len()))
            }
            Chunk::DataEnd => {
                self.chunk = Chunk::Size;
                match rest {
                    [b'\r', b'\n', ..] => BodyStep::Framing(2),
                    [b'\n', ..] => BodyStep::Framing(1),
                    [b'\r'] | [] => {
                        self.chunk = Chunk::DataEnd;
                        BodyStep::NeedMore
                    }
                    // A missing CRLF after chunk data: read on from here.
                    _ => BodyStep::Framing(0),
                }
            }
            Chunk::Trailer(lines) => {
                let Some((line, used)) = line(rest) else {
                    return incomplete_line(rest);
                };
                if line.is_empty() {
                    return BodyStep::End(used);
                }
                if lines >= MAX_TRAILER_LINES {
                    return BodyStep::Bad("too many trailer lines");
                }
                self.chunk = Chunk::Trailer(lines + 1);
                BodyStep::Framing(used)
            }
        }
    }

    /// A gap of `n` bytes: absorbed (true) when it falls inside body data
    /// whose extent is known, so framing stays intact.
    pub fn absorb_gap(&mut self, n: u64) -> bool {
        match (self.framing, self.chunk) {
            (Framing::Length(_), _) if n <= self.remaining => {
                self.remaining -= n;
                true
            }
            (Framing::UntilClose, _) => true,
            (Framing::Chunked, Chunk::Data(left)) if n <= left => {
                self.chunk = if n == left {
                    Chunk::DataEnd
                } else {
                    Chunk::Data(left - n)
                };
                true
            }
            _ => false,
        }
    }
}

fn incomplete_line(rest: &[u8]) -> BodyStep {
    if rest.len() > MAX_CHUNK_LINE {
        BodyStep::Bad("chunk framing line too long")
    } else {
        BodyStep::NeedMore
    }
}

/// The first line of `b` without its CR/LF, and the bytes it takes with them.
fn line(b: &[u8]) -> Option<(&[u8], usize)> {
    let nl = b.iter().position(|&c| c == b'\n')?;
    let l = b.get(..nl)?;
    Some((l.strip_suffix(b"\r").unwrap_or(l), nl + 1))
}

/// Hex size of a chunk-size line (extensions after `;` ignored, RFC 9112
/// section 7.1.1). `None` on no digits or overflow.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let line = line.trim_ascii_start();
    let digits = line.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    if digits == 0 {
        return None;
    }
    let after = line.get(digits..).unwrap_or_default().trim_ascii_start();
    if !(after.is_empty() || after.starts_with(b";")) {
        return None;
    }
    line.get(..digits)?.iter().try_fold(0u64, |n, &d| {
        let v = char::from(d).to_digit(16)?;
        n.checked_mul(16)?.checked_add(u64::from(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run a reader over `b`; returns (data, framing bytes, ended).
    fn run(framing: Framing, b: &[u8]) -> (Vec<u8>, usize, bool) {
        let mut r = BodyReader::new(framing);
        let (mut data, mut framing_bytes, mut pos) = (Vec::new(), 0, 0);
        loop {
            let rest = &b[pos..];
            match r.step(rest) {
                BodyStep::Data(n) => {
                    data.extend_from_slice(&rest[..n]);
                    pos += n;
                }
                BodyStep::Framing(n) => {
                    framing_bytes += n;
                    pos += n;
                }
                BodyStep::End(n) => return (data, framing_bytes + n, true),
                BodyStep::NeedMore | BodyStep::Bad(_) => return (data, framing_bytes, false),
            }
        }
    }

    #[test]
    fn dechunk_with_extensions_and_trailers() {
        let (d, f, end) = run(
            Framing::Chunked,
            b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT",
        );
        assert_eq!(d, b"hello world");
        assert!(end);
        assert_eq!(f, 9 + 2 + 3 + 2 + 3 + 8 + 2);
    }

    #[test]
    fn length_and_until_close() {
        assert_eq!(
            run(Framing::Length(3), b"abcdef"),
            (b"abc".to_vec(), 0, true)
        );
        assert_eq!(
            run(Framing::UntilClose, b"abc"),
            (b"abc".to_vec(), 0, false)
        );
    }

    #[test]
    fn bad_chunk_sizes() {
        let mut r = BodyReader::new(Framing::Chunked);
        assert!(matches!(r.step(b"zz\r\n"), BodyStep::Bad(_)));
        let mut r = BodyReader::new(Framing::Chunked);
        assert!(matches!(r.step(b"fffffffffffffffff\r\n"), BodyStep::Bad(_)));
        let mut r = BodyReader::new(Framing::Chunked);
        assert_eq!(r.step(b"12"), BodyStep::NeedMore);
        assert!(matches!(
            r.step(&[b'1'; MAX_CHUNK_LINE + 1]),
            BodyStep::Bad(_)
        ));
    }

    #[test]
    fn gaps_inside_known_extents_are_absorbed() {
        let mut r = BodyReader::new(Framing::Length(10));
        assert!(r.absorb_gap(4));
        assert!(!r.absorb_gap(7));
        assert_eq!(r.remaining(), 6);
        let mut r = BodyReader::new(Framing::Chunked);
        assert_eq!(r.step(b"a\r\n"), BodyStep::Framing(3));
        assert!(r.absorb_gap(10));
        assert_eq!(r.step(b"\r\n0\r\n\r\n"), BodyStep::Framing(2));
    }
}
