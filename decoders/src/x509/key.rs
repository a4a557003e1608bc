//! Public-key facts Zeek logs: `key_type`, `key_length`, `exponent`, `curve`.
//!
//! Zeek asks OpenSSL for the key (`X509_get_pubkey`) and logs nothing of it
//! when OpenSSL cannot decode it; otherwise `rsa` (modulus bits, decimal
//! exponent), `dsa` (bits of p) or `ecdsa` (bits of the group order, and the
//! curve's short name when it is a named curve). Other key types (Ed25519,
//! RSA-PSS, GOST) get no key fields at all, as in Zeek.

use x509_parser::asn1_rs::{Any, FromDer, Integer, Oid, Sequence};
use x509_parser::public_key::RSAPublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::names;

/// Public-key fields of an `X509Record`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyInfo {
    /// `rsa`, `dsa` or `ecdsa`.
    pub key_type: Option<&'static str>,
    /// Bits (see the module doc).
    pub key_length: Option<i32>,
    /// RSA public exponent, decimal.
    pub exponent: Option<String>,
    /// Named curve, OpenSSL short name.
    pub curve: Option<&'static str>,
}

/// An RSA exponent longer than this is not rendered (real ones are 1 to 4
/// bytes; the cap bounds the quadratic decimal conversion).
const MAX_EXPONENT_BYTES: usize = 512;

/// Key facts for `spki`, as Zeek would log them.
pub(crate) fn key_info(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    let alg = spki.algorithm.algorithm.to_id_string();
    let key = spki.subject_public_key.data.as_ref();
    match alg.as_str() {
        // RDP servers label RSA keys md5WithRSAEncryption; Zeek rewrites the
        // algorithm to rsaEncryption so that OpenSSL decodes the key anyway.
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.4" => rsa(key),
        "1.2.840.10040.4.1" => dsa(spki),
        "1.2.840.10045.2.1" => ec(spki),
        _ => KeyInfo::default(),
    }
}

fn rsa(key: &[u8]) -> KeyInfo {
    let Ok((_, k)) = RSAPublicKey::from_der(key) else {
        return KeyInfo::default();
    };
    KeyInfo {
        key_type: Some("rsa"),
        key_length: bit_len(k.modulus),
        exponent: decimal(k.exponent),
        curve: None,
    }
}

fn dsa(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    if Integer::from_der(spki.subject_public_key.data.as_ref()).is_err() {
        return KeyInfo::default();
    }
    // Dss-Parms ::= SEQUENCE { p INTEGER, q INTEGER, g INTEGER }
    let p_bits = spki.algorithm.parameters.as_ref().and_then(|params| {
        let seq = Sequence::try_from(params.clone()).ok()?;
        let (_, p) = Integer::from_der(&seq.content).ok()?;
        bit_len(p.as_ref())
    });
    KeyInfo {
        key_type: Some("dsa"),
        key_length: p_bits,
        ..KeyInfo::default()
    }
}

fn ec(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    let Some(params) = spki.algorithm.parameters.as_ref() else {
        return KeyInfo::default();
    };
    if let Ok(oid) = Oid::try_from(params.clone()) {
        // An unknown named curve: OpenSSL cannot decode the key, Zeek logs nothing.
        let Some((name, bits)) = names::curve(&oid.to_id_string()) else {
            return KeyInfo::default();
        };
        return KeyInfo {
            key_type: Some("ecdsa"),
            key_length: Some(bits),
            curve: Some(name),
            exponent: None,
        };
    }
    // Explicit parameters: no curve name; the length is the order's bits.
    // ECParameters ::= SEQUENCE { version, fieldID, curve, base, order INTEGER, cofactor OPTIONAL }
    match explicit_order_bits(params) {
        Some(bits) => KeyInfo {
            key_type: Some("ecdsa"),
            key_length: Some(bits),
            ..KeyInfo::default()
        },
        None => KeyInfo::default(),
    }
}

fn explicit_order_bits(params: &Any<'_>) -> Option<i32> {
    let seq = Sequence::try_from(params.clone()).ok()?;
    let mut rest: &[u8] = &seq.content;
    for _ in 0..4 {
        let (r, _) = Any::from_der(rest).ok()?;
        rest = r;
    }
    let (_, order) = Integer::from_der(rest).ok()?;
    bit_len(order.as_ref())
}

/// Bit length of a big-endian unsigned magnitude (`BN_num_bits`); None for zero.
pub(crate) fn bit_len(be: &[u8]) -> Option<i32> {
    let skip = be.iter().take_while(|b| **b == 0).count();
    let digits = be.get(skip..)?;
    let first = *digits.first()?;
    let bits = (digits.len() - 1)
        .checked_mul(8)?
        .checked_add(8 - first.leading_zeros() as usize)?;
    i32::try_from(bits).ok()
}

/// Decimal rendering of a big-endian unsigned magnitude (`BN_bn2dec`).
pub(crate) fn decimal(be: &[u8]) -> Option<String> {
    let skip = be.iter().take_while(|b| **b == 0).count();
    let mut num: Vec<u8> = be.get(skip..)?.to_vec();
    if num.len() > MAX_EXPONENT_BYTES {
        return None;
    }
    if num.is_empty() {
        return Some("0".into());
    }
    let mut digits = Vec::new();
    while !num.is_empty() {
        // Long division by 10, most significant byte first.
        let mut rem: u32 = 0;
        for b in num.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 10) as u8; // cur < 2560, so the quotient fits a byte
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
        let lead = num.iter().take_while(|b| **b == 0).count();
        num.drain(..lead);
    }
    digits.reverse();
    String::from_utf8(digits).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_len_and_decimal() {
        assert_eq!(bit_len(&[0x00, 0x80, 0x00]), Some(16));
        assert_eq!(bit_len(&[0x01, 0x00, 0x01]), Some(17));
        assert_eq!(bit_len(&[0, 0]), None);
        assert_eq!(decimal(&[0x01, 0x00, 0x01]).as_deref(), Some("65537"));
        assert_eq!(decimal(&[0x03]).as_deref(), Some("3"));
        assert_eq!(decimal(&[0x00]).as_deref(), Some("0"));
        assert_eq!(
            decimal(&[0xff; 9]).as_deref(),
            Some("4722366482869645213695")
        );
    }
}
