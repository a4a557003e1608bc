//! MIME type sniffing from a file's first bytes, with Zeek's names.
//!
//! Zeek (whose `files.log` our corpus expectations come from) decides
//! `mime_type` with its own file-magic signatures
//! (`scripts/base/frameworks/files/magic/*.sig`), not libmagic. Binary
//! formats are recognised here by the `infer` crate, with its names mapped
//! to Zeek's where they differ; the text formats that dominate web traffic
//! (HTML, XML, JSON, JavaScript, plain text) are matched by hand, following
//! the shape and priority of Zeek's `general.sig` rules.

/// Bytes of a file's beginning used for sniffing (Zeek's
/// `default_file_bof_buffer_size` is 4096 too).
pub const MAX_SNIFF_LEN: usize = 4096;

/// `infer` names that Zeek spells differently.
const ZEEK_NAMES: &[(&str, &str)] = &[
    ("application/gzip", "application/x-gzip"),
    (
        "application/vnd.microsoft.portable-executable",
        "application/x-dosexec",
    ),
    ("application/x-msdownload", "application/x-dosexec"),
    ("application/vnd.rar", "application/x-rar"),
    ("application/x-bzip2", "application/x-bzip2"),
    ("image/vnd.microsoft.icon", "image/x-icon"),
    ("text/xml", "application/xml"),
];

/// The MIME type of content starting with `head` (at most [`MAX_SNIFF_LEN`]
/// bytes are looked at), or `None` when no rule matches.
pub fn sniff_mime(head: &[u8]) -> Option<&'static str> {
    let head = head.get(..MAX_SNIFF_LEN).unwrap_or(head);
    if head.is_empty() {
        return None;
    }
    if let Some(t) = infer::get(head) {
        let name = t.mime_type();
        let name = ZEEK_NAMES
            .iter()
            .find(|(from, _)| *from == name)
            .map_or(name, |(_, to)| to);
        // `infer` also knows some text formats (HTML, XML, shell scripts)
        // loosely; our text rules below follow Zeek more closely.
        if !name.starts_with("text/") && name != "application/xml" {
            return Some(name);
        }
    }
    let body = strip_bom(head);
    if let Some(t) = markup(body) {
        return Some(t);
    }
    if javascript(body) {
        return Some("application/javascript");
    }
    if json(body) {
        return Some("text/json");
    }
    if plain_text(head) {
        return Some("text/plain");
    }
    None
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b)
}

/// Zeek's `[\x0d\x0a[:blank:]]`.
fn is_ws(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | b' ' | b'\t')
}

fn skip_ws(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&c| is_ws(c)).count();
    b.get(n..).unwrap_or_default()
}

fn starts_with_ci(b: &[u8], prefix: &[u8]) -> bool {
    b.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Skip white space, `<!-- -->` comments and an `<?xml ...?>` declaration,
/// as the prologue of Zeek's markup rules allows. Returns the rest and
/// whether an XML declaration was seen.
fn skip_prologue(mut b: &[u8]) -> (&[u8], bool) {
    let mut xml = false;
    // Each round removes at least one byte, so this ends.
    loop {
        b = skip_ws(b);
        if let Some(rest) = b.strip_prefix(b"<!--") {
            match find(rest, b"-->") {
                Some(end) => b = rest.get(end + 3..).unwrap_or_default(),
                None => return (b, xml),
            }
        } else if !xml && b.starts_with(b"<?xml ") {
            xml = true;
            match find(b, b"?>") {
                Some(end) => b = b.get(end + 2..).unwrap_or_default(),
                None => return (b, xml),
            }
        } else {
            return (b, xml);
        }
    }
}

/// Position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// HTML, RSS, SOAP and generic XML (Zeek's `file-xhtml`, `file-html`,
/// `file-html2`, `file-rss`, `file-soap`, `file-xml`).
fn markup(b: &[u8]) -> Option<&'static str> {
    let (rest, xml_decl) = skip_prologue(b);
    if let Some(tag) = rest.strip_prefix(b"<") {
        let doctype_html = starts_with_ci(tag, b"!doctype")
            && starts_with_ci(
                tag.get(8..)
                    .map(|t| &t[t.iter().take_while(|&&c| c == b' ').count()..])
                    .unwrap_or_default(),
                b"html",
            )
            && tag.get(8) == Some(&b' ');
        if doctype_html
            || [&b"html"[..], b"head", b"title", b"body", b"meta http-equiv"]
                .iter()
                .any(|t| starts_with_ci(tag, t))
        {
            return Some("text/html");
        }
        if starts_with_ci(tag, b"rss") {
            return Some("text/rss");
        }
        if starts_with_ci(tag, b"soap:envelope") || starts_with_ci(tag, b"soap-env:envelope") {
            return Some("application/soap+xml");
        }
    }
    xml_decl.then_some("application/xml")
}

/// Zeek's `file-javascript2` to `file-javascript6`.
fn javascript(b: &[u8]) -> bool {
    if let Some(rest) = b.strip_prefix(b"(function()") {
        // `[[:blank:]\n]*\{`: no CR allowed, as in Zeek's rule.
        let n = rest
            .iter()
            .take_while(|&&c| matches!(c, b' ' | b'\t' | b'\n'))
            .count();
        return rest.get(n) == Some(&b'{');
    }
    let b = skip_ws(b);
    if b.starts_with(b"for (;;);") || b.starts_with(b"document.write") {
        return true;
    }
    if starts_with_ci(b, b"<script") {
        let attrs = b.get(7..).unwrap_or_default();
        if let Some(rest) = attrs.strip_prefix(b">") {
            let rest = skip_ws(rest);
            return rest.starts_with(b"var ") || rest.starts_with(b"function ");
        }
        let line = attrs.get(..200).unwrap_or(attrs);
        return attrs.first().is_some_and(|&c| c == b' ' || c == b'\t')
            && line
                .windows(10)
                .any(|w| w.eq_ignore_ascii_case(b"javascript"));
    }
    false
}

/// Zeek's `file-json` (an object whose first member has a value),
/// `file-json2` (an array) and `file-json3` (an empty document).
fn json(b: &[u8]) -> bool {
    let b = skip_ws(b);
    match b.first() {
        Some(b'{') => {
            let r = skip_ws(b.get(1..).unwrap_or_default());
            if r.first() == Some(&b'}') {
                return skip_ws(r.get(1..).unwrap_or_default()).is_empty();
            }
            let after_key = match r.first() {
                Some(b'"') => {
                    let inner = r.get(1..).unwrap_or_default();
                    match inner.iter().position(|&c| c == b'"') {
                        Some(0) | None => return false,
                        Some(end) => inner.get(end + 1..).unwrap_or_default(),
                    }
                }
                Some(c) if c.is_ascii_alphabetic() => {
                    let n = r
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'\\')
                        .count();
                    r.get(n..).unwrap_or_default()
                }
                _ => return false,
            };
            let Some(v) = skip_ws(after_key).strip_prefix(b":") else {
                return false;
            };
            let v = skip_ws(v);
            matches!(v.first(), Some(b'"' | b'[' | b'{' | b'0'..=b'9'))
                || v.starts_with(b"true")
                || v.starts_with(b"false")
        }
        Some(b'[') => {
            let r = skip_ws(b.get(1..).unwrap_or_default());
            match r.first() {
                Some(b'{' | b'[') => true,
                Some(b']') => skip_ws(r.get(1..).unwrap_or_default()).is_empty(),
                Some(b'"') => {
                    let inner = r.get(1..).unwrap_or_default();
                    match inner.iter().position(|&c| c == b'"') {
                        Some(0) | None => false,
                        Some(end) => skip_ws(inner.get(end + 1..).unwrap_or_default())
                            .first()
                            .is_some_and(|&c| c == b','),
                    }
                }
                Some(_) => {
                    let n = r
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'.')
                        .count();
                    let tok = r.get(..n).unwrap_or_default();
                    let literal = tok == b"true"
                        || tok == b"false"
                        || (!tok.is_empty()
                            && tok.iter().all(|c| c.is_ascii_digit() || *c == b'.'));
                    literal
                        && skip_ws(r.get(n..).unwrap_or_default())
                            .first()
                            .is_some_and(|&c| c == b',')
                }
                None => false,
            }
        }
        _ => false,
    }
}

/// Zeek's `file-plaintext`: an optional UTF-8/16/32 byte-order mark, then ten
/// printable ASCII or white-space bytes.
fn plain_text(b: &[u8]) -> bool {
    let b = [
        &b"\xef\xbb\xbf"[..],
        b"\x00\x00\xfe\xff",
        b"\xfe\xff",
        b"\xff\xfe\x00\x00",
        b"\xff\xfe",
    ]
    .iter()
    .find_map(|bom| b.strip_prefix(*bom))
    .unwrap_or(b);
    b.len() >= 10
        && b.iter().take(10).all(|&c| {
            (0x20..=0x7e).contains(&c) || matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_text_formats_like_zeek() {
        assert_eq!(sniff_mime(b"hello world"), Some("text/plain"));
        assert_eq!(sniff_mime(b"short"), None);
        assert_eq!(
            sniff_mime(b"{\n  \"origin\": \"10.0.0.1\""),
            Some("text/json")
        );
        assert_eq!(sniff_mime(b"[1, 2]"), Some("text/json"));
        assert_eq!(sniff_mime(b"{}"), Some("text/json"));
        assert_eq!(
            sniff_mime(b"<!DOCTYPE html PUBLIC \"-//W3C//DTD\">"),
            Some("text/html")
        );
        assert_eq!(sniff_mime(b"\r\n<HTML><head>"), Some("text/html"));
        assert_eq!(
            sniff_mime(b"<?xml version=\"1.0\"?><!-- x --><html>"),
            Some("text/html")
        );
        assert_eq!(
            sniff_mime(b"<?xml version=\"1.0\"?><a/>"),
            Some("application/xml")
        );
        assert_eq!(
            sniff_mime(b"document.write('x');"),
            Some("application/javascript")
        );
        assert_eq!(sniff_mime(b"body { color: red; }"), Some("text/plain"));
        assert_eq!(
            sniff_mime(b"(function(){ var a; })"),
            Some("application/javascript")
        );
        assert_eq!(
            sniff_mime(b"(function()\r\n{\r\nvar x;"),
            Some("text/plain")
        );
    }

    #[test]
    fn sniff_binary_formats_with_zeek_names() {
        assert_eq!(sniff_mime(b"GIF89a\x01\x00\x01\x00"), Some("image/gif"));
        assert_eq!(
            sniff_mime(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(
            sniff_mime(b"PK\x03\x04\x14\0\0\0\x08\0"),
            Some("application/zip")
        );
        assert_eq!(
            sniff_mime(b"\x1f\x8b\x08\0\0\0\0\0\0\x03"),
            Some("application/x-gzip")
        );
        assert_eq!(sniff_mime(b"\x00\x01\x02\x03\xff\xfe\x80"), None);
    }
}
