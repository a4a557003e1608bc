//! One partition's buffered messages: Parquet files being built in memory, one per
//! UTC hour, all named after the partition's first buffered offset.

use std::collections::BTreeMap;
use std::time::Instant;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use object_store::path::Path as ObjectPath;
use parquet::arrow::ArrowWriter;

use crate::error::{LakeError, Result};
use crate::partition::{split_by_hour, HourPartition};
use crate::props::{check_schema, writer_properties};
use crate::store::child;

/// The object key of one hour's file of a segment:
/// `<root>/<dataset>/date=YYYY-MM-DD/hour=HH/<topic>-<partition>-<first offset>.parquet`.
///
/// The name depends only on where the segment starts in the partition, so a segment
/// re-consumed after a crash lands on the same keys and overwrites them.
pub fn object_key(
    root: &ObjectPath,
    dataset: &str,
    part: HourPartition,
    topic: &str,
    partition: i32,
    first_offset: i64,
) -> ObjectPath {
    child(
        root,
        &format!("{dataset}/{part}/{topic}-{partition:03}-{first_offset:020}.parquet"),
    )
}

/// Buffered messages of one (topic, partition) from `first_offset` to `last_offset`.
pub(crate) struct Segment {
    pub dataset: String,
    pub first_offset: i64,
    pub last_offset: i64,
    pub started: Instant,
    pub rows: usize,
    pub bytes: usize,
    schema: SchemaRef,
    files: BTreeMap<HourPartition, ArrowWriter<Vec<u8>>>,
}

impl Segment {
    /// Starts a segment at `offset` for batches of `schema`.
    pub fn new(dataset: &str, offset: i64, schema: SchemaRef) -> Result<Self> {
        check_schema(dataset, &schema)?;
        Ok(Self {
            dataset: dataset.to_owned(),
            first_offset: offset,
            last_offset: offset,
            started: Instant::now(),
            rows: 0,
            bytes: 0,
            schema,
            files: BTreeMap::new(),
        })
    }

    /// True if batches of `schema` can go into this segment's files.
    pub fn accepts(&self, schema: &SchemaRef) -> bool {
        self.schema == *schema || self.schema.fields() == schema.fields()
    }

    /// Records that the message at `offset` is part of this segment, even if it
    /// carried no rows (an empty or undecodable message must still be committed).
    pub fn cover(&mut self, offset: i64, payload_bytes: usize) {
        self.last_offset = self.last_offset.max(offset);
        self.bytes += payload_bytes;
    }

    /// Appends the rows of one message, split by the UTC hour of `ts`.
    pub fn append(&mut self, offset: i64, batch: &RecordBatch, payload_bytes: usize) -> Result<()> {
        self.cover(offset, payload_bytes);
        if batch.num_rows() == 0 {
            return Ok(());
        }
        for (part, rows) in split_by_hour(&self.dataset, batch)? {
            let w = match self.files.entry(part) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let props = writer_properties(&self.schema, &self.dataset);
                    let w = ArrowWriter::try_new(Vec::new(), self.schema.clone(), Some(props))
                        .map_err(|source| LakeError::Parquet {
                            dataset: self.dataset.clone(),
                            path: part.dir(),
                            source,
                        })?;
                    e.insert(w)
                }
            };
            w.write(&rows).map_err(|source| LakeError::Parquet {
                dataset: self.dataset.clone(),
                path: part.dir(),
                source,
            })?;
            self.rows += rows.num_rows();
        }
        Ok(())
    }

    /// The hours this segment has rows for.
    pub fn hours(&self) -> Vec<HourPartition> {
        self.files.keys().copied().collect()
    }

    /// Closes every file and returns each hour's complete Parquet bytes.
    pub fn finish(self) -> Result<Vec<(HourPartition, Vec<u8>)>> {
        let dataset = self.dataset;
        self.files
            .into_iter()
            .map(|(part, w)| {
                w.into_inner()
                    .map(|bytes| (part, bytes))
                    .map_err(|source| LakeError::Parquet {
                        dataset: dataset.clone(),
                        path: part.dir(),
                        source,
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;

    const H: i64 = 3_600 * 1_000_000;

    #[test]
    fn segment_splits_hours_and_names_objects_by_first_offset() {
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new("query", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(
                    TimestampMicrosecondArray::from(vec![5 * H, 6 * H + 1]).with_timezone("UTC"),
                ),
                Arc::new(StringArray::from(vec!["a", "b"])),
            ],
        )
        .unwrap();
        let mut seg = Segment::new("dns", 42, Arc::clone(&schema)).unwrap();
        seg.append(42, &batch, 100).unwrap();
        seg.cover(43, 10);
        assert_eq!(
            (seg.first_offset, seg.last_offset, seg.rows, seg.bytes),
            (42, 43, 2, 110)
        );
        assert!(seg.accepts(&schema));
        let files = seg.finish().unwrap();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|(_, b)| b.starts_with(b"PAR1")));
        let key = object_key(
            &ObjectPath::from("lake"),
            "dns",
            files[0].0,
            "netlake.dns",
            2,
            42,
        );
        assert_eq!(
            key.as_ref(),
            "lake/dns/date=1970-01-01/hour=05/netlake.dns-002-00000000000000000042.parquet"
        );
    }
}
