//! `multipart/form-data` (RFC 7578) and other multipart bodies (RFC 2046
//! section 5.1): each part becomes its own file, as Zeek logs them.
//!
//! Streaming: only a delimiter's length of bytes is held back between
//! pieces, plus one part's header block (at most [`MAX_PART_HEAD`]).
//! Nested multipart parts are not opened (the inner body is one file).

use super::entity::{Emit, FileCtx, Lazy, PartSpec};
use crate::files::sniff::find;

/// Longest part header block, in bytes. Part headers are a few short fields
/// (Content-Disposition, Content-Type); 8 KiB bounds the buffer.
pub const MAX_PART_HEAD: usize = 8 * 1024;

/// Longest boundary accepted: RFC 2046 section 5.1.1 allows 70 characters.
const MAX_BOUNDARY: usize = 70;

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Before the first delimiter.
    Preamble,
    /// Just after a delimiter: `--` (close) or the rest of its line.
    AfterDelim,
    /// Reading a part's header block.
    Headers,
    /// Inside a part's content.
    Body,
    /// After the close delimiter, or after broken framing: ignore the rest.
    Epilogue,
}

/// Splitter state of one multipart body.
#[derive(Debug)]
pub struct Multipart {
    /// `CRLF--boundary`.
    delim: Vec<u8>,
    buf: Vec<u8>,
    state: State,
    part: Lazy,
}

impl Multipart {
    /// A splitter for `boundary` (from the Content-Type parameter).
    pub fn new(boundary: &str) -> Self {
        let b = boundary.as_bytes();
        let b = b.get(..MAX_BOUNDARY).unwrap_or(b);
        let mut delim = b"\r\n--".to_vec();
        delim.extend_from_slice(b);
        Self {
            delim,
            // The first delimiter may open the body without a CRLF before it.
            buf: b"\r\n".to_vec(),
            state: State::Preamble,
            part: Lazy::default(),
        }
    }

    /// Feed decoded body bytes.
    pub fn data(&mut self, b: &[u8], ctx: &mut FileCtx<'_>, em: &mut impl Emit) {
        if self.state == State::Epilogue {
            return;
        }
        self.buf.extend_from_slice(b);
        let mut pos = 0usize;
        loop {
            let rest = self.buf.get(pos..).unwrap_or_default();
            match self.state {
                State::Epilogue => {
                    pos = self.buf.len();
                    break;
                }
                State::Preamble | State::Body => match find(rest, &self.delim) {
                    Some(at) => {
                        if self.state == State::Body {
                            self.part.data(rest.get(..at).unwrap_or_default(), ctx, em);
                            self.part.finish(false, em);
                        }
                        pos += at + self.delim.len();
                        self.state = State::AfterDelim;
                    }
                    None => {
                        let keep = self.delim.len().saturating_sub(1).min(rest.len());
                        let out = rest.len() - keep;
                        if self.state == State::Body {
                            self.part.data(rest.get(..out).unwrap_or_default(), ctx, em);
                        }
                        pos += out;
                        break;
                    }
                },
                State::AfterDelim => {
                    if rest.len() < 2 {
                        break;
                    }
                    if rest.starts_with(b"--") {
                        self.state = State::Epilogue;
                        continue;
                    }
                    match rest.iter().position(|&c| c == b'\n') {
                        Some(nl) => {
                            pos += nl + 1;
                            self.state = State::Headers;
                        }
                        None if rest.len() > MAX_PART_HEAD => self.state = State::Epilogue,
                        None => break,
                    }
                }
                State::Headers => {
                    let end = if rest.starts_with(b"\r\n") {
                        Some((0, 2))
                    } else if rest.starts_with(b"\n") {
                        Some((0, 1))
                    } else {
                        find(rest, b"\r\n\r\n")
                            .map(|i| (i, 4))
                            .or_else(|| find(rest, b"\n\n").map(|i| (i, 2)))
                    };
                    match end {
                        Some((at, term)) => {
                            let spec = part_spec(rest.get(..at).unwrap_or_default());
                            self.part = Lazy::new(spec);
                            pos += at + term;
                            self.state = State::Body;
                        }
                        None if rest.len() > MAX_PART_HEAD => self.state = State::Epilogue,
                        None => break,
                    }
                }
            }
        }
        self.buf.drain(..pos.min(self.buf.len()));
    }

    /// Missing bytes: inside a part they are the part's; elsewhere framing
    /// is lost and the rest of the body is ignored.
    pub fn gap(&mut self, n: u64, ctx: &mut FileCtx<'_>) {
        if self.state == State::Body {
            // Held-back bytes came before the hole: they are content.
            let held = std::mem::take(&mut self.buf);
            if !held.is_empty() {
                self.part
                    .file
                    .get_or_insert_with(|| Box::new(ctx.open(&self.part.spec)))
                    .data(&held, &mut ());
            }
            self.part.gap(n, ctx);
        } else {
            self.state = State::Epilogue;
            self.buf.clear();
        }
    }

    /// Undelivered bytes (decoding stopped).
    pub fn overflow(&mut self, n: u64) {
        self.part.overflow(n);
    }

    /// End of body: close the open part (a body cut short still logs it).
    pub fn finish(&mut self, timedout: bool, ctx: &mut FileCtx<'_>, em: &mut impl Emit) {
        if self.state == State::Body {
            let held = std::mem::take(&mut self.buf);
            self.part.data(&held, ctx, em);
        }
        self.part.finish(timedout, em);
    }
}

/// File name and type of a part from its header block.
fn part_spec(block: &[u8]) -> PartSpec {
    let text = super::head::text(block);
    let mut spec = PartSpec::default();
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("content-disposition") {
            spec.disposition = disposition_filename(value);
        }
    }
    spec
}

/// The `filename` (or RFC 5987 `filename*`) parameter of a
/// Content-Disposition value, quotes removed.
pub fn disposition_filename(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for param in split_params(value) {
        let Some((k, v)) = param.split_once('=') else {
            continue;
        };
        let k = k.trim();
        let v = v.trim();
        if k.eq_ignore_ascii_case("filename") {
            plain = Some(unquote(v));
        } else if k.eq_ignore_ascii_case("filename*") {
            // charset'lang'percent-encoded: keep the encoded text after the second quote.
            extended = v.splitn(3, '\'').nth(2).map(str::to_string);
        }
    }
    plain.or(extended).filter(|s| !s.is_empty())
}

/// Split on `;` outside double quotes.
fn split_params(v: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0usize, false);
    for (i, c) in v.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(v.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(v.get(start..).unwrap_or_default());
    out
}

/// A parameter value without surrounding quotes (backslash escapes undone).
pub fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => {
            let mut s = String::with_capacity(inner.len());
            let mut esc = false;
            for c in inner.chars() {
                if esc || c != '\\' {
                    s.push(c);
                    esc = false;
                } else {
                    esc = true;
                }
            }
            s
        }
        None => v.to_string(),
    }
}

/// The `boundary` parameter of a multipart Content-Type value.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = split_params(content_type).into_iter();
    let media = params.next()?.trim();
    if !media.get(..10)?.eq_ignore_ascii_case("multipart/") {
        return None;
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| unquote(v.trim()))
        .filter(|b| !b.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_and_boundary_parameters() {
        assert_eq!(
            disposition_filename("form-data; name=\"f\"; filename=\"a;b.txt\""),
            Some("a;b.txt".into())
        );
        assert_eq!(
            disposition_filename("attachment; filename*=UTF-8''na%C3%AFve.txt"),
            Some("na%C3%AFve.txt".into())
        );
        assert_eq!(disposition_filename("inline"), None);
        assert_eq!(
            boundary("multipart/form-data; boundary=\"--xyz\""),
            Some("--xyz".into())
        );
        assert_eq!(boundary("text/plain; boundary=x"), None);
    }
}
