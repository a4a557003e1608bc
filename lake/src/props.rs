//! Parquet writer properties and the schema rules that keep the lake readable by Spark.

use arrow::datatypes::{DataType, Schema, TimeUnit};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::error::{LakeError, Result};
use crate::partition::{is_utc_micros, TS_COLUMN};

/// Rows per Parquet row group.
///
/// Row groups are the unit of statistics and bloom filter pruning; 128 Ki rows keeps
/// a writer's memory per open file bounded (the writer buffers one row group) while
/// still giving DataFusion and Spark large sequential reads.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Target false-positive rate of the bloom filters.
///
/// 1% costs about 10 bits per distinct value; the writer sizes each filter for
/// [`ROW_GROUP_ROWS`] values and folds it down to what the row group really held.
pub const BLOOM_FPP: f64 = 0.01;

/// zstd level: 3 is zstd's own default, a good speed/size balance for log-like data.
const ZSTD_LEVEL: i32 = 3;

/// Indicator columns every dataset has (flow identifiers and addresses).
const COMMON: [&str; 4] = ["uid", "community_id", "src_ip", "dst_ip"];

/// Builds a `'static` slice of [`COMMON`] followed by the dataset's own columns.
macro_rules! indicators {
    ($($col:literal),* $(,)?) => {
        &["uid", "community_id", "src_ip", "dst_ip", $($col),*]
    };
}

/// The indicator columns of a dataset: the ones analysts look up by exact value
/// (an IP, a domain, a hash, a fingerprint), which therefore get bloom filters.
///
/// Names follow SCHEMA.md. Unknown datasets get the columns every dataset has
/// (`uid`, `community_id`, `src_ip`, `dst_ip`).
pub fn indicator_columns(dataset: &str) -> &'static [&'static str] {
    match dataset {
        "dns" => indicators!["query"],
        "tls" => indicators!["server_name", "ja3", "ja3s", "ja4", "ja4s"],
        "x509" => indicators![
            "fingerprint_sha256",
            "fingerprint_sha1",
            "serial",
            "common_name",
            "ja4x"
        ],
        "http" => indicators!["host", "user_agent", "ja4h"],
        "files" => indicators!["fuid", "md5", "sha1", "sha256"],
        "smtp" => indicators!["helo", "mail_from"],
        "email" => indicators!["from", "msg_id", "x_originating_ip"],
        "smb" => indicators!["fuid", "name"],
        "ntlm" => indicators!["username", "domain", "hostname"],
        _ => &COMMON,
    }
}

/// The Parquet properties the lake always uses for `dataset`, with bloom filters on
/// its [`indicator_columns`].
///
/// zstd compression, dictionary encoding, page-level statistics with the page index
/// (column index and offset index), [`ROW_GROUP_ROWS`]-row row groups, and
/// spec-compliant type coercion (`element` list items, as Spark and Trino expect).
pub fn writer_properties(schema: &Schema, dataset: &str) -> WriterProperties {
    writer_properties_with_bloom(schema, indicator_columns(dataset))
}

/// Like [`writer_properties`], with bloom filters on exactly `bloom_columns`.
///
/// A bloom filter is written for each named column that is a top-level string or
/// binary column of `schema`; other names are ignored (readers prune only on
/// top-level equality predicates, so filters on list items would only cost space).
pub fn writer_properties_with_bloom<S: AsRef<str>>(
    schema: &Schema,
    bloom_columns: &[S],
) -> WriterProperties {
    let zstd = ZstdLevel::try_new(ZSTD_LEVEL).unwrap_or_default();
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(zstd))
        .set_dictionary_enabled(true)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_offset_index_disabled(false)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_coerce_types(true)
        .set_created_by(format!("netlake lake {}", env!("CARGO_PKG_VERSION")));
    for name in bloom_columns.iter().map(AsRef::as_ref) {
        let Ok(field) = schema.field_with_name(name) else {
            continue;
        };
        if !is_string_like(field.data_type()) {
            continue;
        }
        let col = ColumnPath::from(name);
        builder = builder
            .set_column_bloom_filter_enabled(col.clone(), true)
            .set_column_bloom_filter_fpp(col.clone(), BLOOM_FPP)
            .set_column_bloom_filter_max_ndv(col, ROW_GROUP_ROWS as u64);
    }
    builder.build()
}

fn is_string_like(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
    )
}

/// Checks the rules that keep a dataset readable by Spark, DuckDB and Trino.
///
/// - `ts` exists and is `Timestamp(Microsecond, "UTC")` (it is the partition key);
/// - no unsigned integers anywhere, nested types included (Spark has none);
/// - no nanosecond timestamps (Spark cannot read them).
///
/// Dictionary *keys* may be unsigned: Parquet stores only the values.
///
/// # Errors
/// [`LakeError::InvalidSchema`] naming the first offending column.
pub fn check_schema(dataset: &str, schema: &Schema) -> Result<()> {
    let invalid = |reason: String| LakeError::InvalidSchema {
        dataset: dataset.to_owned(),
        reason,
    };
    match schema.field_with_name(TS_COLUMN) {
        Ok(f) if is_utc_micros(f.data_type()) => {}
        Ok(f) => {
            return Err(invalid(format!(
                "column '{TS_COLUMN}' is {}, expected Timestamp(Microsecond, \"UTC\")",
                f.data_type()
            )))
        }
        Err(_) => return Err(invalid(format!("no '{TS_COLUMN}' column to partition by"))),
    }
    for field in schema.fields() {
        if let Some(why) = spark_incompatible(field.data_type()) {
            return Err(invalid(format!("column '{}' {why}", field.name())));
        }
    }
    Ok(())
}

/// Why a type cannot be read by Spark, if it cannot.
fn spark_incompatible(dt: &DataType) -> Option<String> {
    match dt {
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => Some(format!(
            "is unsigned ({dt}); the lake allows signed integers only"
        )),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            Some("has nanosecond timestamps; use microseconds".to_owned())
        }
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::ListView(f)
        | DataType::LargeListView(f) => spark_incompatible(f.data_type()),
        DataType::FixedSizeList(f, _) | DataType::Map(f, _) => spark_incompatible(f.data_type()),
        DataType::Struct(fields) => fields
            .iter()
            .find_map(|f| spark_incompatible(f.data_type())),
        DataType::Dictionary(_, value) => spark_incompatible(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Field;
    use std::sync::Arc;

    fn ts() -> Field {
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        )
    }

    #[test]
    fn indicator_columns_cover_common_and_dataset_fields() {
        for ds in [
            "flow", "dns", "tls", "x509", "http", "files", "weird", "nope",
        ] {
            let cols = indicator_columns(ds);
            assert!(COMMON.iter().all(|c| cols.contains(c)), "{ds}");
        }
        assert!(indicator_columns("dns").contains(&"query"));
        assert!(indicator_columns("files").contains(&"sha256"));
    }

    #[test]
    fn bloom_only_on_present_string_columns() {
        let schema = Schema::new(vec![
            ts(),
            Field::new("src_ip", DataType::Utf8, true),
            Field::new("src_port", DataType::Int32, true),
        ]);
        let props = writer_properties_with_bloom(&schema, &["src_ip", "src_port", "missing"]);
        assert!(props
            .bloom_filter_properties(&ColumnPath::from("src_ip"))
            .is_some());
        assert!(props
            .bloom_filter_properties(&ColumnPath::from("src_port"))
            .is_none());
        assert!(props
            .bloom_filter_properties(&ColumnPath::from("dst_ip"))
            .is_none());
        assert!(matches!(
            props.compression(&ColumnPath::from("src_ip")),
            Compression::ZSTD(_)
        ));
    }

    #[test]
    fn check_schema_rejects_unsigned_and_bad_ts() {
        let ok = Schema::new(vec![ts(), Field::new("n", DataType::Int64, true)]);
        check_schema("flow", &ok).unwrap();

        let nested = DataType::List(Arc::new(Field::new("item", DataType::UInt16, true)));
        let bad = Schema::new(vec![ts(), Field::new("ports", nested, true)]);
        let err = check_schema("flow", &bad).unwrap_err().to_string();
        assert!(err.contains("'ports'") && err.contains("unsigned"), "{err}");

        let nanos = Schema::new(vec![Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            false,
        )]);
        assert!(check_schema("flow", &nanos).is_err());
        assert!(check_schema("flow", &Schema::empty()).is_err());
    }
}
