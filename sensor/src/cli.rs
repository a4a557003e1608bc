//! Raw command-line flags (clap). Every replay option also works as a config key;
//! [`crate::config`] merges the two into one validated `Config`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// netlake: network sensor and Parquet lake for threat hunting.
#[derive(Debug, Parser)]
#[command(name = "netlake", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per process: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay pcap/pcapng files (plain, .gz, .zst; directories; `-` for stdin) into the lake.
    Replay(ReplayArgs),
    /// Run SQL over the lake (one table per dataset, plus `date` and `hour` partition columns).
    Sql(SqlArgs),
    /// Print the datasets and their fields.
    Schema(SchemaArgs),
    /// Consume the sensors' Kafka topics and land them exactly once as Parquet (S3 or a directory).
    LakeWriter(crate::lake_writer_cmd::LakeWriterArgs),
}

/// Flags of `netlake replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Capture files or directories to read, in order; `-` reads standard input.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Where records go: `parquet:DIR` (default `parquet:./lake`) or `jsonl:PATH` (`jsonl:-` for stdout). Repeatable.
    #[arg(long = "sink", value_name = "SPEC")]
    pub sinks: Vec<String>,
    /// TOML config file (keys as the long flags, with `_` for `-`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads (default: number of cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Home networks, comma separated CIDRs (default: RFC 1918 + ULA); used for `direction`.
    #[arg(long, value_name = "CIDRS")]
    pub home_net: Option<String>,
    /// MaxMind-format database (GeoLite2 City/Country and/or ASN) for GeoIP/ASN enrichment. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub geoip_db: Vec<PathBuf>,
    /// Cap on tracked flows (all workers together); the least recently active are evicted and counted.
    #[arg(long)]
    pub max_flows: Option<usize>,
    /// Sensor name written into every record (default: host name).
    #[arg(long)]
    pub sensor: Option<String>,
    /// Pin the uid seed, for reproducible uids across runs.
    #[arg(long)]
    pub uid_seed: Option<u64>,
    /// Rows per record batch (a batch is also cut every `--batch-ms`).
    #[arg(long)]
    pub batch_rows: Option<usize>,
    /// Active timeout in seconds: long flows emit an update record this often (0 = off).
    #[arg(long)]
    pub active_timeout: Option<u64>,
    /// Application decoders to run, comma-separated (`dns,tls,quic`), `all` (the
    /// default) or `none`. Flows of a disabled protocol are only counted.
    #[arg(long, value_name = "LIST")]
    pub decoders: Option<String>,
    /// Kafka sink: topic prefix; a dataset's topic is `<prefix>.<dataset>` (default `netlake`).
    #[arg(long, value_name = "PREFIX")]
    pub kafka_topic_prefix: Option<String>,
    /// Kafka sink: message format, `arrow` (one Arrow IPC stream per batch, default) or `json` (one record per message).
    #[arg(long, value_name = "FORMAT")]
    pub kafka_format: Option<String>,
    /// Kafka sink: a librdkafka setting `key=value` passed through. Repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub kafka_opt: Vec<String>,
    /// Kafka sink: spool messages to this directory while the broker is away (default: wait instead).
    #[arg(long, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,
    /// Kafka sink: spool size bound in bytes (default 1 GiB); past it messages are dropped and counted.
    #[arg(long, value_name = "BYTES")]
    pub spool_max_bytes: Option<u64>,
    /// Store the files that HTTP carries (request and response bodies) in DIR,
    /// named by their SHA-256 (`DIR/ab/abcd...`), each content once.
    /// Also `s3://bucket/prefix` (files staged in a temporary directory, then uploaded).
    #[arg(long, value_name = "DIR|s3://...")]
    pub extract_files: Option<PathBuf>,
    /// MIME types to extract, comma-separated; `type/` is a prefix, `*` everything.
    #[arg(long, value_name = "LIST")]
    pub extract_mime: Option<String>,
    /// Largest single file to extract, bytes.
    #[arg(long, value_name = "BYTES")]
    pub extract_max_file_bytes: Option<u64>,
    /// Cap on the bytes all extracted files of the run may take.
    #[arg(long, value_name = "BYTES")]
    pub extract_max_bytes: Option<u64>,
    /// Serve Prometheus metrics (packets, records per dataset, Kafka deliveries) on `ip:port`, e.g. `127.0.0.1:9598`.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,
    /// Benchmark read floor: read and parse L2-L4 only (no flow table, no decoders, no output).
    #[arg(long)]
    pub floor: bool,
    /// No progress bar, no summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Output formats of `netlake sql`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SqlFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header line.
    Csv,
    /// JSON lines, one object per row.
    Json,
}

/// Flags of `netlake sql`.
#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The SQL statement.
    pub query: String,
    /// Lake root: a directory, `file:///dir` or `s3://bucket/prefix` (S3 settings from AWS_* variables).
    #[arg(long, default_value = "./lake")]
    pub lake: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: SqlFormat,
}

/// Flags of `netlake schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Only this dataset.
    pub dataset: Option<String>,
}
