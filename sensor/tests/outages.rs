//! The streaming pipeline survives its services going away mid-stream:
//! the S3 store (through a loopback proxy the test cuts and restores) and the
//! Kafka-protocol broker (a private tansu instance the test kills and restarts).
//! Every record still lands exactly once, and the lake writer's Prometheus
//! endpoint shows what happened.
//!
//! Uses the services of `scripts/services.sh` like `pipeline_e2e.rs`; skips,
//! saying so, when they cannot be started.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::services::{counts, lake_writer, local_lake, ok, services, unique, Services};
use common::testdata;

/// Replays `inputs` with seeds 1..=runs into Kafka in small batches (many messages).
fn replay_runs(s: &Services, prefix: &str, runs: u64, inputs: &[PathBuf]) {
    for seed in 1..=runs {
        let out = s
            .netlake()
            .args(["replay", "--quiet", "--sensor", "e2e", "--batch-rows", "32"])
            .args(["--uid-seed", &seed.to_string()])
            .args(["--sink", &format!("kafka:{}", s.kafka())])
            .args(["--kafka-topic-prefix", prefix])
            .args(inputs)
            .output()
            .unwrap();
        ok(&out, "replay into kafka");
    }
}

/// A TCP proxy on loopback that the test can cut (every open connection reset,
/// new ones refused) and restore: the object store "going away" for the writer only.
struct Proxy {
    addr: String,
    down: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let down = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (d, c) = (Arc::clone(&down), Arc::clone(&conns));
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if d.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                if let Ok(mut v) = c.lock() {
                    v.extend(client.try_clone().ok());
                    v.extend(server.try_clone().ok());
                }
                pump(client.try_clone().unwrap(), server.try_clone().unwrap());
                pump(server, client);
            }
        });
        Proxy { addr, down, conns }
    }

    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for s in self.conns.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// One scrape of a Prometheus endpoint: `(metric line name, value)` pairs.
fn scrape(addr: &str) -> Option<Vec<(String, f64)>> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(
        body.lines()
            .filter(|l| l.starts_with("netlake_"))
            .filter_map(|l| l.rsplit_once(' '))
            .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
            .collect(),
    )
}

fn metric(m: &[(String, f64)], name: &str) -> f64 {
    m.iter().filter(|(k, _)| k == name).map(|(_, v)| *v).sum()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn s3_store_cut_mid_upload_retries_and_lands_every_record_once() {
    let Some(s) = services() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let prefix = unique("s3");
    let inputs = vec![
        testdata().join("sample/sample.pcap"),
        testdata().join("corpus/arkime-dns-https.pcap"),
    ];
    const RUNS: u64 = 6;
    let local = local_lake(tmp.path(), RUNS, &inputs);
    replay_runs(s, &prefix, RUNS, &inputs);
    // The writer reaches the store only through the proxy.
    let upstream = s
        .get("AWS_ENDPOINT")
        .trim_start_matches("http://")
        .to_owned();
    let proxy = Proxy::start(upstream);
    let endpoint = format!("http://{}", proxy.addr);
    let via_proxy = [
        ("AWS_ENDPOINT", endpoint.clone()),
        ("AWS_ENDPOINT_URL", endpoint),
    ];
    let dest = format!("{}/{prefix}", s.bucket_url());
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let mut writer: Child = lake_writer(
        s,
        &prefix,
        &dest,
        &["--max-file-rows", "50", "--max-file-age", "0.2"],
    )
    .envs(via_proxy.iter().map(|(k, v)| (*k, v.as_str())))
    .env("NETLAKE_LOG", "lake=debug")
    .args(["--until-idle", "6", "--metrics", &metrics_addr])
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let stderr = writer.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let log = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("landed segment") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    // Cut the store after the first landed segment, for 4 seconds.
    rx.recv_timeout(Duration::from_secs(120))
        .expect("the writer landed nothing");
    proxy.cut();
    std::thread::sleep(Duration::from_secs(4));
    let during = scrape(&metrics_addr).unwrap_or_default();
    // Every landing writes to the store, so while it is cut the writer stalls (at
    // most a segment already past its uploads may still report), and it resumes
    // once the store is back. Failed requests are retried inside the S3 client
    // first and then by the writer (`retrying` in the log).
    let landed_during_cut = rx.try_iter().count();
    proxy.restore();
    let resumed = rx.recv_timeout(Duration::from_secs(120)).is_ok();
    let status = writer.wait().unwrap();
    let log = log.join().unwrap();
    assert!(status.success(), "lake-writer failed ({status}):\n{log}");
    assert!(
        landed_during_cut <= 1,
        "{landed_during_cut} segments landed while the store was cut:\n{log}"
    );
    assert!(resumed, "nothing landed after the store came back:\n{log}");
    assert!(
        metric(&during, "netlake_lake_rows_total") > 0.0,
        "metrics endpoint shows no landed rows: {during:?}"
    );
    let datasets = lake::datasets(&local).unwrap();
    let want = counts(s, &local.to_string_lossy(), &datasets);
    let got = counts(s, &dest, &datasets);
    assert_eq!(
        got, want,
        "S3 lake after a store outage (left) vs expected (right)"
    );
}

/// A private tansu broker (so stopping it disturbs no other test).
struct Broker {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Broker {
    fn binary() -> Option<PathBuf> {
        let bin = std::env::var_os("NETLAKE_SERVICES_BIN")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/netlake/bin"))
            })?;
        let p = bin.join("tansu-0.6.0");
        p.is_file().then_some(p)
    }

    fn start(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let child = Command::new(Self::binary().unwrap())
            .current_dir(&self.dir)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "tansu did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

#[test]
fn broker_stopped_mid_stream_and_restarted_loses_nothing() {
    let Some(s) = services() else { return };
    let Some(_) = Broker::binary() else {
        eprintln!("SKIPPED: no tansu binary installed (run scripts/services.sh up)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut broker = Broker {
        dir: tmp.path().join("broker"),
        port: free_port(),
        child: None,
    };
    std::fs::create_dir_all(&broker.dir).unwrap();
    broker.start();
    let brokers = format!("127.0.0.1:{}", broker.port);
    let prefix = unique("broker");
    let spool = tmp.path().join("spool");
    let inputs = vec![testdata().join("sample/sample.pcap")];
    const RUNS: u64 = 6;
    let local = local_lake(tmp.path(), RUNS, &inputs);
    let datasets = lake::datasets(&local).unwrap();
    let replay = |seed: u64| {
        s.netlake()
            .args(["replay", "--quiet", "--sensor", "e2e", "--batch-rows", "16"])
            .args(["--uid-seed", &seed.to_string()])
            .args(["--sink", &format!("kafka:{brokers}")])
            .args(["--kafka-topic-prefix", &prefix])
            .arg("--spool-dir")
            .arg(&spool)
            .args(&inputs)
            .output()
            .unwrap()
    };
    // Seeds 1-2 with the broker up, 3-4 with it stopped (spooled), 5-6 after it is
    // back (the spool drains first).
    for seed in 1..=RUNS {
        if seed == 3 {
            broker.stop();
        }
        if seed == 5 {
            broker.start();
        }
        ok(&replay(seed), &format!("replay seed {seed}"));
    }
    let left: u64 = std::fs::read_dir(&spool)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    assert_eq!(left, 0, "spool not drained after the broker came back");
    let dest = tmp.path().join("lake");
    let out = s
        .netlake()
        .args([
            "lake-writer",
            "--brokers",
            &brokers,
            "--topic-prefix",
            &prefix,
        ])
        .args(["--group", &prefix, "--until-idle", "4"])
        .arg("--dest")
        .arg(format!("file://{}", dest.display()))
        .output()
        .unwrap();
    ok(&out, "lake-writer");
    assert_eq!(
        counts(s, &dest.to_string_lossy(), &datasets),
        counts(s, &local.to_string_lossy(), &datasets),
        "lake after a broker outage (left) vs expected (right)"
    );
}

#[test]
fn http_bodies_are_extracted_to_the_s3_store_once() {
    let Some(s) = services() else { return };
    let prefix = unique("extract");
    let dest = format!("{}/{prefix}", s.bucket_url());
    let pcap = testdata().join("corpus/zeek-http-get-gzip.pcap");
    let run = || {
        s.netlake()
            .args(["replay", "--uid-seed", "1", "--sink", "jsonl:-"])
            .args(["--extract-files", &dest])
            .arg(&pcap)
            .output()
            .unwrap()
    };
    let out = run();
    ok(&out, "replay with --extract-files s3://");
    let files: Vec<serde_json::Value> = common::parse_jsonl(&out.stdout)
        .into_iter()
        .filter(|r| r["dataset"] == "files")
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let sha = files[0]["sha256"].as_str().unwrap().to_owned();
    let rel = files[0]["extracted"].as_str().unwrap().to_owned();
    assert_eq!(rel, format!("{}/{sha}", &sha[..2]));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("extracted files stored 1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The object is in the bucket, with the body's bytes.
    let env: Vec<(String, String)> = s.env.clone();
    for (k, v) in &env {
        std::env::set_var(k, v);
    }
    let (store, root) = lake::LakeLocation::parse(&dest).unwrap().open().unwrap();
    let key = object_store::path::Path::from(format!("{root}/{rel}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = rt.block_on(async {
        use object_store::ObjectStoreExt;
        store.get(&key).await.unwrap().bytes().await.unwrap()
    });
    assert_eq!(body.len() as u64, files[0]["seen_bytes"].as_u64().unwrap());
    // A second run finds it there and sends nothing.
    let again = run();
    ok(&again, "second replay");
    let summary = String::from_utf8_lossy(&again.stderr);
    assert!(
        summary.contains("extracted files already stored 1"),
        "{summary}"
    );
}

#[test]
fn two_writers_in_one_group_share_the_partitions_and_land_everything_once() {
    let Some(s) = services() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let prefix = unique("group");
    let inputs = vec![testdata().join("sample/sample.pcap")];
    const RUNS: u64 = 6;
    let local = local_lake(tmp.path(), RUNS, &inputs);
    let datasets = lake::datasets(&local).unwrap();
    replay_runs(s, &prefix, RUNS, &inputs);
    let dest = format!("{}/{prefix}", s.bucket_url());
    let writer = || {
        lake_writer(
            s,
            &prefix,
            &dest,
            &["--max-file-rows", "100", "--max-file-age", "0.2"],
        )
        .args(["--until-idle", "8"])
        .args(["--kafka-opt", "session.timeout.ms=6000"])
        .args(["--kafka-opt", "heartbeat.interval.ms=500"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    };
    // The second writer joins while the first is landing: a rebalance mid-stream.
    let first = writer();
    std::thread::sleep(Duration::from_millis(1500));
    let second = writer();
    for (n, w) in [first, second].into_iter().enumerate() {
        let out = w.wait_with_output().unwrap();
        ok(&out, &format!("lake-writer {n}"));
    }
    assert_eq!(
        counts(s, &dest, &datasets),
        counts(s, &local.to_string_lossy(), &datasets),
        "two writers sharing a group (left) vs expected (right)"
    );
}
