//! JSON lines: one object per record, `"dataset"` first, timestamps as RFC 3339
//! with microseconds and `Z`, lists as arrays, nulls omitted (SCHEMA.md).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::array::{
    Array, AsArray, BooleanArray, Float64Array, Int32Array, Int64Array, ListArray, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Int64Type};
use arrow::record_batch::RecordBatch;

use super::Sink;

/// Writes JSON lines to a file or standard output.
pub struct JsonlSink {
    path: PathBuf,
    out: BufWriter<Box<dyn Write + Send>>,
    buf: Vec<u8>,
    /// Standard output was closed by the reader (`| head`): stop writing, not an error.
    broken_pipe: bool,
}

impl JsonlSink {
    /// Open `path` for writing (`-` = standard output).
    ///
    /// # Errors
    /// When the file cannot be created.
    pub fn open(path: &Path) -> Result<Self> {
        let w: Box<dyn Write + Send> = if path.as_os_str() == "-" {
            Box::new(io::stdout())
        } else {
            Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?)
        };
        Ok(JsonlSink {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 16, w),
            buf: Vec::new(),
            broken_pipe: false,
        })
    }

    fn io(&mut self, r: io::Result<()>) -> Result<()> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.broken_pipe = true;
                Ok(())
            }
            other => other.with_context(|| format!("writing {}", self.path.display())),
        }
    }
}

impl Sink for JsonlSink {
    fn name(&self) -> String {
        format!("jsonl:{}", self.path.display())
    }

    fn write(&mut self, dataset: &str, batch: &RecordBatch) -> Result<()> {
        if self.broken_pipe {
            return Ok(());
        }
        self.buf.clear();
        encode_batch(dataset, batch, &mut self.buf);
        let r = self.out.write_all(&self.buf);
        self.io(r)
    }

    fn flush(&mut self) -> Result<()> {
        if self.broken_pipe {
            return Ok(());
        }
        let r = self.out.flush();
        self.io(r)
    }
}

/// Append every row of `batch` to `out` as one JSON object per line.
pub fn encode_batch(dataset: &str, batch: &RecordBatch, out: &mut Vec<u8>) {
    let schema = batch.schema();
    for row in 0..batch.num_rows() {
        out.extend_from_slice(b"{\"dataset\":");
        json_str(dataset, out);
        for (i, field) in schema.fields().iter().enumerate() {
            let col = batch.column(i);
            if col.is_null(row) {
                continue;
            }
            out.push(b',');
            json_str(field.name(), out);
            out.push(b':');
            value(col.as_ref(), row, out);
        }
        out.extend_from_slice(b"}\n");
    }
}

fn value(col: &dyn Array, row: usize, out: &mut Vec<u8>) {
    match col.data_type() {
        DataType::Utf8 => json_str(
            col.as_any()
                .downcast_ref::<StringArray>()
                .map_or("", |a| a.value(row)),
            out,
        ),
        DataType::Int32 => {
            let v = col
                .as_any()
                .downcast_ref::<Int32Array>()
                .map_or(0, |a| a.value(row));
            let _ = write!(out, "{v}");
        }
        DataType::Int64 => {
            let v = col
                .as_any()
                .downcast_ref::<Int64Array>()
                .map_or(0, |a| a.value(row));
            let _ = write!(out, "{v}");
        }
        DataType::Float64 => {
            let v = col
                .as_any()
                .downcast_ref::<Float64Array>()
                .map_or(0.0, |a| a.value(row));
            if v.is_finite() {
                let _ = write!(out, "{v}");
            } else {
                out.extend_from_slice(b"null");
            }
        }
        DataType::Boolean => {
            let v = col
                .as_any()
                .downcast_ref::<BooleanArray>()
                .is_some_and(|a| a.value(row));
            out.extend_from_slice(if v { b"true" } else { b"false" });
        }
        DataType::Timestamp(_, _) => {
            let us = col
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .map_or(0, |a| a.value(row));
            out.push(b'"');
            rfc3339_us(us, out);
            out.push(b'"');
        }
        DataType::List(f) => {
            let list = col.as_any().downcast_ref::<ListArray>();
            out.push(b'[');
            if let Some(list) = list {
                let items = list.value(row);
                for j in 0..items.len() {
                    if j > 0 {
                        out.push(b',');
                    }
                    if items.is_null(j) {
                        out.extend_from_slice(b"null");
                    } else if matches!(f.data_type(), DataType::Int64) {
                        let _ = write!(out, "{}", items.as_primitive::<Int64Type>().value(j));
                    } else {
                        value(items.as_ref(), j, out);
                    }
                }
            }
            out.push(b']');
        }
        _ => out.extend_from_slice(b"null"),
    }
}

fn json_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                let _ = write!(out, "\\u{b:04x}");
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for microseconds since the epoch (proleptic Gregorian, UTC).
pub fn rfc3339_us(us: i64, out: &mut Vec<u8>) {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's civil-from-days algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::DatasetBatch;

    #[test]
    fn timestamps_are_rfc3339_micro_utc() {
        let mut v = Vec::new();
        rfc3339_us(1_258_544_708_123_456, &mut v);
        assert_eq!(String::from_utf8(v).unwrap(), "2009-11-18T11:45:08.123456Z");
        let mut v = Vec::new();
        rfc3339_us(951_782_400_000_001, &mut v); // 2000-02-29, a leap day
        assert_eq!(String::from_utf8(v).unwrap(), "2000-02-29T00:00:00.000001Z");
    }

    #[test]
    fn rows_have_dataset_first_and_omit_nulls() {
        let mut b = DatasetBatch::new("weird", 2);
        b.row()
            .ts(Some(0))
            .str(Some("Cabc"))
            .str(None)
            .str(Some("s\"1"))
            .str(Some("10.0.0.1"))
            .str(Some("10.0.0.2"))
            .i32(Some(1))
            .i32(Some(2))
            .str(Some("udp"))
            .i32(None)
            .str(Some("dns_unmatched_reply"))
            .str(None)
            .bool(Some(false));
        let batch = b.finish().unwrap().unwrap();
        let mut out = Vec::new();
        encode_batch("weird", &batch, &mut out);
        let line = String::from_utf8(out).unwrap();
        assert!(
            line.starts_with("{\"dataset\":\"weird\",\"ts\":\"1970-01-01T00:00:00.000000Z\""),
            "{line}"
        );
        assert!(!line.contains("community_id") && !line.contains("addl") && !line.contains("vlan"));
        let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(v["sensor"], "s\"1");
        assert_eq!(v["notice"], false);
    }
}
