//! Decoder errors. Each variant maps to a stable `weird` name ([`DecodeError::weird_name`]).

use thiserror::Error;

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, DecodeError>;

/// Why a decoder could not make sense of its input.
///
/// Returned from `feed` only when framing is lost (the sensor then writes a
/// `weird` with [`DecodeError::weird_name`] and bypasses the flow). Smaller,
/// recoverable problems are reported through `RecordSink::weird` with the same
/// names while decoding carries on.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The message ended before a field that it announces.
    #[error("DNS message truncated while reading {what} at offset {offset}")]
    DnsTruncated {
        /// The field being read.
        what: &'static str,
        /// Offset into the message where the read started.
        offset: usize,
    },
    /// A name longer than 255 octets or with too many labels (RFC 1035 section 2.3.4).
    #[error("DNS name at offset {offset} exceeds 255 octets or 127 labels")]
    DnsNameTooLong {
        /// Offset where the name starts.
        offset: usize,
    },
    /// A compression pointer that does not point strictly backwards, or too many hops.
    #[error("DNS compression pointer to {target} at offset {offset} is not strictly backwards")]
    DnsBadPointer {
        /// Offset of the pointer.
        offset: usize,
        /// Where it points.
        target: usize,
    },
    /// A label type other than plain (00) or pointer (11): RFC 6891 section 5 deprecates the others.
    #[error("DNS label type 0x{byte:02x} at offset {offset} is not supported")]
    DnsBadLabelType {
        /// The offending length octet.
        byte: u8,
        /// Its offset.
        offset: usize,
    },
    /// Record data that does not fit its type (wrong length, bad inner field).
    #[error("DNS {rtype} record data is malformed: {reason}")]
    DnsBadRdata {
        /// RR type number.
        rtype: u16,
        /// What was wrong.
        reason: &'static str,
    },
    /// A TCP length prefix that cannot start a DNS message (shorter than the 12-octet header).
    #[error("DNS-over-TCP length prefix {len} is shorter than a DNS header")]
    DnsBadTcpLength {
        /// The announced message length.
        len: u16,
    },
    /// The message is not DNS at all, or is inconsistent beyond repair.
    #[error("not a DNS message: {reason}")]
    DnsBadMessage {
        /// What was wrong.
        reason: &'static str,
    },
    /// A TLS record or handshake message that cannot be framed or parsed.
    #[error("bad TLS data: {reason}")]
    TlsBadRecord {
        /// What was wrong.
        reason: &'static str,
    },
    /// A handshake message larger than the reassembly bound.
    #[error("TLS handshake message of {len} bytes exceeds the reassembly bound")]
    TlsHandshakeTooLarge {
        /// The announced message length.
        len: usize,
    },
    /// A certificate that x509 parsing rejected.
    #[error("malformed X.509 certificate: {reason}")]
    X509Malformed {
        /// The parser's explanation.
        reason: String,
    },
    /// Bytes where an HTTP message should start that cannot start one.
    #[error("not an HTTP message: {reason}")]
    HttpBadMessage {
        /// What was wrong.
        reason: &'static str,
    },
    /// An HTTP head longer than `http::MAX_HEAD_LEN` without its end.
    #[error("HTTP head exceeds the limit ({len} bytes without its end)")]
    HttpHeaderTooLarge {
        /// Bytes seen without the end of the head.
        len: usize,
    },
    /// Chunked transfer coding that cannot be followed.
    #[error("bad HTTP chunked encoding: {reason}")]
    HttpBadChunk {
        /// What was wrong.
        reason: &'static str,
    },
    /// A QUIC packet that cannot be parsed or decrypted.
    #[error("bad QUIC packet: {reason}")]
    QuicBadPacket {
        /// What was wrong.
        reason: &'static str,
    },
}

impl DecodeError {
    /// The stable snake_case code used as the `weird.name` column.
    pub fn weird_name(&self) -> &'static str {
        match self {
            Self::DnsTruncated { .. } => "dns_truncated",
            Self::DnsNameTooLong { .. } => "dns_name_too_long",
            Self::DnsBadPointer { .. } => "dns_bad_compression_pointer",
            Self::DnsBadLabelType { .. } => "dns_bad_label_type",
            Self::DnsBadRdata { .. } => "dns_bad_rdata",
            Self::DnsBadTcpLength { .. } => "dns_bad_tcp_length",
            Self::DnsBadMessage { .. } => "dns_bad_message",
            Self::TlsBadRecord { .. } => "tls_bad_record",
            Self::TlsHandshakeTooLarge { .. } => "tls_handshake_too_large",
            Self::X509Malformed { .. } => "x509_malformed",
            Self::QuicBadPacket { .. } => "quic_bad_packet",
            Self::HttpBadMessage { .. } => "http_bad_message",
            Self::HttpHeaderTooLarge { .. } => "http_header_too_large",
            Self::HttpBadChunk { .. } => "http_bad_chunk",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weird_names_are_prefixed_snake_case() {
        let all = [
            DecodeError::DnsTruncated {
                what: "x",
                offset: 0,
            },
            DecodeError::DnsNameTooLong { offset: 0 },
            DecodeError::DnsBadPointer {
                offset: 0,
                target: 0,
            },
            DecodeError::DnsBadLabelType {
                byte: 0x40,
                offset: 0,
            },
            DecodeError::DnsBadRdata {
                rtype: 1,
                reason: "x",
            },
            DecodeError::DnsBadTcpLength { len: 3 },
            DecodeError::DnsBadMessage { reason: "x" },
        ];
        for e in all {
            let n = e.weird_name();
            assert!(n.starts_with("dns_"), "{n}");
            assert_snake(n);
            assert!(!e.to_string().is_empty());
        }
        let http = [
            DecodeError::HttpBadMessage { reason: "x" },
            DecodeError::HttpHeaderTooLarge { len: 1 },
            DecodeError::HttpBadChunk { reason: "x" },
        ];
        for e in http {
            let n = e.weird_name();
            assert!(n.starts_with("http_"), "{n}");
            assert_snake(n);
            assert!(!e.to_string().is_empty());
        }
    }

    fn assert_snake(n: &str) {
        assert!(
            n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{n}"
        );
    }
}
