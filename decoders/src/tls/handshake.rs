//! The handshake layer: messages spanning records (or several per record),
//! reassembled under a bound, then applied to the [`Session`].

use super::hello::{parse_client_hello, parse_server_hello};
use super::session::{LeafNames, Session};
use super::TlsEvent;
use crate::x509;
use crate::{Dir, RecordSink, Weird};

/// Largest handshake message reassembled. Certificate chains are the big
/// ones: tens of KiB in practice (a 10-certificate chain of 4096-bit RSA
/// keys is ~20 KiB). Longer messages are reported (`tls_handshake_too_large`)
/// and skipped, the rest of the handshake is still read.
pub const MAX_HANDSHAKE_LEN: usize = 256 * 1024;

/// Most certificates of one Certificate message that are parsed and logged
/// (real chains have 2 to 5; the rest are reported with `tls_too_many_certificates`).
pub const MAX_CHAIN_CERTS: usize = 32;

/// A reassembly buffer that grew beyond this is released after use, so one
/// large chain does not pin memory for the life of the flow.
const KEEP_BUF_CAPACITY: usize = 16 * 1024;

/// Handshake message types (IANA "TLS HandshakeType") that we act on.
mod msg {
    pub const CLIENT_HELLO: u8 = 1;
    pub const SERVER_HELLO: u8 = 2;
    pub const CERTIFICATE: u8 = 11;
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    pub const CLIENT_KEY_EXCHANGE: u8 = 16;
}

/// Handshake message types of TLS 1.0 to 1.3, to recognise a message start after a gap.
const KNOWN_TYPES: [u8; 16] = [0, 1, 2, 3, 4, 5, 8, 11, 12, 13, 14, 15, 16, 20, 22, 24];

/// What [`Reassembler::push`] found.
pub(crate) enum HsEvent<'a> {
    /// One complete message, 4-byte header included.
    Message(&'a [u8]),
    /// A message announcing this many body bytes, above [`MAX_HANDSHAKE_LEN`]: skipped.
    TooLarge(usize),
}

/// Joins handshake fragments of one direction into whole messages.
#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    /// Start of a message whose end is in a later record (at most 4 + MAX_HANDSHAKE_LEN bytes).
    buf: Vec<u8>,
    /// Bytes of an oversized message still to drop.
    skip: usize,
    /// After a gap: drop fragments until one starts with a plausible message header.
    resync: bool,
}

/// Body length announced by a handshake header at the start of `b`.
fn msg_len(b: &[u8]) -> Option<usize> {
    let &[_, a, b2, c] = b.first_chunk::<4>()?;
    Some(usize::from(a) << 16 | usize::from(b2) << 8 | usize::from(c))
}

impl Reassembler {
    /// Forget partial state: the bytes before a gap cannot be joined to those after it.
    pub fn reset_after_gap(&mut self) {
        self.buf = Vec::new();
        self.skip = 0;
        self.resync = true;
    }

    /// Add the body of one handshake record; `f` sees every message it completes.
    /// Messages that fit in the record are handed over without copying.
    pub fn push(&mut self, mut data: &[u8], f: &mut impl FnMut(HsEvent<'_>)) {
        if self.resync && self.buf.is_empty() && self.skip == 0 {
            let plausible = data.first().is_some_and(|t| KNOWN_TYPES.contains(t))
                && msg_len(data).is_none_or(|l| l <= MAX_HANDSHAKE_LEN);
            if !plausible {
                return;
            }
            self.resync = false;
        }
        while !data.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(data.len());
                self.skip -= n;
                data = data.get(n..).unwrap_or_default();
                continue;
            }
            if self.buf.is_empty() {
                match msg_len(data) {
                    Some(len) if len > MAX_HANDSHAKE_LEN => {
                        f(HsEvent::TooLarge(len));
                        self.skip = len + 4;
                    }
                    Some(len) if data.len() >= len + 4 => {
                        let (m, rest) = data.split_at(len + 4);
                        f(HsEvent::Message(m));
                        data = rest;
                    }
                    // The message continues in a later record.
                    _ => {
                        self.buf.extend_from_slice(data);
                        return;
                    }
                }
                continue;
            }
            // Slow path: complete the buffered message.
            if self.buf.len() < 4 {
                let n = (4 - self.buf.len()).min(data.len());
                let (head, rest) = data.split_at(n);
                self.buf.extend_from_slice(head);
                data = rest;
                continue;
            }
            let len = msg_len(&self.buf).unwrap_or_default();
            if len > MAX_HANDSHAKE_LEN {
                f(HsEvent::TooLarge(len));
                self.skip = (len + 4).saturating_sub(self.buf.len());
                self.buf.clear();
                continue;
            }
            let n = (len + 4 - self.buf.len()).min(data.len());
            let (head, rest) = data.split_at(n);
            self.buf.extend_from_slice(head);
            data = rest;
            if self.buf.len() == len + 4 {
                let m = std::mem::take(&mut self.buf);
                f(HsEvent::Message(&m));
                if m.capacity() <= KEEP_BUF_CAPACITY {
                    self.buf = m;
                    self.buf.clear();
                }
            }
        }
    }

    /// Bytes currently buffered (bounded by 4 + [`MAX_HANDSHAKE_LEN`]).
    #[cfg(test)]
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// Report a recoverable anomaly.
pub(crate) fn weird<S: RecordSink<TlsEvent>>(
    out: &mut S,
    ts_us: i64,
    name: &'static str,
    addl: String,
) {
    out.weird(Weird {
        ts_us,
        name,
        addl,
        notice: false,
    });
}

/// Apply one complete handshake message (header included) from `dir` to the session.
pub(crate) fn on_message<S: RecordSink<TlsEvent>>(
    sess: &mut Session,
    dir: Dir,
    ts_us: i64,
    m: &[u8],
    out: &mut S,
) {
    let (Some(&typ), Some(body)) = (m.first(), m.get(4..)) else {
        return;
    };
    sess.first_ts_us.get_or_insert(ts_us);
    match (typ, dir) {
        (msg::CLIENT_HELLO, Dir::Orig) => {
            // A second ClientHello (after a HelloRetryRequest) does not change the fingerprints.
            if sess.client.is_some() {
                return;
            }
            match parse_client_hello(body) {
                Ok((info, problem)) => {
                    if let Some(p) = problem {
                        weird(out, ts_us, "tls_bad_extension", p);
                    }
                    sess.client = Some(info);
                }
                Err(e) => weird(out, ts_us, "tls_bad_client_hello", e.0.to_string()),
            }
        }
        (msg::SERVER_HELLO, Dir::Resp) => match parse_server_hello(body) {
            Ok((info, problem)) => {
                if let Some(p) = problem {
                    weird(out, ts_us, "tls_bad_extension", p);
                }
                if info.hrr {
                    sess.hrr = true;
                } else if sess.server.is_none() {
                    sess.server = Some(info);
                }
            }
            Err(e) => weird(out, ts_us, "tls_bad_server_hello", e.0.to_string()),
        },
        (msg::CERTIFICATE, _) => on_certificate(sess, dir, ts_us, body, out),
        (msg::SERVER_KEY_EXCHANGE, Dir::Resp) => on_server_key_exchange(sess, body),
        (msg::CLIENT_KEY_EXCHANGE, Dir::Orig) => sess.client_key_exchange = true,
        (msg::CLIENT_HELLO | msg::SERVER_HELLO, _) => weird(
            out,
            ts_us,
            "tls_hello_from_wrong_side",
            format!("handshake type {typ}"),
        ),
        _ => {}
    }
}

/// ECDHE ServerKeyExchange: `curve_type` 3 (named_curve) then the group (RFC 8422 section 5.4).
fn on_server_key_exchange(sess: &mut Session, body: &[u8]) {
    let cipher = sess.server.as_ref().map(|s| s.cipher).unwrap_or_default();
    let ecdh = u16::try_from(cipher)
        .ok()
        .and_then(tls_parser::TlsCipherSuite::from_id)
        .is_some_and(|cs| {
            matches!(
                cs.kx,
                tls_parser::TlsCipherKx::Ecdhe | tls_parser::TlsCipherKx::Ecdh
            )
        });
    if let (true, Some(&[3, a, b])) = (ecdh, body.first_chunk::<3>()) {
        sess.ske_curve = Some(u16::from_be_bytes([a, b]));
    }
}

/// A Certificate message (TLS 1.2 and below; TLS 1.3 sends it encrypted).
fn on_certificate<S: RecordSink<TlsEvent>>(
    sess: &mut Session,
    dir: Dir,
    ts_us: i64,
    body: &[u8],
    out: &mut S,
) {
    let seen = match dir {
        Dir::Orig => &mut sess.client_certs_seen,
        Dir::Resp => &mut sess.server_certs_seen,
    };
    if std::mem::replace(seen, true) {
        return; // renegotiation: the first chain is the one logged
    }
    let Ok((_, tls_parser::TlsMessageHandshake::Certificate(c))) =
        tls_parser::parse_tls_handshake_msg_certificate(body)
    else {
        weird(out, ts_us, "tls_bad_certificate_message", String::new());
        return;
    };
    let ders: Vec<&[u8]> = c.cert_chain.iter().map(|rc| rc.data).collect();
    on_chain(sess, dir, ts_us, &ders, out);
}

/// Log each certificate of a chain (also the one of an SSLv2 SERVER-HELLO).
pub(crate) fn on_chain<S: RecordSink<TlsEvent>>(
    sess: &mut Session,
    dir: Dir,
    ts_us: i64,
    ders: &[&[u8]],
    out: &mut S,
) {
    if ders.len() > MAX_CHAIN_CERTS {
        weird(
            out,
            ts_us,
            "tls_too_many_certificates",
            format!("{} certificates, {MAX_CHAIN_CERTS} logged", ders.len()),
        );
    }
    for (i, der) in ders.iter().take(MAX_CHAIN_CERTS).enumerate() {
        let fp = x509::sha256_hex(der);
        match dir {
            Dir::Orig => sess.client_cert_chain_fps.push(fp),
            Dir::Resp => sess.cert_chain_fps.push(fp),
        }
        match x509::parse_certificate(der) {
            Ok(mut rec) => {
                rec.ts_us = ts_us;
                rec.chain_index = i32::try_from(i).unwrap_or(i32::MAX);
                // Zeek's meanings: the end-host (first) certificate of either
                // chain, and whether the client sent it.
                rec.host_cert = i == 0;
                rec.client_cert = dir == Dir::Orig;
                if dir == Dir::Resp && i == 0 {
                    sess.subject = rec.subject.clone();
                    sess.issuer = rec.issuer.clone();
                    sess.leaf = Some(LeafNames {
                        common_name: rec.common_name.clone(),
                        san_dns: rec.san_dns.clone(),
                    });
                }
                out.record(TlsEvent::Certificate(Box::new(rec)));
            }
            Err(e) => weird(out, ts_us, e.weird_name(), e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(r: &mut Reassembler, data: &[u8], msgs: &mut Vec<Vec<u8>>, big: &mut Vec<usize>) {
        r.push(data, &mut |e| match e {
            HsEvent::Message(m) => msgs.push(m.to_vec()),
            HsEvent::TooLarge(n) => big.push(n),
        });
    }

    #[test]
    fn messages_spanning_and_sharing_records() {
        let mut r = Reassembler::default();
        let (mut msgs, mut big) = (Vec::new(), Vec::new());
        // Two whole messages in one record, then one split over three records
        // with its header split too.
        collect(&mut r, &[14, 0, 0, 0, 20, 0, 0, 1, 9], &mut msgs, &mut big);
        collect(&mut r, &[11, 0], &mut msgs, &mut big);
        collect(&mut r, &[0, 3, 1], &mut msgs, &mut big);
        assert_eq!(r.buffered(), 5);
        collect(&mut r, &[2, 3, 16, 0], &mut msgs, &mut big);
        assert_eq!(
            msgs,
            vec![
                vec![14, 0, 0, 0],
                vec![20, 0, 0, 1, 9],
                vec![11, 0, 0, 3, 1, 2, 3]
            ]
        );
        assert!(big.is_empty());
        assert_eq!(r.buffered(), 2);
    }

    #[test]
    fn oversized_message_is_skipped() {
        let mut r = Reassembler::default();
        let (mut msgs, mut big) = (Vec::new(), Vec::new());
        let len = MAX_HANDSHAKE_LEN + 1;
        let hdr = [11, (len >> 16) as u8, (len >> 8) as u8, len as u8];
        collect(&mut r, &hdr, &mut msgs, &mut big);
        let mut left = len;
        while left > 0 {
            let n = left.min(16384);
            collect(&mut r, &vec![0u8; n], &mut msgs, &mut big);
            left -= n;
        }
        assert!(r.buffered() <= 4);
        collect(&mut r, &[14, 0, 0, 0], &mut msgs, &mut big);
        assert_eq!(big, vec![len]);
        assert_eq!(msgs, vec![vec![14, 0, 0, 0]]);
    }
}
