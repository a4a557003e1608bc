//! OpenSSL's names for the object identifiers that show up in certificates.
//!
//! Zeek renders every OID through OpenSSL (`OBJ_nid2sn` for DN attribute
//! types, `i2t_ASN1_OBJECT`, i.e. the long name, for algorithms), so these
//! tables copy OpenSSL's `objects.txt` spelling. An OID that is not listed
//! falls back to its dotted form, which is what OpenSSL prints for an OID it
//! has no NID for. Lists cover what real certificates carry; extending them is
//! safe (an unknown OID is never an error).

/// OpenSSL short name (`OBJ_nid2sn`) of a DN attribute type, by dotted OID.
///
/// Besides the X.520 attribute types this includes the extension OIDs, because
/// some certificates put them into a DN (`subjectAltName=...` in a subject)
/// and OpenSSL knows them all by a short name.
pub(crate) fn attribute_short_name(oid: &str) -> Option<&'static str> {
    if let Some(n) = oid.strip_prefix("2.5.4.") {
        return x520_short_name(n);
    }
    Some(match oid {
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.2.840.113549.1.9.2" => "unstructuredName",
        "1.2.840.113549.1.9.3" => "contentType",
        "1.2.840.113549.1.9.7" => "challengePassword",
        "1.2.840.113549.1.9.8" => "unstructuredAddress",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.3" => "mail",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.15" => "keyUsage",
        "2.5.29.17" => "subjectAltName",
        "2.5.29.18" => "issuerAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.31" => "crlDistributionPoints",
        "2.5.29.32" => "certificatePolicies",
        "2.5.29.35" => "authorityKeyIdentifier",
        "2.5.29.37" => "extendedKeyUsage",
        _ => return None,
    })
}

/// Short names of the X.520 attribute types `2.5.4.n` (OpenSSL objects.txt).
fn x520_short_name(n: &str) -> Option<&'static str> {
    Some(match n {
        "0" => "objectClass",
        "1" => "aliasedObjectName",
        "2" => "knowledgeInformation",
        "3" => "CN",
        "4" => "SN",
        "5" => "serialNumber",
        "6" => "C",
        "7" => "L",
        "8" => "ST",
        "9" => "street",
        "10" => "O",
        "11" => "OU",
        "12" => "title",
        "13" => "description",
        "14" => "searchGuide",
        "15" => "businessCategory",
        "16" => "postalAddress",
        "17" => "postalCode",
        "18" => "postOfficeBox",
        "19" => "physicalDeliveryOfficeName",
        "20" => "telephoneNumber",
        "21" => "telexNumber",
        "22" => "teletexTerminalIdentifier",
        "23" => "facsimileTelephoneNumber",
        "24" => "x121Address",
        "25" => "internationaliSDNNumber",
        "26" => "registeredAddress",
        "27" => "destinationIndicator",
        "28" => "preferredDeliveryMethod",
        "29" => "presentationAddress",
        "30" => "supportedApplicationContext",
        "31" => "member",
        "32" => "owner",
        "33" => "roleOccupant",
        "34" => "seeAlso",
        "35" => "userPassword",
        "36" => "userCertificate",
        "37" => "cACertificate",
        "38" => "authorityRevocationList",
        "39" => "certificateRevocationList",
        "40" => "crossCertificatePair",
        "41" => "name",
        "42" => "GN",
        "43" => "initials",
        "44" => "generationQualifier",
        "45" => "x500UniqueIdentifier",
        "46" => "dnQualifier",
        "47" => "enhancedSearchGuide",
        "48" => "protocolInformation",
        "49" => "distinguishedName",
        "50" => "uniqueMember",
        "51" => "houseIdentifier",
        "52" => "supportedAlgorithms",
        "53" => "deltaRevocationList",
        "54" => "dmdName",
        "65" => "pseudonym",
        "72" => "role",
        "97" => "organizationIdentifier",
        "98" => "c3",
        "99" => "n3",
        "100" => "dnsName",
        _ => return None,
    })
}

/// OpenSSL long name (what `i2t_ASN1_OBJECT` prints) of a key or signature
/// algorithm, by dotted OID. Zeek's `key_alg` and `sig_alg` are exactly this.
pub(crate) fn algorithm_long_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.3" => "md4WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.7" => "rsaesOaep",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.113549.1.1.15" => "sha512-224WithRSAEncryption",
        "1.2.840.113549.1.1.16" => "sha512-256WithRSAEncryption",
        "1.3.14.3.2.3" => "md5WithRSA",
        "1.3.14.3.2.13" => "dsaWithSHA",
        "1.3.14.3.2.15" => "shaWithRSAEncryption",
        "1.3.14.3.2.27" => "dsaWithSHA1-old",
        "1.3.14.3.2.29" => "sha1WithRSA",
        "1.3.14.3.2.12" => "dsaEncryption-old",
        "1.2.840.10040.4.1" => "dsaEncryption",
        "1.2.840.10040.4.3" => "dsaWithSHA1",
        "2.16.840.1.101.3.4.3.1" => "dsa_with_SHA224",
        "2.16.840.1.101.3.4.3.2" => "dsa_with_SHA256",
        "2.16.840.1.101.3.4.3.3" => "dsa_with_SHA384",
        "2.16.840.1.101.3.4.3.4" => "dsa_with_SHA512",
        "2.16.840.1.101.3.4.3.10" => "ecdsa_with_SHA3-256",
        "2.16.840.1.101.3.4.3.11" => "ecdsa_with_SHA3-384",
        "2.16.840.1.101.3.4.3.12" => "ecdsa_with_SHA3-512",
        "2.16.840.1.101.3.4.3.14" => "RSA-SHA3-256",
        "2.16.840.1.101.3.4.3.15" => "RSA-SHA3-384",
        "2.16.840.1.101.3.4.3.16" => "RSA-SHA3-512",
        "1.2.840.10045.2.1" => "id-ecPublicKey",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.112" => "ED25519",
        "1.3.101.113" => "ED448",
        "1.2.156.10197.1.301" => "sm2",
        "1.2.156.10197.1.501" => "SM2-with-SM3",
        "1.2.643.2.2.3" => "GOST R 34.11-94 with GOST R 34.10-2001",
        "1.2.643.2.2.19" => "GOST R 34.10-2001",
        _ => return None,
    })
}

/// OpenSSL short name of a named curve and the bit length of its group order
/// (what Zeek logs as `key_length` for EC keys: `BN_num_bits(order)`).
pub(crate) fn curve(oid: &str) -> Option<(&'static str, i32)> {
    Some(match oid {
        "1.2.840.10045.3.1.1" => ("prime192v1", 192),
        "1.2.840.10045.3.1.7" => ("prime256v1", 256),
        "1.3.132.0.33" => ("secp224r1", 224),
        "1.3.132.0.34" => ("secp384r1", 384),
        "1.3.132.0.35" => ("secp521r1", 521),
        "1.3.132.0.10" => ("secp256k1", 256),
        "1.3.132.0.31" => ("secp192k1", 192),
        "1.3.132.0.32" => ("secp224k1", 225),
        "1.3.36.3.3.2.8.1.1.1" => ("brainpoolP160r1", 160),
        "1.3.36.3.3.2.8.1.1.3" => ("brainpoolP192r1", 192),
        "1.3.36.3.3.2.8.1.1.5" => ("brainpoolP224r1", 224),
        "1.3.36.3.3.2.8.1.1.7" => ("brainpoolP256r1", 256),
        "1.3.36.3.3.2.8.1.1.9" => ("brainpoolP320r1", 320),
        "1.3.36.3.3.2.8.1.1.11" => ("brainpoolP384r1", 384),
        "1.3.36.3.3.2.8.1.1.13" => ("brainpoolP512r1", 512),
        "1.2.156.10197.1.301" => ("SM2", 256),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_openssl_spelling() {
        assert_eq!(attribute_short_name("2.5.4.3"), Some("CN"));
        assert_eq!(attribute_short_name("2.5.4.9"), Some("street"));
        assert_eq!(attribute_short_name("2.5.4.999"), None);
        assert_eq!(attribute_short_name("1.2.3"), None);
        assert_eq!(algorithm_long_name("1.3.14.3.2.29"), Some("sha1WithRSA"));
        assert_eq!(curve("1.3.132.0.34"), Some(("secp384r1", 384)));
    }
}
