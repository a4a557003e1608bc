//! Record batches into Kafka messages: Arrow IPC (split to stay under the message
//! size limit) or one JSON object per record.

use anyhow::{Context, Result};
use arrow::record_batch::RecordBatch;
use lake::ipc;

use super::config::KafkaFormat;
use super::spool::SpoolRecord;

/// Largest message value we send. Brokers refuse values over `message.max.bytes`
/// (1 MB by default in Kafka); a batch that encodes larger is split in halves.
pub const MAX_MESSAGE_BYTES: usize = 900 * 1024;

/// Encodes one batch of `dataset` into messages for `topic`, keyed by `sensor`.
///
/// # Errors
/// Arrow failing to encode the batch.
pub fn encode(
    format: KafkaFormat,
    topic: &str,
    sensor: &str,
    dataset: &str,
    batch: &RecordBatch,
    out: &mut Vec<SpoolRecord>,
) -> Result<()> {
    match format {
        KafkaFormat::Arrow => encode_arrow(topic, sensor, dataset, batch, out),
        KafkaFormat::Json => {
            let mut buf = Vec::new();
            crate::sinks::encode_batch(dataset, batch, &mut buf);
            for line in buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                // No headers: the dataset is in the record and the topic, and some
                // brokers (tansu's sqlite engine) slow down on many headed messages.
                out.push(SpoolRecord {
                    topic: topic.to_owned(),
                    key: sensor.as_bytes().to_vec(),
                    headers: Vec::new(),
                    payload: line.to_vec(),
                });
            }
            Ok(())
        }
    }
}

fn encode_arrow(
    topic: &str,
    sensor: &str,
    dataset: &str,
    batch: &RecordBatch,
    out: &mut Vec<SpoolRecord>,
) -> Result<()> {
    if batch.num_rows() == 0 {
        return Ok(());
    }
    let payload = ipc::encode_ipc(batch).with_context(|| format!("encoding a {dataset} batch"))?;
    if payload.len() > MAX_MESSAGE_BYTES && batch.num_rows() > 1 {
        let half = batch.num_rows() / 2;
        encode_arrow(topic, sensor, dataset, &batch.slice(0, half), out)?;
        return encode_arrow(
            topic,
            sensor,
            dataset,
            &batch.slice(half, batch.num_rows() - half),
            out,
        );
    }
    let (first, last) = ipc::ts_range(batch).unwrap_or((0, 0));
    let headers = vec![
        (ipc::HEADER_DATASET.to_owned(), dataset.as_bytes().to_vec()),
        (
            ipc::HEADER_FORMAT.to_owned(),
            ipc::FORMAT_ARROW.as_bytes().to_vec(),
        ),
        (
            ipc::HEADER_SCHEMA.to_owned(),
            ipc::schema_fingerprint(&batch.schema()).into_bytes(),
        ),
        (ipc::HEADER_SENSOR.to_owned(), sensor.as_bytes().to_vec()),
        (
            ipc::HEADER_ROWS.to_owned(),
            batch.num_rows().to_string().into_bytes(),
        ),
        (
            ipc::HEADER_FIRST_TS.to_owned(),
            first.to_string().into_bytes(),
        ),
        (
            ipc::HEADER_LAST_TS.to_owned(),
            last.to_string().into_bytes(),
        ),
    ];
    out.push(SpoolRecord {
        topic: topic.to_owned(),
        key: sensor.as_bytes().to_vec(),
        headers,
        payload,
    });
    Ok(())
}
