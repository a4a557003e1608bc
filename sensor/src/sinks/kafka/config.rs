//! Settings of the Kafka sink (`--sink kafka:BROKERS` and the `kafka_*` / `spool_*` keys).

use std::path::PathBuf;

use anyhow::{bail, Result};

/// Default topic prefix: topics are `netlake.<dataset>`.
pub const DEFAULT_TOPIC_PREFIX: &str = "netlake";

/// Default spool bound: 1 GiB of messages.
pub const DEFAULT_SPOOL_MAX_BYTES: u64 = 1 << 30;

/// What a message value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KafkaFormat {
    /// One Arrow IPC stream per record batch (schema + batch, zstd buffers).
    #[default]
    Arrow,
    /// One JSON object per record, as the JSON-lines sink writes it.
    Json,
}

impl KafkaFormat {
    /// Parses `arrow` or `json`.
    ///
    /// # Errors
    /// Any other name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "arrow" => Ok(Self::Arrow),
            "json" => Ok(Self::Json),
            other => bail!("--kafka-format {other:?}: use arrow or json"),
        }
    }
}

/// Everything the Kafka sink needs; `brokers` comes from the sink spec, the rest
/// from flags or the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSinkConfig {
    /// Bootstrap brokers, `host:port[,host:port]`.
    pub brokers: String,
    /// Topic prefix; a dataset's topic is `<prefix>.<dataset>`.
    pub topic_prefix: String,
    /// Message format.
    pub format: KafkaFormat,
    /// librdkafka `key=value` settings passed through (they win over ours).
    pub opts: Vec<(String, String)>,
    /// Disk spool for when the broker is away; `None`: block (back-pressure) instead.
    pub spool_dir: Option<PathBuf>,
    /// Spool bound in bytes; past it messages are dropped and counted.
    pub spool_max_bytes: u64,
    /// The sensor name: the message key.
    pub sensor: String,
}

impl KafkaSinkConfig {
    /// A config for `brokers` with every other setting at its default.
    pub fn new(brokers: &str) -> Self {
        Self {
            brokers: brokers.to_owned(),
            topic_prefix: DEFAULT_TOPIC_PREFIX.to_owned(),
            format: KafkaFormat::Arrow,
            opts: Vec::new(),
            spool_dir: None,
            spool_max_bytes: DEFAULT_SPOOL_MAX_BYTES,
            sensor: String::new(),
        }
    }
}

/// Parses a `key=value` librdkafka option.
///
/// # Errors
/// No `=`, or an empty key.
pub fn parse_opt(s: &str) -> Result<(String, String)> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
        _ => bail!("--kafka-opt {s:?}: expected key=value, e.g. linger.ms=20"),
    }
}

/// The Kafka-related options of a run, from flags (`flag_opts`, and the `Option`s
/// when given) over the config file.
#[derive(Debug)]
pub struct KafkaOptions<'a> {
    /// `--kafka-topic-prefix` / `kafka_topic_prefix`.
    pub topic_prefix: Option<String>,
    /// `--kafka-format` / `kafka_format`.
    pub format: Option<String>,
    /// `--kafka-opt key=value`, repeatable.
    pub flag_opts: Vec<String>,
    /// The `[kafka_opts]` table of the config file.
    pub file_opts: Option<std::collections::BTreeMap<String, toml::Value>>,
    /// `--spool-dir` / `spool_dir`.
    pub spool_dir: Option<PathBuf>,
    /// `--spool-max-bytes` / `spool_max_bytes`.
    pub spool_max_bytes: Option<u64>,
    /// The sensor name (the message key).
    pub sensor: &'a str,
}

/// Fills the Kafka settings into every `kafka:` sink of `sinks`.
///
/// # Errors
/// A bad format name, `key=value` option or prefix.
pub fn apply_options(sinks: &mut [crate::config::SinkSpec], o: KafkaOptions<'_>) -> Result<()> {
    let format = match &o.format {
        Some(f) => KafkaFormat::parse(f)?,
        None => KafkaFormat::Arrow,
    };
    let prefix = o
        .topic_prefix
        .unwrap_or_else(|| DEFAULT_TOPIC_PREFIX.to_owned());
    if prefix.is_empty()
        || !prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        bail!("--kafka-topic-prefix {prefix:?}: use ASCII letters, digits, '.', '_' and '-'");
    }
    // File options first, flags after: librdkafka keeps the last value of a key.
    let mut opts: Vec<(String, String)> = Vec::new();
    for (k, v) in o.file_opts.unwrap_or_default() {
        let v = match v {
            toml::Value::String(s) => s,
            other => other.to_string(),
        };
        opts.push((k, v));
    }
    for s in &o.flag_opts {
        opts.push(parse_opt(s)?);
    }
    for spec in sinks.iter_mut() {
        if let crate::config::SinkSpec::Kafka(k) = spec {
            k.topic_prefix = prefix.clone();
            k.format = format;
            k.opts = opts.clone();
            k.spool_dir = o.spool_dir.clone();
            k.spool_max_bytes = o.spool_max_bytes.unwrap_or(DEFAULT_SPOOL_MAX_BYTES);
            k.sensor = o.sensor.to_owned();
        }
    }
    Ok(())
}
