//! `dns` records.

use decoders::dns::DnsRecord;
use flow::FlowMeta;

use super::{Common, DatasetBatch};

/// Append one DNS transaction of flow `meta`.
pub fn append_dns(
    b: &mut DatasetBatch,
    common: &Common,
    meta: &FlowMeta,
    r: &DnsRecord,
    scratch: &mut String,
) {
    let mut row = b.row();
    common.append(&mut row, r.ts_us, meta, scratch);
    let resp = r.has_response || r.is_response_only;
    row.i32(Some(i32::from(r.trans_id)))
        .f64(r.rtt)
        .str(r.query.as_deref())
        .i32(r.opcode.map(i32::from))
        .i32(r.qclass.map(i32::from))
        .i32(r.qtype.map(i32::from))
        .i32(r.rcode.map(i32::from))
        .str(r.opcode_name.as_deref())
        .str(r.qclass_name.as_deref())
        .str(r.qtype_name.as_deref())
        .str(r.rcode_name.as_deref())
        .bool(Some(r.aa))
        .bool(Some(r.tc))
        .bool(Some(r.rd))
        .bool(Some(r.ra))
        .i32(Some(i32::from(r.z)))
        .str_list(resp.then(|| r.answers.iter().map(String::as_str)))
        .str_list(resp.then(|| r.answer_types.iter().map(String::as_str)))
        .i64_list(resp.then(|| r.ttls.iter().map(|t| i64::from(*t))))
        .str_list(resp.then(|| r.auth.iter().map(String::as_str)))
        .bool(Some(r.rejected))
        .bool(Some(r.is_response_only));
}
