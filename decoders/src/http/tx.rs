//! Transactions: filling a record from request and response heads.

use super::head::{Head, StartLine};
use super::record::HttpRecord;
use base64::Engine as _;

/// Headers Zeek lists in `proxied` (base/protocols/http/main.zeek `proxy_headers`).
const PROXY_HEADERS: &[&str] = &[
    "FORWARDED",
    "X-FORWARDED-FOR",
    "X-FORWARDED-FROM",
    "CLIENT-IP",
    "VIA",
    "XROXY-CONNECTION",
    "PROXY-CONNECTION",
];

/// One open transaction.
#[derive(Debug, Default)]
pub struct Tx {
    /// The record being filled.
    pub rec: HttpRecord,
    /// Request (head and body) complete, or there is no request.
    pub req_done: bool,
    /// A final (non-1xx) response head was seen.
    pub resp_started: bool,
    /// Response complete.
    pub resp_done: bool,
    /// Request method is HEAD: the response has no body.
    pub head_method: bool,
    /// Request method is CONNECT.
    pub connect: bool,
    /// HTTP/0.9 request: the response has no head.
    pub http09: bool,
}

impl Tx {
    /// A transaction opened by a request head.
    pub fn from_request(ts_us: i64, depth: i32, h: &Head) -> Self {
        let mut rec = HttpRecord {
            ts_us,
            trans_depth: depth,
            ..HttpRecord::default()
        };
        let mut tx = Tx::default();
        if let StartLine::Request {
            method,
            uri,
            version,
        } = &h.start
        {
            tx.head_method = method.eq_ignore_ascii_case("HEAD");
            tx.connect = method.eq_ignore_ascii_case("CONNECT");
            tx.http09 = version.is_none();
            rec.ja4h = ja4h(method, version.as_deref(), &h.headers);
            rec.method = Some(method.clone());
            rec.uri = Some(uri.clone());
            rec.version = version.clone();
        }
        let one = |n: &str| h.get(n).map(str::to_string);
        rec.host = one("host");
        rec.referrer = one("referer");
        rec.user_agent = one("user-agent");
        rec.origin = one("origin");
        rec.request_content_type = one("content-type");
        rec.username = h.get("authorization").and_then(basic_user);
        rec.request_header_names = h.headers.iter().map(|(n, _)| n.clone()).collect();
        rec.proxied = h
            .headers
            .iter()
            .filter(|(n, _)| PROXY_HEADERS.iter().any(|p| p.eq_ignore_ascii_case(n)))
            .map(|(n, v)| format!("{} -> {v}", n.to_ascii_uppercase()))
            .collect();
        tx.rec = rec;
        tx
    }

    /// A transaction for a response that has no request (unmatched reply).
    pub fn response_only(ts_us: i64, depth: i32) -> Self {
        Tx {
            rec: HttpRecord {
                ts_us,
                trans_depth: depth,
                ..HttpRecord::default()
            },
            req_done: true,
            ..Tx::default()
        }
    }

    /// Record a response head: 1xx go to `info_*`, others are final.
    pub fn on_response(&mut self, h: &Head) {
        let StartLine::Status {
            version,
            code,
            reason,
        } = &h.start
        else {
            return;
        };
        let code_i = i32::from(*code);
        if (100..200).contains(code) && *code != 101 {
            self.rec.info_code = Some(code_i);
            self.rec.info_msg = Some(reason.clone());
            return;
        }
        self.resp_started = true;
        self.rec.status_code = Some(code_i);
        self.rec.status_msg = Some(reason.clone());
        self.rec.resp_version = Some(version.clone());
        self.rec.content_type = h.get("content-type").map(str::to_string);
        self.rec.response_header_names = h.headers.iter().map(|(n, _)| n.clone()).collect();
    }
}

#[cfg(feature = "ja4plus")]
fn ja4h(method: &str, version: Option<&str>, headers: &[(String, String)]) -> Option<String> {
    Some(super::ja4h::ja4h(method, version, headers))
}

#[cfg(not(feature = "ja4plus"))]
fn ja4h(_method: &str, _version: Option<&str>, _headers: &[(String, String)]) -> Option<String> {
    None
}

/// The user of `Authorization: Basic <base64(user:password)>`; the password
/// is dropped here and never stored.
fn basic_user(v: &str) -> Option<String> {
    let (scheme, cred) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(cred.trim())
        .ok()?;
    let user = raw.split(|&c| c == b':').next()?;
    Some(super::head::text(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_user_never_keeps_the_password() {
        // "test:1:34" (Zeek's http-basic-auth-colon test).
        assert_eq!(basic_user("Basic dGVzdDoxOjM0"), Some("test".into()));
        assert_eq!(basic_user("Digest username=\"x\""), None);
        assert_eq!(basic_user("Basic !!!"), None);
    }
}
