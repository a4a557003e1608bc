//! The embedded lake sink: Hive-partitioned Parquet files in a local directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::record_batch::RecordBatch;
use lake::{LakeWriter, WriterOptions};

use super::Sink;

/// Writes batches into `<root>/<dataset>/date=.../hour=.../<writer>-<seq>.parquet`.
pub struct ParquetSink {
    root: PathBuf,
    writer: LakeWriter,
    /// Files landed so far.
    pub files: usize,
}

impl ParquetSink {
    /// Open (create) the lake directory.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn open(root: &Path, writer_name: &str) -> Result<Self> {
        let writer = LakeWriter::new(root, writer_name, WriterOptions::default())
            .with_context(|| format!("opening the lake at {}", root.display()))?;
        Ok(ParquetSink {
            root: root.to_path_buf(),
            writer,
            files: 0,
        })
    }
}

impl Sink for ParquetSink {
    fn name(&self) -> String {
        format!("parquet:{}", self.root.display())
    }

    fn write(&mut self, dataset: &str, batch: &RecordBatch) -> Result<()> {
        self.writer
            .write(dataset, batch)
            .with_context(|| format!("writing {dataset} to the lake at {}", self.root.display()))
    }

    fn flush(&mut self) -> Result<()> {
        let landed = self
            .writer
            .flush()
            .with_context(|| format!("closing Parquet files in {}", self.root.display()))?;
        self.files += landed.len();
        Ok(())
    }
}
