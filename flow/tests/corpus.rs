//! Feeds real pcaps through a `FlowTracker` and compares flow records with Zeek's conn.log
//! values (copied from the shared corpus into `testdata/flow/`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use flow::{
    community_id, community_id_with_seed, Chunk, Dir, FlowConfig, FlowHandler, FlowMeta,
    FlowRecord, FlowTracker, Interest, LinkType, Packet,
};
use serde_json::Value;

/// One pcap record: timestamp (µs), original length, captured bytes.
type Record<'a> = (i64, u32, &'a [u8]);

/// Minimal classic-pcap reader (both byte orders, micro- and nanosecond variants).
fn read_pcap(bytes: &[u8]) -> Option<(u32, Vec<Record<'_>>)> {
    let magic = bytes.get(..4)?;
    let (le, nanos) = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => (true, false),
        [0xa1, 0xb2, 0xc3, 0xd4] => (false, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (true, true),
        [0xa1, 0xb2, 0x3c, 0x4d] => (false, true),
        _ => return None,
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let link = u32_at(20)? & 0x0fff_ffff;
    let mut out = Vec::new();
    let mut off = 24;
    while let (Some(sec), Some(frac), Some(incl), Some(orig)) = (
        u32_at(off),
        u32_at(off + 4),
        u32_at(off + 8),
        u32_at(off + 12),
    ) {
        let start = off + 16;
        let data = bytes.get(start..start + incl as usize)?;
        let us = if nanos {
            i64::from(frac) / 1000
        } else {
            i64::from(frac)
        };
        out.push((i64::from(sec) * 1_000_000 + us, orig, data));
        off = start + incl as usize;
    }
    Some((link, out))
}

#[derive(Debug, Clone)]
struct Got {
    id: u64,
    tunnel_parents: Vec<u64>,
    ip_proto: u8,
    orig_h: String,
    orig_p: u16,
    resp_h: String,
    resp_p: u16,
    proto: String,
    vals: HashMap<&'static str, Value>,
    community_id: String,
    /// With seed 7, as the Suricata community-id tests configure.
    community_id_seed7: String,
}

#[derive(Default)]
struct H {
    got: Vec<Got>,
}

impl FlowHandler for H {
    type App = ();
    fn payload(
        &mut self,
        _f: &FlowMeta,
        _a: &mut (),
        _d: Dir,
        _ts: i64,
        _c: Chunk<'_>,
    ) -> Interest {
        Interest::Continue
    }
    fn flow_record(&mut self, r: &FlowRecord<'_>, _a: &mut ()) {
        if !r.is_final {
            return;
        }
        let k = &r.meta.key;
        let mut vals = HashMap::new();
        vals.insert("conn_state", Value::from(r.state));
        vals.insert("history", Value::from(r.history));
        vals.insert("orig_pkts", Value::from(r.orig_pkts));
        vals.insert("resp_pkts", Value::from(r.resp_pkts));
        vals.insert("orig_ip_bytes", Value::from(r.orig_ip_bytes));
        vals.insert("resp_ip_bytes", Value::from(r.resp_ip_bytes));
        vals.insert("orig_seq_bytes", Value::from(r.orig_bytes));
        vals.insert("resp_seq_bytes", Value::from(r.resp_bytes));
        vals.insert("missed_bytes", Value::from(r.missed_bytes));
        vals.insert("orig_frame_bytes", Value::from(r.orig_l2_bytes));
        vals.insert("resp_frame_bytes", Value::from(r.resp_l2_bytes));
        vals.insert("orig_payload_bytes", Value::from(r.orig_bytes));
        vals.insert("resp_payload_bytes", Value::from(r.resp_bytes));
        let dur = (r.end_ts_us - r.meta.start_ts_us) as f64 / 1e6;
        vals.insert("duration", Value::from(dur));
        self.got.push(Got {
            id: r.meta.id,
            tunnel_parents: r.tunnel_parents.to_vec(),
            ip_proto: k.proto,
            orig_h: k.src_ip.to_string(),
            orig_p: k.src_port,
            resp_h: k.dst_ip.to_string(),
            resp_p: k.dst_port,
            proto: k
                .proto_name()
                .map(str::to_string)
                .unwrap_or_else(|| k.proto.to_string()),
            vals,
            community_id: community_id(k),
            community_id_seed7: community_id_with_seed(k, 7),
        });
    }
    fn weird(&mut self, _f: Option<&FlowMeta>, _ts: i64, _n: &'static str, _addl: &str) {}
}

fn run(pcap: &Path) -> Vec<Got> {
    let bytes = std::fs::read(pcap).unwrap();
    let (link, pkts) = read_pcap(&bytes).expect("classic pcap");
    let mut t: FlowTracker<()> = FlowTracker::new(FlowConfig::default(), 0);
    let mut h = H::default();
    for (ts, wire_len, data) in pkts {
        t.process(
            LinkType(link),
            Packet {
                ts_us: ts,
                wire_len,
                data,
            },
            &mut h,
        );
    }
    t.finish(&mut h);
    h.got
}

const FIELDS: [&str; 9] = [
    "conn_state",
    "history",
    "orig_pkts",
    "resp_pkts",
    "orig_ip_bytes",
    "resp_ip_bytes",
    "orig_seq_bytes",
    "resp_seq_bytes",
    "missed_bytes",
];

/// Compares our records with the Zeek flow records of `expected`; returns mismatch lines.
fn compare(got: &[Got], expected: &str) -> (usize, Vec<String>) {
    let mut errs = Vec::new();
    let mut n = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let e: Value = serde_json::from_str(line).unwrap();
        if e["kind"] != "flow" || e["peer"] != "zeek" {
            continue;
        }
        n += 1;
        let key = (
            e["orig_h"].as_str().unwrap_or("").to_string(),
            e["orig_p"].as_u64().unwrap_or(0) as u16,
            e["resp_h"].as_str().unwrap_or("").to_string(),
            e["resp_p"].as_u64().unwrap_or(0) as u16,
            e["proto"].as_str().unwrap_or("").to_string(),
        );
        // Zeek may log several connections with one 5-tuple (port reuse): any may match.
        // Zeek logs ICMPv6 as "icmp".
        let proto_of = |g: &Got| match g.proto.as_str() {
            "icmp6" => "icmp".to_string(),
            p => p.to_string(),
        };
        let cands: Vec<&Got> = got
            .iter()
            .filter(|g| {
                (
                    g.orig_h.clone(),
                    g.orig_p,
                    g.resp_h.clone(),
                    g.resp_p,
                    proto_of(g),
                ) == key
            })
            .collect();
        if cands.is_empty() {
            errs.push(format!("{key:?}: no flow"));
            continue;
        }
        let mismatches = |g: &Got| -> Vec<String> {
            FIELDS
                .iter()
                .filter_map(|f| {
                    let want = e.get(*f)?;
                    let have = &g.vals[*f];
                    (want != have).then(|| format!("{key:?} {f}: want {want} have {have}"))
                })
                .chain(e.get("duration").and_then(|want| {
                    // Zeek prints 6 decimals; ours is exact in microseconds.
                    let have = g.vals["duration"].as_f64()?;
                    let off = (want.as_f64()? - have).abs() > 1.5e-6;
                    off.then(|| format!("{key:?} duration: want {want} have {have}"))
                }))
                .collect()
        };
        let best = cands
            .iter()
            .map(|g| mismatches(g))
            .min_by_key(|m| m.len())
            .unwrap_or_default();
        errs.extend(best);
    }
    (n, errs)
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/flow")
}

#[test]
fn zeek_conn_values_match() {
    let dir = testdata();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) != Some("pcap") {
            continue;
        }
        let exp = std::fs::read_to_string(p.with_extension("pcap.jsonl")).unwrap();
        let got = run(&p);
        let (n, errs) = compare(&got, &exp);
        assert!(errs.is_empty(), "{}: {errs:#?}", p.display());
        checked += n;
    }
    assert!(checked >= 5, "only {checked} flows checked");
}

#[test]
fn community_ids_match_corpus() {
    let dir = testdata();
    let mut checked = 0;
    for name in [
        "suricata-community-id-ipv4-input.pcap",
        "suricata-community-id-ipv6-input.pcap",
    ] {
        let p = dir.join(name);
        let got = run(&p);
        let exp = std::fs::read_to_string(p.with_extension("pcap.jsonl")).unwrap();
        for line in exp.lines() {
            let e: Value = serde_json::from_str(line).unwrap();
            let Some(cid) = e["community_id"].as_str() else {
                continue;
            };
            let want_port = e["orig_p"].as_u64();
            let found = got.iter().any(|g| g.community_id_seed7 == cid);
            assert!(
                found,
                "community id {cid} ({want_port:?}) not produced: {:?}",
                got.iter().map(|g| &g.community_id).collect::<Vec<_>>()
            );
            checked += 1;
        }
    }
    assert!(checked >= 6);
}

/// Development aid: compares every Zeek flow expectation of the shared corpus.
/// Run with `NETLAKE_CORPUS=/work/shared/testdata/corpus cargo test -p flow -- --ignored --nocapture`.
#[test]
#[ignore]
fn shared_corpus_report() {
    let Ok(root) = std::env::var("NETLAKE_CORPUS") else {
        return;
    };
    let root = PathBuf::from(root);
    let (mut total, mut bad_flows) = (0, 0);
    let mut paths: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let exp_path = root.join("expected").join(format!("{name}.jsonl"));
        let Ok(exp) = std::fs::read_to_string(&exp_path) else {
            continue;
        };
        if !exp.contains("\"peer\": \"zeek\"") || !exp.contains("\"kind\": \"flow\"") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        if read_pcap(&bytes).is_none() {
            println!("{name}: not classic pcap");
            continue;
        }
        let got = run(&p);
        let (n, errs) = compare(&got, &exp);
        total += n;
        bad_flows += errs.len();
        for e in errs.iter().take(8) {
            println!("{name}: {e}");
        }
    }
    println!("zeek flows: {total}, mismatches: {bad_flows}");
    // Community IDs stated by Arkime (seed 0).
    let (mut cid_total, mut cid_bad) = (0, 0);
    for entry in std::fs::read_dir(root.join("expected")).unwrap() {
        let ep = entry.unwrap().path();
        let name = ep.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("arkime-") {
            continue;
        }
        let pcap = root.join(name.trim_end_matches(".jsonl"));
        let Ok(bytes) = std::fs::read(&pcap) else {
            continue;
        };
        if read_pcap(&bytes).is_none() {
            continue;
        }
        let got = run(&pcap);
        for line in std::fs::read_to_string(&ep).unwrap().lines() {
            let e: Value = serde_json::from_str(line).unwrap();
            let Some(cid) = e["community_id"].as_str() else {
                continue;
            };
            if e["kind"] != "flow" {
                continue;
            }
            cid_total += 1;
            if !got.iter().any(|g| g.community_id == cid) {
                cid_bad += 1;
                println!(
                    "{name}: community id {cid} missing for {} {} {} {} {}",
                    e["proto"], e["orig_h"], e["orig_p"], e["resp_h"], e["resp_p"]
                );
            }
        }
    }
    println!("arkime community ids: {cid_total}, missing: {cid_bad}");
}

fn same_tuple(g: &Got, e: &Value) -> bool {
    g.orig_h == e["orig_h"].as_str().unwrap_or("")
        && u64::from(g.orig_p) == e["orig_p"].as_u64().unwrap_or(0)
        && g.resp_h == e["resp_h"].as_str().unwrap_or("")
        && u64::from(g.resp_p) == e["resp_p"].as_u64().unwrap_or(0)
        && g.proto == e["proto"].as_str().unwrap_or("")
}

/// Inner flows of VXLAN, GRE/PPTP (inside IP-in-IP) and ERSPAN-in-GRE carrying VXLAN-GPE
/// get their own records, with the outer flow as tunnel parent.
#[test]
fn tunnels_decapsulated_with_parents() {
    let dir = testdata();
    let mut checked = 0;
    for name in [
        "zeek-tunnels-vxlan-encapsulated-http.pcap",
        "zeek-tunnels-gre-pptp.pcap",
        "arkime-gre-erspan-vxlan.pcap",
    ] {
        let p = dir.join(name);
        let got = run(&p);
        let exp = std::fs::read_to_string(p.with_extension("pcap.jsonl")).unwrap();
        let lines: Vec<Value> = exp
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|e: &Value| e["kind"] == "flow")
            .collect();
        for e in &lines {
            let g = got
                .iter()
                .find(|g| same_tuple(g, e))
                .unwrap_or_else(|| panic!("{name}: no flow for {e}"));
            for f in [
                "orig_pkts",
                "resp_pkts",
                "orig_ip_bytes",
                "resp_ip_bytes",
                "orig_payload_bytes",
                "resp_payload_bytes",
                "orig_frame_bytes",
                "resp_frame_bytes",
                "conn_state",
                "history",
            ] {
                if let Some(want) = e.get(f) {
                    assert_eq!(want, &g.vals[f], "{name} {f} of {e}");
                }
            }
            if let Some(cid) = e["community_id"].as_str() {
                assert_eq!(cid, g.community_id, "{name}");
            }
            if let Some(parents) = e["tunnel_parents"].as_array() {
                assert_eq!(parents.len(), 1);
                assert_eq!(g.tunnel_parents.len(), 1, "{name}: {g:?}");
                let parent = got.iter().find(|o| o.id == g.tunnel_parents[0]).unwrap();
                // Zeek names the parent by uid: when it logged that flow, it must be ours.
                if let Some(pe) = lines.iter().find(|x| x["peer_uid"] == parents[0]) {
                    assert!(same_tuple(parent, pe), "{name}: parent {parent:?}");
                }
            }
            checked += 1;
        }
        // Every tunnelled flow's parent is a flow of the same capture.
        let inner = got.iter().filter(|g| !g.tunnel_parents.is_empty()).count();
        assert!(inner >= 1, "{name}: no inner flow");
        for g in got.iter().filter(|g| !g.tunnel_parents.is_empty()) {
            assert!(got.iter().any(|o| o.id == g.tunnel_parents[0]));
        }
    }
    assert!(checked >= 4, "{checked}");
    // ERSPAN (GRE) -> VXLAN-GPE (UDP) -> TCP: two levels, each parented by the next one out.
    let got = run(&dir.join("arkime-gre-erspan-vxlan.pcap"));
    let tcp = got.iter().find(|g| g.proto == "tcp").unwrap();
    let udp = got.iter().find(|g| g.id == tcp.tunnel_parents[0]).unwrap();
    assert_eq!((udp.proto.as_str(), udp.resp_p), ("udp", 4790));
    let gre = got.iter().find(|g| g.id == udp.tunnel_parents[0]).unwrap();
    assert!(gre.tunnel_parents.is_empty());
    assert_eq!(gre.ip_proto, 47);
}

/// Development aid: prints our final records for one capture.
/// Run with `NETLAKE_PCAP=path cargo test -p flow --test corpus dump_pcap -- --ignored --nocapture`.
#[test]
#[ignore]
fn dump_pcap() {
    let Ok(p) = std::env::var("NETLAKE_PCAP") else {
        return;
    };
    for g in run(Path::new(&p)) {
        println!(
            "{} {}:{} -> {}:{} pkts {}/{} ip {}/{} {} {} dur {} parents {:?}",
            g.proto,
            g.orig_h,
            g.orig_p,
            g.resp_h,
            g.resp_p,
            g.vals["orig_pkts"],
            g.vals["resp_pkts"],
            g.vals["orig_ip_bytes"],
            g.vals["resp_ip_bytes"],
            g.vals["conn_state"],
            g.vals["history"],
            g.vals["duration"],
            g.tunnel_parents,
        );
    }
}
