//! Names of TLS numbers, spelled the way Zeek's `ssl.log` spells them
//! (`base/protocols/ssl/consts.zeek`), so our records compare equal to Zeek's.

/// Whether `v` is a GREASE value (RFC 8701 section 2: `0x?a?a` with both bytes equal).
pub(crate) fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Zeek's `SSL::version_strings`: `TLSv12`, `SSLv3`; TLS 1.3 drafts become
/// `TLSv13-draftNN` (Zeek's rule: `v / 0xff == 0x7f`, draft `v % 0x7f`), anything
/// else `unknown-<decimal>`.
pub(crate) fn version_name(v: u16) -> String {
    let known = match v {
        0x0002 => "SSLv2",
        0x0300 => "SSLv3",
        0x0301 => "TLSv10",
        0x0302 => "TLSv11",
        0x0303 => "TLSv12",
        0x0304 => "TLSv13",
        0xfeff => "DTLSv10",
        0xfefd => "DTLSv12",
        0xfefc => "DTLSv13",
        _ if v / 0xff == 0x7f => return format!("TLSv13-draft{}", v % 0x7f),
        _ => return format!("unknown-{v}"),
    };
    known.to_string()
}

/// Whether a negotiated version uses TLS 1.3 semantics (encrypted handshake
/// after ServerHello): 1.3 itself, its drafts (`0x7fNN`) and the experimental
/// versions browsers deployed while 1.3 was drafted (`0x7eNN`, e.g. Chrome's `0x7e01`).
pub(crate) fn is_tls13_like(v: u16) -> bool {
    v == 0x0304 || v >> 8 == 0x7f || v >> 8 == 0x7e
}

/// IANA cipher suite name from tls-parser's table, Zeek's `unknown-<decimal>` otherwise.
pub(crate) fn cipher_name(id: u16) -> String {
    match tls_parser::TlsCipherSuite::from_id(id) {
        Some(cs) => cs.name.to_string(),
        None => format!("unknown-{id}"),
    }
}

/// SSLv2 cipher kinds (3 bytes, RFC draft "The SSL Protocol" appendix C), Zeek's names.
pub(crate) fn sslv2_cipher_name(kind: u32) -> String {
    let known = match kind {
        0x01_0080 => "SSLv20_CK_RC4_128_WITH_MD5",
        0x02_0080 => "SSLv20_CK_RC4_128_EXPORT40_WITH_MD5",
        0x03_0080 => "SSLv20_CK_RC2_128_CBC_WITH_MD5",
        0x04_0080 => "SSLv20_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
        0x05_0080 => "SSLv20_CK_IDEA_128_CBC_WITH_MD5",
        0x06_0040 => "SSLv20_CK_DES_64_CBC_WITH_MD5",
        0x07_00c0 => "SSLv20_CK_DES_192_EDE3_CBC_WITH_MD5",
        _ if kind <= 0xffff => return cipher_name(kind as u16),
        _ => return format!("unknown-{kind}"),
    };
    known.to_string()
}

/// Zeek's `SSL::ec_curves` (IANA "Supported Groups" registry names as Zeek writes them).
pub(crate) fn curve_name(g: u16) -> String {
    let known = match g {
        1 => "sect163k1",
        2 => "sect163r1",
        3 => "sect163r2",
        4 => "sect193r1",
        5 => "sect193r2",
        6 => "sect233k1",
        7 => "sect233r1",
        8 => "sect239k1",
        9 => "sect283k1",
        10 => "sect283r1",
        11 => "sect409k1",
        12 => "sect409r1",
        13 => "sect571k1",
        14 => "sect571r1",
        15 => "secp160k1",
        16 => "secp160r1",
        17 => "secp160r2",
        18 => "secp192k1",
        19 => "secp192r1",
        20 => "secp224k1",
        21 => "secp224r1",
        22 => "secp256k1",
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        26 => "brainpoolP256r1",
        27 => "brainpoolP384r1",
        28 => "brainpoolP512r1",
        29 => "x25519",
        30 => "x448",
        31 => "brainpoolP256r1tls13",
        32 => "brainpoolP384r1tls13",
        33 => "brainpoolP512r1tls13",
        256 => "ffdhe2048",
        257 => "ffdhe3072",
        258 => "ffdhe4096",
        259 => "ffdhe6144",
        260 => "ffdhe8192",
        0x11eb => "SecP256r1MLKEM768",
        0x11ec => "X25519MLKEM768",
        0x11ed => "SecP384r1MLKEM1024",
        0x6399 => "X25519Kyber768Draft00",
        0xff01 => "arbitrary_explicit_prime_curves",
        0xff02 => "arbitrary_explicit_char2_curves",
        _ => return format!("unknown-{g}"),
    };
    known.to_string()
}

/// Zeek's `SSL::alert_descriptions` (RFC 8446 section 6 and earlier registries).
pub(crate) fn alert_name(d: u8) -> String {
    let known = match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => return format!("unknown-{d}"),
    };
    known.to_string()
}

/// Text of a wire string (SNI, ALPN): kept as is when it is printable UTF-8,
/// otherwise control and non-UTF-8 bytes become Zeek's `\xNN` escapes.
pub(crate) fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => s.to_string(),
        _ => {
            let mut s = String::with_capacity(bytes.len());
            for &b in bytes {
                if b.is_ascii_graphic() || b == b' ' {
                    s.push(char::from(b));
                } else {
                    s.push_str(&format!("\\x{b:02x}"));
                }
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_match_zeek_spelling() {
        assert_eq!(version_name(0x0303), "TLSv12");
        assert_eq!(version_name(0x0300), "SSLv3");
        assert_eq!(version_name(0x0002), "SSLv2");
        assert_eq!(version_name(0x7f17), "TLSv13-draft23");
        assert_eq!(version_name(0x7f12), "TLSv13-draft18");
        assert_eq!(version_name(0x7e01), "unknown-32257");
    }

    #[test]
    fn grease_values_are_recognised() {
        assert!(is_grease(0x0a0a));
        assert!(is_grease(0xfafa));
        assert!(!is_grease(0x0a1a));
        assert!(!is_grease(0x1301));
    }

    #[test]
    fn names_of_numbers() {
        assert_eq!(cipher_name(0x1301), "TLS_AES_128_GCM_SHA256");
        assert_eq!(cipher_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(cipher_name(0xeeee), "unknown-61166");
        assert_eq!(curve_name(29), "x25519");
        assert_eq!(curve_name(23), "secp256r1");
        assert_eq!(alert_name(40), "handshake_failure");
        assert_eq!(alert_name(46), "certificate_unknown");
        assert_eq!(text(b"h2"), "h2");
        assert_eq!(text(b"a\x00\xff"), "a\\x00\\xff");
    }
}
