//! Sinks: where record batches go (a local Parquet lake, JSON lines).
//!
//! A sink is called once per batch from the sink thread, so `Box<dyn Sink>` costs
//! nothing that matters. `write` returning is the acknowledgement: in offline
//! replay the sink thread writes synchronously, so a slow sink slows the workers
//! down through the bounded channel (back-pressure) instead of dropping.

mod jsonl;
pub mod kafka;
mod parquet;

pub use jsonl::{encode_batch, JsonlSink};
pub use parquet::ParquetSink;

use anyhow::Result;
use arrow::record_batch::RecordBatch;

use crate::config::SinkSpec;

/// A destination for record batches.
pub trait Sink: Send {
    /// Short name for messages (`parquet:./lake`).
    fn name(&self) -> String;
    /// Take one batch of `dataset`; it is durable or buffered in order when this returns.
    ///
    /// # Errors
    /// An I/O failure; the run then reports the sink as failed.
    fn write(&mut self, dataset: &str, batch: &RecordBatch) -> Result<()>;
    /// Make everything written so far durable (close files, flush streams).
    ///
    /// # Errors
    /// An I/O failure.
    fn flush(&mut self) -> Result<()>;
}

/// Build the sinks of a run.
///
/// # Errors
/// A sink that cannot be opened (unwritable directory or file).
pub fn build(specs: &[SinkSpec], writer_name: &str) -> Result<Vec<Box<dyn Sink>>> {
    specs
        .iter()
        .map(|s| -> Result<Box<dyn Sink>> {
            Ok(match s {
                SinkSpec::Parquet(dir) => Box::new(ParquetSink::open(dir, writer_name)?),
                SinkSpec::Jsonl(path) => Box::new(JsonlSink::open(path)?),
                SinkSpec::Kafka(cfg) => Box::new(kafka::KafkaSink::open(cfg)?),
            })
        })
        .collect()
}
