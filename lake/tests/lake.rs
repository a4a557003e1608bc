//! End-to-end tests: write a lake into a temp dir, then inspect files and query it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, Int32Array, ListBuilder, StringArray, StringBuilder, TimestampMicrosecondArray,
    UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use lake::{
    datasets, format_batches, query, query_blocking, LakeError, LakeWriter, OutputFormat,
    WriterOptions,
};
use parquet::basic::{Compression, LogicalType, TimeUnit as ParquetTimeUnit};
use parquet::file::properties::ReaderProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::serialized_reader::ReadOptionsBuilder;

/// 2026-11-28T05:00:00Z in microseconds.
const H05: i64 = 1_795_842_000 * 1_000_000;
const HOUR: i64 = 3_600 * 1_000_000;

fn ts_field() -> Field {
    Field::new(
        "ts",
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        false,
    )
}

fn ts_array(ts: &[i64]) -> Arc<TimestampMicrosecondArray> {
    Arc::new(TimestampMicrosecondArray::from(ts.to_vec()).with_timezone("UTC"))
}

/// flow rows: (ts, src_ip, dst_ip, dst_port)
fn flow_batch(rows: &[(i64, &str, &str, i32)]) -> RecordBatch {
    let schema = Schema::new(vec![
        ts_field(),
        Field::new("src_ip", DataType::Utf8, true),
        Field::new("dst_ip", DataType::Utf8, true),
        Field::new("dst_port", DataType::Int32, true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            ts_array(&rows.iter().map(|r| r.0).collect::<Vec<_>>()),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.3))),
        ],
    )
    .unwrap()
}

/// dns rows: (ts, src_ip, query, answers)
fn dns_batch(rows: &[(i64, &str, &str, &[&str])]) -> RecordBatch {
    let mut answers = ListBuilder::new(StringBuilder::new());
    for r in rows {
        for a in r.3 {
            answers.values().append_value(a);
        }
        answers.append(true);
    }
    let answers = answers.finish();
    let schema = Schema::new(vec![
        ts_field(),
        Field::new("src_ip", DataType::Utf8, true),
        Field::new("query", DataType::Utf8, true),
        Field::new("answers", answers.data_type().clone(), true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            ts_array(&rows.iter().map(|r| r.0).collect::<Vec<_>>()),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
            Arc::new(answers),
        ],
    )
    .unwrap()
}

/// Writes flow and dns rows spanning 05:xx and 06:xx on 2026-11-28, and flushes.
fn write_sample_lake(root: &Path) -> Vec<PathBuf> {
    let mut w = LakeWriter::new(root, "s1-r1", WriterOptions::default()).unwrap();
    w.write(
        "flow",
        &flow_batch(&[
            (H05 + 10, "10.0.0.1", "192.0.2.1", 443),
            (H05 + HOUR + 5, "10.0.0.2", "192.0.2.1", 53),
            (H05 + 20, "10.0.0.1", "192.0.2.9", 443),
        ]),
    )
    .unwrap();
    w.write(
        "flow",
        &flow_batch(&[(H05 + HOUR + 6, "10.0.0.3", "192.0.2.1", 443)]),
    )
    .unwrap();
    w.write(
        "dns",
        &dns_batch(&[
            (H05 + 1, "10.0.0.1", "example.com", &["93.184.216.34"]),
            (
                H05 + HOUR + 1,
                "10.0.0.2",
                "evil.example",
                &["198.51.100.7", "198.51.100.8"],
            ),
            (H05 + 2, "10.0.0.1", "example.com", &[]),
        ]),
    )
    .unwrap();
    assert_eq!(w.open_files(), 4);
    let landed = w.flush().unwrap();
    assert_eq!(w.open_files(), 0);
    landed
}

/// Every file under `dir`, recursively, relative to `dir`.
fn all_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

fn reader(path: &Path) -> SerializedFileReader<File> {
    let opts = ReadOptionsBuilder::new()
        .with_reader_properties(
            ReaderProperties::builder()
                .set_read_bloom_filter(true)
                .build(),
        )
        .build();
    SerializedFileReader::new_with_options(File::open(path).unwrap(), opts).unwrap()
}

#[test]
fn writer_lands_hive_paths_without_tmp_files() {
    let dir = tempfile::tempdir().unwrap();
    let landed = write_sample_lake(dir.path());
    let files = all_files(dir.path());
    assert_eq!(
        files,
        [
            "dns/date=2026-11-28/hour=05/s1-r1-000002.parquet",
            "dns/date=2026-11-28/hour=06/s1-r1-000003.parquet",
            "flow/date=2026-11-28/hour=05/s1-r1-000000.parquet",
            "flow/date=2026-11-28/hour=06/s1-r1-000001.parquet",
        ]
    );
    assert_eq!(landed.len(), 4);
    assert!(landed.iter().all(|p| p.exists()));

    let rows = |rel: &str| {
        reader(&dir.path().join(rel))
            .metadata()
            .file_metadata()
            .num_rows()
    };
    assert_eq!(rows("flow/date=2026-11-28/hour=05/s1-r1-000000.parquet"), 2);
    assert_eq!(rows("flow/date=2026-11-28/hour=06/s1-r1-000001.parquet"), 2);
    assert_eq!(rows("dns/date=2026-11-28/hour=05/s1-r1-000002.parquet"), 2);
    assert_eq!(rows("dns/date=2026-11-28/hour=06/s1-r1-000003.parquet"), 1);
    assert_eq!(datasets(dir.path()).unwrap(), ["dns", "flow"]);
}

#[test]
fn written_files_have_zstd_statistics_page_index_and_bloom() {
    let dir = tempfile::tempdir().unwrap();
    write_sample_lake(dir.path());
    let path = dir
        .path()
        .join("flow/date=2026-11-28/hour=05/s1-r1-000000.parquet");
    let r = reader(&path);
    let rg = r.metadata().row_group(0);
    let schema = rg.schema_descr();
    let idx = |name: &str| {
        (0..schema.num_columns())
            .find(|&i| schema.column(i).name() == name)
            .unwrap()
    };

    for col in rg.columns() {
        assert!(matches!(col.compression(), Compression::ZSTD(_)), "{col:?}");
        assert!(
            col.statistics().is_some(),
            "no statistics on {}",
            col.column_path()
        );
        assert!(
            col.column_index_offset().is_some(),
            "no column index on {}",
            col.column_path()
        );
        assert!(
            col.offset_index_offset().is_some(),
            "no offset index on {}",
            col.column_path()
        );
    }
    let src = idx("src_ip");
    assert!(rg.column(src).bloom_filter_offset().is_some());
    assert!(rg.column(idx("dst_port")).bloom_filter_offset().is_none());

    let rgr = r.get_row_group(0).unwrap();
    let sbbf = rgr
        .get_column_bloom_filter(src)
        .expect("bloom filter on src_ip");
    assert!(sbbf.check("10.0.0.1".as_bytes()));
    assert!(!sbbf.check("203.0.113.250".as_bytes()));

    // The timestamp is stored as a UTC-adjusted microsecond timestamp (what Spark reads).
    let ts = schema.column(idx("ts"));
    match ts.logical_type_ref() {
        Some(LogicalType::Timestamp(t)) => {
            assert!(t.is_adjusted_to_u_t_c);
            assert!(matches!(t.unit, ParquetTimeUnit::MICROS));
        }
        other => panic!("ts logical type {other:?}"),
    }
}

#[test]
fn query_group_by_with_partition_filter_in_all_formats() {
    let dir = tempfile::tempdir().unwrap();
    write_sample_lake(dir.path());
    let sql = "SELECT dst_ip, count(*) AS n, min(hour) AS first_hour FROM flow \
               WHERE date = '2026-11-28' GROUP BY dst_ip ORDER BY n DESC";
    let rows = query_blocking(dir.path(), sql).unwrap();

    let csv = format_batches(&rows, OutputFormat::Csv).unwrap();
    assert_eq!(csv, "dst_ip,n,first_hour\n192.0.2.1,3,5\n192.0.2.9,1,5\n");

    let json = format_batches(&rows, OutputFormat::Json).unwrap();
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["dst_ip"], "192.0.2.1");
    assert_eq!(lines[0]["n"], 3);

    let table = format_batches(&rows, OutputFormat::Table).unwrap();
    assert!(
        table.contains("dst_ip") && table.contains("192.0.2.9"),
        "{table}"
    );

    // The hour partition is an integer and prunes like one.
    let rows = query_blocking(dir.path(), "SELECT count(*) AS n FROM flow WHERE hour = 6").unwrap();
    assert_eq!(format_batches(&rows, OutputFormat::Csv).unwrap(), "n\n2\n");
    let rows = query_blocking(
        dir.path(),
        "SELECT count(*) AS n FROM flow WHERE date = '2026-11-29'",
    )
    .unwrap();
    assert_eq!(format_batches(&rows, OutputFormat::Csv).unwrap(), "n\n0\n");
}

#[test]
fn query_reads_lists_timestamps_and_joins() {
    let dir = tempfile::tempdir().unwrap();
    write_sample_lake(dir.path());
    let sql = "SELECT d.query, d.answers, f.dst_port, d.ts FROM dns d JOIN flow f \
               ON d.src_ip = f.src_ip AND d.hour = f.hour \
               WHERE d.query = 'evil.example'";
    let rows = query_blocking(dir.path(), sql).unwrap();
    let json = format_batches(&rows, OutputFormat::Json).unwrap();
    let v: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(v["query"], "evil.example");
    assert_eq!(
        v["answers"],
        serde_json::json!(["198.51.100.7", "198.51.100.8"])
    );
    assert_eq!(v["dst_port"], 53);
    assert!(
        v["ts"].as_str().unwrap().starts_with("2026-11-28T06:00:00"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_table_names_datasets_present() {
    let dir = tempfile::tempdir().unwrap();
    write_sample_lake(dir.path());
    let err = query(dir.path(), "SELECT * FROM tls WHERE ja3 = 'x'")
        .await
        .unwrap_err();
    assert!(matches!(err, LakeError::UnknownTable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("table 'tls' not found: the lake at "),
        "{msg}"
    );
    assert!(msg.ends_with("has datasets dns, flow"), "{msg}");

    let empty = tempfile::tempdir().unwrap();
    let msg = query(empty.path(), "SELECT 1 FROM dns")
        .await
        .unwrap_err()
        .to_string();
    assert!(msg.ends_with("has no datasets yet"), "{msg}");

    // Plain SQL errors are query errors, not panics.
    let err = query(dir.path(), "SELEKT nonsense").await.unwrap_err();
    assert!(matches!(err, LakeError::Query { .. }), "{err:?}");
}

#[test]
fn unflushed_files_are_invisible_and_dropped_writer_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LakeWriter::new(dir.path(), "s1-r2", WriterOptions::default()).unwrap();
    w.write("flow", &flow_batch(&[(H05, "10.0.0.1", "192.0.2.1", 80)]))
        .unwrap();
    let files = all_files(dir.path());
    assert_eq!(
        files,
        ["flow/date=2026-11-28/hour=05/.s1-r2-000000.parquet.tmp"]
    );
    assert!(datasets(dir.path()).unwrap().is_empty());
    drop(w);
    assert!(all_files(dir.path()).is_empty());
}

#[test]
fn writer_rolls_files_at_max_rows() {
    let dir = tempfile::tempdir().unwrap();
    let opts = WriterOptions {
        max_rows_per_file: 2,
        ..WriterOptions::default()
    };
    let mut w = LakeWriter::new(dir.path(), "roll", opts).unwrap();
    let rows: Vec<_> = (0..5)
        .map(|i| (H05 + i, "10.0.0.1", "192.0.2.1", 1))
        .collect();
    w.write("flow", &flow_batch(&rows)).unwrap();
    w.write("flow", &flow_batch(&rows[..1])).unwrap();
    let landed = w.flush().unwrap();
    assert_eq!(landed.len(), 3);
    let counts: Vec<i64> = landed
        .iter()
        .map(|p| reader(p).metadata().file_metadata().num_rows())
        .collect();
    assert_eq!(counts, [2, 2, 2]);
}

#[test]
fn writer_rejects_unsigned_bad_names_and_schema_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LakeWriter::new(dir.path(), "s", WriterOptions::default()).unwrap();
    let schema = Schema::new(vec![
        ts_field(),
        Field::new("bytes", DataType::UInt32, true),
    ]);
    let unsigned = RecordBatch::try_new(
        Arc::new(schema),
        vec![ts_array(&[H05]), Arc::new(UInt32Array::from(vec![1]))],
    )
    .unwrap();
    let err = w.write("flow", &unsigned).unwrap_err();
    assert!(matches!(err, LakeError::InvalidSchema { .. }), "{err:?}");

    let flow = flow_batch(&[(H05, "10.0.0.1", "192.0.2.1", 80)]);
    for bad in ["../etc", "_index", "Flow", ""] {
        assert!(
            matches!(w.write(bad, &flow), Err(LakeError::InvalidDataset { .. })),
            "{bad}"
        );
    }
    w.write("flow", &flow).unwrap();
    let dns = dns_batch(&[(H05, "10.0.0.1", "a.example", &[])]);
    assert!(matches!(
        w.write("flow", &dns),
        Err(LakeError::SchemaMismatch { .. })
    ));
    assert_eq!(w.flush().unwrap().len(), 1);
}

#[test]
fn indicator_lookup_is_pruned_by_bloom_filter() {
    let dir = tempfile::tempdir().unwrap();
    write_sample_lake(dir.path());
    // The 06:00 flow file holds src_ip 10.0.0.2 and 10.0.0.3. 10.0.0.25 sorts between
    // them, so min/max statistics cannot rule the file out; only its bloom filter can.
    let sql = "EXPLAIN ANALYZE SELECT count(*) FROM flow WHERE src_ip = '10.0.0.25' AND hour = 6";
    let rows = query_blocking(dir.path(), sql).unwrap();
    let plan = format_batches(&rows, OutputFormat::Csv).unwrap();
    let key = "row_groups_pruned_bloom_filter=";
    let start = plan
        .find(key)
        .unwrap_or_else(|| panic!("no bloom metric in {plan}"))
        + key.len();
    let metric = plan[start..].split(',').next().unwrap();
    assert_eq!(metric, "1 total → 0 matched", "{plan}");
}
