//! [`LakeWriter`]: record batches of many datasets into the Hive-partitioned lake.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use tracing::{debug, warn};

use crate::error::{LakeError, Result};
use crate::partition::{split_by_hour, HourPartition};
use crate::props::{check_schema, indicator_columns, writer_properties_with_bloom};

/// How a [`LakeWriter`] sizes files and picks bloom filter columns.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Roll to a new file once a file holds this many rows (at least 1).
    pub max_rows_per_file: usize,
    /// Bloom filter columns per dataset, overriding [`indicator_columns`].
    ///
    /// A dataset missing from the map uses [`indicator_columns`]; an empty list
    /// turns bloom filters off for that dataset. Columns absent from the schema,
    /// or not strings, are ignored.
    pub bloom_columns: HashMap<String, Vec<String>>,
}

impl Default for WriterOptions {
    /// One million rows per file, bloom filters on the SCHEMA.md indicator columns.
    fn default() -> Self {
        Self {
            max_rows_per_file: 1_000_000,
            bloom_columns: HashMap::new(),
        }
    }
}

/// Which file a row lands in, before rolling: one open file per key.
type FileKey = (String, HourPartition);

/// A Parquet file being written under its temporary name.
struct OpenFile {
    writer: ArrowWriter<File>,
    tmp: PathBuf,
    dest: PathBuf,
    rows: usize,
}

/// Writes record batches of many datasets into the Hive-partitioned lake
/// `<root>/<dataset>/date=YYYY-MM-DD/hour=HH/<writer>-<seq>.parquet`.
///
/// The partition is the UTC hour of each row's `ts` column
/// (`Timestamp(Microsecond, "UTC")`, non-null); a batch spanning hours is split.
/// There is one open file per (dataset, date, hour). A file is written as
/// `.<writer>-<seq>.parquet.tmp` in its partition directory (dot-prefixed and not
/// ending in `.parquet`, so DataFusion, Spark and DuckDB skip it) and renamed into
/// place, after an fsync, when it is closed: readers never see partial files.
///
/// Files close when they reach [`WriterOptions::max_rows_per_file`] (their paths are
/// reported by the next [`flush`](Self::flush)) and on every `flush`. Data is durable
/// only once `flush` has returned its path. Dropping the writer without `flush`
/// deletes the temporary files: unflushed rows are lost, never half-landed.
///
/// Not thread-safe by design: give each thread its own writer (and writer name).
pub struct LakeWriter {
    root: PathBuf,
    name: String,
    opts: WriterOptions,
    /// Next file sequence number; per writer, so names never collide across writers.
    seq: u64,
    open: BTreeMap<FileKey, OpenFile>,
    /// Schema of each dataset as first written; later batches must match it.
    schemas: HashMap<String, SchemaRef>,
    /// Files closed by rolling since the last flush.
    landed: Vec<PathBuf>,
}

impl LakeWriter {
    /// Creates a writer for the lake at `root`, a local directory created if missing.
    ///
    /// `writer_name` goes into every file name, e.g. `<sensor>-<run id>`, so that
    /// concurrent writers never collide; sequence numbers count per writer from 0.
    ///
    /// # Errors
    /// [`LakeError::InvalidDataset`] if `writer_name` is empty or contains a path
    /// separator or leading dot, [`LakeError::Io`] if `root` cannot be created.
    pub fn new(root: impl Into<PathBuf>, writer_name: &str, opts: WriterOptions) -> Result<Self> {
        let root = root.into();
        if writer_name.is_empty()
            || writer_name.starts_with('.')
            || writer_name.contains(['/', '\\'])
        {
            return Err(LakeError::InvalidDataset {
                dataset: format!("(writer name) {writer_name}"),
            });
        }
        fs::create_dir_all(&root).map_err(|e| LakeError::io(&root, e))?;
        Ok(Self {
            root,
            name: writer_name.to_owned(),
            opts,
            seq: 0,
            open: BTreeMap::new(),
            schemas: HashMap::new(),
            landed: Vec::new(),
        })
    }

    /// The lake root this writer writes under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many files are open (written under a temporary name, not yet landed).
    pub fn open_files(&self) -> usize {
        self.open.len()
    }

    /// Appends `batch` to `dataset`, splitting it by the UTC hour of `ts`.
    ///
    /// Rows become visible to readers only after the file holding them is closed
    /// (by rolling or [`flush`](Self::flush)). An empty batch is a no-op.
    ///
    /// # Errors
    /// - [`LakeError::InvalidDataset`]: the name is not `[a-z0-9_]+` or starts with `_`
    ///   (names starting with `_` are reserved for `_index` and `_agg`);
    /// - [`LakeError::InvalidSchema`] / [`LakeError::NullTimestamp`]: see
    ///   [`check_schema`](crate::check_schema); unsigned types are rejected;
    /// - [`LakeError::SchemaMismatch`]: the schema differs from earlier batches;
    /// - [`LakeError::Io`] / [`LakeError::Parquet`]: writing failed. The batch may
    ///   then be partly buffered; treat the open files as unreliable.
    pub fn write(&mut self, dataset: &str, batch: &RecordBatch) -> Result<()> {
        check_dataset_name(dataset)?;
        self.check_batch_schema(dataset, &batch.schema())?;
        if batch.num_rows() == 0 {
            return Ok(());
        }
        for (part, rows) in split_by_hour(dataset, batch)? {
            self.write_partition(dataset, part, &rows)?;
        }
        Ok(())
    }

    /// Closes every open file, renaming each into place, and returns the paths
    /// landed since the last flush (including files closed by rolling).
    ///
    /// Called at the end of a replay and periodically by the sensor.
    ///
    /// # Errors
    /// The first close failure. Every file is still attempted; a file that failed
    /// stays under its temporary name, and this flush's landed paths are not
    /// returned (they are on disk, complete).
    pub fn flush(&mut self) -> Result<Vec<PathBuf>> {
        let mut first_err = None;
        for ((dataset, _), file) in std::mem::take(&mut self.open) {
            match close(&dataset, file) {
                Ok(path) => self.landed.push(path),
                Err(e) => {
                    warn!(%dataset, error = %e, "closing lake file failed");
                    first_err.get_or_insert(e);
                }
            }
        }
        let landed = std::mem::take(&mut self.landed);
        match first_err {
            Some(e) => Err(e),
            None => Ok(landed),
        }
    }

    fn check_batch_schema(&mut self, dataset: &str, schema: &SchemaRef) -> Result<()> {
        match self.schemas.get(dataset) {
            Some(known) if known == schema || known.fields() == schema.fields() => Ok(()),
            Some(_) => Err(LakeError::SchemaMismatch {
                dataset: dataset.to_owned(),
            }),
            None => {
                check_schema(dataset, schema)?;
                self.schemas.insert(dataset.to_owned(), Arc::clone(schema));
                Ok(())
            }
        }
    }

    /// Writes rows of one partition, rolling files at `max_rows_per_file`.
    fn write_partition(
        &mut self,
        dataset: &str,
        part: HourPartition,
        rows: &RecordBatch,
    ) -> Result<()> {
        let max = self.opts.max_rows_per_file.max(1);
        let key = (dataset.to_owned(), part);
        let mut offset = 0;
        while offset < rows.num_rows() {
            let file = match self.open.entry(key.clone()) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let seq = self.seq;
                    self.seq += 1;
                    let schema = self
                        .schemas
                        .get(dataset)
                        .map_or_else(|| rows.schema(), Arc::clone);
                    let bloom = bloom_columns(&self.opts, dataset);
                    e.insert(open(
                        &self.root, &self.name, seq, dataset, part, schema, &bloom,
                    )?)
                }
            };
            let take = (max - file.rows.min(max)).min(rows.num_rows() - offset);
            let slice = rows.slice(offset, take);
            file.writer
                .write(&slice)
                .map_err(|source| LakeError::Parquet {
                    dataset: dataset.to_owned(),
                    path: file.tmp.clone(),
                    source,
                })?;
            file.rows += take;
            offset += take;
            if file.rows >= max {
                if let Some(full) = self.open.remove(&key) {
                    self.landed.push(close(dataset, full)?);
                }
            }
        }
        Ok(())
    }
}

impl Drop for LakeWriter {
    /// Deletes the temporary files of unflushed data (see the type docs).
    fn drop(&mut self) {
        for ((dataset, part), file) in std::mem::take(&mut self.open) {
            warn!(%dataset, %part, rows = file.rows, path = %file.tmp.display(),
                "lake writer dropped without flush; discarding unflushed rows");
            drop(file.writer);
            if let Err(e) = fs::remove_file(&file.tmp) {
                warn!(path = %file.tmp.display(), error = %e, "cannot remove temporary lake file");
            }
        }
    }
}

/// The bloom filter columns for `dataset` under `opts`.
fn bloom_columns(opts: &WriterOptions, dataset: &str) -> Vec<String> {
    match opts.bloom_columns.get(dataset) {
        Some(cols) => cols.clone(),
        None => indicator_columns(dataset)
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
    }
}

/// Dataset names become directory and SQL table names: keep them plain.
fn check_dataset_name(dataset: &str) -> Result<()> {
    let ok = !dataset.is_empty()
        && !dataset.starts_with('_')
        && dataset
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(LakeError::InvalidDataset {
            dataset: dataset.to_owned(),
        })
    }
}

/// Opens `.<writer>-<seq>.parquet.tmp` in the partition directory.
fn open(
    root: &Path,
    writer: &str,
    seq: u64,
    dataset: &str,
    part: HourPartition,
    schema: SchemaRef,
    bloom: &[String],
) -> Result<OpenFile> {
    let dir = root.join(dataset).join(part.dir());
    fs::create_dir_all(&dir).map_err(|e| LakeError::io(&dir, e))?;
    let name = format!("{writer}-{seq:06}.parquet");
    let dest = dir.join(&name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let file = File::create(&tmp).map_err(|e| LakeError::io(&tmp, e))?;
    let props = writer_properties_with_bloom(&schema, bloom);
    let writer =
        ArrowWriter::try_new(file, schema, Some(props)).map_err(|source| LakeError::Parquet {
            dataset: dataset.to_owned(),
            path: tmp.clone(),
            source,
        })?;
    debug!(%dataset, path = %tmp.display(), "opened lake file");
    Ok(OpenFile {
        writer,
        tmp,
        dest,
        rows: 0,
    })
}

/// Finishes the Parquet footer, fsyncs, and renames the file into place.
fn close(dataset: &str, file: OpenFile) -> Result<PathBuf> {
    let OpenFile {
        writer,
        tmp,
        dest,
        rows,
    } = file;
    let f = writer.into_inner().map_err(|source| LakeError::Parquet {
        dataset: dataset.to_owned(),
        path: tmp.clone(),
        source,
    })?;
    f.sync_all().map_err(|e| LakeError::io(&tmp, e))?;
    drop(f);
    fs::rename(&tmp, &dest).map_err(|e| LakeError::io(&dest, e))?;
    // Make the rename itself durable: fsync the directory entry.
    if let Some(dir) = dest.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| LakeError::io(dir, e))?;
    }
    debug!(%dataset, rows, path = %dest.display(), "landed lake file");
    Ok(dest)
}
