//! The lake's error type.

use std::path::PathBuf;

use arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use parquet::errors::ParquetError;
use thiserror::Error;

/// Result alias used throughout the lake crate.
pub type Result<T> = std::result::Result<T, LakeError>;

/// Everything that can go wrong while writing or querying the lake.
///
/// Each variant names what it was working on (a path, a dataset or a table), so
/// the message alone tells an operator where to look.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum LakeError {
    /// A file system operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory being accessed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The Parquet writer failed.
    #[error("parquet error on {path} (dataset '{dataset}'): {source}")]
    Parquet {
        /// The dataset being written.
        dataset: String,
        /// The (temporary) file being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: ParquetError,
    },
    /// An Arrow kernel failed while splitting a batch into partitions.
    #[error("arrow error on dataset '{dataset}': {source}")]
    Arrow {
        /// The dataset being written.
        dataset: String,
        /// The underlying error.
        #[source]
        source: ArrowError,
    },
    /// The dataset name cannot be used as a directory and table name.
    #[error(
        "invalid dataset name '{dataset}': use lower-case ASCII letters, digits and '_', \
         not starting with '_'"
    )]
    InvalidDataset {
        /// The rejected name.
        dataset: String,
    },
    /// The batch schema breaks a lake rule (see [`crate::check_schema`]).
    #[error("dataset '{dataset}': {reason}")]
    InvalidSchema {
        /// The dataset being written.
        dataset: String,
        /// What is wrong with the schema.
        reason: String,
    },
    /// Some rows have no `ts`, so they have no partition.
    #[error(
        "dataset '{dataset}': column ts has {nulls} null value(s); every row needs a timestamp"
    )]
    NullTimestamp {
        /// The dataset being written.
        dataset: String,
        /// How many rows had a null `ts`.
        nulls: usize,
    },
    /// A batch's schema differs from the one this writer already uses for the dataset.
    #[error(
        "dataset '{dataset}': batch schema differs from earlier batches of this writer \
         (all files of a dataset must share one schema)"
    )]
    SchemaMismatch {
        /// The dataset being written.
        dataset: String,
    },
    /// A query named a table that has no data in the lake.
    #[error("table '{table}' not found: the lake at {} {}", root.display(), list_datasets(datasets))]
    UnknownTable {
        /// The table the query asked for.
        table: String,
        /// The lake root that was searched.
        root: PathBuf,
        /// The datasets that do exist.
        datasets: Vec<String>,
    },
    /// DataFusion failed to plan or run a query.
    #[error("query over the lake at {} failed: {source}", root.display())]
    Query {
        /// The lake root being queried.
        root: PathBuf,
        /// The underlying error.
        #[source]
        source: Box<DataFusionError>,
    },
    /// Rendering query results failed.
    #[error("cannot write query output as {format}: {source}")]
    Format {
        /// The output format (`table`, `csv` or `json`).
        format: &'static str,
        /// The underlying error.
        #[source]
        source: ArrowError,
    },
    /// An object-store, Kafka or Arrow IPC operation failed.
    #[error(transparent)]
    Stream(#[from] Box<StreamError>),
    /// The tokio runtime for a blocking query could not be started.
    #[error("cannot start the tokio runtime for a query: {source}")]
    Runtime {
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Errors of the object-store, Kafka and Arrow IPC parts of the lake.
///
/// Kept apart from the file-system variants above so that each names what it was
/// working on: an object key, a topic/partition/offset, a lake URL.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum StreamError {
    /// The lake location is not `s3://bucket[/prefix]`, `file:///dir` or a path.
    #[error("invalid lake location '{location}': {reason}")]
    InvalidLocation {
        /// The rejected location.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An object-store operation failed.
    #[error("object store: {what} '{key}': {source}")]
    Store {
        /// The operation (`put`, `get`, `delete`, `list`).
        what: &'static str,
        /// The object key or prefix.
        key: String,
        /// The underlying error.
        #[source]
        source: object_store::Error,
    },
    /// A Kafka client operation failed.
    #[error("kafka: {context}: {source}")]
    Kafka {
        /// What the client was doing (with topic/partition/offset where known).
        context: String,
        /// The underlying error.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// A message payload is not a valid Arrow IPC stream or JSON record.
    #[error("bad message {topic}/{partition}@{offset}: {reason}")]
    BadMessage {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The offset.
        offset: i64,
        /// Why it could not be decoded.
        reason: String,
    },
    /// Encoding or decoding an Arrow IPC stream failed.
    #[error("arrow IPC: {source}")]
    Ipc {
        /// The underlying error.
        #[source]
        source: ArrowError,
    },
}

/// Renders the dataset list of [`LakeError::UnknownTable`].
fn list_datasets(datasets: &[String]) -> String {
    if datasets.is_empty() {
        "has no datasets yet".to_owned()
    } else {
        format!("has datasets {}", datasets.join(", "))
    }
}

impl From<StreamError> for LakeError {
    fn from(e: StreamError) -> Self {
        Self::Stream(Box::new(e))
    }
}

impl LakeError {
    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
