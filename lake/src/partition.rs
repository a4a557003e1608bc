//! Hive partitions: the UTC hour of each row's `ts`, and splitting batches by it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use arrow::array::{Array, TimestampMicrosecondArray, UInt64Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::{DataType, TimeUnit};
use arrow::record_batch::RecordBatch;

use crate::error::{LakeError, Result};

/// Name of the timestamp column every dataset has; it decides the partition.
pub const TS_COLUMN: &str = "ts";

const MICROS_PER_HOUR: i64 = 3_600 * 1_000_000;

/// One hour of UTC time: the `date=YYYY-MM-DD/hour=HH` partition of a row.
///
/// Ordered by time, so iterating a map keyed by it lands partitions oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HourPartition {
    /// Whole hours since 1970-01-01T00:00Z (negative before the epoch).
    hours: i64,
}

impl HourPartition {
    /// The partition holding a timestamp given in microseconds since the epoch.
    pub fn from_micros(ts_us: i64) -> Self {
        Self {
            hours: ts_us.div_euclid(MICROS_PER_HOUR),
        }
    }

    /// Microseconds since the epoch at which this hour starts.
    pub fn start_micros(self) -> i64 {
        self.hours.saturating_mul(MICROS_PER_HOUR)
    }

    /// The `date` partition value, `YYYY-MM-DD`.
    pub fn date(self) -> String {
        let (y, m, d) = civil_from_days(self.hours.div_euclid(24));
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// The `hour` partition value, 0 to 23.
    pub fn hour(self) -> i32 {
        // rem_euclid(24) is always in 0..24, so the conversion cannot fail.
        i32::try_from(self.hours.rem_euclid(24)).unwrap_or(0)
    }

    /// The partition directory relative to a dataset: `date=YYYY-MM-DD/hour=HH`.
    pub fn dir(self) -> PathBuf {
        PathBuf::from(format!("date={}", self.date())).join(format!("hour={:02}", self.hour()))
    }
}

impl fmt::Display for HourPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "date={}/hour={:02}", self.date(), self.hour())
    }
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
///
/// Works on 400-year eras (146 097 days each) counted from 0000-03-01, so that
/// the leap day is the last day of a shifted year; see Howard Hinnant's
/// "chrono-Compatible Low-Level Date Algorithms" for the derivation.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // day of era, 0..=146_096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of (March-based) year
    let mp = (5 * doy + 2) / 153; // March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Splits a batch into one batch per UTC hour of its `ts` column.
///
/// A batch within one hour (the usual case) is returned whole, without copying.
/// Rows keep their relative order inside each part.
///
/// # Errors
/// [`LakeError::InvalidSchema`] when `ts` is missing or not a microsecond UTC
/// timestamp, [`LakeError::NullTimestamp`] when a row has no `ts`, and
/// [`LakeError::Arrow`] if the take kernel fails.
pub fn split_by_hour(
    dataset: &str,
    batch: &RecordBatch,
) -> Result<Vec<(HourPartition, RecordBatch)>> {
    let ts = ts_values(dataset, batch)?;
    let Some(first) = ts.values().first() else {
        return Ok(Vec::new());
    };
    let first = HourPartition::from_micros(*first);
    if ts
        .values()
        .iter()
        .all(|&t| HourPartition::from_micros(t) == first)
    {
        return Ok(vec![(first, batch.clone())]);
    }

    let mut rows: BTreeMap<HourPartition, Vec<u64>> = BTreeMap::new();
    for (row, &t) in (0u64..).zip(ts.values().iter()) {
        rows.entry(HourPartition::from_micros(t))
            .or_default()
            .push(row);
    }
    rows.into_iter()
        .map(|(part, idx)| {
            take_record_batch(batch, &UInt64Array::from(idx))
                .map(|b| (part, b))
                .map_err(|source| LakeError::Arrow {
                    dataset: dataset.to_owned(),
                    source,
                })
        })
        .collect()
}

/// The `ts` column as microseconds, checked for type and nulls.
fn ts_values<'a>(dataset: &str, batch: &'a RecordBatch) -> Result<&'a TimestampMicrosecondArray> {
    let invalid = |reason: String| LakeError::InvalidSchema {
        dataset: dataset.to_owned(),
        reason,
    };
    let col = batch
        .column_by_name(TS_COLUMN)
        .ok_or_else(|| invalid(format!("no '{TS_COLUMN}' column to partition by")))?;
    if !is_utc_micros(col.data_type()) {
        return Err(invalid(format!(
            "column '{TS_COLUMN}' is {}, expected Timestamp(Microsecond, \"UTC\")",
            col.data_type()
        )));
    }
    let ts = col
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .ok_or_else(|| invalid(format!("column '{TS_COLUMN}' is not a timestamp array")))?;
    if ts.null_count() > 0 {
        return Err(LakeError::NullTimestamp {
            dataset: dataset.to_owned(),
            nulls: ts.null_count(),
        });
    }
    Ok(ts)
}

/// True for `Timestamp(Microsecond, "UTC")` (or the equivalent offset `+00:00`).
pub(crate) fn is_utc_micros(dt: &DataType) -> bool {
    matches!(dt, DataType::Timestamp(TimeUnit::Microsecond, Some(tz))
        if matches!(tz.as_ref(), "UTC" | "+00:00" | "Z"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, TimestampMicrosecondArray};
    use arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    const H: i64 = MICROS_PER_HOUR;

    fn batch(ts: Vec<Option<i64>>) -> RecordBatch {
        let n = i32::try_from(ts.len()).unwrap();
        let schema = Schema::new(vec![
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            Field::new("n", DataType::Int32, false),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
                Arc::new(Int32Array::from((0..n).collect::<Vec<_>>())),
            ],
        )
        .unwrap()
    }

    #[test]
    fn partition_formats_known_dates() {
        // 2026-11-28T05:30:00Z = 1795843800 s
        let p = HourPartition::from_micros(1_795_843_800 * 1_000_000);
        assert_eq!(p.date(), "2026-11-28");
        assert_eq!(p.hour(), 5);
        assert_eq!(p.to_string(), "date=2026-11-28/hour=05");
        assert_eq!(HourPartition::from_micros(0).date(), "1970-01-01");
        // 2000-02-29 (leap day), 2024-12-31T23:xx
        assert_eq!(
            HourPartition::from_micros(951_782_400 * 1_000_000).date(),
            "2000-02-29"
        );
        let p = HourPartition::from_micros(1_735_689_599 * 1_000_000);
        assert_eq!((p.date().as_str(), p.hour()), ("2024-12-31", 23));
        // Before the epoch: one microsecond before midnight is the previous day, hour 23.
        let p = HourPartition::from_micros(-1);
        assert_eq!((p.date().as_str(), p.hour()), ("1969-12-31", 23));
    }

    #[test]
    fn split_single_hour_is_whole_batch() {
        let b = batch(vec![Some(5 * H), Some(5 * H + 1), Some(6 * H - 1)]);
        let parts = split_by_hour("flow", &b).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].1.num_rows(), 3);
    }

    #[test]
    fn split_spanning_hours_keeps_order() {
        let b = batch(vec![
            Some(6 * H),
            Some(5 * H),
            Some(6 * H + 7),
            Some(5 * H + 9),
        ]);
        let parts = split_by_hour("flow", &b).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0.hour(), 5);
        let n = |b: &RecordBatch| {
            let a = b.column(1).as_any().downcast_ref::<Int32Array>().unwrap();
            a.values().to_vec()
        };
        assert_eq!(n(&parts[0].1), vec![1, 3]);
        assert_eq!(n(&parts[1].1), vec![0, 2]);
    }

    #[test]
    fn split_rejects_null_ts() {
        let err = split_by_hour("dns", &batch(vec![Some(H), None])).unwrap_err();
        assert!(
            matches!(err, LakeError::NullTimestamp { nulls: 1, .. }),
            "{err}"
        );
    }
}
