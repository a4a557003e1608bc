//! End-to-end behaviour of `netlake replay`, `sql` and `schema` as a user sees it:
//! the real binary on real captures.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::{netlake, of, replay_jsonl, testdata};
use serde_json::Value;

fn sample() -> String {
    testdata()
        .join("sample/sample.pcap")
        .to_string_lossy()
        .into_owned()
}

fn sorted_lines(recs: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = recs.iter().map(|r| r.to_string()).collect();
    v.sort();
    v
}

#[test]
fn jsonl_records_follow_the_schema_conventions() {
    let pcap = testdata().join("corpus/zeek-dns-two-responses.pcap");
    let (out, recs) = replay_jsonl(&[pcap.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dns = of(&recs, "dns");
    assert!(!dns.is_empty());
    let flows = of(&recs, "flow");
    assert!(!flows.is_empty());
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        assert!(line.starts_with("{\"dataset\":"), "dataset first: {line}");
        assert!(!line.contains(":null"), "nulls are omitted: {line}");
    }
    for r in &recs {
        let ts = r["ts"].as_str().unwrap();
        assert!(
            ts.ends_with('Z') && ts.len() == "2009-11-18T11:45:08.123456Z".len(),
            "{ts}"
        );
        assert!(r["uid"].as_str().unwrap().starts_with('C'));
        assert!(r["community_id"].as_str().unwrap().starts_with("1:"));
    }
    // The DNS record and its flow share the uid.
    let uid = dns[0]["uid"].as_str().unwrap();
    assert!(flows.iter().any(|f| f["uid"] == uid));
    // Zeek's dns.log for this capture: a query for www.cmu.edu answered twice.
    assert!(
        dns.iter()
            .all(|d| d["query"] == "www.cmu.edu" && d["trans_id"] == 21140),
        "{dns:?}"
    );
    assert_eq!(dns.len(), 2);
}

#[test]
fn parquet_lake_lands_hive_partitions_and_sql_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let out = netlake()
        .args(["replay", "--quiet", "--sink"])
        .arg(format!("parquet:{}", lake.display()))
        .arg(sample())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files = Vec::new();
    walk(&lake, &mut files);
    assert!(
        files
            .iter()
            .any(|f| f.contains("/dns/date=2024-01-01/hour=00/") && f.ends_with(".parquet")),
        "{files:?}"
    );
    assert!(files.iter().any(|f| f.contains("/flow/date=")), "{files:?}");
    assert!(
        !files.iter().any(|f| f.ends_with(".tmp")),
        "temporary files left: {files:?}"
    );

    // The same number of DNS records as the JSON-lines sink produces.
    let (_, recs) = replay_jsonl(&[&sample()]);
    let want = of(&recs, "dns").len();
    let csv = netlake()
        .args(["sql", "--lake"])
        .arg(&lake)
        .args(["--format", "csv", "SELECT count(*) AS n FROM dns"])
        .output()
        .unwrap();
    assert!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    let text = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(text.trim(), format!("n\n{want}"));

    let json = netlake()
        .args(["sql", "--lake"])
        .arg(&lake)
        .args(["--format", "json", "SELECT query, count(*) AS c FROM dns WHERE date = '2024-01-01' GROUP BY query ORDER BY c DESC, query LIMIT 3"])
        .output()
        .unwrap();
    assert!(
        json.status.success(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let rows = common::parse_jsonl(&json.stdout);
    assert_eq!(rows.len(), 3);
    assert!(rows[0]["c"].as_i64().unwrap() >= rows[1]["c"].as_i64().unwrap());

    let table = netlake()
        .args(["sql", "--lake"])
        .arg(&lake)
        .arg("SELECT state, count(*) AS n FROM flow GROUP BY state ORDER BY n DESC")
        .output()
        .unwrap();
    assert!(table.status.success());
    assert!(String::from_utf8_lossy(&table.stdout).contains("SF"));

    let missing = netlake()
        .args(["sql", "--lake"])
        .arg(&lake)
        .arg("SELECT * FROM smb")
        .output()
        .unwrap();
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("smb") && err.contains("dns"),
        "error names the table and the datasets present: {err}"
    );
}

fn walk(p: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(p).unwrap().flatten() {
        let path = e.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn worker_count_does_not_change_the_records() {
    let (a, one) = replay_jsonl(&["--workers", "1", &sample()]);
    let (b, two) = replay_jsonl(&["--workers", "2", &sample()]);
    assert!(a.status.success() && b.status.success());
    assert!(of(&one, "flow").len() > 300);
    assert_eq!(sorted_lines(&one), sorted_lines(&two));
}

#[test]
fn compressed_directory_and_stdin_inputs_give_the_same_records() {
    let plain = std::fs::read(sample()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("sample.pcap.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&plain).unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    let zst_dir = dir.path().join("d");
    std::fs::create_dir(&zst_dir).unwrap();
    std::fs::write(
        zst_dir.join("sample.pcap.zst"),
        zstd::encode_all(&plain[..], 3).unwrap(),
    )
    .unwrap();

    let (_, want) = replay_jsonl(&[&sample()]);
    let want = sorted_lines(&want);
    let (o1, from_gz) = replay_jsonl(&[gz.to_str().unwrap()]);
    assert!(o1.status.success());
    assert_eq!(sorted_lines(&from_gz), want);
    let (o2, from_dir) = replay_jsonl(&[zst_dir.to_str().unwrap()]);
    assert!(o2.status.success());
    assert_eq!(sorted_lines(&from_dir), want);

    let mut child = netlake()
        .args([
            "replay",
            "--quiet",
            "--uid-seed",
            "1",
            "--sink",
            "jsonl:-",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&plain));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(out.status.success());
    assert_eq!(sorted_lines(&common::parse_jsonl(&out.stdout)), want);
}

#[test]
fn truncated_capture_reports_file_and_offset_and_keeps_what_was_read() {
    let junk_tail = tempfile::tempdir().unwrap();
    let bad = junk_tail.path().join("bad.pcap");
    let mut bytes = std::fs::read(sample()).unwrap();
    // A record header claiming a 200 MB packet: corrupt, not merely cut short.
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 12]);
    bytes.extend_from_slice(&[0u8; 64]);
    std::fs::write(&bad, &bytes).unwrap();
    let out = netlake()
        .args(["replay", "--sink", "jsonl:/dev/null"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "corrupt data fails the run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.pcap") && err.contains("offset"), "{err}");

    let plain = std::fs::read(sample()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &plain[..plain.len() / 2 + 7]).unwrap();
    let out = netlake()
        .args(["replay", "--uid-seed", "1", "--sink", "jsonl:-"])
        .arg(&cut)
        .output()
        .unwrap();
    // Like Zeek and Wireshark: a capture cut in its last record is read up to the
    // cut, reported with the file and offset, and counted; not a failed run.
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cut.pcap")
            && err.contains("offset")
            && err.contains("truncated input files 1"),
        "{err}"
    );
    let recs = common::parse_jsonl(&out.stdout);
    assert!(
        of(&recs, "flow").len() > 100,
        "records before the cut are written"
    );
}

#[test]
fn garbage_input_and_bad_config_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture file at all").unwrap();
    let out = netlake()
        .args(["replay", "--sink", "jsonl:-"])
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("junk.pcap: not a pcap or pcapng file"));

    let bad_sink = netlake()
        .args(["replay", "--sink", "s3-please:x", &sample()])
        .output()
        .unwrap();
    assert_eq!(bad_sink.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_sink.stderr).contains("unknown sink kind"));

    let bad_workers = netlake()
        .args(["replay", "--workers", "0", &sample()])
        .output()
        .unwrap();
    assert_eq!(bad_workers.status.code(), Some(2));

    let cfg = dir.path().join("netlake.toml");
    std::fs::write(&cfg, "workerz = 3\n").unwrap();
    let bad_cfg = netlake()
        .args(["replay", "--config"])
        .arg(&cfg)
        .arg(sample())
        .output()
        .unwrap();
    assert_eq!(bad_cfg.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_cfg.stderr).contains("workerz"));

    let missing = netlake()
        .args(["replay", "/nonexistent/x.pcap"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/x.pcap"));
}

#[test]
fn config_file_sets_options_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("netlake.toml");
    std::fs::write(&cfg, "sensor = \"from-config\"\nhome_net = \"198.18.0.0/15\"\nuid_seed = 1\nsinks = [\"jsonl:-\"]\n").unwrap();
    let out = netlake()
        .args(["replay", "--quiet", "--config"])
        .arg(&cfg)
        .arg(sample())
        .output()
        .unwrap();
    assert!(out.status.success());
    let recs = common::parse_jsonl(&out.stdout);
    let flows = of(&recs, "flow");
    assert!(flows.iter().all(|f| f["sensor"] == "from-config"));
    // Servers are in 198.18.0.0/15, clients in 10/8: with that home net, flows are inbound.
    assert!(flows.iter().filter(|f| f["direction"] == "inbound").count() > flows.len() / 2);
    let out = netlake()
        .args(["replay", "--quiet", "--sensor", "flag", "--config"])
        .arg(&cfg)
        .arg(sample())
        .output()
        .unwrap();
    let recs = common::parse_jsonl(&out.stdout);
    assert!(of(&recs, "flow").iter().all(|f| f["sensor"] == "flag"));
}

#[test]
fn summary_counts_packets_flows_and_records() {
    let out = netlake()
        .args(["replay", "--sink", "jsonl:/dev/null", &sample()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("4227 packets"), "{err}");
    assert!(err.contains("flows 40"), "{err}");
    assert!(err.contains("records: dns "), "{err}");
    assert!(err.contains("evicted flows 0"), "{err}");
}

#[test]
fn schema_lists_every_dataset() {
    let out = netlake().arg("schema").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for d in [
        "flow", "dns", "tls", "x509", "http", "files", "smtp", "email", "smb", "ntlm", "weird",
    ] {
        assert!(text.lines().any(|l| l == d), "{d} missing");
    }
    assert!(text.contains("community_id"));
    let bad = netlake().args(["schema", "nope"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn two_sinks_at_once_get_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let jsonl = dir.path().join("out.jsonl");
    let out = netlake()
        .args(["replay", "--quiet", "--uid-seed", "1", "--sink"])
        .arg(format!("parquet:{}", lake.display()))
        .arg("--sink")
        .arg(format!("jsonl:{}", jsonl.display()))
        .arg(sample())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = common::parse_jsonl(&std::fs::read(&jsonl).unwrap());
    let sql = netlake()
        .args(["sql", "--lake"])
        .arg(&lake)
        .args(["--format", "csv", "SELECT count(*) AS n FROM flow"])
        .output()
        .unwrap();
    assert!(
        sql.status.success(),
        "{}",
        String::from_utf8_lossy(&sql.stderr)
    );
    let n = of(&recs, "flow").len();
    assert!(n > 300);
    assert_eq!(
        String::from_utf8(sql.stdout).unwrap().trim(),
        format!("n\n{n}")
    );
}
