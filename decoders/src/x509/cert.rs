//! The certificate skeleton, walked as leniently as OpenSSL's `d2i_X509`.
//!
//! `x509-parser`'s whole-certificate parser insists on DER times (a `Z` zone),
//! so one certificate with `20260115120000-0800` in its validity would be lost
//! entirely, while OpenSSL (and so Zeek and Arkime) reads it. We therefore
//! walk the outer structure ourselves with `asn1-rs` and hand the well-defined
//! pieces (names, public key, algorithm identifiers) to `x509-parser`'s own
//! parsers; validity times are decoded by [`super::time`].

use x509_parser::asn1_rs::{Any, Class, FromDer, Oid, Tag};
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo, X509Name};

use super::time;

/// The parts of a certificate the record is built from (RFC 5280 section 4.1).
pub(crate) struct CertParts<'a> {
    /// Version as logged (`X509_get_version + 1`: 1, 2 or 3).
    pub version: Option<i32>,
    /// Content octets of the serialNumber INTEGER.
    pub serial: &'a [u8],
    /// Issuer name.
    pub issuer: X509Name<'a>,
    /// notBefore, seconds since the epoch (None if it cannot be read).
    pub not_before: Option<i64>,
    /// notAfter, seconds since the epoch.
    pub not_after: Option<i64>,
    /// Subject name.
    pub subject: X509Name<'a>,
    /// Subject public key.
    pub spki: SubjectPublicKeyInfo<'a>,
    /// Extensions in certificate order.
    pub extensions: Vec<Extension<'a>>,
    /// The outer signatureAlgorithm.
    pub sig_alg: AlgorithmIdentifier<'a>,
}

/// One extension: its OID and the content of its extnValue OCTET STRING.
pub(crate) struct Extension<'a> {
    /// extnID.
    pub oid: Oid<'a>,
    /// extnValue content (the DER of the extension's own structure).
    pub value: &'a [u8],
}

/// Read the next element of a SEQUENCE's content.
fn next<'a>(i: &mut &'a [u8], what: &'static str) -> Result<Any<'a>, &'static str> {
    let (rest, any) = Any::from_der(i).map_err(|_| what)?;
    *i = rest;
    Ok(any)
}

fn expect_seq<'a>(any: Any<'a>, what: &'static str) -> Result<&'a [u8], &'static str> {
    if any.class() == Class::Universal && any.tag() == Tag::Sequence {
        Ok(any.data)
    } else {
        Err(what)
    }
}

/// Parse the certificate at the start of `der`; trailing bytes are ignored.
///
/// # Errors
///
/// A short reason naming the structure that could not be read.
pub(crate) fn parse(der: &[u8]) -> Result<CertParts<'_>, &'static str> {
    let mut outer = expect_seq(next(&mut &der[..], "certificate")?, "certificate")?;
    let mut tbs = expect_seq(next(&mut outer, "tbsCertificate")?, "tbsCertificate")?;
    let (rest, sig_alg) = AlgorithmIdentifier::from_der(outer).map_err(|_| "signatureAlgorithm")?;
    outer = rest;
    next(&mut outer, "signatureValue")?;

    let mut first = next(&mut tbs, "serialNumber")?;
    let mut version = Some(1);
    if first.class() == Class::ContextSpecific && first.tag().0 == 0 {
        let (_, v) = Any::from_der(first.data).map_err(|_| "version")?;
        version = small_int(v.data).and_then(|v| v.checked_add(1));
        first = next(&mut tbs, "serialNumber")?;
    }
    if first.tag() != Tag::Integer {
        return Err("serialNumber");
    }
    let serial = first.data;
    let (rest, _) = AlgorithmIdentifier::from_der(tbs).map_err(|_| "signature")?;
    let (rest, issuer) = X509Name::from_der(rest).map_err(|_| "issuer")?;
    tbs = rest;
    let mut validity = expect_seq(next(&mut tbs, "validity")?, "validity")?;
    let not_before = next(&mut validity, "notBefore")
        .ok()
        .and_then(|t| time::parse(&t));
    let not_after = next(&mut validity, "notAfter")
        .ok()
        .and_then(|t| time::parse(&t));
    let (rest, subject) = X509Name::from_der(tbs).map_err(|_| "subject")?;
    let (mut rest, spki) =
        SubjectPublicKeyInfo::from_der(rest).map_err(|_| "subjectPublicKeyInfo")?;

    let mut extensions = Vec::new();
    while !rest.is_empty() {
        let any = next(&mut rest, "unique identifier or extensions")?;
        if any.class() == Class::ContextSpecific && any.tag().0 == 3 {
            let (_, seq) = Any::from_der(any.data).map_err(|_| "extensions")?;
            extensions = parse_extensions(expect_seq(seq, "extensions")?)?;
        }
    }
    Ok(CertParts {
        version,
        serial,
        issuer,
        not_before,
        not_after,
        subject,
        spki,
        extensions,
        sig_alg,
    })
}

/// Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
fn parse_extensions(mut i: &[u8]) -> Result<Vec<Extension<'_>>, &'static str> {
    let mut out = Vec::new();
    while !i.is_empty() {
        let mut ext = expect_seq(next(&mut i, "extension")?, "extension")?;
        let (rest, oid) = Oid::from_der(ext).map_err(|_| "extnID")?;
        ext = rest;
        let mut value = next(&mut ext, "extnValue")?;
        if value.tag() == Tag::Boolean {
            value = next(&mut ext, "extnValue")?;
        }
        if value.tag() != Tag::OctetString {
            return Err("extnValue");
        }
        out.push(Extension {
            oid,
            value: value.data,
        });
    }
    Ok(out)
}

/// A short two's-complement INTEGER as i32.
fn small_int(b: &[u8]) -> Option<i32> {
    if b.is_empty() || b.len() > 4 {
        return None;
    }
    let negative = b.first().is_some_and(|x| x & 0x80 != 0);
    let mut v: i64 = if negative { -1 } else { 0 };
    for x in b {
        v = (v << 8) | i64::from(*x);
    }
    i32::try_from(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_int_sign() {
        assert_eq!(small_int(&[2]), Some(2));
        assert_eq!(small_int(&[0xff]), Some(-1));
        assert_eq!(small_int(&[]), None);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(&[]).is_err());
        assert!(parse(&[0x30, 0x00]).is_err());
        assert!(parse(&[0x30, 0x03, 0x30, 0x01, 0x00]).is_err());
    }
}
