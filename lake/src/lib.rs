//! The netlake lake: Hive-partitioned Parquet on disk, and SQL over it.
//!
//! Its one job is the data at rest. Record batches come in (from the sensor, or
//! later from Kafka) and land as Parquet files that Spark, DuckDB, Trino and
//! DataFusion read as partitioned tables:
//!
//! ```text
//! <root>/<dataset>/date=YYYY-MM-DD/hour=HH/<writer>-<seq>.parquet
//! ```
//!
//! - [`LakeWriter`] splits batches by the UTC hour of `ts`, keeps one open file per
//!   (dataset, hour), and lands files atomically (temporary name, fsync, rename).
//! - [`writer_properties`] is the Parquet configuration we always use: zstd,
//!   dictionaries, page statistics and page index, and bloom filters on each
//!   dataset's [`indicator_columns`] (IPs, domains, hashes, fingerprints).
//! - [`query`] / [`query_blocking`] run SQL with one table per dataset, partition
//!   columns `date` (Utf8) and `hour` (Int32) included; [`write_batches`] renders
//!   the result as a table, CSV or JSON lines.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{StringArray, TimestampMicrosecondArray};
//! use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
//! use arrow::record_batch::RecordBatch;
//! use lake::{format_batches, query_blocking, LakeWriter, OutputFormat, WriterOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let root = tempfile::tempdir()?;
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("ts", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
//!     Field::new("query", DataType::Utf8, true),
//! ]));
//! let batch = RecordBatch::try_new(schema, vec![
//!     // 2026-11-28T05:30:00Z
//!     Arc::new(TimestampMicrosecondArray::from(vec![1_795_843_800_000_000]).with_timezone("UTC")),
//!     Arc::new(StringArray::from(vec!["example.com"])),
//! ])?;
//!
//! let mut writer = LakeWriter::new(root.path(), "sensor1-run1", WriterOptions::default())?;
//! writer.write("dns", &batch)?;
//! let landed = writer.flush()?;
//! assert!(landed[0].ends_with("dns/date=2026-11-28/hour=05/sensor1-run1-000000.parquet"));
//!
//! let rows = query_blocking(root.path(), "SELECT query, hour FROM dns WHERE date = '2026-11-28'")?;
//! let csv = format_batches(&rows, OutputFormat::Csv)?;
//! assert_eq!(csv, "query,hour\nexample.com,5\n");
//! # Ok(())
//! # }
//! ```
//!
//! Streaming: [`kafka::run`] consumes the sensor's Kafka topics and lands them
//! exactly once in a [`LakeLocation`] (a directory or `s3://bucket/prefix`);
//! [`query_location`] runs SQL over either; [`ipc`] is the message format.
//!
//! Deliberately not here: anything about packets or protocols (the lake sees only
//! Arrow batches), and, for now, compaction, indexes and aggregates.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod format;
pub mod ipc;
pub mod kafka;
mod partition;
mod props;
mod sql;
mod sql_store;
mod store;
mod writer;

pub use error::{LakeError, Result, StreamError};
pub use format::{format_batches, write_batches, OutputFormat};
pub use partition::{split_by_hour, HourPartition, TS_COLUMN};
pub use props::{
    check_schema, indicator_columns, writer_properties, writer_properties_with_bloom, BLOOM_FPP,
    ROW_GROUP_ROWS,
};
pub use sql::{datasets, partition_columns, query, query_blocking};
pub use sql_store::{query_location, query_location_blocking};
pub use store::LakeLocation;
pub use writer::{LakeWriter, WriterOptions};
