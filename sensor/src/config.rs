//! The validated replay configuration: flags merged over the optional TOML file.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::cli::ReplayArgs;
use crate::enrich::HomeNets;
use crate::extract::ExtractConfig;
use crate::pipeline::DecoderSet;

/// Default home networks: RFC 1918 and IPv6 unique local addresses.
pub const DEFAULT_HOME_NET: &str = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7";

/// Keys of the TOML config file (same names as the long flags).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    sinks: Option<Vec<String>>,
    workers: Option<usize>,
    home_net: Option<String>,
    geoip_db: Option<Vec<PathBuf>>,
    max_flows: Option<usize>,
    sensor: Option<String>,
    uid_seed: Option<u64>,
    batch_rows: Option<usize>,
    active_timeout: Option<u64>,
    decoders: Option<String>,
    extract_files: Option<PathBuf>,
    extract_mime: Option<String>,
    extract_max_file_bytes: Option<u64>,
    extract_max_bytes: Option<u64>,
    kafka_topic_prefix: Option<String>,
    kafka_format: Option<String>,
    kafka_opts: Option<std::collections::BTreeMap<String, toml::Value>>,
    spool_dir: Option<PathBuf>,
    spool_max_bytes: Option<u64>,
}

/// Where records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    /// A local Parquet lake rooted at this directory.
    Parquet(PathBuf),
    /// JSON lines to a file, or stdout for `-`.
    Jsonl(PathBuf),
    /// Kafka: `kafka:BROKERS`; the other settings come from the `kafka_*` options.
    Kafka(crate::sinks::kafka::KafkaSinkConfig),
}

impl SinkSpec {
    /// Parse `parquet:DIR` or `jsonl:PATH`.
    ///
    /// # Errors
    /// An unknown sink kind or an empty path.
    pub fn parse(s: &str) -> Result<Self> {
        let (kind, arg) = s.split_once(':').unwrap_or((s, ""));
        if arg.is_empty() {
            bail!("sink {s:?}: expected KIND:PATH, e.g. parquet:./lake or jsonl:-");
        }
        match kind {
            "parquet" => Ok(SinkSpec::Parquet(PathBuf::from(arg))),
            "jsonl" => Ok(SinkSpec::Jsonl(PathBuf::from(arg))),
            "kafka" => Ok(SinkSpec::Kafka(crate::sinks::kafka::KafkaSinkConfig::new(
                arg,
            ))),
            other => {
                bail!("sink {s:?}: unknown sink kind {other:?} (known: parquet, jsonl, kafka)")
            }
        }
    }
}

/// Everything `replay` needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The sinks, at least one.
    pub sinks: Vec<SinkSpec>,
    /// Worker threads, >= 1.
    pub workers: usize,
    /// Home networks for `direction`.
    pub home_nets: HomeNets,
    /// GeoIP/ASN databases.
    pub geoip_dbs: Vec<PathBuf>,
    /// Flow cap, all workers together.
    pub max_flows: usize,
    /// Sensor name.
    pub sensor: String,
    /// uid seed.
    pub uid_seed: u64,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Active timeout (ms, 0 = off).
    pub active_timeout_ms: u64,
    /// Application decoders that run.
    pub decoders: DecoderSet,
    /// File extraction, when asked for.
    pub extract: Option<ExtractConfig>,
}

impl Config {
    /// Merge flags over the config file and validate.
    ///
    /// # Errors
    /// An unreadable or invalid config file, a bad sink, CIDR or number.
    pub fn from_args(a: &ReplayArgs) -> Result<Self> {
        let file = match &a.config {
            Some(p) => load(p)?,
            None => FileConfig::default(),
        };
        let sink_strs = if !a.sinks.is_empty() {
            a.sinks.clone()
        } else {
            file.sinks
                .unwrap_or_else(|| vec!["parquet:./lake".to_string()])
        };
        let sinks = sink_strs
            .iter()
            .map(|s| SinkSpec::parse(s))
            .collect::<Result<Vec<_>>>()?;
        let workers = a.workers.or(file.workers).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        if workers == 0 || workers > 1024 {
            bail!("--workers must be between 1 and 1024, got {workers}");
        }
        let home = a
            .home_net
            .clone()
            .or(file.home_net)
            .unwrap_or_else(|| DEFAULT_HOME_NET.to_string());
        let home_nets = HomeNets::parse(&home).with_context(|| format!("--home-net {home:?}"))?;
        let max_flows = a.max_flows.or(file.max_flows).unwrap_or(2_000_000);
        if max_flows == 0 {
            bail!("--max-flows must be at least 1");
        }
        let batch_rows = a.batch_rows.or(file.batch_rows).unwrap_or(8192);
        if batch_rows == 0 {
            bail!("--batch-rows must be at least 1");
        }
        let sensor = a.sensor.clone().or(file.sensor).unwrap_or_else(host_name);
        let uid_seed = a.uid_seed.or(file.uid_seed).unwrap_or_else(random_seed);
        let geoip_dbs = if a.geoip_db.is_empty() {
            file.geoip_db.unwrap_or_default()
        } else {
            a.geoip_db.clone()
        };
        let active_timeout_ms = a
            .active_timeout
            .or(file.active_timeout)
            .unwrap_or(3600)
            .saturating_mul(1000);
        let decoders_spec = a
            .decoders
            .clone()
            .or(file.decoders)
            .unwrap_or_else(|| "all".to_string());
        let decoders = DecoderSet::parse(&decoders_spec)?;
        let extract = match a.extract_files.clone().or(file.extract_files) {
            None => None,
            Some(dir) => {
                let mime = a
                    .extract_mime
                    .clone()
                    .or(file.extract_mime)
                    .unwrap_or_else(|| "*".to_string());
                let mime_types: Vec<String> = mime
                    .split(',')
                    .map(|m| m.trim().to_string())
                    .filter(|m| !m.is_empty())
                    .collect();
                if mime_types.is_empty() {
                    bail!("--extract-mime: no MIME type given");
                }
                let max_bytes = a
                    .extract_max_file_bytes
                    .or(file.extract_max_file_bytes)
                    .unwrap_or(64 << 20);
                let max_total_bytes = a
                    .extract_max_bytes
                    .or(file.extract_max_bytes)
                    .unwrap_or(1 << 30);
                // An object store: files are staged locally, then uploaded.
                let location = dir.to_string_lossy().into_owned();
                let (dir, remote) = if location.contains("://") {
                    let remote = lake::LakeLocation::parse(&location)
                        .with_context(|| format!("--extract-files {location}"))?;
                    let staging = std::env::temp_dir()
                        .join(format!("netlake-extract-{}", std::process::id()));
                    (staging, Some(remote))
                } else {
                    (dir, None)
                };
                Some(ExtractConfig {
                    dir,
                    remote,
                    policy: decoders::files::ExtractPolicy {
                        mime_types,
                        max_bytes,
                    },
                    max_total_bytes,
                })
            }
        };
        let mut sinks = sinks;
        crate::sinks::kafka::apply_options(
            &mut sinks,
            crate::sinks::kafka::KafkaOptions {
                topic_prefix: a.kafka_topic_prefix.clone().or(file.kafka_topic_prefix),
                format: a.kafka_format.clone().or(file.kafka_format),
                flag_opts: a.kafka_opt.clone(),
                file_opts: file.kafka_opts,
                spool_dir: a.spool_dir.clone().or(file.spool_dir),
                spool_max_bytes: a.spool_max_bytes.or(file.spool_max_bytes),
                sensor: &sensor,
            },
        )?;
        Ok(Config {
            sinks,
            workers,
            home_nets,
            geoip_dbs,
            max_flows,
            sensor,
            uid_seed,
            batch_rows,
            active_timeout_ms,
            decoders,
            extract,
        })
    }
}

fn load(p: &Path) -> Result<FileConfig> {
    let text =
        std::fs::read_to_string(p).with_context(|| format!("reading config {}", p.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config {}", p.display()))
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "netlake".to_string())
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_specs_parse_and_reject_nonsense() {
        assert_eq!(
            SinkSpec::parse("jsonl:-").unwrap(),
            SinkSpec::Jsonl("-".into())
        );
        assert_eq!(
            SinkSpec::parse("parquet:/tmp/l").unwrap(),
            SinkSpec::Parquet("/tmp/l".into())
        );
        assert!(SinkSpec::parse("kafka")
            .unwrap_err()
            .to_string()
            .contains("KIND:PATH"));
        assert!(SinkSpec::parse("s4:x")
            .unwrap_err()
            .to_string()
            .contains("unknown sink kind"));
    }
}
