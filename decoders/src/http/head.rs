//! Message heads: start line and header fields.
//!
//! The fast path is `httparse` (strict RFC 9112 parsing, no allocation).
//! Real traffic also carries heads it rejects (obsolete line folding, a
//! space in a CONNECT target, HTTP/0.9 request lines, bare LF line ends
//! mixed with CRLF, a missing reason phrase), which Zeek still logs, so a
//! lenient line-by-line parser takes over when `httparse` says no.

use crate::Dir;

/// Largest head (start line + header fields) we wait for, in bytes. Servers
/// refuse far less (Apache: 8190 bytes per line and 100 fields; nginx: four
/// 8 KiB buffers); 64 KiB leaves room for huge cookies while bounding what
/// the caller is asked to buffer.
pub const MAX_HEAD_LEN: usize = 64 * 1024;

/// Most header fields parsed per head (Apache's `LimitRequestFields` is 100;
/// twice that stays on the stack). Fields past it are ignored, with a weird.
pub const MAX_HEADERS: usize = 200;

/// Longest start line we wait for before calling the bytes garbage.
pub const MAX_START_LINE: usize = 16 * 1024;

/// Methods recognised when detecting or re-synchronising (RFC 9110, WebDAV
/// RFC 4918/3253/5323, and a few seen in the wild). Parsing a head whose start
/// line is otherwise well formed accepts any token as method.
pub const KNOWN_METHODS: &[&str] = &[
    "GET",
    "POST",
    "HEAD",
    "PUT",
    "DELETE",
    "OPTIONS",
    "CONNECT",
    "TRACE",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "SEARCH",
    "REPORT",
    "MKACTIVITY",
    "CHECKOUT",
    "CHECKIN",
    "MERGE",
    "VERSION-CONTROL",
    "MKWORKSPACE",
    "UPDATE",
    "LABEL",
    "BASELINE-CONTROL",
    "MKCALENDAR",
    "ACL",
    "BIND",
    "UNBIND",
    "REBIND",
    "ORDERPATCH",
    "M-SEARCH",
    "NOTIFY",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "PURGE",
    "LINK",
    "UNLINK",
    "BPROPFIND",
    "BPROPPATCH",
    "BCOPY",
    "BDELETE",
    "BMOVE",
    "POLL",
    "X-MS-ENUMATTS",
    "RPC_IN_DATA",
    "RPC_OUT_DATA",
    "PRI",
];

/// The first line of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    /// `METHOD SP target SP HTTP/x.y` (or HTTP/0.9's `METHOD SP target`).
    Request {
        /// Method token as sent.
        method: String,
        /// Request target as sent (Zeek's `uri`).
        uri: String,
        /// `1.1`, `1.0`...; `None` for an HTTP/0.9 request line.
        version: Option<String>,
    },
    /// `HTTP/x.y SP code SP reason`.
    Status {
        /// `1.1`, `1.0`...
        version: String,
        /// Status code.
        code: u16,
        /// Reason phrase (may be empty).
        reason: String,
    },
}

/// A parsed head: start line, header fields in wire order, and its length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The start line.
    pub start: StartLine,
    /// Header fields in wire order: name as sent, value trimmed.
    pub headers: Vec<(String, String)>,
    /// Bytes of the head, terminator included.
    pub len: usize,
    /// Fields dropped beyond [`MAX_HEADERS`], or lines that were not fields.
    pub bad_lines: usize,
}

impl Head {
    /// Value of the first field named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Values of every field named `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Outcome of [`parse_head`].
#[derive(Debug, PartialEq, Eq)]
pub enum HeadResult {
    /// A whole head.
    Complete(Head),
    /// So far plausible, but the head is not complete yet.
    Partial,
    /// Not the start of a message of this direction.
    Invalid(&'static str),
    /// No end of head within [`MAX_HEAD_LEN`] (or of the start line within
    /// [`MAX_START_LINE`]).
    TooLarge,
}

/// Whether `b` could start a message of direction `dir`: `Some(true)` yes,
/// `Some(false)` no, `None` too few bytes to tell. `strict` asks for a
/// [`KNOWN_METHODS`] request (detection, resync).
pub fn plausible_start(b: &[u8], dir: Dir, strict: bool) -> Option<bool> {
    match dir {
        Dir::Orig => plausible_request(b, strict),
        Dir::Resp => plausible_status(b),
    }
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn plausible_request(b: &[u8], strict: bool) -> Option<bool> {
    if b.is_empty() {
        return None;
    }
    let tok = b.iter().take_while(|&&c| is_tchar(c)).count();
    let Some(&after) = b.get(tok) else {
        // Only token characters so far.
        let max = if strict { 17 } else { 32 };
        let prefix_ok = !strict || KNOWN_METHODS.iter().any(|m| m.as_bytes().starts_with(b));
        return if tok <= max && prefix_ok {
            None
        } else {
            Some(false)
        };
    };
    if tok == 0 || after != b' ' {
        return Some(false);
    }
    let method = b.get(..tok).unwrap_or_default();
    if strict && !KNOWN_METHODS.iter().any(|m| m.as_bytes() == method) {
        return Some(false);
    }
    let line_end = b.iter().position(|&c| c == b'\n');
    let line = match line_end {
        Some(n) => trim_cr(b.get(..n).unwrap_or_default()),
        None => {
            return if b.len() > MAX_START_LINE {
                Some(false)
            } else {
                None
            }
        }
    };
    let rest = line.get(tok + 1..).unwrap_or_default();
    if rest.is_empty() || rest.iter().any(|&c| c < 0x20 && c != b'\t') {
        return Some(false);
    }
    Some(match last_token(rest) {
        Some(v) if v.starts_with(b"HTTP/") => true,
        // HTTP/0.9: `GET /path` and nothing else.
        _ => KNOWN_METHODS.iter().any(|m| m.as_bytes() == method) && !rest.contains(&b' '),
    })
}

fn plausible_status(b: &[u8]) -> Option<bool> {
    const PREFIX: &[u8] = b"HTTP/";
    let n = b.len().min(PREFIX.len());
    if b.get(..n) != PREFIX.get(..n) {
        return Some(false);
    }
    let rest = b.get(PREFIX.len()..)?;
    // Version: digits and a dot, then SP, then three digits.
    let v = rest
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .count();
    let Some(&sp) = rest.get(v) else {
        return if v <= 8 { None } else { Some(false) };
    };
    if v == 0 || sp != b' ' {
        return Some(false);
    }
    let code = rest.get(v + 1..).unwrap_or_default();
    let digits = code
        .iter()
        .take(3)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits < code.len().min(3) {
        return Some(false);
    }
    if code.len() < 3 {
        return None;
    }
    Some(true)
}

fn trim_cr(b: &[u8]) -> &[u8] {
    b.strip_suffix(b"\r").unwrap_or(b)
}

fn last_token(b: &[u8]) -> Option<&[u8]> {
    b.rsplit(|&c| c == b' ' || c == b'\t')
        .find(|t| !t.is_empty())
}

/// End of the head (index after the empty line), accepting CRLF or bare LF.
fn find_head_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = b.get(i..)?.iter().position(|&c| c == b'\n') {
        let nl = i + off;
        match b.get(nl + 1..) {
            Some([b'\n', ..]) => return Some(nl + 2),
            Some([b'\r', b'\n', ..]) => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// Parse the head of a message of direction `dir` at the start of `b`.
pub fn parse_head(b: &[u8], dir: Dir) -> HeadResult {
    match plausible_start(b, dir, false) {
        Some(false) => return HeadResult::Invalid("not a message start line"),
        None if b.len() > MAX_START_LINE => return HeadResult::TooLarge,
        None => return HeadResult::Partial,
        Some(true) => {}
    }
    let line_end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
    let first = trim_cr(b.get(..line_end).unwrap_or_default());
    let start = match dir {
        Dir::Orig => request_line(first),
        Dir::Resp => status_line(first),
    };
    let Some(start) = start else {
        return HeadResult::Invalid("malformed start line");
    };
    if let StartLine::Request { version: None, .. } = start {
        // HTTP/0.9: the request is its line; no header fields follow.
        return HeadResult::Complete(Head {
            start,
            headers: Vec::new(),
            len: line_end + 1,
            bad_lines: 0,
        });
    }
    let Some(end) = find_head_end(b) else {
        return if b.len() > MAX_HEAD_LEN {
            HeadResult::TooLarge
        } else {
            HeadResult::Partial
        };
    };
    let raw = b.get(..end).unwrap_or_default();
    let (headers, bad_lines) = fast_headers(raw, dir)
        .unwrap_or_else(|| lenient_headers(raw.get(line_end + 1..).unwrap_or_default()));
    HeadResult::Complete(Head {
        start,
        headers,
        len: end,
        bad_lines,
    })
}

/// Header fields through `httparse`; `None` when it rejects the head.
fn fast_headers(raw: &[u8], dir: Dir) -> Option<(Vec<(String, String)>, usize)> {
    let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let headers: &[httparse::Header<'_>] = match dir {
        Dir::Orig => {
            let mut req = httparse::Request::new(&mut storage);
            match req.parse(raw) {
                Ok(httparse::Status::Complete(_)) => req.headers,
                _ => return None,
            }
        }
        Dir::Resp => {
            let mut resp = httparse::Response::new(&mut storage);
            match resp.parse(raw) {
                Ok(httparse::Status::Complete(_)) => resp.headers,
                _ => return None,
            }
        }
    };
    Some((
        headers
            .iter()
            .map(|h| (h.name.to_string(), text(trim(h.value))))
            .collect(),
        0,
    ))
}

/// Header fields line by line: obsolete folding joined with a space, lines
/// without a colon counted and skipped, at most [`MAX_HEADERS`] kept.
fn lenient_headers(block: &[u8]) -> (Vec<(String, String)>, usize) {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut bad = 0usize;
    for line in block.split(|&c| c == b'\n') {
        let line = trim_cr(line);
        if line.is_empty() {
            break;
        }
        if matches!(line.first(), Some(b' ' | b'\t')) {
            if let Some((_, v)) = out.last_mut() {
                v.push(b' ');
                v.extend_from_slice(trim(line));
                continue;
            }
        }
        match line.iter().position(|&c| c == b':') {
            Some(colon) if out.len() < MAX_HEADERS => {
                let name = trim(line.get(..colon).unwrap_or_default());
                if name.is_empty() {
                    bad += 1;
                    continue;
                }
                let value = trim(line.get(colon + 1..).unwrap_or_default());
                out.push((text(name), value.to_vec()));
            }
            _ => bad += 1,
        }
    }
    let headers = out.into_iter().map(|(n, v)| (n, text(&v))).collect();
    (headers, bad)
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t'))
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    b.get(start..end).unwrap_or_default()
}

/// `METHOD SP target [SP version]`, tolerating extra spaces inside the
/// target (Zeek logs `CONNECT host:25 / HTTP/1.0` with uri `host:25 /`).
fn request_line(line: &[u8]) -> Option<StartLine> {
    let sp = line.iter().position(|&c| c == b' ')?;
    let method = line.get(..sp)?;
    let rest = trim(line.get(sp + 1..)?);
    if rest.is_empty() || method.is_empty() || !method.iter().all(|&c| is_tchar(c)) {
        return None;
    }
    let (uri, version) = match rest.iter().rposition(|&c| c == b' ' || c == b'\t') {
        Some(at) if rest.get(at + 1..).is_some_and(|v| v.starts_with(b"HTTP/")) => (
            trim(rest.get(..at).unwrap_or_default()),
            Some(text(rest.get(at + 6..).unwrap_or_default())),
        ),
        _ => (rest, None),
    };
    Some(StartLine::Request {
        method: text(method),
        uri: text(uri),
        version,
    })
}

/// `HTTP/x.y SP code [SP reason]`.
fn status_line(line: &[u8]) -> Option<StartLine> {
    let rest = line.strip_prefix(b"HTTP/")?;
    let sp = rest.iter().position(|&c| c == b' ')?;
    let version = rest.get(..sp)?;
    let after = rest.get(sp + 1..)?;
    let code = after.get(..3)?;
    if !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    Some(StartLine::Status {
        version: text(version),
        code,
        reason: text(trim(after.get(3..).unwrap_or_default())),
    })
}

/// Bytes as text: UTF-8 kept, any other byte written as `\xNN` (Zeek's escaping).
pub fn text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let mut s = String::with_capacity(b.len() + 8);
            for chunk in b.utf8_chunks() {
                s.push_str(chunk.valid());
                for byte in chunk.invalid() {
                    s.push_str(&format!("\\x{byte:02x}"));
                }
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(b: &[u8], dir: Dir) -> Head {
        match parse_head(b, dir) {
            HeadResult::Complete(h) => h,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parse_request_head_fast_path() {
        let h = complete(
            b"GET /a?b HTTP/1.1\r\nHost: x\r\nUser-Agent:  curl \r\n\r\nrest",
            Dir::Orig,
        );
        assert_eq!(
            h.start,
            StartLine::Request {
                method: "GET".into(),
                uri: "/a?b".into(),
                version: Some("1.1".into())
            }
        );
        assert_eq!(h.get("user-agent"), Some("curl"));
        assert_eq!(h.len, 50);
    }

    #[test]
    fn parse_lenient_heads() {
        let h = complete(
            b"CONNECT mailin03.sul.t-online.de:25 / HTTP/1.0\r\n\r\n",
            Dir::Orig,
        );
        assert!(
            matches!(h.start, StartLine::Request { ref uri, .. } if uri == "mailin03.sul.t-online.de:25 /")
        );
        let h = complete(b"GET /x.html\r\n", Dir::Orig);
        assert!(matches!(h.start, StartLine::Request { version: None, .. }));
        let h = complete(b"HTTP/1.1 200\nA: 1\n  folded\nbad line\n\n", Dir::Resp);
        assert_eq!(h.headers, vec![("A".to_string(), "1 folded".to_string())]);
        assert_eq!(h.bad_lines, 1);
        assert!(
            matches!(h.start, StartLine::Status { code: 200, ref reason, .. } if reason.is_empty())
        );
    }

    #[test]
    fn parse_partial_invalid_and_too_large() {
        assert_eq!(parse_head(b"GE", Dir::Orig), HeadResult::Partial);
        assert_eq!(
            parse_head(b"GET / HTTP/1.1\r\nHost: a\r\n", Dir::Orig),
            HeadResult::Partial
        );
        assert!(matches!(
            parse_head(b"\x16\x03\x01", Dir::Orig),
            HeadResult::Invalid(_)
        ));
        assert!(matches!(
            parse_head(b"HTTP/1.1 2x0 OK\r\n", Dir::Resp),
            HeadResult::Invalid(_)
        ));
        let mut big = b"GET / HTTP/1.1\r\n".to_vec();
        while big.len() <= MAX_HEAD_LEN {
            big.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(parse_head(&big, Dir::Orig), HeadResult::TooLarge);
    }

    #[test]
    fn plausible_start_is_strict_when_asked() {
        assert_eq!(
            plausible_start(b"GET / HTTP/1.1\r\n", Dir::Orig, true),
            Some(true)
        );
        assert_eq!(
            plausible_start(b"FOO / HTTP/1.1\r\n", Dir::Orig, true),
            Some(false)
        );
        assert_eq!(
            plausible_start(b"FOO / HTTP/1.1\r\n", Dir::Orig, false),
            Some(true)
        );
        assert_eq!(plausible_start(b"PO", Dir::Orig, true), None);
        assert_eq!(plausible_start(b"HTTP/1.", Dir::Resp, false), None);
        assert_eq!(
            plausible_start(b"HTTP/1.0 404", Dir::Resp, false),
            Some(true)
        );
        assert_eq!(plausible_start(b"SSH-2.0", Dir::Resp, false), Some(false));
    }

    #[test]
    fn text_escapes_invalid_utf8() {
        assert_eq!(text(b"a\xffb"), "a\\xffb");
        assert_eq!(text("é".as_bytes()), "é");
    }
}
