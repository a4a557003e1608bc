//! End-to-end checks of the generator on the seeds in `testdata/bench/`.

use std::collections::HashSet;
use std::path::PathBuf;

use super::packet::{self, Layout};
use super::pcap::{read_seed, SeedPacket};
use super::template::{self, FlowKind, Template};
use super::{generate, Config, DEFAULT_MIX};

fn seeds() -> Vec<Template> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/bench"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    paths.sort();
    paths
        .iter()
        .flat_map(|p| template::from_seed(p, &read_seed(p).unwrap()).0)
        .collect()
}

fn small_config(seed: u64) -> Config {
    Config {
        target_bytes: 16 << 20,
        target_flows: 2_000,
        seed,
        span_us: 60_000_000,
        start_us: 1_704_067_200_000_000,
        mix: DEFAULT_MIX.to_vec(),
    }
}

fn reparse(buf: &[u8]) -> Vec<SeedPacket> {
    let dir = std::env::temp_dir().join(format!("gen-capture-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.pcap", buf.len()));
    std::fs::write(&path, buf).unwrap();
    let pkts = read_seed(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    pkts
}

#[test]
fn templates_cover_every_kind_in_the_mix() {
    let t = seeds();
    for kind in [FlowKind::Dns, FlowKind::Tls, FlowKind::Http, FlowKind::Tcp] {
        assert!(t.iter().any(|t| t.kind == kind), "no {kind:?} template");
    }
    assert!(
        t.iter().any(|t| t.bulk.is_some()),
        "no TLS template with a bulk point"
    );
}

#[test]
fn generate_small_capture_is_valid_and_meets_targets() {
    let cfg = small_config(42);
    let (sum, buf) = generate(&seeds(), &cfg, Vec::new()).unwrap();
    assert_eq!(sum.file_bytes, buf.len() as u64);
    assert_eq!(
        sum.planned_bytes, sum.file_bytes,
        "byte planner out of step with the writer"
    );
    assert!(sum.file_bytes >= cfg.target_bytes && sum.flows >= cfg.target_flows);
    assert!(sum.bulk_bytes > 0);
    let pkts = reparse(&buf);
    assert_eq!(pkts.len() as u64, sum.packets);
    let mut tuples = HashSet::new();
    let mut last = 0;
    for p in &pkts {
        assert!(p.ts_us > last, "timestamps must increase");
        last = p.ts_us;
        let lay = Layout::parse(&p.data).expect("valid IPv4 TCP/UDP");
        assert!(packet::checksums_ok(&p.data, &lay), "bad checksum");
        let (a, b) = packet::addrs(&p.data, &lay);
        let (sp, dp) = packet::ports(&p.data, &lay);
        let key = if (a, sp) < (b, dp) {
            (lay.proto, a, sp, b, dp)
        } else {
            (lay.proto, b, dp, a, sp)
        };
        tuples.insert(key);
        let client = if a[0] == 10 { a } else { b };
        assert_eq!(client[0], 10, "client outside 10.0.0.0/8");
    }
    assert_eq!(
        tuples.len() as u64,
        sum.flows,
        "every flow is a distinct 5-tuple"
    );
    let span = sum.last_ts_us - sum.first_ts_us;
    assert!(
        span > 30_000_000,
        "flows spread over the span, got {span} µs"
    );
}

#[test]
fn generate_is_deterministic_per_seed() {
    let t = seeds();
    let a = generate(&t, &small_config(1), Vec::new()).unwrap().1;
    let b = generate(&t, &small_config(1), Vec::new()).unwrap().1;
    let c = generate(&t, &small_config(2), Vec::new()).unwrap().1;
    assert!(a == b);
    assert!(a != c);
}
