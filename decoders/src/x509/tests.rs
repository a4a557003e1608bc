//! Tests on certificates cut from the corpus captures (`testdata/decoders/x509/`).
//!
//! `decoders/tests/x509_corpus.rs` compares every fixture with the peers'
//! expectations; here are the cases that show one feature each, the OpenSSL
//! cross-check of DN and serial rendering, and the never-panic properties.

use proptest::prelude::*;

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../testdata/decoders/x509/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parsed(name: &str) -> X509Record {
    parse_certificate(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn rsa_leaf_with_san_zeek_ecdhe() {
    // Zeek baseline scripts.base.protocols.ssl.ecdhe, x509.log line 1.
    let r = parsed("zeek-tls-ecdhe-0.der");
    assert_eq!(
        r.fingerprint_sha256,
        "a97a22b691caf62c1623d14abf8a31ac915f14d87f77d8a37c47eb4785b484ad"
    );
    assert_eq!(r.version, Some(3));
    assert_eq!(r.serial, s("1E58FDC12DE4C703"));
    assert_eq!(
        r.subject,
        s("CN=*.google.com,O=Google Inc,L=Mountain View,ST=California,C=US")
    );
    assert_eq!(
        r.issuer,
        s("CN=Google Internet Authority G2,O=Google Inc,C=US")
    );
    assert_eq!(r.common_name, s("*.google.com"));
    assert_eq!(r.not_before_us, Some(1_397_045_108_000_000));
    assert_eq!(r.not_after_us, Some(1_404_777_600_000_000));
    assert_eq!(r.key_alg, s("rsaEncryption"));
    assert_eq!(r.sig_alg, s("sha1WithRSAEncryption"));
    assert_eq!(r.key_type, s("rsa"));
    assert_eq!(r.key_length, Some(2048));
    assert_eq!(r.exponent, s("65537"));
    assert_eq!(r.curve, None);
    assert_eq!(r.san_dns.len(), 46);
    assert_eq!(r.san_dns.first().map(String::as_str), Some("*.google.com"));
    assert_eq!(
        r.san_dns.last().map(String::as_str),
        Some("youtubeeducation.com")
    );
    assert!(r.san_ip.is_empty() && r.san_email.is_empty() && r.san_uri.is_empty());
    assert_eq!(r.is_ca, Some(false));
    assert_eq!(r.path_len, None);
    assert!(!r.self_signed);
    // Per-handshake fields are the TLS decoder's.
    assert_eq!(
        (r.ts_us, r.chain_index, r.host_cert, r.client_cert),
        (0, 0, false, false)
    );
}

#[test]
fn ecdsa_certs_zeek_ecdsa() {
    // Zeek baseline scripts.base.protocols.ssl.ecdsa.
    let leaf = parsed("zeek-tls-ecdsa-cert-0.der");
    assert_eq!(leaf.serial, s("F0AFBBF558BF4D1B71FED9CB33793EE4"));
    assert_eq!(
        leaf.subject,
        s("CN=pantz.org,OU=PositiveSSL,OU=Domain Control Validated")
    );
    assert_eq!(leaf.key_alg, s("id-ecPublicKey"));
    assert_eq!(leaf.sig_alg, s("ecdsa-with-SHA256"));
    assert_eq!(leaf.key_type, s("ecdsa"));
    assert_eq!(leaf.key_length, Some(384));
    assert_eq!(leaf.curve, s("secp384r1"));
    assert_eq!(leaf.exponent, None);
    assert_eq!(leaf.san_dns, vec!["pantz.org", "www.pantz.org"]);

    let ca = parsed("zeek-tls-ecdsa-cert-1.der");
    assert_eq!(ca.sig_alg, s("ecdsa-with-SHA384"));
    assert_eq!(ca.key_length, Some(256));
    assert_eq!(ca.curve, s("prime256v1"));
    assert_eq!((ca.is_ca, ca.path_len), (Some(true), Some(0)));
}

#[test]
fn v1_certificate_without_extensions() {
    // Zeek baseline for mysql encrypted: a v1 self-signed certificate.
    let r = parsed("zeek-mysql-encrypted-0.der");
    assert_eq!(r.version, Some(1));
    assert_eq!(r.serial, s("01"));
    assert_eq!(
        r.subject,
        s("O=Internet Widgits Pty Ltd,ST=Some-State,C=AU")
    );
    assert_eq!(r.issuer, r.subject);
    assert!(r.self_signed);
    assert_eq!(r.common_name, None);
    assert_eq!((r.is_ca, r.path_len), (None, None));
    assert!(r.san_dns.is_empty());
    assert_eq!(r.sig_alg, s("sha256WithRSAEncryption"));
    assert_eq!(r.not_before_us, Some(1_540_845_370_000_000));
    assert_eq!(r.not_after_us, Some(1_851_885_370_000_000));
}

#[test]
fn rdp_multi_valued_rdn_and_md5_key_alg() {
    // Zeek baseline scripts.base.protocols.rdp.rdp-x509.
    let r = parsed("zeek-rdp-rdp-x509-1.der");
    assert_eq!(r.serial, s("0100000001"));
    assert_eq!(
        r.subject,
        s("serialNumber=1BcKefYSF97EvkaiCqahPY8uPd0=\\0D\\0A+L=ncalrpc:SERVR+CN=ncalrpc:SERVR")
    );
    assert_eq!(r.issuer, s("L=TURNBKL+CN=SERVR"));
    // The key is labelled md5WithRSAEncryption; Zeek still reads it as RSA.
    assert_eq!(r.key_alg, s("md5WithRSAEncryption"));
    assert_eq!(r.sig_alg, s("sha1WithRSA"));
    assert_eq!(r.key_type, s("rsa"));
    assert_eq!(r.key_length, Some(512));
    assert_eq!(r.exponent, s("65537"));
    assert_eq!(r.common_name, s("ncalrpc:SERVR"));
}

#[test]
fn generalized_time_and_offsets() {
    // Arkime https-generalizedtime: GeneralizedTime 20090303125425Z / 20240303125425Z.
    let r = parsed("arkime-https-generalizedtime-1.der");
    assert_eq!(r.not_before_us, Some(1_236_084_865_000_000));
    assert_eq!(r.not_after_us, Some(1_709_470_465_000_000));
    // Arkime synthetic: UTCTime +0530 and GeneralizedTime -0800 (Arkime's values).
    let r = parsed("arkime-arkime_synthetic-1.der");
    assert_eq!(r.not_before_us, Some(1_736_922_600_000_000));
    assert_eq!(r.not_after_us, Some(1_768_507_200_000_000));
}

#[test]
fn extension_oid_as_dn_attribute_gets_openssl_short_name() {
    // A subject carrying a subjectAltName attribute (Suricata subjectaltname capture).
    let r = parsed("suricata-tls-tls-subjectaltname-input-0.der");
    let subject = r.subject.unwrap_or_default();
    assert!(
        subject.starts_with("subjectAltName=*.mamzon.ru www.mamzon.ru,emailAddress="),
        "{subject}"
    );
    assert_eq!(r.common_name, s("mamzon.ru"));
}

#[test]
fn names_and_serials_match_openssl_rfc2253() {
    // openssl-names.tsv: `openssl x509 -serial -subject -issuer -nameopt RFC2253`
    // (the flags Zeek uses) for every fixture.
    let tsv = String::from_utf8(fixture("openssl-names.tsv")).unwrap();
    let mut n = 0;
    for line in tsv.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, serial, subject, issuer] = cols[..] else {
            panic!("bad line {line}")
        };
        let r = parsed(file);
        assert_eq!(r.serial.as_deref(), Some(serial), "{file} serial");
        assert_eq!(r.subject.as_deref(), Some(subject), "{file} subject");
        assert_eq!(r.issuer.as_deref(), Some(issuer), "{file} issuer");
        n += 1;
    }
    assert!(n > 40);
}

#[test]
fn serial_rendering_edge_cases() {
    assert_eq!(render_serial(&[0x00]), "00");
    assert_eq!(render_serial(&[]), "00");
    assert_eq!(render_serial(&[0x00, 0x8a, 0x07]), "8A07");
    assert_eq!(render_serial(&[0xff]), "-01");
    assert_eq!(render_serial(&[0xff, 0x00]), "-0100");
    let long = [0x11u8; 36];
    let r = render_serial(&long);
    assert_eq!(r.len(), 72 + 2);
    assert_eq!(&r[70..72], "\\\n");
}

#[test]
fn ja4x_only_with_feature() {
    let r = parsed("arkime-https3-301-get-0.der");
    if cfg!(feature = "ja4plus") {
        // FoxIO's snapshot for https3-301-get, github.com leaf.
        assert_eq!(
            r.ja4x.as_deref(),
            Some("7d5dbb3783b4_59b7510e6266_5e17a2514980")
        );
    } else {
        assert_eq!(r.ja4x, None);
    }
}

#[test]
fn truncated_certificate_is_an_error_at_every_length() {
    let der = fixture("zeek-tls-ecdsa-cert-0.der");
    for len in 0..der.len() {
        let err = parse_certificate(&der[..len]).expect_err("truncated parse");
        assert_eq!(err.weird_name(), "x509_malformed");
    }
    // Trailing bytes after the certificate are ignored, as by d2i_X509.
    let mut padded = der.clone();
    padded.extend_from_slice(&[0, 1, 2]);
    let r = parse_certificate(&padded).unwrap();
    assert_eq!(r.serial, s("F0AFBBF558BF4D1B71FED9CB33793EE4"));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_certificate(&bytes);
    }

    #[test]
    fn mutated_certificates_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        for name in ["zeek-rdp-rdp-x509-1.der", "zeek-tls-ecdsa-cert-0.der", "arkime-badcurveball-1.der"] {
            let mut der = fixture(name);
            for (i, b) in &flips {
                let at = i.index(der.len());
                der[at] ^= b;
            }
            let _ = parse_certificate(&der);
        }
    }
}
