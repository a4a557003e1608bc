//! TLS, X.509, HTTP and file extraction as a user sees them: the real binary on
//! real captures from the corpus.

mod common;

use common::{netlake, of, replay_jsonl, testdata};

fn corpus(name: &str) -> String {
    testdata()
        .join("corpus")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn tls_session_links_its_certificates_and_flow() {
    let (out, recs) = replay_jsonl(&[&corpus("zeek-tls-ecdhe.pcap")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tls = of(&recs, "tls");
    assert_eq!(tls.len(), 1, "{tls:?}");
    let t = tls[0];
    // Zeek's ssl.log for this capture.
    assert_eq!(t["version"], "TLSv12");
    assert_eq!(t["cipher"], "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA");
    assert_eq!(t["curve"], "secp256r1");
    assert_eq!(t["established"], true);
    let certs = of(&recs, "x509");
    let chain: Vec<&str> = t["cert_chain_fps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(chain.len(), 3);
    for (i, fp) in chain.iter().enumerate() {
        let c = certs
            .iter()
            .find(|c| c["fingerprint_sha256"] == *fp)
            .unwrap_or_else(|| panic!("no x509 record for {fp}"));
        assert_eq!(c["chain_index"], i);
        assert_eq!(c["uid"], t["uid"]);
        assert_eq!(c["host_cert"], i == 0, "only the leaf is the host's");
    }
    assert_eq!(t["subject"], certs[0]["subject"]);
    let flow = of(&recs, "flow");
    assert!(flow
        .iter()
        .any(|f| f["uid"] == t["uid"] && f["app_proto"] == "tls"));
}

#[test]
fn tls_after_starttls_is_found_mid_stream() {
    let (_, recs) = replay_jsonl(&[&corpus("zeek-tls-xmpp-starttls.pcap")]);
    let tls = of(&recs, "tls");
    assert_eq!(tls.len(), 1, "{tls:?}");
    assert_eq!(tls[0]["dst_port"], 5222);
    assert!(!of(&recs, "x509").is_empty());
}

#[test]
fn quic_initial_gives_a_udp_tls_record_with_q_ja4() {
    let (_, recs) = replay_jsonl(&[&corpus("arkime-quicietf.pcap")]);
    let tls = of(&recs, "tls");
    assert_eq!(tls.len(), 1, "{tls:?}");
    assert_eq!(tls[0]["proto"], "udp");
    assert_eq!(tls[0]["server_name"], "ssl.gstatic.com");
    assert!(tls[0]["ja4"].as_str().unwrap().starts_with("q13"));
}

#[test]
fn decoders_flag_turns_tls_off() {
    let (out, recs) = replay_jsonl(&["--decoders", "dns", &corpus("zeek-tls-ecdhe.pcap")]);
    assert!(out.status.success());
    assert!(of(&recs, "tls").is_empty());
    assert!(!of(&recs, "flow").is_empty(), "flows are still tracked");
    let bad = netlake()
        .args([
            "replay",
            "--decoders",
            "dns,gopher",
            &corpus("zeek-tls-ecdhe.pcap"),
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("gopher"));
}

#[test]
fn http_bodies_are_hashed_and_extracted_by_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("files");
    let (out, recs) = replay_jsonl(&[
        "--extract-files",
        store.to_str().unwrap(),
        &corpus("zeek-http-get-gzip.pcap"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let http = of(&recs, "http");
    assert_eq!(http.len(), 1, "{http:?}");
    let files = of(&recs, "files");
    assert_eq!(files.len(), 1, "{files:?}");
    let f = files[0];
    assert_eq!(http[0]["resp_fuids"][0], f["fuid"]);
    let sha = f["sha256"].as_str().unwrap();
    let rel = f["extracted"].as_str().unwrap();
    assert_eq!(rel, format!("{}/{sha}", &sha[..2]));
    let body = std::fs::read(store.join(rel)).unwrap();
    assert_eq!(body.len() as u64, f["seen_bytes"].as_u64().unwrap());
    // Extracting the same capture again stores nothing new.
    let again = netlake()
        .args(["replay", "--sink", "jsonl:/dev/null", "--extract-files"])
        .arg(&store)
        .arg(corpus("zeek-http-get-gzip.pcap"))
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&again.stderr);
    assert!(
        summary.contains("extracted files already stored 1"),
        "{summary}"
    );
}
