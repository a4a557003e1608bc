//! TLS fingerprints: JA3 / JA3S (Salesforce, BSD-3) and JA4 (FoxIO, BSD-3),
//! plus JA4S (FoxIO License 1.1, only with the `ja4plus` feature).
//!
//! JA3: `version,ciphers,extensions,curves,point_formats`, decimal values
//! joined by `-`, GREASE (RFC 8701) removed from every list; the hash is the
//! MD5 of that string. JA3S: `version,cipher,extensions` of the ServerHello.
//!
//! JA4 (`technical_details/JA4.md` of FoxIO-LLC/ja4, checked against the Rust
//! reference implementation and the corpus): `t|q` + 2-character version +
//! `d|i` (SNI extension present or not) + 2-digit cipher count + 2-digit
//! extension count (both without GREASE, capped at 99) + ALPN marker, then
//! `_` + 12 hex of SHA-256 over the sorted cipher list, `_` + 12 hex of SHA-256
//! over the sorted extension list without SNI and ALPN, followed by `_` and the
//! signature algorithms in wire order when there are any. An empty list hashes
//! to `000000000000`. JA4_r is the same with the lists written out.

use super::hello::{ext, ClientHelloInfo, ServerHelloInfo};
use super::names::is_grease;
use std::fmt::Write as _;

/// Decimal values joined with `-`, GREASE removed.
fn dash_list<T: Copy + Into<u32>>(v: &[T], grease_filter: bool) -> String {
    let mut s = String::new();
    for &x in v {
        let n: u32 = x.into();
        if grease_filter && u16::try_from(n).is_ok_and(is_grease) {
            continue;
        }
        if !s.is_empty() {
            s.push('-');
        }
        let _ = write!(s, "{n}");
    }
    s
}

/// Lower-case hex MD5 of `s`.
fn md5_hex(s: &str) -> String {
    use md5::Digest;
    crate::x509::hex_lower(&md5::Md5::digest(s.as_bytes()))
}

/// JA3 string and hash of a ClientHello.
pub(crate) fn ja3(ch: &ClientHelloInfo) -> (String, String) {
    let s = format!(
        "{},{},{},{},{}",
        ch.version,
        dash_list(&ch.ciphers, true),
        dash_list(&ch.extensions, true),
        dash_list(&ch.curves, true),
        dash_list(&ch.point_formats, false),
    );
    let h = md5_hex(&s);
    (s, h)
}

/// JA3S string and hash of a ServerHello.
pub(crate) fn ja3s(sh: &ServerHelloInfo) -> (String, String) {
    let s = format!(
        "{},{},{}",
        sh.version,
        sh.cipher,
        dash_list(&sh.extensions, true)
    );
    let h = md5_hex(&s);
    (s, h)
}

/// JA4's 2-character version code.
fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 | 0x0200 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// JA4's ALPN marker: first and last character of the first protocol name;
/// `00` without one. When either end is not an ASCII letter or digit the
/// spec uses the first and last hex digit of the name instead (so `0x01 0x02`
/// gives `02`). A one-byte name uses that byte twice.
fn alpn_marker(alpn: Option<&[u8]>) -> String {
    let Some(p) = alpn.filter(|p| !p.is_empty()) else {
        return "00".to_string();
    };
    let (first, last) = (p[0], p[p.len() - 1]);
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        let mut s = String::with_capacity(2);
        s.push(char::from(first));
        s.push(char::from(last));
        s
    } else {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(2);
        s.push(char::from(HEX[usize::from(first >> 4)]));
        s.push(char::from(HEX[usize::from(last & 15)]));
        s
    }
}

/// First 12 hex characters of SHA-256, or `000000000000` for an empty input.
fn hash12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".to_string();
    }
    let mut h = crate::x509::sha256_hex(s.as_bytes());
    h.truncate(12);
    h
}

/// 4-digit hex values joined with `,`.
fn hex_list(v: &[u16]) -> String {
    let mut s = String::with_capacity(v.len() * 5);
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{x:04x}");
    }
    s
}

/// JA4 and JA4_r of a ClientHello; `quic` selects the `q` prefix.
pub(crate) fn ja4(ch: &ClientHelloInfo, quic: bool) -> (String, String) {
    let version = match &ch.supported_versions {
        Some(v) => v
            .iter()
            .copied()
            .filter(|&x| !is_grease(x))
            .max()
            .unwrap_or(0),
        None => ch.version,
    };
    let mut ciphers: Vec<u16> = ch
        .ciphers
        .iter()
        .copied()
        .filter(|&c| !is_grease(c))
        .collect();
    let exts: Vec<u16> = ch
        .extensions
        .iter()
        .copied()
        .filter(|&e| !is_grease(e))
        .collect();
    let sni = if exts.contains(&ext::SERVER_NAME) {
        'd'
    } else {
        'i'
    };
    let alpn = alpn_marker(ch.alpn.as_ref().and_then(|a| a.first()).map(Vec::as_slice));
    let a = format!(
        "{}{}{}{:02}{:02}{}",
        if quic { 'q' } else { 't' },
        ja4_version(version),
        sni,
        ciphers.len().min(99),
        exts.len().min(99),
        alpn
    );
    ciphers.sort_unstable();
    let mut sorted_exts: Vec<u16> = exts
        .into_iter()
        .filter(|&e| e != ext::SERVER_NAME && e != ext::ALPN)
        .collect();
    sorted_exts.sort_unstable();
    let sigs: Vec<u16> = ch
        .sig_algs
        .iter()
        .copied()
        .filter(|&s| !is_grease(s))
        .collect();
    let b = hex_list(&ciphers);
    let mut c = hex_list(&sorted_exts);
    if !sigs.is_empty() {
        c.push('_');
        c.push_str(&hex_list(&sigs));
    }
    let hashed = format!("{a}_{}_{}", hash12(&b), hash12(&c));
    let raw = format!("{a}_{b}_{c}");
    (hashed, raw)
}

/// JA4S of a ServerHello (FoxIO License 1.1: only with the `ja4plus` feature).
#[cfg(feature = "ja4plus")]
pub(crate) fn ja4s(sh: &ServerHelloInfo, quic: bool) -> String {
    let exts = &sh.extensions;
    format!(
        "{}{}{:02}{}_{:04x}_{}",
        if quic { 'q' } else { 't' },
        ja4_version(sh.selected_version),
        exts.len().min(99),
        alpn_marker(sh.alpn.as_deref()),
        sh.cipher,
        hash12(&hex_list(exts))
    )
}

/// JA4S is not computed without the `ja4plus` feature.
#[cfg(not(feature = "ja4plus"))]
pub(crate) fn ja4s(_sh: &ServerHelloInfo, _quic: bool) -> String {
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of FoxIO's JA4 README / JA4.md and the reference
    /// implementation's unit test.
    fn foxio_example() -> ClientHelloInfo {
        ClientHelloInfo {
            version: 0x0303,
            ciphers: vec![
                0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
            ],
            extensions: vec![
                0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023,
                0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
            ],
            sig_algs: vec![
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
            ],
            alpn: Some(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            supported_versions: Some(vec![0x0a0a, 0x0304, 0x0303]),
            sni: Some(b"example.com".to_vec()),
            ..ClientHelloInfo::default()
        }
    }

    #[test]
    fn ja4_foxio_readme_example() {
        let (h, r) = ja4(&foxio_example(), false);
        assert_eq!(h, "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_eq!(
            r,
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
        );
        let (q, _) = ja4(&foxio_example(), true);
        assert_eq!(q, "q13d1516h2_8daaf6152771_e5627efa2ab1");
    }

    #[test]
    fn ja4_grease_is_ignored_everywhere() {
        let mut ch = foxio_example();
        ch.ciphers.insert(0, 0x3a3a);
        ch.extensions.insert(0, 0x5a5a);
        ch.extensions.push(0xeaea);
        ch.sig_algs.insert(0, 0x1a1a);
        assert_eq!(ja4(&ch, false).0, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    }

    #[test]
    fn ja4_without_extensions_or_ciphers() {
        // Arkime's arkime_synthetic.pcap sessions 32-34: one cipher, no extensions.
        let ch = ClientHelloInfo {
            version: 0x0303,
            ciphers: vec![0x002f],
            ..ClientHelloInfo::default()
        };
        assert_eq!(ja4(&ch, false).0, "t12i010000_ba72b8082249_000000000000");
        assert_eq!(ja4(&ch, false).1, "t12i010000_002f_");
        assert_eq!(ja3(&ch).0, "771,47,,,");
        assert_eq!(ja3(&ch).1, "fde4273625b2ac63bd01d9c500dac91b");
    }

    #[test]
    fn alpn_marker_rules() {
        assert_eq!(alpn_marker(None), "00");
        assert_eq!(alpn_marker(Some(b"")), "00");
        assert_eq!(alpn_marker(Some(b"h2")), "h2");
        assert_eq!(alpn_marker(Some(b"http/1.1")), "h1");
        assert_eq!(alpn_marker(Some(b"H2")), "H2");
        assert_eq!(alpn_marker(Some(b"\xab\x01")), "a1");
    }

    /// JA3 example of the Salesforce README (a Tor client's ClientHello).
    #[test]
    fn ja3_salesforce_readme_example() {
        let s = "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0";
        assert_eq!(md5_hex(s), "ada70206e40642a3e4461f35503241d5");
        let ch = ClientHelloInfo {
            version: 769,
            ciphers: vec![47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
            extensions: vec![0, 10, 11],
            curves: vec![23, 24, 25],
            point_formats: vec![0],
            ..ClientHelloInfo::default()
        };
        assert_eq!(
            ja3(&ch),
            (
                s.to_string(),
                "ada70206e40642a3e4461f35503241d5".to_string()
            )
        );
    }

    #[test]
    fn ja3_removes_grease() {
        let ch = ClientHelloInfo {
            version: 771,
            ciphers: vec![0x0a0a, 4865],
            extensions: vec![0x2a2a, 0, 10],
            curves: vec![0xfafa, 29],
            point_formats: vec![0],
            ..ClientHelloInfo::default()
        };
        assert_eq!(ja3(&ch).0, "771,4865,0-10,29,0");
    }

    #[test]
    fn ja3s_string() {
        let sh = ServerHelloInfo {
            version: 771,
            cipher: 4865,
            extensions: vec![51, 43],
            ..ServerHelloInfo::default()
        };
        assert_eq!(ja3s(&sh).0, "771,4865,51-43");
        assert_eq!(ja3s(&sh).1, "eb1d94daa7e0344597e756a1fb6e7054");
    }

    #[cfg(feature = "ja4plus")]
    #[test]
    fn ja4s_reference_example() {
        // FoxIO reference implementation's unit test.
        let sh = ServerHelloInfo {
            version: 0x0303,
            selected_version: 0x0303,
            cipher: 0xc030,
            extensions: vec![0x0005, 0x0017, 0xff01, 0x0000],
            ..ServerHelloInfo::default()
        };
        assert_eq!(ja4s(&sh, false), "t120400_c030_4e8089b08790");
    }
}
