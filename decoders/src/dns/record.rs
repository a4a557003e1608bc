//! The `dns` dataset record: one per query/response transaction.

use std::borrow::Cow;

/// One DNS transaction (a query and its response, or either alone).
///
/// Field names are the `dns` columns of SCHEMA.md. `Option` fields are null
/// when the traffic did not carry the value. Which message fills which field
/// follows Zeek's `base/protocols/dns/main.zeek`, so that records line up with
/// `dns.log`:
/// - from the query: `query`, `qclass`, `qtype`, `rd`, `tc`, `z`;
/// - from the response: `rcode`, `rejected`, and, only when the answer
///   section holds an RR that Zeek reports, `aa`, `ra`, `rtt` and (for a
///   response without a query) `query` = the first answer's owner name.
///
/// The `*_name` fields are `Cow<'static, str>`: borrowed for every value with
/// a name, owned only for the `query-N`-style fallbacks of unknown numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct DnsRecord {
    /// Query time in microseconds since the epoch, or the response time when
    /// the query was not seen.
    pub ts_us: i64,
    /// DNS transaction id.
    pub trans_id: u16,
    /// Response time minus query time, in seconds (null without both, or when zero).
    pub rtt: Option<f64>,
    /// The first question's name: lower-case, no trailing dot, bytes outside
    /// printable ASCII escaped as `\xNN` (Zeek's escaping).
    pub query: Option<String>,
    /// QCLASS of the first question.
    pub qclass: Option<u16>,
    /// Name of `qclass` (`C_INTERNET`, ...).
    pub qclass_name: Option<Cow<'static, str>>,
    /// QTYPE of the first question.
    pub qtype: Option<u16>,
    /// Name of `qtype` (`A`, `AAAA`, `*`, ...).
    pub qtype_name: Option<Cow<'static, str>>,
    /// Response code.
    pub rcode: Option<u16>,
    /// Name of `rcode` (`NOERROR`, `NXDOMAIN`, ...).
    pub rcode_name: Option<Cow<'static, str>>,
    /// Opcode of the last message of the transaction.
    pub opcode: Option<u8>,
    /// Name of `opcode` (`query`, `notify`, `dynamic-update`, ...).
    pub opcode_name: Option<Cow<'static, str>>,
    /// Authoritative answer (response).
    pub aa: bool,
    /// Truncated (query).
    pub tc: bool,
    /// Recursion desired (query).
    pub rd: bool,
    /// Recursion available (response).
    pub ra: bool,
    /// The 3 bits Z/AD/CD of the query, as one number.
    pub z: u8,
    /// Answer-section RDATA rendered like Zeek's `dns.log` `answers`.
    pub answers: Vec<String>,
    /// RR type name of each entry of `answers` (same order and length).
    pub answer_types: Vec<String>,
    /// TTL of each entry of `answers`, seconds (same order and length).
    pub ttls: Vec<u32>,
    /// Authority-section RDATA rendered like `answers`, without duplicates
    /// (Zeek's `auth` set from `policy/protocols/dns/auth-addl.zeek`).
    pub auth: Vec<String>,
    /// Zeek's `rejected`: a response without questions and with a non-zero
    /// rcode, or a response whose question came back with no RRs at all.
    pub rejected: bool,
    /// A response whose query was not seen.
    pub is_response_only: bool,
    /// A response was seen for this transaction.
    pub has_response: bool,
}

impl DnsRecord {
    /// An empty record for transaction `trans_id` first seen at `ts_us`.
    pub fn new(ts_us: i64, trans_id: u16) -> Self {
        DnsRecord {
            ts_us,
            trans_id,
            rtt: None,
            query: None,
            qclass: None,
            qclass_name: None,
            qtype: None,
            qtype_name: None,
            rcode: None,
            rcode_name: None,
            opcode: None,
            opcode_name: None,
            aa: false,
            tc: false,
            rd: false,
            ra: false,
            z: 0,
            answers: Vec::new(),
            answer_types: Vec::new(),
            ttls: Vec::new(),
            auth: Vec::new(),
            rejected: false,
            is_response_only: false,
            has_response: false,
        }
    }
}
