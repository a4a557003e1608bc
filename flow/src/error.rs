//! Why a packet could not be parsed; each variant maps to a stable `weird` name.

/// A packet-level parse failure. The packet is counted and reported through
/// [`FlowHandler::weird`](crate::FlowHandler::weird) with [`ParseError::weird_name`]; it is
/// never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The pcap link type is not one we decode.
    #[error("unknown link type {0}")]
    UnknownLinkType(u32),
    /// A header was cut short by the capture length.
    #[error("truncated {0} header")]
    Truncated(&'static str),
    /// An IPv4/IPv6 header is inconsistent (bad version, header length, total length).
    #[error("bad IP header")]
    BadIpHeader,
    /// The BSD loopback address family is not IPv4 or IPv6.
    #[error("unknown loopback address family {0}")]
    UnknownAddressFamily(u32),
    /// Too many nested encapsulation headers (VLAN, MPLS, IPv6 extensions).
    #[error("too many nested headers")]
    TooDeep,
    /// A TCP header's data offset is smaller than 20 bytes.
    #[error("bad TCP header")]
    BadTcpHeader,
    /// The frame's network layer is not IPv4/IPv6 (the EtherType, or 0 if unknown). Only
    /// [`parse_headers`](crate::parse_headers) returns it; the tracker counts such frames in
    /// `non_ip` without a `weird`.
    #[error("not IP (ethertype {0:#06x})")]
    NotIp(u16),
}

impl ParseError {
    /// The Zeek-style `weird` name for this failure.
    pub fn weird_name(&self) -> &'static str {
        match self {
            ParseError::UnknownLinkType(_) => "unknown_link_type",
            ParseError::Truncated(_) => "truncated_header",
            ParseError::BadIpHeader => "bad_ip_header",
            ParseError::UnknownAddressFamily(_) => "unknown_address_family",
            ParseError::TooDeep => "too_many_encapsulations",
            ParseError::BadTcpHeader => "bad_tcp_header",
            ParseError::NotIp(_) => "non_ip",
        }
    }
}

/// Result alias for this crate's parse functions.
pub type Result<T> = core::result::Result<T, ParseError>;
