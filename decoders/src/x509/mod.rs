//! X.509 certificates seen in TLS handshakes, rendered like Zeek's `x509.log`.
//!
//! [`parse_certificate`] turns one DER certificate into an [`X509Record`];
//! the TLS decoder calls it for every certificate of a Certificate message and
//! fills in the per-handshake fields (`ts_us`, `chain_index`, `host_cert`,
//! `client_cert`). A certificate that does not parse still has fingerprints
//! ([`sha256_hex`], [`sha1_hex`]) so the `tls` record's chain stays complete.

mod record;

pub use record::X509Record;

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

/// Parse one DER certificate. Per-handshake fields are left at their defaults
/// (`chain_index` 0, `host_cert`/`client_cert` false, `ts_us` 0) for the caller.
pub fn parse_certificate(der: &[u8]) -> Result<X509Record> {
    // Filled in by the x509 work: x509-parser, Zeek's renderings.
    let _ = der;
    Err(DecodeError::X509Malformed {
        reason: "x509 parsing not built yet".into(),
    })
}
