//! `weird` records: protocol anomalies, like Zeek's weird.log.

use flow::FlowMeta;

use super::{Common, DatasetBatch};

/// Append one anomaly; `meta` is `None` when it belongs to no flow (a bad packet).
pub fn append_weird(
    b: &mut DatasetBatch,
    common: &Common,
    meta: Option<&FlowMeta>,
    ts_us: i64,
    name: &str,
    addl: &str,
    notice: bool,
    scratch: &mut String,
) {
    let mut row = b.row();
    match meta {
        Some(m) => common.append(&mut row, ts_us, m, scratch),
        None => common.append_flowless(&mut row, ts_us),
    }
    row.str(Some(name))
        .str((!addl.is_empty()).then_some(addl))
        .bool(Some(notice));
}
