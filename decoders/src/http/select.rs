//! Choosing how a body is framed, decoded and named from its head.

use super::*;

/// How the body of a message with head `h` is delimited (RFC 9112 section
/// 6.3); `None`: no body. Transfer-Encoding chunked wins over
/// Content-Length; a response with neither runs until the connection closes.
pub(super) fn body_framing(
    h: &Head,
    response: bool,
    ts_us: i64,
    out: &mut impl RecordSink<HttpEvent>,
) -> Option<Framing> {
    if let Some(te) = h.get("transfer-encoding") {
        if te
            .rsplit(',')
            .next()
            .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
        {
            return Some(Framing::Chunked);
        }
        if response {
            return Some(Framing::UntilClose);
        }
    }
    let mut lengths = h.all("content-length");
    match lengths.next() {
        Some(v) => {
            let parsed = v.trim().parse::<u64>().ok();
            if parsed.is_none() || lengths.any(|o| o.trim() != v.trim()) {
                weird(
                    out,
                    ts_us,
                    "http_bad_content_length",
                    format!("Content-Length {v:?}"),
                );
            }
            match parsed {
                Some(0) => None,
                Some(n) => Some(Framing::Length(n)),
                None if response => Some(Framing::UntilClose),
                None => None,
            }
        }
        None if response => Some(Framing::UntilClose),
        None => None,
    }
}

/// The entity (decoding + file analysis) for a body with head `h`.
pub(super) fn entity_for(
    h: &Head,
    framing: Framing,
    uri: Option<&str>,
    ts_us: i64,
    out: &mut impl RecordSink<HttpEvent>,
) -> Entity {
    let coding = match Coding::from_header(h.get("content-encoding")) {
        Ok(c) => c,
        Err(()) => {
            weird(
                out,
                ts_us,
                "http_unsupported_content_encoding",
                h.get("content-encoding").unwrap_or_default().to_string(),
            );
            None
        }
    };
    let boundary = h.get("content-type").and_then(multipart::boundary);
    let total = match framing {
        Framing::Length(n) if coding.is_none() => Some(n),
        _ => None,
    };
    let spec = PartSpec {
        disposition: h
            .get("content-disposition")
            .and_then(multipart::disposition_filename),
        fallback: uri.map(uri_path),
        total,
    };
    Entity::new(coding, boundary.as_deref(), spec)
}

/// The path of a request target, as Suricata names HTTP files: the query
/// is dropped (an absolute-form target keeps scheme and authority).
pub(super) fn uri_path(uri: &str) -> String {
    uri.split(['?', '#']).next().unwrap_or(uri).to_string()
}
