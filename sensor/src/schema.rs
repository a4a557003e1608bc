//! Arrow schemas of every dataset: the public contract of SCHEMA.md, in code.
//!
//! Each dataset is the common columns followed by its own. The tables here are
//! the single source: the batch builders, `netlake schema` and the schema test
//! all read them.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Column type shorthand used by the dataset tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    /// `Timestamp(Microsecond, "UTC")`.
    Ts,
    /// `Utf8`.
    Str,
    /// `Int32`.
    I32,
    /// `Int64`.
    I64,
    /// `Float64`.
    F64,
    /// `Boolean`.
    Bool,
    /// `List<Utf8>`.
    StrList,
    /// `List<Int64>`.
    I64List,
}

impl Col {
    /// The Arrow type of this column kind.
    pub fn data_type(self) -> DataType {
        match self {
            Col::Ts => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Col::Str => DataType::Utf8,
            Col::I32 => DataType::Int32,
            Col::I64 => DataType::Int64,
            Col::F64 => DataType::Float64,
            Col::Bool => DataType::Boolean,
            Col::StrList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            Col::I64List => DataType::List(Arc::new(Field::new("item", DataType::Int64, true))),
        }
    }
}

use Col::*;

/// Fields every dataset starts with (SCHEMA.md "Fields every dataset has").
pub const COMMON: &[(&str, Col)] = &[
    ("ts", Ts),
    ("uid", Str),
    ("community_id", Str),
    ("sensor", Str),
    ("src_ip", Str),
    ("dst_ip", Str),
    ("src_port", I32),
    ("dst_port", I32),
    ("proto", Str),
    ("vlan", I32),
];

/// The `flow` dataset's own columns.
pub const FLOW: &[(&str, Col)] = &[
    ("start_ts", Ts),
    ("end_ts", Ts),
    ("duration", F64),
    ("app_proto", Str),
    ("orig_pkts", I64),
    ("resp_pkts", I64),
    ("orig_bytes", I64),
    ("resp_bytes", I64),
    ("orig_ip_bytes", I64),
    ("resp_ip_bytes", I64),
    ("orig_l2_bytes", I64),
    ("resp_l2_bytes", I64),
    ("missed_bytes", I64),
    ("state", Str),
    ("history", Str),
    ("tcp_flags_orig", I32),
    ("tcp_flags_resp", I32),
    ("src_mac", Str),
    ("dst_mac", Str),
    ("direction", Str),
    ("src_country", Str),
    ("dst_country", Str),
    ("src_asn", I64),
    ("dst_asn", I64),
    ("src_as_org", Str),
    ("dst_as_org", Str),
    ("update_seq", I32),
    ("final", Bool),
    ("end_reason", Str),
    ("tunnel_parents", StrList),
];

/// The `dns` dataset's own columns.
pub const DNS: &[(&str, Col)] = &[
    ("trans_id", I32),
    ("rtt", F64),
    ("query", Str),
    ("opcode", I32),
    ("qclass", I32),
    ("qtype", I32),
    ("rcode", I32),
    ("opcode_name", Str),
    ("qclass_name", Str),
    ("qtype_name", Str),
    ("rcode_name", Str),
    ("aa", Bool),
    ("tc", Bool),
    ("rd", Bool),
    ("ra", Bool),
    ("z", I32),
    ("answers", StrList),
    ("answer_types", StrList),
    ("ttls", I64List),
    ("auth", StrList),
    ("rejected", Bool),
    ("is_response_only", Bool),
];

/// The `tls` dataset's own columns.
pub const TLS: &[(&str, Col)] = &[
    ("version", Str),
    ("cipher", Str),
    ("curve", Str),
    ("server_name", Str),
    ("alpn", StrList),
    ("alpn_selected", Str),
    ("resumed", Bool),
    ("established", Bool),
    ("last_alert", Str),
    ("ja3", Str),
    ("ja3_string", Str),
    ("ja3s", Str),
    ("ja3s_string", Str),
    ("ja4", Str),
    ("ja4_r", Str),
    ("ja4s", Str),
    ("client_versions", StrList),
    ("cert_chain_fps", StrList),
    ("client_cert_chain_fps", StrList),
    ("subject", Str),
    ("issuer", Str),
    ("sni_matches_cert", Bool),
];

/// The `x509` dataset's own columns.
pub const X509: &[(&str, Col)] = &[
    ("chain_index", I32),
    ("fingerprint_sha256", Str),
    ("fingerprint_sha1", Str),
    ("version", I32),
    ("serial", Str),
    ("subject", Str),
    ("issuer", Str),
    ("common_name", Str),
    ("not_before", Ts),
    ("not_after", Ts),
    ("key_alg", Str),
    ("sig_alg", Str),
    ("key_type", Str),
    ("key_length", I32),
    ("exponent", Str),
    ("curve", Str),
    ("san_dns", StrList),
    ("san_ip", StrList),
    ("san_email", StrList),
    ("san_uri", StrList),
    ("is_ca", Bool),
    ("path_len", I32),
    ("self_signed", Bool),
    ("ja4x", Str),
    ("host_cert", Bool),
    ("client_cert", Bool),
];

/// The `http` dataset's own columns.
pub const HTTP: &[(&str, Col)] = &[
    ("trans_depth", I32),
    ("method", Str),
    ("host", Str),
    ("uri", Str),
    ("referrer", Str),
    ("version", Str),
    ("resp_version", Str),
    ("user_agent", Str),
    ("origin", Str),
    ("status_code", I32),
    ("status_msg", Str),
    ("request_body_len", I64),
    ("response_body_len", I64),
    ("request_header_names", StrList),
    ("response_header_names", StrList),
    ("content_type", Str),
    ("orig_fuids", StrList),
    ("resp_fuids", StrList),
    ("resp_mime_types", StrList),
    ("username", Str),
    ("ja4h", Str),
];

/// The `files` dataset's own columns.
pub const FILES: &[(&str, Col)] = &[
    ("fuid", Str),
    ("source", Str),
    ("is_orig", Bool),
    ("filename", Str),
    ("mime_type", Str),
    ("seen_bytes", I64),
    ("total_bytes", I64),
    ("missing_bytes", I64),
    ("md5", Str),
    ("sha1", Str),
    ("sha256", Str),
    ("extracted", Str),
    ("depth", I32),
];

/// The `smtp` dataset's own columns.
pub const SMTP: &[(&str, Col)] = &[
    ("trans_depth", I32),
    ("helo", Str),
    ("mail_from", Str),
    ("rcpt_to", StrList),
    ("last_reply", Str),
    ("tls", Bool),
    ("auth_user", Str),
    ("fuids", StrList),
];

/// The `email` dataset's own columns.
pub const EMAIL: &[(&str, Col)] = &[
    ("protocol", Str),
    ("date", Str),
    ("from", Str),
    ("to", StrList),
    ("cc", StrList),
    ("reply_to", Str),
    ("subject", Str),
    ("msg_id", Str),
    ("in_reply_to", Str),
    ("user_agent", Str),
    ("x_originating_ip", Str),
    ("received", StrList),
    ("header_names", StrList),
    ("attachment_names", StrList),
    ("fuids", StrList),
];

/// The `smb` dataset's own columns.
pub const SMB: &[(&str, Col)] = &[
    ("version", Str),
    ("dialect", Str),
    ("command", Str),
    ("status", Str),
    ("tree", Str),
    ("share_type", Str),
    ("action", Str),
    ("path", Str),
    ("name", Str),
    ("prev_name", Str),
    ("size", I64),
    ("fuid", Str),
    ("created", Ts),
    ("modified", Ts),
];

/// The `ntlm` dataset's own columns.
pub const NTLM: &[(&str, Col)] = &[
    ("username", Str),
    ("domain", Str),
    ("hostname", Str),
    ("server_nb_computer_name", Str),
    ("server_dns_computer_name", Str),
    ("server_tree_name", Str),
    ("success", Bool),
];

/// The `weird` dataset's own columns.
pub const WEIRD: &[(&str, Col)] = &[("name", Str), ("addl", Str), ("notice", Bool)];

/// Every dataset, in the order `netlake schema` prints them.
pub const DATASETS: &[(&str, &[(&str, Col)])] = &[
    ("flow", FLOW),
    ("dns", DNS),
    ("tls", TLS),
    ("x509", X509),
    ("http", HTTP),
    ("files", FILES),
    ("smtp", SMTP),
    ("email", EMAIL),
    ("smb", SMB),
    ("ntlm", NTLM),
    ("weird", WEIRD),
];

/// The full Arrow schema (common columns first) of a dataset, or `None` for an unknown name.
pub fn schema(dataset: &str) -> Option<SchemaRef> {
    let own = DATASETS.iter().find(|(n, _)| *n == dataset)?.1;
    Some(build(own))
}

fn build(own: &[(&str, Col)]) -> SchemaRef {
    let fields: Vec<Field> = COMMON
        .iter()
        .chain(own)
        .map(|(name, col)| Field::new(*name, col.data_type(), *name != "ts"))
        .collect();
    Arc::new(Schema::new(fields))
}

/// Human-readable type name for `netlake schema`.
pub fn type_name(col: Col) -> &'static str {
    match col {
        Ts => "timestamp[us, UTC]",
        Str => "utf8",
        I32 => "int32",
        I64 => "int64",
        F64 => "float64",
        Bool => "bool",
        StrList => "list<utf8>",
        I64List => "list<int64>",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dataset_has_common_columns_first_and_only_signed_types() {
        for (name, _) in DATASETS {
            let s = schema(name).unwrap();
            assert_eq!(s.field(0).name(), "ts");
            assert!(!s.field(0).is_nullable());
            for f in s.fields() {
                assert!(
                    !matches!(
                        f.data_type(),
                        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64
                    ),
                    "{name}.{} is unsigned",
                    f.name()
                );
            }
        }
        assert!(schema("nope").is_none());
    }

    #[test]
    fn schema_matches_schema_md_names() {
        // The flow dataset's counters, as SCHEMA.md spells them.
        let s = schema("flow").unwrap();
        for n in [
            "orig_bytes",
            "missed_bytes",
            "history",
            "final",
            "end_reason",
            "tunnel_parents",
        ] {
            assert!(s.field_with_name(n).is_ok(), "flow.{n}");
        }
        let d = schema("dns").unwrap();
        assert_eq!(
            d.field_with_name("ttls").unwrap().data_type(),
            &I64List.data_type()
        );
    }
}
