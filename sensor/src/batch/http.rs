//! `http` and `files` records.

use decoders::files::FileRecord;
use decoders::http::HttpRecord;
use flow::FlowMeta;

use super::{Common, DatasetBatch};

/// `Some(items)` for a non-empty list, null for an empty one (SCHEMA: unset lists are null).
fn list(v: &[String]) -> Option<impl Iterator<Item = &str>> {
    (!v.is_empty()).then(|| v.iter().map(String::as_str))
}

/// Append one HTTP request/response pair of flow `meta`.
pub fn append_http(
    b: &mut DatasetBatch,
    common: &Common,
    meta: &FlowMeta,
    r: &HttpRecord,
    scratch: &mut String,
) {
    let mut row = b.row();
    common.append(&mut row, r.ts_us, meta, scratch);
    row.i32(Some(r.trans_depth))
        .str(r.method.as_deref())
        .str(r.host.as_deref())
        .str(r.uri.as_deref())
        .str(r.referrer.as_deref())
        .str(r.version.as_deref())
        .str(r.resp_version.as_deref())
        .str(r.user_agent.as_deref())
        .str(r.origin.as_deref())
        .i32(r.status_code)
        .str(r.status_msg.as_deref())
        .i64(Some(r.request_body_len))
        .i64(Some(r.response_body_len))
        .str_list(list(&r.request_header_names))
        .str_list(list(&r.response_header_names))
        .str(r.content_type.as_deref())
        .str_list(list(&r.orig_fuids))
        .str_list(list(&r.resp_fuids))
        .str_list(list(&r.resp_mime_types))
        .str(r.username.as_deref())
        .str(r.ja4h.as_deref());
}

/// Append one file seen in flow `meta`; `extracted` is the stored object's path, if any.
pub fn append_file(
    b: &mut DatasetBatch,
    common: &Common,
    meta: &FlowMeta,
    r: &FileRecord,
    extracted: Option<&str>,
    scratch: &mut String,
) {
    let mut row = b.row();
    common.append(&mut row, r.ts_us, meta, scratch);
    row.str(Some(&r.fuid))
        .str(Some(r.source.name()))
        .bool(Some(r.is_orig))
        .str(r.filename.as_deref())
        .str(r.mime_type.as_deref())
        .i64(Some(r.seen_bytes))
        .i64(r.total_bytes)
        .i64(Some(r.missing_bytes))
        .str(r.md5.as_deref())
        .str(r.sha1.as_deref())
        .str(r.sha256.as_deref())
        .str(extracted.or(r.extracted.as_deref()))
        .i32(Some(r.depth));
}
