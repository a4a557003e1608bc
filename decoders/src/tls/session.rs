//! What one flow's handshake has shown so far, and how it becomes a [`TlsRecord`].
//!
//! Handshake messages update a [`Session`]; the derived fields (`resumed`,
//! `established`, `sni_matches_cert`) are decided once, in [`Session::to_record`],
//! following Zeek's `base/protocols/ssl/main.zeek`.

use super::fingerprint;
use super::hello::{ClientHelloInfo, ServerHelloInfo};
use super::names::{
    cipher_name, curve_name, is_grease, is_tls13_like, sslv2_cipher_name, text, version_name,
};
use super::TlsRecord;

/// The leaf server certificate's names, for `sni_matches_cert`.
#[derive(Debug, Default)]
pub(crate) struct LeafNames {
    /// Subject common name.
    pub common_name: Option<String>,
    /// subjectAltName DNS names.
    pub san_dns: Vec<String>,
}

/// Accumulated handshake facts of one flow.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// Time of the first handshake message (the ClientHello normally).
    pub first_ts_us: Option<i64>,
    /// The first ClientHello.
    pub client: Option<ClientHelloInfo>,
    /// The final ServerHello (not a HelloRetryRequest).
    pub server: Option<ServerHelloInfo>,
    /// A HelloRetryRequest was seen: the server speaks TLS 1.3 even before its final hello.
    pub hrr: bool,
    /// Curve from an ECDHE ServerKeyExchange.
    pub ske_curve: Option<u16>,
    /// The client sent a ClientKeyExchange (full handshake, not a resumption).
    pub client_key_exchange: bool,
    /// The client sent ChangeCipherSpec.
    pub client_ccs: bool,
    /// Both directions carried encrypted records after their switch to encryption.
    pub established: bool,
    /// Last plaintext alert, Zeek's name.
    pub last_alert: Option<String>,
    /// SHA-256 of the server's certificates, in order.
    pub cert_chain_fps: Vec<String>,
    /// SHA-256 of the client's certificates, in order.
    pub client_cert_chain_fps: Vec<String>,
    /// Leaf server certificate subject and issuer (when it parsed).
    pub subject: Option<String>,
    /// Leaf server certificate issuer.
    pub issuer: Option<String>,
    /// Leaf names for the SNI check.
    pub leaf: Option<LeafNames>,
    /// The server's Certificate message was handled (only the first counts).
    pub server_certs_seen: bool,
    /// The client's Certificate message was handled.
    pub client_certs_seen: bool,
}

impl Session {
    /// The negotiated version, once the final ServerHello is in.
    pub fn version(&self) -> Option<u16> {
        self.server.as_ref().map(|s| s.selected_version)
    }

    /// Whether the server has committed to TLS 1.3 semantics (a 1.3-like
    /// ServerHello, or a HelloRetryRequest): its ChangeCipherSpec records are
    /// then middlebox-compatibility noise, not a switch to encryption.
    pub fn tls13(&self) -> bool {
        self.hrr || self.version().is_some_and(is_tls13_like)
    }

    /// Whether the session id echo counts as a resumption (Zeek: the server
    /// repeats the client's non-empty id, except in TLS 1.3 and its drafts,
    /// where the echo is middlebox compatibility).
    fn resumed(&self) -> bool {
        let (Some(c), Some(s)) = (&self.client, &self.server) else {
            return false;
        };
        let v = s.selected_version;
        let tls13 = v == 0x0304 || v / 0xff == 0x7f;
        let echoed = !c.session_id.is_empty()
            && c.session_id.iter().any(|&b| b != 0)
            && c.session_id == s.session_id;
        // Zeek: a client that offered a session ticket and changes cipher spec
        // without a ClientKeyExchange resumed from the ticket.
        let ticket = c.ticket_offered && self.client_ccs && !self.client_key_exchange;
        (echoed && !tls13) || s.psk || (ticket && !is_tls13_like(v))
    }

    /// The group Zeek logs as `curve`: TLS 1.3 key_share, else the ECDHE ServerKeyExchange.
    fn curve(&self) -> Option<u16> {
        self.server
            .as_ref()
            .and_then(|s| s.key_share_group)
            .or(self.ske_curve)
    }

    /// Whether the SNI matches the leaf certificate's CN or a SAN DNS name
    /// (case-insensitive; `*.` matches exactly one label, like Zeek's
    /// `x509_check_cert_hostname`). `None` without SNI or parsed certificate.
    fn sni_matches_cert(&self) -> Option<bool> {
        let sni = self.client.as_ref()?.sni.as_ref()?;
        let leaf = self.leaf.as_ref()?;
        let sni = text(sni);
        let matched = leaf
            .common_name
            .iter()
            .chain(leaf.san_dns.iter())
            .any(|pattern| hostname_matches(pattern, &sni));
        Some(matched)
    }

    /// Build the record; `quic` selects the JA4 `q` prefix and the record's `quic` flag.
    pub fn to_record(&self, quic: bool) -> TlsRecord {
        let mut r = TlsRecord {
            ts_us: self.first_ts_us.unwrap_or_default(),
            quic,
            ..TlsRecord::default()
        };
        if let Some(c) = &self.client {
            fill_client(&mut r, c, quic);
        }
        if let Some(s) = &self.server {
            r.version = Some(version_name(s.selected_version));
            r.cipher = Some(if s.selected_version == 0x0002 {
                sslv2_cipher_name(s.cipher)
            } else {
                // Only SSLv2 ciphers are wider than 16 bits.
                cipher_name(u16::try_from(s.cipher).unwrap_or(u16::MAX))
            });
            r.alpn_selected = s.alpn.as_deref().map(text);
            let (js, jsh) = fingerprint::ja3s(s);
            r.ja3s_string = Some(js);
            r.ja3s = Some(jsh);
            let ja4s = fingerprint::ja4s(s, quic);
            r.ja4s = (!ja4s.is_empty()).then_some(ja4s);
        }
        r.curve = self.curve().map(curve_name);
        r.resumed = self.resumed();
        r.established = self.established;
        r.last_alert = self.last_alert.clone();
        r.cert_chain_fps = self.cert_chain_fps.clone();
        r.client_cert_chain_fps = self.client_cert_chain_fps.clone();
        r.subject = self.subject.clone();
        r.issuer = self.issuer.clone();
        r.sni_matches_cert = self.sni_matches_cert();
        r
    }
}

/// The ClientHello's part of a record (also used for QUIC's ClientHello).
pub(crate) fn fill_client(r: &mut TlsRecord, c: &ClientHelloInfo, quic: bool) {
    r.server_name = c.sni.as_deref().map(text);
    r.alpn = c.alpn.as_ref().map(|l| l.iter().map(|p| text(p)).collect());
    r.client_versions = match &c.supported_versions {
        Some(v) => v
            .iter()
            .filter(|&&x| !is_grease(x))
            .map(|&x| version_name(x))
            .collect(),
        None => vec![version_name(c.version)],
    };
    let (s, h) = fingerprint::ja3(c);
    r.ja3_string = Some(s);
    r.ja3 = Some(h);
    let (j4, j4r) = fingerprint::ja4(c, quic);
    r.ja4 = Some(j4);
    r.ja4_r = Some(j4r);
}

/// Certificate name matching: exact (case-insensitive), or a leading `*.`
/// label matching exactly one non-empty label of `host`.
pub(crate) fn hostname_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.');
    let pattern = pattern.trim_end_matches('.');
    if let Some(suffix) = pattern.strip_prefix("*.") {
        return match host.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest.eq_ignore_ascii_case(suffix),
            None => false,
        };
    }
    pattern.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_label() {
        assert!(hostname_matches("*.example.com", "www.example.com"));
        assert!(hostname_matches("*.Example.com", "WWW.example.COM"));
        assert!(!hostname_matches("*.example.com", "a.b.example.com"));
        assert!(!hostname_matches("*.example.com", "example.com"));
        assert!(hostname_matches("example.com", "example.com."));
        assert!(!hostname_matches("example.com", "192.168.1.150"));
    }

    #[test]
    fn resumed_follows_zeek() {
        let client = ClientHelloInfo {
            session_id: vec![7; 32],
            ..ClientHelloInfo::default()
        };
        let server = ServerHelloInfo {
            session_id: vec![7; 32],
            selected_version: 0x0303,
            ..ServerHelloInfo::default()
        };
        let mut s = Session {
            client: Some(client),
            server: Some(server),
            ..Session::default()
        };
        assert!(s.resumed());
        // TLS 1.3 echoes the id for middlebox compatibility: not a resumption.
        if let Some(sh) = s.server.as_mut() {
            sh.selected_version = 0x0304;
        }
        assert!(!s.resumed());
        if let Some(sh) = s.server.as_mut() {
            sh.psk = true;
        }
        assert!(s.resumed());
    }
}
