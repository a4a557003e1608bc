//! Protocol detection: ports are hints, each module's `probe` confirms.
//!
//! Detection is deliberately conservative. DNS is only chosen when a DNS port
//! is involved *and* the payload passes the module's cheap plausibility check.
//! TLS and QUIC are recognised on any port by content alone, because their
//! first bytes are distinctive (a handshake record header; a QUIC long-header
//! Initial of a known version) and because hiding TLS on odd ports is exactly
//! what a hunter wants to see. HTTP/1.x is recognised on any TCP port too,
//! after those checks: a request line with a known method and an `HTTP/1.x`
//! version from the client, or a status line first from the server.
//! `None` means "unknown (yet)": the caller may
//! try again with the next payload or give up.

use crate::Dir;
use crate::{dns, http, quic, tls};

/// An application protocol this crate can decode.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AppProto {
    /// DNS, including mDNS (5353) and LLMNR (5355), which share the wire format.
    Dns,
    /// TLS (and SSL) over TCP, on any port.
    Tls,
    /// QUIC (v1, v2) over UDP: the Initial packets' ClientHello.
    Quic,
    /// HTTP/1.0 and 1.1 over TCP, on any port.
    Http,
}

impl AppProto {
    /// Lower-case name used in the `flow.app_proto` column (`"dns"`).
    pub fn name(&self) -> &'static str {
        match self {
            AppProto::Dns => "dns",
            AppProto::Tls => "tls",
            AppProto::Quic => "quic",
            AppProto::Http => "http",
        }
    }
}

/// Transport protocol of a flow.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transport {
    /// TCP: a byte stream, DNS messages carry a 2-octet length prefix (RFC 1035 section 4.2.2).
    Tcp,
    /// UDP: one message per datagram.
    Udp,
}

/// Ports on which DNS-format traffic is expected: DNS (53), mDNS (5353, RFC 6762)
/// and LLMNR (5355, RFC 4795).
const DNS_PORTS: [u16; 3] = [53, 5353, 5355];

/// Decide the protocol of a flow from its ports (hints) and a payload (probes).
///
/// `payload` is the first payload seen in direction `dir` (for TCP: the stream
/// bytes from its start). Returns `None` when no protocol matches yet.
pub fn detect(
    transport: Transport,
    src_port: u16,
    dst_port: u16,
    dir: Dir,
    payload: &[u8],
) -> Option<AppProto> {
    // The direction does not change the DNS decision: the QR bit, not the
    // direction, says whether a message is a query (Zeek flips roles likewise).
    let _ = dir;
    let dns_port = DNS_PORTS.contains(&src_port) || DNS_PORTS.contains(&dst_port);
    if dns_port {
        let ok = match transport {
            Transport::Udp => dns::probe_udp(payload),
            Transport::Tcp => dns::probe_tcp(payload),
        };
        if ok {
            return Some(AppProto::Dns);
        }
    }
    match transport {
        Transport::Tcp if tls::probe(payload) => Some(AppProto::Tls),
        Transport::Tcp if http::probe(payload, dir) => Some(AppProto::Http),
        Transport::Udp if quic::probe(payload) => Some(AppProto::Quic),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &[u8] = include_bytes!("../../testdata/decoders/dns/spf_query.bin");

    #[test]
    fn detect_dns_on_dns_ports() {
        for port in [53, 5353, 5355] {
            assert_eq!(
                detect(Transport::Udp, 40000, port, Dir::Orig, QUERY),
                Some(AppProto::Dns)
            );
            assert_eq!(
                detect(Transport::Udp, port, 40000, Dir::Resp, QUERY),
                Some(AppProto::Dns)
            );
        }
        assert_eq!(AppProto::Dns.name(), "dns");
    }

    #[test]
    fn detect_dns_over_tcp_needs_length_prefix() {
        let mut framed = vec![0u8, QUERY.len() as u8];
        framed.extend_from_slice(QUERY);
        assert_eq!(
            detect(Transport::Tcp, 40000, 53, Dir::Orig, &framed),
            Some(AppProto::Dns)
        );
        assert_eq!(detect(Transport::Tcp, 40000, 53, Dir::Orig, QUERY), None);
    }

    #[test]
    fn detect_tls_and_quic_on_any_port() {
        let hello = [
            0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c, 0x03, 0x03,
        ];
        assert_eq!(
            detect(Transport::Tcp, 40000, 8443, Dir::Orig, &hello),
            Some(AppProto::Tls)
        );
        assert_eq!(detect(Transport::Udp, 40000, 8443, Dir::Orig, &hello), None);
        let mut initial = vec![0xc3, 0, 0, 0, 1, 8];
        initial.extend_from_slice(&[0; 32]);
        assert_eq!(
            detect(Transport::Udp, 40000, 443, Dir::Orig, &initial),
            Some(AppProto::Quic)
        );
        assert_eq!(AppProto::Tls.name(), "tls");
        assert_eq!(AppProto::Quic.name(), "quic");
    }

    #[test]
    fn detect_http_on_any_port_by_content() {
        let req = b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
        for port in [80, 8089, 22, 40001] {
            assert_eq!(
                detect(Transport::Tcp, 40000, port, Dir::Orig, req),
                Some(AppProto::Http)
            );
        }
        assert_eq!(
            detect(
                Transport::Tcp,
                8080,
                40000,
                Dir::Resp,
                b"HTTP/1.0 200 OK\r\n"
            ),
            Some(AppProto::Http)
        );
        assert_eq!(detect(Transport::Udp, 40000, 80, Dir::Orig, req), None);
        assert_eq!(
            detect(Transport::Tcp, 40000, 80, Dir::Orig, b"FOO / HTTP/1.1\r\n"),
            None
        );
        assert_eq!(
            detect(Transport::Tcp, 40000, 80, Dir::Orig, b"GET / SIP/2.0\r\n"),
            None
        );
        assert_eq!(
            detect(Transport::Tcp, 40000, 80, Dir::Orig, b"HTTP/1.1 200 OK\r\n"),
            None
        );
        assert_eq!(AppProto::Http.name(), "http");
    }

    #[test]
    fn detect_is_conservative() {
        assert_eq!(detect(Transport::Udp, 40000, 8080, Dir::Orig, QUERY), None);
        assert_eq!(
            detect(Transport::Udp, 40000, 53, Dir::Orig, b"GET / HTTP/1.1\r\n"),
            None
        );
        assert_eq!(detect(Transport::Udp, 40000, 53, Dir::Orig, &[]), None);
    }
}
