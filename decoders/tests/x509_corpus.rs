//! Every certificate of `testdata/decoders/x509/` against what the peers
//! (Zeek's x509.log, Arkime's `cert[]`, FoxIO's JA4X) logged for the capture it
//! was cut from (`testdata/corpus/expected/<pcap>.jsonl`), field by field.
//!
//! A Zeek or JA4 expectation of a listed capture without a matching fixture is
//! a failure, so the fixtures cannot silently drift from the expectations.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use decoders::x509::{parse_certificate, X509Record};
use serde_json::Value;

/// Captures the fixtures were cut from (see the fixtures' README).
const PCAPS: &[&str] = &[
    "zeek-tls-ecdhe.pcap",
    "zeek-tls-ecdsa-cert.pcap",
    "zeek-tls-telesec.pcap",
    "zeek-tls-tls-conn-with-extensions.pcap",
    "zeek-tls-tls1.2-late-protocol-error.pcap",
    "zeek-tls-xmpp-starttls.pcap",
    "zeek-tls-irc-starttls.pcap",
    "zeek-mysql-encrypted.pcap",
    "zeek-rdp-rdp-x509.pcap",
    "arkime-arkime_synthetic.pcap",
    "arkime-badcurveball.pcap",
    "arkime-https-connect.pcap",
    "arkime-https-generalizedtime.pcap",
    "arkime-https3-301-get.pcap",
    "arkime-mysql-tls.pcap",
    "arkime-openssl-tls1_2-tls1.pcap",
    "suricata-ldap-starttls-input.pcap",
    "ja4-badcurveball.pcap",
    "ja4-http2-with-cookies.pcapng",
    "ja4-ssh2.pcapng",
];

struct Fixture {
    name: String,
    der: Vec<u8>,
    rec: X509Record,
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

fn fixtures() -> Vec<Fixture> {
    let dir = testdata().join("decoders/x509");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixture dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("der") {
            continue;
        }
        let der = std::fs::read(&path).expect("read fixture");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rec = parse_certificate(&der).unwrap_or_else(|e| panic!("{name}: {e}"));
        out.push(Fixture { name, der, rec });
    }
    assert!(out.len() > 40, "fixtures missing: {}", out.len());
    out
}

fn expectations(peer: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for pcap in PCAPS {
        let path = testdata().join(format!("corpus/expected/{pcap}.jsonl"));
        let text = std::fs::read_to_string(&path).expect("expected file");
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).expect("json line");
            if v["kind"] == "x509" && v["peer"] == peer {
                out.push((pcap.to_string(), v));
            }
        }
    }
    out
}

fn opt_str(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(String::from)
}

fn opt_i32(v: &Value, k: &str) -> Option<i32> {
    v.get(k)
        .and_then(Value::as_i64)
        .map(|n| i32::try_from(n).unwrap())
}

fn str_list(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn secs_to_us(v: &Value, k: &str) -> Option<i64> {
    v.get(k)
        .and_then(Value::as_f64)
        .map(|s| (s as i64) * 1_000_000)
}

#[test]
fn zeek_x509_log_field_by_field() {
    let fx = fixtures();
    let by_sha256: HashMap<&str, &Fixture> = fx
        .iter()
        .map(|f| (f.rec.fingerprint_sha256.as_str(), f))
        .collect();
    let exp = expectations("zeek");
    assert!(exp.len() >= 19, "zeek expectations: {}", exp.len());
    for (pcap, e) in &exp {
        let sha = e["sha256"].as_str().unwrap();
        let f = by_sha256
            .get(sha)
            .unwrap_or_else(|| panic!("{pcap}: no fixture with sha256 {sha}"));
        let r = &f.rec;
        let ctx = format!("{pcap} / {}", f.name);
        assert_eq!(r.version, opt_i32(e, "version"), "{ctx} version");
        assert_eq!(r.serial, opt_str(e, "serial"), "{ctx} serial");
        assert_eq!(r.subject, opt_str(e, "subject"), "{ctx} subject");
        assert_eq!(r.issuer, opt_str(e, "issuer"), "{ctx} issuer");
        assert_eq!(
            r.not_before_us,
            secs_to_us(e, "not_before"),
            "{ctx} not_before"
        );
        assert_eq!(
            r.not_after_us,
            secs_to_us(e, "not_after"),
            "{ctx} not_after"
        );
        assert_eq!(r.key_alg, opt_str(e, "key_alg"), "{ctx} key_alg");
        assert_eq!(r.sig_alg, opt_str(e, "sig_alg"), "{ctx} sig_alg");
        assert_eq!(r.key_type, opt_str(e, "key_type"), "{ctx} key_type");
        assert_eq!(r.key_length, opt_i32(e, "key_length"), "{ctx} key_length");
        assert_eq!(r.exponent, opt_str(e, "exponent"), "{ctx} exponent");
        assert_eq!(r.curve, opt_str(e, "curve"), "{ctx} curve");
        assert_eq!(r.san_dns, str_list(e, "san_dns"), "{ctx} san_dns");
        assert_eq!(r.san_uri, str_list(e, "san_uri"), "{ctx} san_uri");
        assert_eq!(r.san_email, str_list(e, "san_email"), "{ctx} san_email");
        assert_eq!(r.san_ip, str_list(e, "san_ip"), "{ctx} san_ip");
        assert_eq!(r.is_ca, e.get("ca").and_then(Value::as_bool), "{ctx} ca");
        assert_eq!(r.path_len, opt_i32(e, "path_len"), "{ctx} path_len");
        assert_eq!(r.fingerprint_sha256, sha, "{ctx}");
    }
}

/// Arkime's serial is the DER content in lower-case hex (sign octet kept).
fn arkime_serial(s: &str) -> String {
    let s = s.to_ascii_uppercase();
    match s.strip_prefix("00") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s,
    }
}

#[test]
fn arkime_cert_fields() {
    let fx = fixtures();
    let by_sha1: HashMap<&str, &Fixture> = fx
        .iter()
        .map(|f| (f.rec.fingerprint_sha1.as_str(), f))
        .collect();
    let mut checked = 0;
    for (pcap, e) in expectations("arkime") {
        let sha1 = e["sha1"].as_str().unwrap();
        // Arkime lists some certificates of sessions we did not cut fixtures for.
        let Some(f) = by_sha1.get(sha1) else { continue };
        let r = &f.rec;
        let ctx = format!("{pcap} / {}", f.name);
        checked += 1;
        assert_eq!(
            r.serial.as_deref(),
            Some(arkime_serial(e["serial"].as_str().unwrap()).as_str()),
            "{ctx} serial"
        );
        assert_eq!(r.not_before_us, secs_to_us(&e, "not_before"), "{ctx}");
        assert_eq!(r.not_after_us, secs_to_us(&e, "not_after"), "{ctx}");
        assert_eq!(r.key_alg, opt_str(&e, "key_alg"), "{ctx} key_alg");
        // Arkime says "corrupt" for a curve it cannot name; Zeek (and we) log none.
        match opt_str(&e, "curve").as_deref() {
            Some("corrupt") => assert_eq!(r.curve, None, "{ctx} curve"),
            c => assert_eq!(r.curve.as_deref(), c, "{ctx} curve"),
        }
        let mut sans: Vec<String> = r.san_dns.iter().chain(&r.san_ip).cloned().collect();
        sans.extend(r.san_email.iter().cloned());
        assert_eq!(sans, str_list(&e, "san"), "{ctx} san");
        // Arkime lower-cases CNs and lists them all; ours is the last one.
        let cns = str_list(&e, "subject_cn");
        match &r.common_name {
            Some(cn) => assert!(cns.contains(&cn.to_lowercase()), "{ctx} cn {cn} {cns:?}"),
            None => assert!(cns.is_empty(), "{ctx} cn"),
        }
    }
    assert!(checked >= 15, "arkime certificates checked: {checked}");
}

/// First CN as FoxIO's reference takes it (x509-parser `as_str`).
fn first_cn(der: &[u8], issuer: bool) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let name = if issuer {
        cert.issuer()
    } else {
        cert.subject()
    };
    let cn = name.iter_common_name().next()?;
    cn.as_str().ok().map(String::from)
}

#[test]
fn ja4x_matches_foxio() {
    let fx = fixtures();
    let exp = expectations("ja4");
    assert!(exp.len() >= 15, "ja4 expectations: {}", exp.len());
    for (pcap, e) in &exp {
        let subject_cn = opt_str(e, "subject_cn");
        let issuer_cn = opt_str(e, "issuer_cn");
        let want = e["ja4x"].as_str().unwrap();
        let found: Vec<&Fixture> = fx
            .iter()
            .filter(|f| {
                first_cn(&f.der, false) == subject_cn && first_cn(&f.der, true) == issuer_cn
            })
            .collect();
        assert!(
            !found.is_empty(),
            "{pcap}: no fixture for {subject_cn:?} / {issuer_cn:?}"
        );
        let got: Vec<Option<&str>> = found.iter().map(|f| f.rec.ja4x.as_deref()).collect();
        if cfg!(feature = "ja4plus") {
            assert!(got.contains(&Some(want)), "{pcap}: {want} not in {got:?}");
        } else {
            assert!(
                got.iter().all(Option::is_none),
                "{pcap}: ja4x without ja4plus"
            );
        }
    }
}
