//! `weird` records: protocol anomalies, like Zeek's weird.log.

use flow::FlowMeta;

use super::{Common, DatasetBatch};

/// One anomaly to record.
#[derive(Clone, Copy, Debug)]
pub struct WeirdRow<'a> {
    /// When it was seen.
    pub ts_us: i64,
    /// Short code, e.g. `dns_unmatched_reply`.
    pub name: &'a str,
    /// Details; empty for none.
    pub addl: &'a str,
    /// Whether it deserves an analyst's attention.
    pub notice: bool,
}

/// Append one anomaly; `meta` is `None` when it belongs to no flow (a bad packet).
pub fn append_weird(
    b: &mut DatasetBatch,
    common: &Common,
    meta: Option<&FlowMeta>,
    w: WeirdRow<'_>,
    scratch: &mut String,
) {
    let mut row = b.row();
    match meta {
        Some(m) => common.append(&mut row, w.ts_us, m, scratch),
        None => common.append_flowless(&mut row, w.ts_us),
    }
    row.str(Some(w.name))
        .str((!w.addl.is_empty()).then_some(w.addl))
        .bool(Some(w.notice));
}
