//! The Kafka message format shared by the sensor's Kafka sink and the lake writer.
//!
//! A message value is one Arrow IPC *stream* (the schema, then one record batch,
//! buffers zstd-compressed), or one JSON object (a JSON-lines record). The headers
//! named here describe it without decoding it; the key is the sensor name.

use std::io::Cursor;

use arrow::array::{Array, TimestampMicrosecondArray};
use arrow::datatypes::Schema;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow::ipc::CompressionType;
use arrow::record_batch::RecordBatch;

use crate::error::{Result, StreamError};
use crate::partition::TS_COLUMN;

/// Header: the dataset (`dns`, `flow`, ...).
pub const HEADER_DATASET: &str = "dataset";
/// Header: [`schema_fingerprint`] of the batch, hex.
pub const HEADER_SCHEMA: &str = "schema_fp";
/// Header: the sensor name.
pub const HEADER_SENSOR: &str = "sensor";
/// Header: rows in the batch, decimal.
pub const HEADER_ROWS: &str = "rows";
/// Header: the smallest `ts` in the batch, microseconds since the epoch, decimal.
pub const HEADER_FIRST_TS: &str = "first_ts";
/// Header: the largest `ts` in the batch, microseconds since the epoch, decimal.
pub const HEADER_LAST_TS: &str = "last_ts";
/// Header: the payload format, [`FORMAT_ARROW`] or [`FORMAT_JSON`].
pub const HEADER_FORMAT: &str = "format";
/// [`HEADER_FORMAT`] value of an Arrow IPC stream.
pub const FORMAT_ARROW: &str = "arrow-ipc-zstd";
/// [`HEADER_FORMAT`] value of a JSON record.
pub const FORMAT_JSON: &str = "json";

/// Encodes `batch` as one Arrow IPC stream (schema + batch), zstd-compressed buffers.
///
/// # Errors
/// [`StreamError::Ipc`] if Arrow cannot encode the batch.
pub fn encode_ipc(batch: &RecordBatch) -> Result<Vec<u8>> {
    let ipc = |source| StreamError::Ipc { source };
    let opts = IpcWriteOptions::default()
        .try_with_compression(Some(CompressionType::ZSTD))
        .map_err(ipc)?;
    let mut out = Vec::with_capacity(batch.get_array_memory_size() / 4);
    let mut w = StreamWriter::try_new_with_options(&mut out, &batch.schema(), opts).map_err(ipc)?;
    w.write(batch).map_err(ipc)?;
    w.finish().map_err(ipc)?;
    drop(w);
    Ok(out)
}

/// Decodes an Arrow IPC stream into its record batches (usually exactly one).
///
/// # Errors
/// [`StreamError::Ipc`] for anything that is not a valid stream.
pub fn decode_ipc(payload: &[u8]) -> Result<Vec<RecordBatch>> {
    let ipc = |source| StreamError::Ipc { source };
    let reader = StreamReader::try_new(Cursor::new(payload), None).map_err(ipc)?;
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(ipc)?;
    Ok(batches)
}

/// True if `payload` looks like an Arrow IPC stream (it starts with the 0xFFFFFFFF
/// continuation marker) rather than a JSON object.
pub fn is_ipc(payload: &[u8]) -> bool {
    payload.starts_with(&[0xff, 0xff, 0xff, 0xff])
}

/// A stable fingerprint of a schema's field names, types and nullability: FNV-1a
/// 64 over their rendering, as 16 hex digits. Two batches with equal fingerprints
/// can share a Parquet file.
pub fn schema_fingerprint(schema: &Schema) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in schema.fields() {
        let text = format!("{}:{}:{};", f.name(), f.data_type(), f.is_nullable());
        for b in text.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The smallest and largest `ts` (microseconds) of a batch, if it has any rows.
pub fn ts_range(batch: &RecordBatch) -> Option<(i64, i64)> {
    let ts = batch
        .column_by_name(TS_COLUMN)?
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()?;
    let mut it = ts.iter().flatten();
    let first = it.next()?;
    Some(it.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::StringArray;
    use arrow::datatypes::{DataType, Field, TimeUnit};
    use std::sync::Arc;

    #[test]
    fn ipc_round_trips_with_zstd() {
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new("q", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(TimestampMicrosecondArray::from(vec![5, 3, 9]).with_timezone("UTC")),
                Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])),
            ],
        )
        .unwrap();
        let bytes = encode_ipc(&batch).unwrap();
        assert!(is_ipc(&bytes));
        let back = decode_ipc(&bytes).unwrap();
        assert_eq!(back, vec![batch.clone()]);
        assert_eq!(ts_range(&batch), Some((3, 9)));
        assert_eq!(schema_fingerprint(&schema).len(), 16);
        assert!(decode_ipc(b"{\"x\":1}").is_err());
    }
}
