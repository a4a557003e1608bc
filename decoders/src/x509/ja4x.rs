//! JA4X: a fingerprint of how a certificate was generated, not of its values
//! (FoxIO JA4+ specification; FoxIO License 1.1, hence the `ja4plus` feature).
//!
//! `a_b_c`, each part the first 12 hex digits of the SHA-256 of a
//! comma-separated list of OIDs in lower-case hex of their DER content
//! (`550403` for CN): issuer attribute types, subject attribute types, then
//! extension OIDs, all in certificate order. An empty list hashes to
//! `000000000000`, as in FoxIO's reference implementation.

use x509_parser::x509::X509Name;

use super::cert::CertParts;
use super::hex_lower;

/// JA4X of `cert`.
pub(crate) fn ja4x(cert: &CertParts<'_>) -> String {
    let issuer = name_oids(&cert.issuer);
    let subject = name_oids(&cert.subject);
    let exts = join_hex(cert.extensions.iter().map(|e| e.oid.as_bytes()));
    format!("{}_{}_{}", hash12(&issuer), hash12(&subject), hash12(&exts))
}

fn name_oids(name: &X509Name<'_>) -> String {
    join_hex(name.iter_attributes().map(|a| a.attr_type().as_bytes()))
}

fn join_hex<'a>(oids: impl Iterator<Item = &'a [u8]>) -> String {
    let mut s = String::new();
    for (i, oid) in oids.enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&hex_lower(oid));
    }
    s
}

/// First 12 hex digits of SHA-256, or twelve zeros for an empty input.
fn hash12(s: &str) -> String {
    use sha2::Digest;
    if s.is_empty() {
        return "000000000000".into();
    }
    let digest = sha2::Sha256::digest(s.as_bytes());
    hex_lower(digest.get(..6).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash12_matches_reference_vectors() {
        // From FoxIO's ja4x unit test.
        assert_eq!(hash12("551d0f,551d25,551d11"), "aae71e8db6d7");
        assert_eq!(hash12(""), "000000000000");
    }
}
