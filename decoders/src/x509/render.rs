//! Distinguished names rendered byte for byte like Zeek's `x509.log`.
//!
//! Zeek prints a DN with OpenSSL's `X509_NAME_print_ex(bio, name, 0,
//! XN_FLAG_RFC2253)` (`src/file_analysis/analyzer/x509/X509.cc`), so this
//! module reimplements the parts of OpenSSL's `crypto/asn1/a_strex.c` that
//! flag set reaches:
//!
//! - entries in *reverse* DER order (`XN_FLAG_DN_REV`), `,` between RDNs and
//!   `+` between the entries of one multi-valued RDN, no spaces;
//! - attribute types by OpenSSL short name (`CN`, `street`, `emailAddress`),
//!   or the dotted OID when OpenSSL has no name for it, in which case the value
//!   is dumped as `#` + hex of its DER (`XN_FLAG_DUMP_UNKNOWN_FIELDS`);
//! - values of string types converted to UTF-8, then escaped: `\,` `\+` `\"`
//!   `\\` `\;` `\<` `\>`, a leading `#` or space and a trailing space with a
//!   backslash, control characters and every byte above 0x7f as `\XX`
//!   (`ASN1_STRFLGS_RFC2253`); values of other types are dumped like unknown
//!   fields (`ASN1_STRFLGS_DUMP_UNKNOWN | ASN1_STRFLGS_DUMP_DER`).
//!
//! The output is therefore always ASCII.

use std::fmt::Write as _;

use x509_parser::asn1_rs::{Any, Class};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

use super::names;

/// Zeek reads the printed name with `BIO_gets` into a 2048-byte buffer
/// (`char buf[2048]` in `X509::ParseCertificate`), so it keeps at most 2047 bytes.
const MAX_DN_LEN: usize = 2047;

/// OID of the commonName attribute type (2.5.4.3).
const OID_CN: &str = "2.5.4.3";

/// Render `name` the way Zeek logs `subject` / `issuer`.
pub(crate) fn render_name(name: &X509Name<'_>) -> String {
    let mut entries: Vec<(usize, &AttributeTypeAndValue<'_>)> = Vec::new();
    for (set, rdn) in name.iter_rdn().enumerate() {
        for atv in rdn.iter() {
            entries.push((set, atv));
        }
    }
    let mut out = String::new();
    let mut prev: Option<usize> = None;
    for (set, atv) in entries.iter().rev() {
        match prev {
            Some(p) if p == *set => out.push('+'),
            Some(_) => out.push(','),
            None => {}
        }
        prev = Some(*set);
        let oid = atv.attr_type().to_id_string();
        match names::attribute_short_name(&oid) {
            Some(sn) => {
                out.push_str(sn);
                out.push('=');
                render_value(&mut out, atv.attr_value());
            }
            None => {
                out.push_str(&oid);
                out.push('=');
                dump_der(&mut out, atv.attr_value());
            }
        }
        if out.len() > MAX_DN_LEN {
            break;
        }
    }
    out.truncate(MAX_DN_LEN);
    out
}

/// The subject's most specific (last, in DER order) common name, decoded to
/// text. Zeek's `certificate.cn` takes the same entry (`X509::ParseCertificate`
/// loops `X509_NAME_get_index_by_NID` to the last CN).
pub(crate) fn last_common_name(name: &X509Name<'_>) -> Option<String> {
    name.iter_attributes()
        .filter(|a| a.attr_type().to_id_string() == OID_CN)
        .last()
        .map(|a| decode_text(a.attr_value()))
}

/// Whether two names are the same for Zeek-style comparisons (rendered equal).
pub(crate) fn same_name(a: &X509Name<'_>, b: &X509Name<'_>) -> bool {
    a.as_raw() == b.as_raw() || render_name(a) == render_name(b)
}

/// Bytes per character of a universal string type (OpenSSL's `tag2nbyte`):
/// `Some(0)` UTF8String (bytes printed as they are), `Some(1)` one byte per
/// character (ISO 8859-1), `Some(2)` BMPString, `Some(4)` UniversalString;
/// `None` for types OpenSSL dumps as DER.
fn char_width(value: &Any<'_>) -> Option<u8> {
    if value.class() != Class::Universal || value.header.is_constructed() {
        return None;
    }
    match value.tag().0 {
        12 => Some(0),
        18 | 19 | 20 | 22 | 23 | 24 | 26 => Some(1),
        28 => Some(4),
        30 => Some(2),
        _ => None,
    }
}

/// Characters of a string value as Unicode scalar values (not validated),
/// following OpenSSL's `do_buf` (a trailing partial character is dropped).
fn chars<'v>(value: &'v Any<'_>, width: u8) -> impl Iterator<Item = u32> + 'v {
    let step = usize::from(width.max(1));
    value.data.chunks_exact(step).map(|c| {
        c.iter()
            .fold(0u32, |acc, b| acc.wrapping_shl(8) | u32::from(*b))
    })
}

/// Append `value` printed with `ASN1_STRFLGS_RFC2253`.
fn render_value(out: &mut String, value: &Any<'_>) {
    let Some(width) = char_width(value) else {
        dump_der(out, value);
        return;
    };
    // UTF8String is taken byte by byte; the other types are converted to UTF-8.
    let bytes: Vec<u8> = if width == 0 {
        value.data.to_vec()
    } else {
        let mut v = Vec::with_capacity(value.data.len());
        for c in chars(value, width) {
            push_utf8(&mut v, c);
        }
        v
    };
    let n = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        escape_byte(out, b, i == 0, i + 1 == n);
    }
}

/// OpenSSL's `UTF8_putc`: up to 4 bytes; values above 0x10FFFF are dropped.
fn push_utf8(v: &mut Vec<u8>, c: u32) {
    // Each `as u8` below keeps the low bits of an already masked value.
    match c {
        0..=0x7f => v.push(c as u8),
        0x80..=0x7ff => v.extend_from_slice(&[0xc0 | (c >> 6) as u8, 0x80 | (c & 0x3f) as u8]),
        0x800..=0xffff => v.extend_from_slice(&[
            0xe0 | (c >> 12) as u8,
            0x80 | ((c >> 6) & 0x3f) as u8,
            0x80 | (c & 0x3f) as u8,
        ]),
        0x1_0000..=0x10_ffff => v.extend_from_slice(&[
            0xf0 | (c >> 18) as u8,
            0x80 | ((c >> 12) & 0x3f) as u8,
            0x80 | ((c >> 6) & 0x3f) as u8,
            0x80 | (c & 0x3f) as u8,
        ]),
        _ => {}
    }
}

/// OpenSSL's `do_esc_char` for one byte with the RFC 2253 flags. `first` and
/// `last` give the position-dependent escapes; as in `do_buf`, a one-byte value
/// only counts as "last".
fn escape_byte(out: &mut String, b: u8, first: bool, last: bool) {
    let needs_backslash = matches!(b, b'"' | b'+' | b',' | b';' | b'<' | b'>' | b'\\')
        || (last && b == b' ')
        || (first && !last && (b == b' ' || b == b'#'));
    if !(0x20..0x7f).contains(&b) {
        let _ = write!(out, "\\{b:02X}");
    } else if needs_backslash {
        out.push('\\');
        out.push(char::from(b));
    } else {
        out.push(char::from(b));
    }
}

/// Append `#` and the upper-case hex of the value's DER encoding (OpenSSL `do_dump`).
fn dump_der(out: &mut String, value: &Any<'_>) {
    out.push('#');
    let mut header = [0u8; 16];
    let hlen = der_header(&mut header, value);
    for b in header.iter().take(hlen).chain(value.data.iter()) {
        let _ = write!(out, "{b:02X}");
    }
}

/// Re-encode the identifier and length octets of `value` into `buf`; returns their length.
fn der_header(buf: &mut [u8; 16], value: &Any<'_>) -> usize {
    let class_bits: u8 = match value.class() {
        Class::Universal => 0x00,
        Class::Application => 0x40,
        Class::ContextSpecific => 0x80,
        Class::Private => 0xc0,
    };
    let constructed: u8 = if value.header.is_constructed() {
        0x20
    } else {
        0
    };
    let mut n = 0;
    let tag = value.tag().0;
    if tag < 31 {
        // tag < 31 fits the low five bits.
        buf[0] = class_bits | constructed | tag as u8;
        n = 1;
    } else {
        buf[0] = class_bits | constructed | 0x1f;
        n += 1;
        let groups = (32 - tag.leading_zeros()).div_ceil(7);
        for g in (0..groups).rev() {
            let more = if g == 0 { 0 } else { 0x80 };
            buf[n] = more | ((tag >> (7 * g)) & 0x7f) as u8;
            n += 1;
        }
    }
    let len = value.data.len();
    if len < 0x80 {
        buf[n] = len as u8;
        n += 1;
    } else {
        let be = len.to_be_bytes();
        let skip = be.iter().take_while(|b| **b == 0).count();
        let digits = &be[skip..];
        buf[n] = 0x80 | digits.len() as u8;
        n += 1;
        for d in digits {
            buf[n] = *d;
            n += 1;
        }
    }
    n
}

/// A string value as readable text: UTF-8 (lossy), ISO 8859-1, UCS-2 or UCS-4.
pub(crate) fn decode_text(value: &Any<'_>) -> String {
    match char_width(value) {
        Some(0) | None => String::from_utf8_lossy(value.data).into_owned(),
        Some(w) => chars(value, w)
            .map(|c| char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &[u8]) -> String {
        let mut out = String::new();
        let n = s.len();
        for (i, &b) in s.iter().enumerate() {
            escape_byte(&mut out, b, i == 0, i + 1 == n);
        }
        out
    }

    #[test]
    fn escape_follows_rfc2253_flags() {
        assert_eq!(esc(b"a,b+c"), "a\\,b\\+c");
        assert_eq!(esc(b"1&1 Mail & Media"), "1&1 Mail & Media");
        assert_eq!(esc(b" x "), "\\ x\\ ");
        assert_eq!(esc(b"#x#"), "\\#x#");
        assert_eq!(esc(b"#"), "#");
        assert_eq!(esc(b" "), "\\ ");
        assert_eq!(esc(b"a\r\n"), "a\\0D\\0A");
        assert_eq!(esc("é".as_bytes()), "\\C3\\A9");
        assert_eq!(esc(b"a\\b\"<>;"), "a\\\\b\\\"\\<\\>\\;");
        assert_eq!(esc(b"\x7f\x00"), "\\7F\\00");
    }

    #[test]
    fn utf8_encoding_matches_std() {
        for c in ['a', 'é', '€', '𝄞'] {
            let mut v = Vec::new();
            push_utf8(&mut v, u32::from(c));
            assert_eq!(v, c.to_string().into_bytes());
        }
    }
}
