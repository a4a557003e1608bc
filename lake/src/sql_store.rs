//! SQL over a lake in an object store (S3), with the same tables as [`crate::query`].

use std::path::PathBuf;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use datafusion::common::TableReference;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::error::DataFusionError;

use crate::error::{LakeError, Result, StreamError};
use crate::sql::{partition_columns, query, session};
use crate::store::LakeLocation;

/// Runs one SQL statement over the lake at `location` (a directory or `s3://...`).
///
/// A local directory is queried as [`query`] does. For S3 the bucket's object store
/// is registered with DataFusion and each dataset prefix with objects under it is a
/// Hive-partitioned table (partition columns of [`partition_columns`]).
///
/// # Errors
/// As [`query`]; [`StreamError::Store`] if the bucket cannot be listed.
pub async fn query_location(location: &LakeLocation, sql: &str) -> Result<Vec<RecordBatch>> {
    if let LakeLocation::Local(dir) = location {
        return query(dir, sql).await;
    }
    let root_name = PathBuf::from(location.to_string());
    let query_err = |e: DataFusionError| LakeError::Query {
        root: root_name.clone(),
        source: Box::new(e),
    };
    let (store, root) = location.open()?;
    let listed = store
        .list_with_delimiter(Some(&root))
        .await
        .map_err(|source| StreamError::Store {
            what: "list",
            key: location.to_string(),
            source,
        })?;
    let mut present: Vec<String> = listed
        .common_prefixes
        .iter()
        .filter_map(|p| p.filename().map(str::to_owned))
        .filter(|n| !n.starts_with(['_', '.']))
        .collect();
    present.sort();

    let ctx = session();
    if let Some(url) = location.store_url() {
        ctx.register_object_store(&url, Arc::clone(&store));
    }
    let state = ctx.state();
    let dialect = state.config().options().sql_parser.dialect;
    let statement = state.sql_to_statement(sql, &dialect).map_err(query_err)?;
    let tables = state
        .resolve_table_references(&statement)
        .map_err(query_err)?;
    for table in tables {
        if !matches!(table, TableReference::Bare { .. }) {
            continue;
        }
        let name = table.table();
        if !present.iter().any(|d| d == name) {
            return Err(LakeError::UnknownTable {
                table: name.to_owned(),
                root: root_name,
                datasets: present,
            });
        }
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(partition_columns());
        ctx.register_listing_table(name, location.table_url(name), options, None, None)
            .await
            .map_err(query_err)?;
    }
    let plan = ctx
        .state()
        .statement_to_plan(statement)
        .await
        .map_err(query_err)?;
    let df = ctx.execute_logical_plan(plan).await.map_err(query_err)?;
    df.collect().await.map_err(query_err)
}

/// [`query_location`] for callers without an async runtime.
///
/// # Errors
/// As [`query_location`], plus [`LakeError::Runtime`].
///
/// # Panics
/// If called from inside a tokio runtime.
pub fn query_location_blocking(location: &LakeLocation, sql: &str) -> Result<Vec<RecordBatch>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| LakeError::Runtime { source })?;
    rt.block_on(query_location(location, sql))
}
