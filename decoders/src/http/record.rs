//! The `http` dataset record and what the HTTP decoder emits.

use crate::files::{FileChunk, FileRecord};

/// What [`HttpParser`](super::HttpParser) emits, in this order per
/// transaction: the `File`s of its bodies as each body ends, then the
/// `Transaction` once request and response are both complete.
#[derive(Clone, Debug, PartialEq)]
pub enum HttpEvent {
    /// One request/response pair (SCHEMA.md `http`).
    Transaction(Box<HttpRecord>),
    /// One file carried by a body, or by one part of a multipart body (SCHEMA.md `files`).
    File(Box<FileRecord>),
    /// Bytes of a file selected for extraction, in order (only when the
    /// parser was built with an [`ExtractPolicy`](crate::files::ExtractPolicy)).
    FileData(Box<FileChunk>),
}

/// One HTTP request/response pair, with Zeek's `http.log` meanings.
///
/// Text fields keep valid UTF-8 as is and write other bytes as `\xNN`.
/// Empty lists mean "none": the sensor writes them as null.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpRecord {
    /// Time of the request's first byte (of the response's, for a response
    /// without request), µs since the epoch.
    pub ts_us: i64,
    /// Position of the transaction in the connection, from 1 (Zeek's `trans_depth`).
    pub trans_depth: i32,
    /// Request method as sent (`GET`).
    pub method: Option<String>,
    /// Host header value as sent (may include the port).
    pub host: Option<String>,
    /// Request target as sent (`/path?query`, `host:port` for CONNECT).
    pub uri: Option<String>,
    /// Referer header.
    pub referrer: Option<String>,
    /// Request version without `HTTP/` (`1.1`); null for HTTP/0.9.
    pub version: Option<String>,
    /// Response version without `HTTP/`.
    pub resp_version: Option<String>,
    /// User-Agent header.
    pub user_agent: Option<String>,
    /// Origin header.
    pub origin: Option<String>,
    /// Request body length after de-chunking, before content decoding
    /// (bytes lost in gaps included).
    pub request_body_len: i64,
    /// Response body length, same rules.
    pub response_body_len: i64,
    /// Final status code (null without response).
    pub status_code: Option<i32>,
    /// Reason phrase of the final status.
    pub status_msg: Option<String>,
    /// Last 1xx informational code before the final status (Zeek's `info_code`).
    pub info_code: Option<i32>,
    /// Its reason phrase.
    pub info_msg: Option<String>,
    /// User name of HTTP Basic authentication (the password is never kept).
    pub username: Option<String>,
    /// Proxy-revealing request headers, Zeek's format `NAME -> value`
    /// (Forwarded, X-Forwarded-For, X-Forwarded-From, Client-IP, Via,
    /// XRoxy-Connection, Proxy-Connection).
    pub proxied: Vec<String>,
    /// Request header names, wire order, original case.
    pub request_header_names: Vec<String>,
    /// Response header names, wire order, original case (final response).
    pub response_header_names: Vec<String>,
    /// Response Content-Type value.
    pub content_type: Option<String>,
    /// Request Content-Type value.
    pub request_content_type: Option<String>,
    /// `files.fuid` of each request body file (each multipart part), in order.
    pub orig_fuids: Vec<String>,
    /// Content-Disposition file names of request body files.
    pub orig_filenames: Vec<String>,
    /// Sniffed MIME types of request body files (files without one are skipped, as Zeek does).
    pub orig_mime_types: Vec<String>,
    /// `files.fuid` of each response body file.
    pub resp_fuids: Vec<String>,
    /// Content-Disposition file names of response body files.
    pub resp_filenames: Vec<String>,
    /// Sniffed MIME types of response body files.
    pub resp_mime_types: Vec<String>,
    /// JA4H of the request (only with the `ja4plus` feature; null otherwise).
    pub ja4h: Option<String>,
    /// The connection switched protocols after this transaction (`CONNECT`
    /// tunnel established, or 101 Switching Protocols: the Upgrade value).
    pub tunnel: Option<String>,
}
