//! SQL over the lake with DataFusion: one listing table per dataset directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use datafusion::common::TableReference;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::{LakeError, Result};

/// File extension of landed lake files; temporary files never end in it.
const PARQUET_EXT: &str = ".parquet";

/// Hive partition columns of every table, in directory order.
///
/// `date` is `Utf8` (`'2026-11-28'`, ISO order sorts as text) and `hour` is
/// `Int32` (0 to 23, from `hour=05`), so `WHERE date = '2026-11-28' AND hour >= 5`
/// prunes whole directories.
pub fn partition_columns() -> Vec<(String, DataType)> {
    vec![
        ("date".to_owned(), DataType::Utf8),
        ("hour".to_owned(), DataType::Int32),
    ]
}

/// Runs one SQL statement over the lake at `root`.
///
/// Each dataset directory with data (see [`datasets`]) is a table named after it
/// (`dns`, `flow`, ...), with the partition columns of [`partition_columns`]
/// appended. Only files ending in `.parquet` are read, so files still being
/// written are invisible. The table schema is inferred from the files' footers.
/// Filter pushdown into the Parquet scan is on, so page indexes and bloom filters
/// prune indicator lookups (`WHERE src_ip = '198.51.100.7'`).
///
/// Only the tables the statement names are registered, which keeps the cost of
/// a query independent of the number of datasets.
///
/// # Errors
/// [`LakeError::UnknownTable`] when the statement names a table with no data
/// (the message lists the datasets present), [`LakeError::Query`] for SQL or
/// execution errors, [`LakeError::Io`] if the lake cannot be listed.
pub async fn query(root: &Path, sql: &str) -> Result<Vec<RecordBatch>> {
    let ctx = session();
    let query_err = |e: DataFusionError| LakeError::Query {
        root: root.to_owned(),
        source: Box::new(e),
    };
    let state = ctx.state();
    let dialect = state.config().options().sql_parser.dialect;
    let statement = state.sql_to_statement(sql, &dialect).map_err(query_err)?;
    let tables = state
        .resolve_table_references(&statement)
        .map_err(query_err)?;

    let present = datasets(root)?;
    for table in tables {
        let name = table.table();
        // Catalog-qualified names (information_schema.tables, ...) are DataFusion's own.
        if !matches!(table, TableReference::Bare { .. }) {
            continue;
        }
        if !present.iter().any(|d| d == name) {
            return Err(LakeError::UnknownTable {
                table: name.to_owned(),
                root: root.to_owned(),
                datasets: present,
            });
        }
        register(&ctx, root, name).await.map_err(query_err)?;
    }
    // A fresh state snapshot, so it certainly sees the tables registered above.
    let plan = ctx
        .state()
        .statement_to_plan(statement)
        .await
        .map_err(query_err)?;
    let df = ctx.execute_logical_plan(plan).await.map_err(query_err)?;
    df.collect().await.map_err(query_err)
}

/// [`query`] for callers without an async runtime: builds its own tokio runtime.
///
/// # Errors
/// As [`query`], plus [`LakeError::Runtime`] if the runtime cannot start.
///
/// # Panics
/// If called from inside a tokio runtime (tokio forbids nested `block_on`); use
/// [`query`] there.
pub fn query_blocking(root: &Path, sql: &str) -> Result<Vec<RecordBatch>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| LakeError::Runtime { source })?;
    rt.block_on(query(root, sql))
}

/// Datasets present in the lake: directories under `root` holding at least one
/// `.parquet` file at any depth, sorted by name.
///
/// Directories starting with `_` (`_index`, `_agg`) or `.` are not datasets.
/// A missing `root` has no datasets.
///
/// # Errors
/// [`LakeError::Io`] if a directory cannot be read.
pub fn datasets(root: &Path) -> Result<Vec<String>> {
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LakeError::io(root, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| LakeError::io(root, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with(['_', '.']) || !entry.path().is_dir() {
            continue;
        }
        if has_parquet(&entry.path())? {
            found.push(name);
        }
    }
    found.sort();
    Ok(found)
}

/// True if `dir` holds a landed `.parquet` file at any depth (stops at the first).
fn has_parquet(dir: &Path) -> Result<bool> {
    let mut stack: Vec<PathBuf> = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| LakeError::io(&dir, e))? {
            let entry = entry.map_err(|e| LakeError::io(&dir, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(PARQUET_EXT) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// A session with Parquet filter pushdown on; bloom filters and page indexes are
/// read by default (`bloom_filter_on_read`, `enable_page_index`).
pub(crate) fn session() -> SessionContext {
    let mut config = SessionConfig::new().with_information_schema(true);
    let parquet = &mut config.options_mut().execution.parquet;
    parquet.pushdown_filters = true;
    parquet.reorder_filters = true;
    parquet.bloom_filter_on_read = true;
    parquet.enable_page_index = true;
    parquet.pruning = true;
    SessionContext::new_with_config(config)
}

/// Registers `<root>/<dataset>/` as a Hive-partitioned listing table.
async fn register(
    ctx: &SessionContext,
    root: &Path,
    dataset: &str,
) -> datafusion::error::Result<()> {
    let dir = std::path::absolute(root.join(dataset))?;
    let dir = dir.to_str().ok_or_else(|| {
        DataFusionError::Plan(format!("lake path {} is not UTF-8", dir.display()))
    })?;
    // A trailing separator marks the table path as a directory (a "collection").
    let url = format!("{}/", dir.trim_end_matches('/'));
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(PARQUET_EXT)
        .with_table_partition_cols(partition_columns());
    ctx.register_listing_table(dataset, url, options, None, None)
        .await
}
