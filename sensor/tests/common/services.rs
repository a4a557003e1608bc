//! The streaming services (`scripts/services.sh`: tansu and Garage on loopback) as
//! the Kafka/S3 tests use them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::netlake;

/// The services' environment (`NETLAKE_KAFKA`, `NETLAKE_S3_URL`, `AWS_*`).
pub struct Services {
    /// `KEY=value` pairs printed by `scripts/services.sh up`.
    pub env: Vec<(String, String)>,
}

impl Services {
    /// The value of `key` (empty if unset).
    pub fn get(&self, key: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }
    /// `NETLAKE_KAFKA`.
    pub fn kafka(&self) -> &str {
        self.get("NETLAKE_KAFKA")
    }
    /// `NETLAKE_S3_URL`.
    pub fn bucket_url(&self) -> &str {
        self.get("NETLAKE_S3_URL")
    }
    /// A `netlake` command with the services' environment.
    pub fn netlake(&self) -> Command {
        let mut c = netlake();
        c.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }
}

/// The services, started once per test binary; `None` (tests skip) when they cannot start.
pub fn services() -> Option<&'static Services> {
    static S: OnceLock<Option<Services>> = OnceLock::new();
    S.get_or_init(start_services).as_ref()
}

const KEYS: [&str; 10] = [
    "NETLAKE_KAFKA",
    "NETLAKE_S3_URL",
    "AWS_ENDPOINT",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ALLOW_HTTP",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
];

fn start_services() -> Option<Services> {
    if std::env::var_os("NETLAKE_KAFKA").is_some() && std::env::var_os("AWS_ENDPOINT").is_some() {
        let env = KEYS
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
            .collect();
        return Some(Services { env });
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/services.sh");
    // Building the services takes 20-70 minutes: not inside a test, unless asked
    // (scripts/test starts them, building them if needed, before the tests run).
    let no_build = std::env::var("NETLAKE_SERVICES_NO_BUILD").unwrap_or_else(|_| "1".into());
    let out = Command::new("bash")
        .arg(&script)
        .arg("up")
        .env("NETLAKE_SERVICES_NO_BUILD", no_build)
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let env = String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.strip_prefix("export "))
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            Some(Services { env })
        }
        Ok(o) => {
            eprintln!(
                "SKIPPED: scripts/services.sh up failed, so the Kafka/S3 pipeline tests do not run:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!(
                "SKIPPED: cannot run scripts/services.sh ({e}); Kafka/S3 pipeline tests do not run"
            );
            None
        }
    }
}

/// A name unique to this test run: topic prefix, consumer group and S3 prefix.
pub fn unique(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "e2e-{name}-{}-{:x}",
        std::process::id(),
        nanos & 0xffff_ffff
    )
}

/// Asserts that a command succeeded, showing its stderr otherwise.
pub fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Replays `inputs` N times (seeds 1..=n) into a local lake; returns its root.
pub fn local_lake(dir: &Path, seeds: u64, inputs: &[PathBuf]) -> PathBuf {
    let lake = dir.join("local");
    for seed in 1..=seeds {
        let out = netlake()
            .args(["replay", "--quiet", "--sensor", "e2e", "--uid-seed"])
            .arg(seed.to_string())
            .arg("--sink")
            .arg(format!("parquet:{}", lake.display()))
            .args(inputs)
            .output()
            .unwrap();
        ok(&out, "replay into a local lake");
    }
    lake
}

/// Per dataset: (rows, distinct uids), via `netlake sql`.
pub fn counts(s: &Services, lake: &str, datasets: &[String]) -> BTreeMap<String, (u64, u64)> {
    let mut m = BTreeMap::new();
    for ds in datasets {
        let out = s
            .netlake()
            .args(["sql", "--format", "csv", "--lake", lake])
            .arg(format!(
                "SELECT count(*) AS n, count(DISTINCT uid) AS u FROM {ds}"
            ))
            .output()
            .unwrap();
        ok(&out, &format!("sql over {lake} ({ds})"));
        let text = String::from_utf8_lossy(&out.stdout);
        let row = text.lines().nth(1).unwrap_or_default();
        let (n, u) = row.split_once(',').unwrap_or(("0", "0"));
        m.insert(ds.clone(), (n.parse().unwrap(), u.parse().unwrap()));
    }
    m
}

/// A `netlake lake-writer` command consuming `prefix` (also its group) into `dest`.
pub fn lake_writer(s: &Services, prefix: &str, dest: &str, extra: &[&str]) -> Command {
    let mut c = s.netlake();
    c.args([
        "lake-writer",
        "--brokers",
        s.kafka(),
        "--topic-prefix",
        prefix,
    ])
    .args(["--group", prefix, "--dest", dest])
    .args(extra);
    c
}
