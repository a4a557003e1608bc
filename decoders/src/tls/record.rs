//! The `tls` dataset record and what the TLS decoder emits.

use crate::x509::X509Record;

/// What [`TlsParser`](super::TlsParser) emits.
#[derive(Clone, Debug, PartialEq)]
pub enum TlsEvent {
    /// The flow's TLS session (one per flow; QUIC: one per connection).
    Session(Box<TlsRecord>),
    /// One certificate of a Certificate message (server's or client's), in the order sent.
    Certificate(Box<X509Record>),
}

/// One TLS session (SCHEMA.md `tls`), with Zeek's `ssl.log` values where Zeek has them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsRecord {
    /// Time of the ClientHello (or of the first handshake message seen), µs since the epoch.
    pub ts_us: i64,
    /// Negotiated version, Zeek's spelling: `SSLv3`, `TLSv10`, `TLSv11`, `TLSv12`, `TLSv13`
    /// (TLS 1.3 from the ServerHello's supported_versions), `DTLSv12`...
    pub version: Option<String>,
    /// Negotiated cipher suite, IANA name (`TLS_AES_128_GCM_SHA256`).
    pub cipher: Option<String>,
    /// Negotiated group (`x25519`, `secp256r1`, ...), Zeek's names.
    pub curve: Option<String>,
    /// Server Name Indication of the ClientHello.
    pub server_name: Option<String>,
    /// ALPN protocols offered by the client (null without the extension).
    pub alpn: Option<Vec<String>>,
    /// ALPN protocol selected by the server.
    pub alpn_selected: Option<String>,
    /// Session resumed (session id / ticket / PSK accepted by the server).
    pub resumed: bool,
    /// Handshake completed (Zeek's `established`).
    pub established: bool,
    /// The last alert seen, Zeek's name (`handshake_failure`, ...).
    pub last_alert: Option<String>,
    /// JA3 MD5, lower-case hex.
    pub ja3: Option<String>,
    /// JA3 string (GREASE removed).
    pub ja3_string: Option<String>,
    /// JA3S MD5, lower-case hex.
    pub ja3s: Option<String>,
    /// JA3S string.
    pub ja3s_string: Option<String>,
    /// JA4 (`t13d1516h2_8daaf6152771_e5627efa2ab1`; QUIC: `q` prefix).
    pub ja4: Option<String>,
    /// JA4_r (raw, unhashed lists).
    pub ja4_r: Option<String>,
    /// JA4S (only with the `ja4plus` feature; null otherwise).
    pub ja4s: Option<String>,
    /// Versions offered by the client (supported_versions, else the legacy version), Zeek's spelling.
    pub client_versions: Vec<String>,
    /// SHA-256 of each server certificate, leaf first, lower-case hex.
    pub cert_chain_fps: Vec<String>,
    /// SHA-256 of each client certificate, leaf first.
    pub client_cert_chain_fps: Vec<String>,
    /// Leaf server certificate subject (same rendering as `x509.subject`).
    pub subject: Option<String>,
    /// Leaf server certificate issuer.
    pub issuer: Option<String>,
    /// Whether the SNI matches the leaf certificate's CN or a SAN (wildcards honoured);
    /// null without SNI or certificate.
    pub sni_matches_cert: Option<bool>,
    /// True for QUIC (the sensor writes `proto=udp`).
    pub quic: bool,
}
