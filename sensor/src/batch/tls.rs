//! `tls` and `x509` records.

use decoders::tls::TlsRecord;
use decoders::x509::X509Record;
use flow::FlowMeta;

use super::{Common, DatasetBatch};

/// Append one TLS session of flow `meta`.
pub fn append_tls(
    b: &mut DatasetBatch,
    common: &Common,
    meta: &FlowMeta,
    r: &TlsRecord,
    scratch: &mut String,
) {
    let mut row = b.row();
    common.append(&mut row, r.ts_us, meta, scratch);
    row.str(r.version.as_deref())
        .str(r.cipher.as_deref())
        .str(r.curve.as_deref())
        .str(r.server_name.as_deref())
        .str_list(r.alpn.as_ref().map(|v| strs(v)))
        .str(r.alpn_selected.as_deref())
        .bool(Some(r.resumed))
        .bool(Some(r.established))
        .str(r.last_alert.as_deref())
        .str(r.ja3.as_deref())
        .str(r.ja3_string.as_deref())
        .str(r.ja3s.as_deref())
        .str(r.ja3s_string.as_deref())
        .str(r.ja4.as_deref())
        .str(r.ja4_r.as_deref())
        .str(r.ja4s.as_deref())
        .str_list(Some(strs(&r.client_versions)))
        .str_list(Some(strs(&r.cert_chain_fps)))
        .str_list(Some(strs(&r.client_cert_chain_fps)))
        .str(r.subject.as_deref())
        .str(r.issuer.as_deref())
        .bool(r.sni_matches_cert);
}

/// Append one certificate seen in flow `meta`.
pub fn append_x509(
    b: &mut DatasetBatch,
    common: &Common,
    meta: &FlowMeta,
    r: &X509Record,
    scratch: &mut String,
) {
    let mut row = b.row();
    common.append(&mut row, r.ts_us, meta, scratch);
    row.i32(Some(r.chain_index))
        .str(Some(&r.fingerprint_sha256))
        .str(Some(&r.fingerprint_sha1))
        .i32(r.version)
        .str(r.serial.as_deref())
        .str(r.subject.as_deref())
        .str(r.issuer.as_deref())
        .str(r.common_name.as_deref())
        .ts(r.not_before_us)
        .ts(r.not_after_us)
        .str(r.key_alg.as_deref())
        .str(r.sig_alg.as_deref())
        .str(r.key_type.as_deref())
        .i32(r.key_length)
        .str(r.exponent.as_deref())
        .str(r.curve.as_deref())
        .str_list(Some(strs(&r.san_dns)))
        .str_list(Some(strs(&r.san_ip)))
        .str_list(Some(strs(&r.san_email)))
        .str_list(Some(strs(&r.san_uri)))
        .bool(r.is_ca)
        .i32(r.path_len)
        .bool(Some(r.self_signed))
        .str(r.ja4x.as_deref())
        .bool(Some(r.host_cert))
        .bool(Some(r.client_cert));
}

/// A list column's items as `&str`.
fn strs(v: &[String]) -> impl Iterator<Item = &str> {
    v.iter().map(String::as_str)
}
