//! ClientHello and ServerHello (and their SSLv2 forms) reduced to the owned
//! facts the session record and the fingerprints need.
//!
//! The fixed part of each hello is parsed with `tls-parser`. Extensions are
//! walked here, one type-length-value at a time, so that one malformed
//! extension is reported and skipped instead of hiding the ones after it;
//! each extension body is then parsed with `tls-parser`'s extension parser.

use tls_parser::{
    parse_tls_client_hello_extension, parse_tls_handshake_client_hello,
    parse_tls_handshake_server_hello, parse_tls_server_hello_extension, SNIType, TlsExtension,
};

/// ServerHello.random of a HelloRetryRequest (RFC 8446 section 4.1.3: SHA-256 of "HelloRetryRequest").
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Extension numbers we look into (IANA "TLS ExtensionType Values").
pub(crate) mod ext {
    /// server_name (RFC 6066).
    pub const SERVER_NAME: u16 = 0;
    /// application_layer_protocol_negotiation (RFC 7301).
    pub const ALPN: u16 = 16;
    /// key_share as numbered in TLS 1.3 drafts before 23.
    pub const KEY_SHARE_OLD: u16 = 40;
    /// pre_shared_key (RFC 8446).
    pub const PRE_SHARED_KEY: u16 = 41;
    /// supported_versions (RFC 8446).
    pub const SUPPORTED_VERSIONS: u16 = 43;
    /// key_share (RFC 8446).
    pub const KEY_SHARE: u16 = 51;
}

/// ClientHello extensions whose content we read: server_name, supported_groups,
/// ec_point_formats, signature_algorithms, ALPN, SessionTicket, supported_versions.
const CLIENT_PARSED: [u16; 7] = [0, 10, 11, 13, 16, 35, 43];

/// What a ClientHello offers.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ClientHelloInfo {
    /// legacy_version (the version field of the hello).
    pub version: u16,
    /// legacy_session_id.
    pub session_id: Vec<u8>,
    /// Cipher suites in order, GREASE included. SSLv2 hellos keep only the
    /// 3-byte cipher kinds that map to TLS suites (first byte zero).
    pub ciphers: Vec<u16>,
    /// Extension types in order, GREASE included.
    pub extensions: Vec<u16>,
    /// supported_groups (elliptic_curves), GREASE included.
    pub curves: Vec<u16>,
    /// ec_point_formats.
    pub point_formats: Vec<u8>,
    /// signature_algorithms, in order, GREASE included.
    pub sig_algs: Vec<u16>,
    /// First host_name of server_name.
    pub sni: Option<Vec<u8>>,
    /// ALPN protocol names, `None` without the extension.
    pub alpn: Option<Vec<Vec<u8>>>,
    /// supported_versions, `None` without the extension.
    pub supported_versions: Option<Vec<u16>>,
    /// The SessionTicket extension carries a ticket (a resumption attempt).
    pub ticket_offered: bool,
    /// Sent in SSLv2 framing.
    pub sslv2: bool,
}

/// What a ServerHello (or HelloRetryRequest) selects.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ServerHelloInfo {
    /// The version field of the hello (legacy_version from TLS 1.3 on).
    pub version: u16,
    /// The negotiated version: supported_versions if present, else `version`.
    pub selected_version: u16,
    /// Session id echoed or assigned by the server.
    pub session_id: Vec<u8>,
    /// Selected cipher suite (SSLv2: the first cipher kind offered).
    pub cipher: u32,
    /// Extension types in order.
    pub extensions: Vec<u16>,
    /// Selected ALPN protocol.
    pub alpn: Option<Vec<u8>>,
    /// Group of the key_share (TLS 1.3 and drafts).
    pub key_share_group: Option<u16>,
    /// pre_shared_key accepted (TLS 1.3 resumption).
    pub psk: bool,
    /// This is a HelloRetryRequest, not the final ServerHello.
    pub hrr: bool,
    /// Server certificate carried inside an SSLv2 SERVER-HELLO.
    pub sslv2_cert: Option<Vec<u8>>,
}

/// A hello that cannot be read; the caller turns it into a `weird` or an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadHello(pub &'static str);

/// Split an extension block into (type, body) pairs. A truncated trailing
/// extension is reported through `bad` and ends the walk.
fn walk_extensions<'a>(mut block: &'a [u8], bad: &mut Option<String>) -> Vec<(u16, &'a [u8])> {
    let mut out = Vec::new();
    while !block.is_empty() {
        let (Some(&[t0, t1, l0, l1]), rest) = (block.first_chunk::<4>(), block.get(4..)) else {
            *bad = Some("truncated extension header".to_string());
            break;
        };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        let Some(body) = rest.and_then(|r| r.get(..len)) else {
            *bad = Some("extension longer than its block".to_string());
            break;
        };
        out.push((u16::from_be_bytes([t0, t1]), body));
        block = block.get(4 + len..).unwrap_or(&[]);
    }
    out
}

/// Rebuild the on-wire TLV of one extension so `tls-parser` can parse its body.
fn tlv(t: u16, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 4);
    v.extend_from_slice(&t.to_be_bytes());
    // Bodies come from a u16-length walk, so the length fits.
    v.extend_from_slice(&u16::try_from(body.len()).unwrap_or(u16::MAX).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// Parse a ClientHello body (after the 4-byte handshake header).
///
/// Returns the facts and, separately, the first recoverable problem met in
/// the extensions (the caller reports it as a `weird`).
pub(crate) fn parse_client_hello(
    body: &[u8],
) -> Result<(ClientHelloInfo, Option<String>), BadHello> {
    let (_, ch) =
        parse_tls_handshake_client_hello(body).map_err(|_| BadHello("malformed ClientHello"))?;
    let mut info = ClientHelloInfo {
        version: ch.version.0,
        session_id: ch.session_id.unwrap_or_default().to_vec(),
        ciphers: ch.ciphers.iter().map(|c| c.0).collect(),
        ..ClientHelloInfo::default()
    };
    let mut bad = None;
    for (t, data) in walk_extensions(ch.ext.unwrap_or_default(), &mut bad) {
        info.extensions.push(t);
        // Only the extensions we report are parsed (the rest need not be valid).
        if !CLIENT_PARSED.contains(&t) {
            continue;
        }
        let raw = tlv(t, data);
        let Ok((_, e)) = parse_tls_client_hello_extension(&raw) else {
            bad.get_or_insert_with(|| format!("malformed extension {t}"));
            continue;
        };
        match e {
            TlsExtension::SNI(names) => {
                info.sni = names
                    .iter()
                    .find(|(kind, _)| *kind == SNIType::HostName)
                    .map(|(_, n)| n.to_vec());
            }
            TlsExtension::EllipticCurves(groups) => {
                info.curves = groups.iter().map(|g| g.0).collect()
            }
            TlsExtension::EcPointFormats(f) => info.point_formats = f.to_vec(),
            TlsExtension::SignatureAlgorithms(s) => info.sig_algs = s,
            TlsExtension::ALPN(p) => info.alpn = Some(p.iter().map(|x| x.to_vec()).collect()),
            TlsExtension::SupportedVersions(v) => {
                info.supported_versions = Some(v.iter().map(|x| x.0).collect());
            }
            TlsExtension::SessionTicket(t) => info.ticket_offered = !t.is_empty(),
            _ => {}
        }
    }
    Ok((info, bad))
}

/// Parse a ServerHello or HelloRetryRequest body (after the 4-byte header),
/// for every version: SSL 3.0 to TLS 1.2, TLS 1.3 and its drafts.
pub(crate) fn parse_server_hello(
    body: &[u8],
) -> Result<(ServerHelloInfo, Option<String>), BadHello> {
    let mut info = ServerHelloInfo::default();
    let ext_block = match parse_tls_handshake_server_hello(body) {
        Ok((rest, sh)) => {
            info.version = sh.version.0;
            info.session_id = sh.session_id.unwrap_or_default().to_vec();
            info.cipher = u32::from(sh.cipher.0);
            info.hrr = sh.random == HRR_RANDOM;
            // tls-parser ignores extensions after an SSL 3.0 ServerHello, but
            // servers send them (renegotiation_info) and JA3S counts them.
            sh.ext.or_else(|| length_prefixed(rest)).unwrap_or_default()
        }
        // TLS 1.3 drafts up to 21 (0x7f..) and experiments (0x7e..): version,
        // random, cipher, extensions; no session id, no compression.
        Err(_) => parse_draft_server_hello(body, &mut info)?,
    };
    info.selected_version = info.version;
    let mut bad = None;
    for (t, data) in walk_extensions(ext_block, &mut bad) {
        info.extensions.push(t);
        match t {
            // key_share in a ServerHello is one entry (group, key), in a
            // HelloRetryRequest just the group: the group comes first either way.
            ext::KEY_SHARE | ext::KEY_SHARE_OLD => {
                if let Some(&[a, b]) = data.first_chunk::<2>() {
                    info.key_share_group = Some(u16::from_be_bytes([a, b]));
                }
            }
            ext::PRE_SHARED_KEY => info.psk = true,
            ext::SUPPORTED_VERSIONS => match data {
                [a, b] => info.selected_version = u16::from_be_bytes([*a, *b]),
                _ => {
                    bad.get_or_insert_with(|| "malformed supported_versions".to_string());
                }
            },
            ext::ALPN => {
                let raw = tlv(t, data);
                match parse_tls_server_hello_extension(&raw) {
                    Ok((_, TlsExtension::ALPN(p))) => info.alpn = p.first().map(|x| x.to_vec()),
                    _ => {
                        bad.get_or_insert_with(|| "malformed ALPN extension".to_string());
                    }
                }
            }
            _ => {}
        }
    }
    Ok((info, bad))
}

/// The u16-length-prefixed block at the start of `b`, if it is all there.
fn length_prefixed(b: &[u8]) -> Option<&[u8]> {
    let &[l0, l1] = b.first_chunk::<2>()?;
    b.get(2..2 + usize::from(u16::from_be_bytes([l0, l1])))
}

/// The draft/experimental ServerHello layout; returns its extension block.
fn parse_draft_server_hello<'a>(
    body: &'a [u8],
    info: &mut ServerHelloInfo,
) -> Result<&'a [u8], BadHello> {
    let bad = BadHello("malformed ServerHello");
    let &[v0, v1] = body.first_chunk::<2>().ok_or(bad)?;
    let version = u16::from_be_bytes([v0, v1]);
    if version >> 8 != 0x7f && version >> 8 != 0x7e {
        return Err(BadHello("ServerHello of unknown version"));
    }
    let &[c0, c1] = body
        .get(34..36)
        .and_then(|s| s.first_chunk::<2>())
        .ok_or(bad)?;
    info.version = version;
    info.cipher = u32::from(u16::from_be_bytes([c0, c1]));
    let Some(&[l0, l1]) = body.get(36..38).and_then(|s| s.first_chunk::<2>()) else {
        return Ok(&[]);
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    body.get(38..38 + len).ok_or(bad)
}

/// Parse an SSLv2 CLIENT-HELLO message (after the 2-byte record header; starts
/// with message type 1). Layout: draft-hickman-netscape-ssl-00 section "CLIENT-HELLO".
pub(crate) fn parse_sslv2_client_hello(msg: &[u8]) -> Result<ClientHelloInfo, BadHello> {
    let bad = BadHello("malformed SSLv2 CLIENT-HELLO");
    let hdr = msg.first_chunk::<9>().ok_or(bad)?;
    if hdr[0] != 1 {
        return Err(BadHello("SSLv2 message is not a CLIENT-HELLO"));
    }
    let version = u16::from_be_bytes([hdr[1], hdr[2]]);
    let specs_len = usize::from(u16::from_be_bytes([hdr[3], hdr[4]]));
    let sid_len = usize::from(u16::from_be_bytes([hdr[5], hdr[6]]));
    let specs = msg.get(9..9 + specs_len).ok_or(bad)?;
    let sid = msg.get(9 + specs_len..9 + specs_len + sid_len).ok_or(bad)?;
    if specs_len % 3 != 0 {
        return Err(bad);
    }
    let ciphers = specs
        .chunks_exact(3)
        .filter(|c| c[0] == 0)
        .map(|c| u16::from_be_bytes([c[1], c[2]]))
        .collect();
    Ok(ClientHelloInfo {
        version,
        session_id: sid.to_vec(),
        ciphers,
        sslv2: true,
        ..ClientHelloInfo::default()
    })
}

/// Parse an SSLv2 SERVER-HELLO message (after the 2-byte record header; starts
/// with message type 4).
pub(crate) fn parse_sslv2_server_hello(msg: &[u8]) -> Result<ServerHelloInfo, BadHello> {
    let bad = BadHello("malformed SSLv2 SERVER-HELLO");
    let hdr = msg.first_chunk::<11>().ok_or(bad)?;
    if hdr[0] != 4 {
        return Err(BadHello("SSLv2 message is not a SERVER-HELLO"));
    }
    let version = u16::from_be_bytes([hdr[3], hdr[4]]);
    let cert_len = usize::from(u16::from_be_bytes([hdr[5], hdr[6]]));
    let specs_len = usize::from(u16::from_be_bytes([hdr[7], hdr[8]]));
    let cert = msg.get(11..11 + cert_len).ok_or(bad)?;
    let specs = msg
        .get(11 + cert_len..11 + cert_len + specs_len)
        .ok_or(bad)?;
    let cipher = specs
        .first_chunk::<3>()
        .map(|c| u32::from_be_bytes([0, c[0], c[1], c[2]]))
        .unwrap_or_default();
    Ok(ServerHelloInfo {
        version,
        selected_version: version,
        cipher,
        sslv2_cert: (!cert.is_empty()).then(|| cert.to_vec()),
        ..ServerHelloInfo::default()
    })
}
