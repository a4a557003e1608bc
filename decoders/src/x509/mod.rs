//! X.509 certificates seen in TLS handshakes, rendered like Zeek's `x509.log`.
//!
//! [`parse_certificate`] turns one DER certificate into an [`X509Record`];
//! the TLS decoder calls it for every certificate of a Certificate message and
//! fills in the per-handshake fields (`ts_us`, `chain_index`, `host_cert`,
//! `client_cert`). A certificate that does not parse still has fingerprints
//! ([`sha256_hex`], [`sha1_hex`]) so the `tls` record's chain stays complete.
//!
//! The certificate skeleton is walked leniently (`cert`), names, keys and
//! extensions are decoded with `x509-parser`'s parsers. Only basicConstraints
//! and subjectAltName are decoded, and a broken extension leaves its fields
//! null instead of failing the certificate (as in Zeek, which reports such an
//! extension and carries on). Every rendering follows Zeek
//! (`src/file_analysis/analyzer/x509/X509.cc`) and the OpenSSL functions it
//! calls; the `render` submodule documents the distinguished names.

mod cert;
mod key;
mod names;
mod record;
mod render;
mod san;
mod time;

#[cfg(feature = "ja4plus")]
mod ja4x;

#[cfg(test)]
mod tests;

pub use record::X509Record;

use x509_parser::extensions::BasicConstraints;
use x509_parser::prelude::FromDer as _;

use crate::error::{DecodeError, Result};

/// Lower-case hex SHA-256 of `der` (the `fingerprint_sha256` / `cert_chain_fps` form).
pub fn sha256_hex(der: &[u8]) -> String {
    use sha2::Digest;
    hex_lower(&sha2::Sha256::digest(der))
}

/// Lower-case hex SHA-1 of `der`.
pub fn sha1_hex(der: &[u8]) -> String {
    use sha1::Digest;
    hex_lower(&sha1::Sha1::digest(der))
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// OID of the basicConstraints extension.
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
/// OID of the subjectAltName extension.
const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";

/// Parse one DER certificate into a record rendered like Zeek's `x509.log`.
///
/// Per-handshake fields are left at their defaults (`chain_index` 0,
/// `host_cert`/`client_cert` false, `ts_us` 0) for the caller. Fingerprints
/// cover all of `der` (what Zeek hashes: the certificate as sent). Bytes after
/// the certificate's outer SEQUENCE are ignored, as OpenSSL's `d2i_X509` does.
///
/// # Errors
///
/// [`DecodeError::X509Malformed`] when the certificate structure, a name, the
/// public key info or an algorithm identifier cannot be read (the reason names
/// the part). Never panics.
pub fn parse_certificate(der: &[u8]) -> Result<X509Record> {
    let tbs = cert::parse(der).map_err(|what| DecodeError::X509Malformed {
        reason: format!("cannot read {what}"),
    })?;

    let subject = render::render_name(&tbs.subject);
    let issuer = render::render_name(&tbs.issuer);
    let key = key::key_info(&tbs.spki);
    let mut rec = X509Record {
        fingerprint_sha256: sha256_hex(der),
        fingerprint_sha1: sha1_hex(der),
        version: tbs.version,
        serial: Some(render_serial(tbs.serial)),
        self_signed: render::same_name(&tbs.subject, &tbs.issuer),
        subject: Some(subject),
        issuer: Some(issuer),
        common_name: render::last_common_name(&tbs.subject),
        not_before_us: tbs.not_before.and_then(|s| s.checked_mul(1_000_000)),
        not_after_us: tbs.not_after.and_then(|s| s.checked_mul(1_000_000)),
        key_alg: Some(algorithm_name(&tbs.spki.algorithm.algorithm)),
        sig_alg: Some(algorithm_name(&tbs.sig_alg.algorithm)),
        key_type: key.key_type.map(String::from),
        key_length: key.key_length,
        exponent: key.exponent,
        curve: key.curve.map(String::from),
        ..X509Record::default()
    };

    // Zeek raises one event per extension and its scripts keep the last
    // basicConstraints / subjectAltName seen, so a repeated extension overrides.
    for ext in &tbs.extensions {
        match ext.oid.to_id_string().as_str() {
            OID_BASIC_CONSTRAINTS => {
                if let Ok((_, bc)) = BasicConstraints::from_der(ext.value) {
                    rec.is_ca = Some(bc.ca);
                    rec.path_len = bc.path_len_constraint.and_then(|p| i32::try_from(p).ok());
                }
            }
            OID_SUBJECT_ALT_NAME => {
                if let Some(names) = san::parse_san(ext.value) {
                    rec.san_dns = names.dns;
                    rec.san_ip = names.ip;
                    rec.san_email = names.email;
                    rec.san_uri = names.uri;
                }
            }
            _ => {}
        }
    }

    #[cfg(feature = "ja4plus")]
    {
        rec.ja4x = Some(ja4x::ja4x(&tbs));
    }
    Ok(rec)
}

/// OpenSSL's long name for an algorithm OID, or the dotted OID (`i2t_ASN1_OBJECT`).
fn algorithm_name(oid: &x509_parser::asn1_rs::Oid<'_>) -> String {
    let dotted = oid.to_id_string();
    match names::algorithm_long_name(&dotted) {
        Some(n) => n.to_string(),
        None => dotted,
    }
}

/// The serial as Zeek logs it (`i2a_ASN1_INTEGER`): upper-case hex of the
/// magnitude without the DER sign octet, `-` first when negative, `00` for
/// zero, and OpenSSL's `\` + newline after every 35 bytes.
fn render_serial(content: &[u8]) -> String {
    use std::fmt::Write as _;
    let negative = content.first().is_some_and(|b| b & 0x80 != 0);
    let mut magnitude: Vec<u8> = content.to_vec();
    if negative {
        // Two's complement: invert and add one.
        let mut carry = true;
        for b in magnitude.iter_mut().rev() {
            let (v, c) = (!*b).overflowing_add(u8::from(carry));
            *b = v;
            carry = c;
        }
    }
    let lead = magnitude.iter().take_while(|b| **b == 0).count();
    let digits = magnitude.get(lead..).unwrap_or_default();
    let mut s = String::with_capacity(digits.len() * 2 + 2);
    if negative {
        s.push('-');
    }
    if digits.is_empty() {
        s.push_str("00");
    }
    for (i, b) in digits.iter().enumerate() {
        if i != 0 && i % 35 == 0 {
            s.push_str("\\\n");
        }
        let _ = write!(s, "{b:02X}");
    }
    s
}
