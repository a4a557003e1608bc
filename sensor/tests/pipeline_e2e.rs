//! The streaming pipeline end to end, against a real Kafka-protocol broker (tansu)
//! and a real S3 store (Garage) on loopback, started by `scripts/services.sh`:
//! pcap → `netlake replay --sink kafka:` → broker → `netlake lake-writer` → S3 →
//! `netlake sql --lake s3://...`.
//!
//! If the environment already has `NETLAKE_KAFKA` and `AWS_ENDPOINT` (as after
//! `eval "$(scripts/services.sh up)"`), those services are used; otherwise the tests
//! run `scripts/services.sh up` themselves. They skip, saying so, only when the
//! services cannot be started.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::services::{counts, lake_writer, local_lake, ok, services, unique, Services};
use common::testdata;

fn inputs() -> Vec<PathBuf> {
    let t = testdata();
    vec![
        t.join("sample/sample.pcap"),
        t.join("corpus/zeek-dns-two-responses.pcap"),
        t.join("corpus/arkime-https-generalizedtime.pcap"),
        t.join("corpus/arkime-dns-https.pcap"),
    ]
}

/// Replays `inputs` into Kafka under topic prefix `prefix`.
fn replay_to_kafka(s: &Services, prefix: &str, seed: u64, extra: &[&str], inputs: &[PathBuf]) {
    let out = s
        .netlake()
        .args(["replay", "--quiet", "--sensor", "e2e", "--uid-seed"])
        .arg(seed.to_string())
        .arg("--sink")
        .arg(format!("kafka:{}", s.kafka()))
        .args(["--kafka-topic-prefix", prefix])
        .args(extra)
        .args(inputs)
        .output()
        .unwrap();
    ok(&out, "replay into kafka");
}

#[test]
fn kafka_to_s3_lake_matches_a_direct_local_replay() {
    let Some(s) = services() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let prefix = unique("match");
    let inputs = inputs();
    let local = local_lake(tmp.path(), 1, &inputs);
    let datasets = lake::datasets(&local).unwrap();
    assert!(datasets.len() >= 3, "{datasets:?}");

    let started = Instant::now();
    replay_to_kafka(s, &prefix, 1, &[], &inputs);
    let produced = started.elapsed();
    let dest = format!("{}/{prefix}", s.bucket_url());
    let started = Instant::now();
    let out = lake_writer(s, &prefix, &dest, &["--until-idle", "4"])
        .output()
        .unwrap();
    ok(&out, "lake-writer");
    eprintln!(
        "replay→kafka {produced:?}; lake-writer {:?}: {}",
        started.elapsed(),
        String::from_utf8_lossy(&out.stderr).trim()
    );

    let want = counts(s, &local.to_string_lossy(), &datasets);
    let got = counts(s, &dest, &datasets);
    assert_eq!(got, want, "S3 lake (left) vs local lake (right)");

    // Partition columns work over S3 too.
    let out = s
        .netlake()
        .args(["sql", "--format", "csv", "--lake", &dest])
        .arg("SELECT count(*) FROM dns WHERE date >= '1970-01-01' AND hour >= 0")
        .output()
        .unwrap();
    ok(&out, "sql with partition columns");
}

#[test]
fn kafka_json_format_lands_the_same_rows() {
    let Some(s) = services() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let prefix = unique("json");
    let inputs = vec![testdata().join("corpus/zeek-dns-two-responses.pcap")];
    let local = local_lake(tmp.path(), 1, &inputs);
    let datasets = lake::datasets(&local).unwrap();
    replay_to_kafka(s, &prefix, 1, &["--kafka-format", "json"], &inputs);
    let dest = tmp.path().join("fromjson");
    let out = lake_writer(
        s,
        &prefix,
        &format!("file://{}", dest.display()),
        &["--until-idle", "4"],
    )
    .output()
    .unwrap();
    ok(&out, "lake-writer (json, file://)");
    assert_eq!(
        counts(s, &dest.to_string_lossy(), &datasets),
        counts(s, &local.to_string_lossy(), &datasets)
    );
}

/// Kills a child with SIGKILL (no chance to flush or commit).
fn kill9(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[test]
fn lake_writer_killed_with_sigkill_loses_and_duplicates_nothing() {
    let Some(s) = services() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let prefix = unique("kill");
    let inputs = vec![testdata().join("sample/sample.pcap")];
    const RUNS: u64 = 16;
    let local = local_lake(tmp.path(), RUNS, &inputs);
    let datasets = lake::datasets(&local).unwrap();
    // Small batches: many messages, so the writer commits often and a kill lands
    // between writing objects and committing.
    for seed in 1..=RUNS {
        replay_to_kafka(s, &prefix, seed, &["--batch-rows", "32"], &inputs);
    }
    let dest = format!("{}/{prefix}", s.bucket_url());
    let small = [
        "--max-file-rows",
        "100",
        "--max-file-age",
        "0.2",
        // A killed member must leave the group quickly, or the restarted writer
        // waits a whole session timeout for its partitions.
        "--kafka-opt",
        "session.timeout.ms=6000",
        "--kafka-opt",
        "heartbeat.interval.ms=500",
    ];
    // Pseudo-random kill points from the clock: after 1 to 8 landed segments of
    // this run, plus 0 to 300 ms, so each kill falls in the middle of the stream.
    let mut x = u64::from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(1),
    ) | 1;
    let mut kills = 0;
    for _ in 0..6 {
        let mut child = lake_writer(s, &prefix, &dest, &small)
            .env("NETLAKE_LOG", "lake=debug")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains("landed segment") {
                    let _ = tx.send(());
                }
            }
        });
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let landed = (0..1 + x % 8).all(|_| rx.recv_timeout(Duration::from_secs(60)).is_ok());
        std::thread::sleep(Duration::from_millis(x % 300));
        if landed && child.try_wait().unwrap().is_none() {
            kills += 1;
        }
        kill9(&mut child);
    }
    assert!(kills >= 5, "only {kills} kills hit a running writer");
    let mut last = vec!["--until-idle", "4"];
    last.extend_from_slice(&small[4..]);
    let out = lake_writer(s, &prefix, &dest, &last).output().unwrap();
    ok(&out, "final lake-writer run");
    eprintln!(
        "{kills} SIGKILLs; final run: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let want = counts(s, &local.to_string_lossy(), &datasets);
    let got = counts(s, &dest, &datasets);
    assert_eq!(
        got, want,
        "after {kills} SIGKILLs: S3 lake (left) vs expected (right)"
    );
}

#[test]
fn broker_down_spools_and_the_next_start_drains_it() {
    let Some(s) = services() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let prefix = unique("spool");
    let spool = tmp.path().join("spool");
    let inputs = vec![testdata().join("corpus/zeek-dns-two-responses.pcap")];
    let local = local_lake(tmp.path(), 2, &inputs);
    let datasets = lake::datasets(&local).unwrap();
    // Nothing listens on port 1: the broker is away, so everything is spooled.
    let out = s
        .netlake()
        .args(["replay", "--quiet", "--sensor", "e2e", "--uid-seed", "1"])
        .args([
            "--sink",
            "kafka:127.0.0.1:1",
            "--kafka-topic-prefix",
            &prefix,
        ])
        .arg("--spool-dir")
        .arg(&spool)
        .args(&inputs)
        .output()
        .unwrap();
    ok(&out, "replay with the broker away");
    let spooled: u64 = std::fs::read_dir(&spool)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    assert!(spooled > 0, "nothing spooled");
    // The broker is back: the next run sends the spool first, then its own records.
    replay_to_kafka(
        s,
        &prefix,
        2,
        &["--spool-dir", &spool.to_string_lossy()],
        &inputs,
    );
    let left: u64 = std::fs::read_dir(&spool)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    assert_eq!(left, 0, "spool not drained");
    let dest = tmp.path().join("lake");
    let out = lake_writer(
        s,
        &prefix,
        &format!("file://{}", dest.display()),
        &["--until-idle", "4"],
    )
    .output()
    .unwrap();
    ok(&out, "lake-writer");
    assert_eq!(
        counts(s, &dest.to_string_lossy(), &datasets),
        counts(s, &local.to_string_lossy(), &datasets)
    );
}
