//! `flow` records: the flow crate's counters plus the sensor's enrichment.

use flow::FlowRecord;

use super::{Common, DatasetBatch};

/// What the sensor adds to a flow record: application protocol, direction and GeoIP.
#[derive(Clone, Debug, Default)]
pub struct FlowExtra<'a> {
    /// Detected application protocol (`dns`, ...), if any.
    pub app_proto: Option<&'static str>,
    /// `inbound`, `outbound`, `internal` or `external`.
    pub direction: Option<&'static str>,
    /// Originator's country (ISO code).
    pub src_country: Option<&'a str>,
    /// Responder's country (ISO code).
    pub dst_country: Option<&'a str>,
    /// Originator's autonomous system number.
    pub src_asn: Option<i64>,
    /// Responder's autonomous system number.
    pub dst_asn: Option<i64>,
    /// Originator's AS organisation.
    pub src_as_org: Option<&'a str>,
    /// Responder's AS organisation.
    pub dst_as_org: Option<&'a str>,
}

/// Append one flow record (an update or the final one).
pub fn append_flow(
    b: &mut DatasetBatch,
    common: &Common,
    rec: &FlowRecord<'_>,
    extra: &FlowExtra<'_>,
    scratch: &mut String,
) {
    let meta = rec.meta;
    let mut row = b.row();
    common.append(&mut row, meta.start_ts_us, meta, scratch);
    let duration = (rec.end_ts_us - meta.start_ts_us) as f64 / 1e6;
    let tcp = meta.key.proto == 6;
    row.ts(Some(meta.start_ts_us))
        .ts(Some(rec.end_ts_us))
        .f64(Some(duration))
        .str(extra.app_proto)
        .i64(Some(to_i64(rec.orig_pkts)))
        .i64(Some(to_i64(rec.resp_pkts)))
        .i64(Some(to_i64(rec.orig_bytes)))
        .i64(Some(to_i64(rec.resp_bytes)))
        .i64(Some(to_i64(rec.orig_ip_bytes)))
        .i64(Some(to_i64(rec.resp_ip_bytes)))
        .i64(Some(to_i64(rec.orig_l2_bytes)))
        .i64(Some(to_i64(rec.resp_l2_bytes)))
        .i64(Some(to_i64(rec.missed_bytes)))
        .str(Some(rec.state))
        .str(Some(rec.history))
        .i32(tcp.then_some(i32::from(rec.tcp_flags_orig)))
        .i32(tcp.then_some(i32::from(rec.tcp_flags_resp)))
        .display(meta.src_mac.as_ref().map(Mac))
        .display(meta.dst_mac.as_ref().map(Mac))
        .str(extra.direction)
        .str(extra.src_country)
        .str(extra.dst_country)
        .i64(extra.src_asn)
        .i64(extra.dst_asn)
        .str(extra.src_as_org)
        .str(extra.dst_as_org)
        .i32(Some(i32::try_from(rec.update_seq).unwrap_or(i32::MAX)))
        .bool(Some(rec.is_final))
        .str(Some(rec.end_reason.as_str()));
    if rec.tunnel_parents.is_empty() {
        row.str_list(None::<Vec<&str>>);
    } else {
        // Rare (tunnelled traffic): the parents' uids need the parents' keys, which the
        // flow crate reports as ids; write them as ids until tunnels carry keys.
        let ids: Vec<String> = rec
            .tunnel_parents
            .iter()
            .map(|id| format!("{id}"))
            .collect();
        row.str_list(Some(ids.iter().map(String::as_str)));
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A MAC address in the usual lower-case colon form.
pub struct Mac<'a>(pub &'a [u8; 6]);

impl std::fmt::Display for Mac<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}
