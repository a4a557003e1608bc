//! `netlake lake-writer`: the CLI glue around [`lake::kafka::run`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::sinks::kafka::config::{parse_opt, DEFAULT_TOPIC_PREFIX};

/// Flags of `netlake lake-writer`.
#[derive(Debug, clap::Args)]
pub struct LakeWriterArgs {
    /// Bootstrap brokers, `host:port[,host:port]`.
    #[arg(long)]
    pub brokers: Option<String>,
    /// Topic prefix: consumes every `<prefix>.<dataset>` topic (default `netlake`).
    #[arg(long)]
    pub topic_prefix: Option<String>,
    /// Where the lake lives: `s3://bucket/prefix` (S3 settings from AWS_* variables), `file:///dir` or a path.
    #[arg(long)]
    pub dest: Option<String>,
    /// Consumer group; writers in one group share the partitions (default `netlake-lake`).
    #[arg(long)]
    pub group: Option<String>,
    /// Flush, commit and exit after this many seconds without messages (default: run until SIGTERM).
    #[arg(long, value_name = "SECS")]
    pub until_idle: Option<f64>,
    /// Land a partition's files once they hold this many rows (default 1,000,000).
    #[arg(long)]
    pub max_file_rows: Option<usize>,
    /// Land a partition's files once this many message bytes went in (default 64 MiB).
    #[arg(long)]
    pub max_file_bytes: Option<usize>,
    /// Land a partition's files at the latest this many seconds after their first message (default 60).
    #[arg(long, value_name = "SECS")]
    pub max_file_age: Option<f64>,
    /// A librdkafka consumer setting `key=value` passed through. Repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub kafka_opt: Vec<String>,
    /// TOML config file (keys as the long flags, with `_` for `-`; `kafka_opts` a table).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Serve Prometheus metrics (lag, rows, objects, upload errors) on `ip:port`, e.g. `127.0.0.1:9599`.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,
    /// No summary line at the end.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Keys of the lake writer's TOML config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    brokers: Option<String>,
    topic_prefix: Option<String>,
    dest: Option<String>,
    group: Option<String>,
    until_idle: Option<f64>,
    max_file_rows: Option<usize>,
    max_file_bytes: Option<usize>,
    max_file_age: Option<f64>,
    kafka_opts: Option<std::collections::BTreeMap<String, toml::Value>>,
    metrics: Option<String>,
}

/// Run `netlake lake-writer`.
///
/// # Errors
/// Bad flags, an unreachable broker, or the object store failing persistently.
pub fn run(a: &LakeWriterArgs) -> Result<ExitCode> {
    let file: FileConfig = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading config {}", p.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing config {}", p.display()))?
        }
        None => FileConfig::default(),
    };
    let brokers = a
        .brokers
        .clone()
        .or(file.brokers)
        .context("--brokers is required (or `brokers` in the config file)")?;
    let dest = a
        .dest
        .clone()
        .or(file.dest)
        .context("--dest is required (s3://bucket/prefix, file:///dir or a path)")?;
    let dest = lake::LakeLocation::parse(&dest)?;
    if let Some(addr) = a.metrics.as_ref().or(file.metrics.as_ref()) {
        crate::metrics::serve(addr)?;
    }
    let prefix = a
        .topic_prefix
        .clone()
        .or(file.topic_prefix)
        .unwrap_or_else(|| DEFAULT_TOPIC_PREFIX.to_owned());
    let mut cfg = lake::kafka::KafkaLakeConfig::new(&brokers, &prefix, dest);
    if let Some(g) = a.group.clone().or(file.group) {
        cfg.group = g;
    }
    cfg.until_idle = a
        .until_idle
        .or(file.until_idle)
        .map(|s| Duration::from_secs_f64(s.max(0.0)));
    if let Some(n) = a.max_file_rows.or(file.max_file_rows) {
        cfg.max_rows = n.max(1);
    }
    if let Some(n) = a.max_file_bytes.or(file.max_file_bytes) {
        cfg.max_bytes = n.max(1);
    }
    if let Some(s) = a.max_file_age.or(file.max_file_age) {
        cfg.max_age = Duration::from_secs_f64(s.max(0.0));
    }
    for (k, v) in file.kafka_opts.unwrap_or_default() {
        let v = match v {
            toml::Value::String(s) => s,
            other => other.to_string(),
        };
        cfg.kafka_opts.push((k, v));
    }
    for s in &a.kafka_opt {
        cfg.kafka_opts.push(parse_opt(s)?);
    }
    let mut schemas = HashMap::new();
    let mut topics = Vec::new();
    for (name, _) in crate::schema::DATASETS {
        if let Some(s) = crate::schema::schema(name) {
            schemas.insert((*name).to_owned(), s);
        }
        topics.push(lake::kafka::topic_name(&prefix, name));
    }
    cfg.schemas = schemas;
    // Create every dataset's topic up front, so that the group's first assignment
    // covers them all (brokers such as tansu do not auto-create topics).
    lake::kafka::ensure_topics(&brokers, &cfg.kafka_opts, &topics)
        .with_context(|| format!("creating the {prefix}.* topics on {brokers}"))?;
    let stop = lake::kafka::stop_on_signals()?;
    let started = Instant::now();
    let stats = lake::kafka::run(&cfg, &stop).context("lake writer")?;
    if !a.quiet {
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        eprintln!(
            "lake-writer: messages {} rows {} objects {} bytes {} commits {} bad {} stale_deleted {} seconds {:.3} rows_per_s {:.0}",
            stats.messages,
            stats.rows,
            stats.objects,
            stats.object_bytes,
            stats.commits,
            stats.bad_messages,
            stats.stale_objects_deleted,
            secs,
            stats.rows as f64 / secs
        );
    }
    Ok(if stats.bad_messages > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
