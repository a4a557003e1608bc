//! Tests on real handshakes cut from the corpus captures
//! (`testdata/decoders/tls/README.md` says which capture and stream), fed the
//! way the sensor feeds them: per direction, keeping unconsumed bytes.

use super::*;
use crate::{VecSink, Weird};

/// A fixture: chunks (one per TCP segment) with their direction.
fn load(bytes: &[u8]) -> Vec<(Dir, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while let Some(&[d, a, b, c, e]) = rest.first_chunk::<5>() {
        let len = u32::from_be_bytes([a, b, c, e]) as usize;
        let dir = if d == 0 { Dir::Orig } else { Dir::Resp };
        out.push((dir, rest[5..5 + len].to_vec()));
        rest = &rest[5 + len..];
    }
    out
}

/// Plays the caller's part of the `feed` contract.
struct Driver {
    parser: TlsParser,
    bufs: [Vec<u8>; 2],
    done: [bool; 2],
    sink: VecSink<TlsEvent>,
    ts_us: i64,
    /// Largest amount of bytes the caller had to keep for one direction.
    max_buffered: usize,
}

impl Driver {
    fn new() -> Self {
        Driver {
            parser: TlsParser::new(Transport::Tcp),
            bufs: [Vec::new(), Vec::new()],
            done: [false, false],
            sink: VecSink::default(),
            ts_us: 1_000_000,
            max_buffered: 0,
        }
    }

    fn data(&mut self, dir: Dir, data: &[u8]) -> Result<()> {
        let i = idx(dir);
        self.ts_us += 1000;
        if self.done[i] {
            return Ok(());
        }
        self.bufs[i].extend_from_slice(data);
        loop {
            let p = self.parser.feed(
                dir,
                self.ts_us,
                Segment::Data(&self.bufs[i]),
                &mut self.sink,
            )?;
            match p {
                Progress::Consumed(n) => {
                    assert!(n <= self.bufs[i].len());
                    self.bufs[i].drain(..n);
                    if n == 0 || self.bufs[i].is_empty() {
                        break;
                    }
                }
                Progress::NeedMore { consumed, needed } => {
                    self.bufs[i].drain(..consumed);
                    assert!(needed > self.bufs[i].len(), "NeedMore with enough bytes");
                    assert!(needed <= HEADER_LEN + MAX_RECORD_LEN);
                    break;
                }
                Progress::Done => {
                    self.done[i] = true;
                    self.bufs[i].clear();
                    break;
                }
            }
        }
        self.max_buffered = self.max_buffered.max(self.bufs[i].len());
        Ok(())
    }

    fn gap(&mut self, dir: Dir, n: u32) {
        let i = idx(dir);
        if self.done[i] {
            return;
        }
        self.bufs[i].clear();
        let p = self
            .parser
            .feed(dir, self.ts_us, Segment::Gap(n), &mut self.sink);
        if p == Ok(Progress::Done) {
            self.done[i] = true;
        }
    }

    fn finish(mut self) -> VecSink<TlsEvent> {
        self.parser.finish(&mut self.sink);
        self.sink
    }

    fn sessions(sink: &VecSink<TlsEvent>) -> Vec<&TlsRecord> {
        sink.records
            .iter()
            .filter_map(|e| match e {
                TlsEvent::Session(r) => Some(&**r),
                TlsEvent::Certificate(_) => None,
            })
            .collect()
    }
}

/// Feed a fixture chunk by chunk and return everything emitted, with the
/// timestamps (which depend on how the input was cut) zeroed.
fn run(chunks: &[(Dir, Vec<u8>)]) -> VecSink<TlsEvent> {
    let mut d = Driver::new();
    for (dir, data) in chunks {
        d.data(*dir, data).expect("feed");
    }
    normalise(d.finish())
}

/// Zero the timestamps, which depend on how the input was cut.
fn normalise(mut sink: VecSink<TlsEvent>) -> VecSink<TlsEvent> {
    for e in &mut sink.records {
        match e {
            TlsEvent::Session(r) => r.ts_us = 0,
            TlsEvent::Certificate(c) => c.ts_us = 0,
        }
    }
    for w in &mut sink.weirds {
        w.ts_us = 0;
    }
    sink
}

/// The one session record of a fixture.
fn session_of(fixture: &[u8]) -> TlsRecord {
    let sink = run(&load(fixture));
    let s = Driver::sessions(&sink);
    assert_eq!(s.len(), 1, "exactly one session record");
    s[0].clone()
}

const SPLIT_CH: &[u8] =
    include_bytes!("../../../testdata/decoders/tls/tls13_split_client_hello.bin");
const ECDHE: &[u8] = include_bytes!("../../../testdata/decoders/tls/tls12_ecdhe.bin");
const SSL3: &[u8] = include_bytes!("../../../testdata/decoders/tls/ssl3.bin");
const SSLV2: &[u8] = include_bytes!("../../../testdata/decoders/tls/sslv2_hello_tls10.bin");
const DRAFT23: &[u8] = include_bytes!("../../../testdata/decoders/tls/tls13_draft23.bin");
const HS_FAILURE: &[u8] =
    include_bytes!("../../../testdata/decoders/tls/tls12_handshake_failure.bin");
const YOUTUBE: &[u8] = include_bytes!("../../../testdata/decoders/tls/tls13_http2_youtube.bin");
const GITHUB: &[u8] = include_bytes!("../../../testdata/decoders/tls/tls10_github.bin");
const WOLFSSL: &[u8] = include_bytes!("../../../testdata/decoders/tls/tls13_wolfssl.bin");
const EXPERIMENT: &[u8] =
    include_bytes!("../../../testdata/decoders/tls/tls13_experiment_7e01.bin");

const ALL: [&[u8]; 10] = [
    SPLIT_CH, ECDHE, SSL3, SSLV2, DRAFT23, HS_FAILURE, YOUTUBE, GITHUB, WOLFSSL, EXPERIMENT,
];

#[test]
fn tls13_split_client_hello_matches_arkime() {
    // arkime tests/pcap/tls-split-client-hello.test
    let r = session_of(SPLIT_CH);
    assert_eq!(r.version.as_deref(), Some("TLSv13"));
    assert_eq!(r.cipher.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(r.server_name.as_deref(), Some("clients2.google.com"));
    assert_eq!(r.ja3.as_deref(), Some("35708a08e7be9f7aa5bce7f2d5c1cecb"));
    assert_eq!(
        r.ja3_string.as_deref(),
        Some("771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,13-18-45-27-65037-43-51-0-11-35-5-23-16-10-65281-17513,4588-29-23-24,0")
    );
    assert_eq!(r.ja3s.as_deref(), Some("eb1d94daa7e0344597e756a1fb6e7054"));
    assert_eq!(r.ja3s_string.as_deref(), Some("771,4865,51-43"));
    assert_eq!(
        r.ja4.as_deref(),
        Some("t13d1516h2_8daaf6152771_02713d6af862")
    );
    assert_eq!(
        r.ja4_r.as_deref(),
        Some("t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,4469,fe0d,ff01_0403,0804,0401,0503,0805,0501,0806,0601")
    );
    assert_eq!(r.alpn, Some(vec!["h2".to_string(), "http/1.1".to_string()]));
    assert_eq!(r.client_versions, vec!["TLSv13", "TLSv12"]);
    assert!(r.established);
    assert!(!r.resumed);
    assert_eq!(r.curve.as_deref(), Some("X25519MLKEM768"));
}

#[test]
fn client_hello_in_three_segments_equals_whole() {
    let chunks = load(SPLIT_CH);
    let whole = run(&chunks);
    // Re-cut the first client chunk (the start of the ClientHello) into three
    // segments at arbitrary points, and the rest as captured.
    let first = &chunks[0].1;
    assert!(first.len() > 600);
    let mut cut = vec![
        (Dir::Orig, first[..3].to_vec()),
        (Dir::Orig, first[3..517].to_vec()),
        (Dir::Orig, first[517..].to_vec()),
    ];
    cut.extend(chunks[1..].iter().cloned());
    assert_eq!(run(&cut).records, whole.records);
    // And everything of the client joined into one segment before the server speaks.
    let client: Vec<u8> = chunks
        .iter()
        .take_while(|(d, _)| *d == Dir::Orig)
        .flat_map(|(_, b)| b.clone())
        .collect();
    let mut joined = vec![(Dir::Orig, client)];
    joined.extend(chunks.iter().skip_while(|(d, _)| *d == Dir::Orig).cloned());
    assert_eq!(run(&joined).records, whole.records);
}

#[test]
fn tls12_ecdhe_matches_zeek() {
    // zeek scripts.base.protocols.ssl.ecdhe/ssl.log
    let r = session_of(ECDHE);
    assert_eq!(r.version.as_deref(), Some("TLSv12"));
    assert_eq!(
        r.cipher.as_deref(),
        Some("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA")
    );
    assert_eq!(r.curve.as_deref(), Some("secp256r1"));
    assert!(!r.resumed);
    assert!(r.established);
    assert_eq!(
        r.cert_chain_fps,
        vec![
            "a97a22b691caf62c1623d14abf8a31ac915f14d87f77d8a37c47eb4785b484ad",
            "a047a37fa2d2e118a4f5095fe074d6cfe0e352425a7632bf8659c03919a6c81d",
            "3c35cc963eb004451323d3275d05b353235053490d9cd83729a2faf5e7ca1cc0",
        ]
    );
    assert!(r.client_cert_chain_fps.is_empty());
    assert_eq!(r.last_alert, None);
}

#[test]
fn certificates_follow_the_x509_parser() {
    // Written against both states of crate::x509::parse_certificate: while it
    // rejects everything each certificate is an `x509_malformed` weird; once it
    // parses, each is a Certificate event in chain order and the leaf's
    // subject/issuer land in the session record.
    let sink = run(&load(ECDHE));
    let certs: Vec<&crate::x509::X509Record> = sink
        .records
        .iter()
        .filter_map(|e| match e {
            TlsEvent::Certificate(c) => Some(&**c),
            TlsEvent::Session(_) => None,
        })
        .collect();
    let malformed = sink
        .weirds
        .iter()
        .filter(|w| w.name == "x509_malformed")
        .count();
    assert_eq!(certs.len() + malformed, 3);
    for (i, c) in certs.iter().enumerate() {
        assert_eq!(
            c.host_cert,
            c.chain_index == 0,
            "only the leaf is the host's"
        );
        assert!(!c.client_cert);
        assert!((0..3).contains(&c.chain_index));
        if let Some(prev) = i.checked_sub(1).map(|p| certs[p].chain_index) {
            assert!(prev < c.chain_index, "chain order kept");
        }
    }
    let r = &Driver::sessions(&sink)[0];
    match certs.first() {
        Some(leaf) if leaf.chain_index == 0 => {
            assert_eq!(r.subject, leaf.subject);
            assert_eq!(r.issuer, leaf.issuer);
        }
        _ => {
            assert_eq!(r.subject, None);
            assert_eq!(r.sni_matches_cert, None);
        }
    }
}

#[test]
fn ssl3_matches_arkime() {
    // arkime tests/pcap/openssl-ssl3.test
    let r = session_of(SSL3);
    assert_eq!(r.version.as_deref(), Some("SSLv3"));
    assert_eq!(r.cipher.as_deref(), Some("TLS_ECDHE_RSA_WITH_RC4_128_SHA"));
    assert_eq!(r.ja3.as_deref(), Some("f917ae2520ef9784557b0a3c02489c2c"));
    assert_eq!(r.ja3s.as_deref(), Some("59e3f99fd4b68388f5ba9349e0ca71a4"));
    assert_eq!(r.ja3s_string.as_deref(), Some("768,49169,65281"));
    assert_eq!(
        r.ja4.as_deref(),
        Some("ts3i460000_234845559c90_000000000000")
    );
    assert_eq!(r.alpn, None);
    assert_eq!(r.client_versions, vec!["SSLv3"]);
}

#[test]
fn tls10_github_matches_arkime_and_ja4() {
    // arkime tests/pcap/https3-301-get.test; FoxIO ja4 snapshot https3-301-get.pcap
    let r = session_of(GITHUB);
    assert_eq!(r.version.as_deref(), Some("TLSv10"));
    assert_eq!(r.cipher.as_deref(), Some("TLS_RSA_WITH_RC4_128_SHA"));
    assert_eq!(r.server_name.as_deref(), Some("www.github.com"));
    assert_eq!(r.ja3.as_deref(), Some("06a92bf69b367389d2feb0d70501ddfe"));
    assert_eq!(r.ja3s.as_deref(), Some("d2e6f7ef558ea8036c7e21b163b2d1af"));
    assert_eq!(r.ja3s_string.as_deref(), Some("769,5,0-65281"));
    assert_eq!(
        r.ja4.as_deref(),
        Some("t10d230100_6a57a6f57151_000000000000")
    );
    #[cfg(feature = "ja4plus")]
    assert_eq!(r.ja4s.as_deref(), Some("t100200_0005_696072bc484d"));
    #[cfg(not(feature = "ja4plus"))]
    assert_eq!(r.ja4s, None);
    assert!(r.established);
}

#[test]
fn tls13_youtube_matches_ja4() {
    // FoxIO ja4 snapshot http2-with-cookies.pcapng, stream 0
    let r = session_of(YOUTUBE);
    assert_eq!(r.server_name.as_deref(), Some("youtube.com"));
    assert_eq!(
        r.ja4.as_deref(),
        Some("t13d1516h2_8daaf6152771_e5627efa2ab1")
    );
    #[cfg(feature = "ja4plus")]
    assert_eq!(r.ja4s.as_deref(), Some("t130200_1301_234ea6891581"));
    assert_eq!(r.version.as_deref(), Some("TLSv13"));
    assert!(r.established);
}

#[test]
fn sslv2_client_hello_then_tls10() {
    // suricata-verify tests/sslv2-tls-upgrade-01: version "TLSv1"
    let sink = run(&load(SSLV2));
    let r = Driver::sessions(&sink)[0];
    assert_eq!(r.version.as_deref(), Some("TLSv10"));
    assert!(r
        .ja3_string
        .as_deref()
        .is_some_and(|s| s.starts_with("769,")));
    assert_eq!(r.cert_chain_fps.len(), 1);
    assert_eq!(r.cert_chain_fps[0].len(), 64);
}

#[test]
fn tls13_draft23_matches_zeek() {
    // zeek scripts.base.protocols.ssl.tls13-version/ssl.log
    let r = session_of(DRAFT23);
    assert_eq!(r.version.as_deref(), Some("TLSv13-draft23"));
    assert_eq!(r.cipher.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(r.curve.as_deref(), Some("x25519"));
    assert_eq!(r.server_name.as_deref(), Some("tls13.crypto.mozilla.org"));
    assert!(!r.resumed);
    assert!(r.established);
}

#[test]
fn tls13_experiment_matches_zeek() {
    // zeek scripts.base.protocols.ssl.tls13-experiment/ssl.log
    let r = session_of(EXPERIMENT);
    assert_eq!(r.version.as_deref(), Some("unknown-32257"));
    assert_eq!(r.cipher.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(r.curve.as_deref(), Some("x25519"));
    assert_eq!(r.server_name.as_deref(), Some("tls.ctf.network"));
    assert!(r.resumed);
    assert!(r.established);
}

#[test]
fn tls13_wolfssl_matches_zeek() {
    // zeek scripts.base.protocols.ssl.tls13_encrypted_handshake_events/ssl.log
    let r = session_of(WOLFSSL);
    assert_eq!(r.version.as_deref(), Some("TLSv13"));
    assert_eq!(r.cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(r.curve.as_deref(), Some("secp256r1"));
    assert_eq!(r.server_name, None);
    assert!(!r.resumed);
    assert!(r.established);
}

#[test]
fn handshake_failure_alert_matches_zeek() {
    // zeek scripts.policy.protocols.ssl.certificate-request-info/ssl.log
    let r = session_of(HS_FAILURE);
    assert_eq!(r.version.as_deref(), Some("TLSv12"));
    assert_eq!(
        r.cipher.as_deref(),
        Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
    );
    assert_eq!(r.curve.as_deref(), Some("x25519"));
    assert_eq!(r.last_alert.as_deref(), Some("handshake_failure"));
    assert!(!r.established);
    assert!(!r.resumed);
    assert_eq!(
        r.cert_chain_fps,
        vec![
            "0a171ee771a26530c650fe8b8a6bf205177bfb64fbb3e5303ba348c13ffc7dfa",
            "c628dd5aae1f216da6ce4f8f914fb7141c2b0afd3522cce5900bcc4840657bfd",
        ]
    );
}

#[test]
fn every_fixture_split_at_every_offset_gives_the_same_records() {
    for fixture in ALL {
        let chunks = load(fixture);
        let whole = run(&chunks);
        // Each direction's stream as one blob, then cut in two at every offset
        // (sampled for the long ones), interleaving as: client part 1, server
        // part 1, client part 2, server part 2.
        let blob = |dir: Dir| -> Vec<u8> {
            chunks
                .iter()
                .filter(|(d, _)| *d == dir)
                .flat_map(|(_, b)| b.clone())
                .collect()
        };
        let (c, s) = (blob(Dir::Orig), blob(Dir::Resp));
        let reference = run(&[(Dir::Orig, c.clone()), (Dir::Resp, s.clone())]);
        let sessions =
            |k: &VecSink<TlsEvent>| Driver::sessions(k).into_iter().cloned().collect::<Vec<_>>();
        assert_eq!(sessions(&reference).len(), 1);
        // Established and cert events depend on the order of the two sides only.
        assert_eq!(
            sessions(&reference)[0].ja4,
            sessions(&whole)[0].ja4,
            "client fingerprint independent of segmentation"
        );
        let step = (c.len() / 97).max(1);
        for at in (0..c.len()).step_by(step) {
            let got = run(&[
                (Dir::Orig, c[..at].to_vec()),
                (Dir::Orig, c[at..].to_vec()),
                (Dir::Resp, s.clone()),
            ]);
            assert_eq!(got.records, reference.records, "client cut at {at}");
        }
        let step = (s.len() / 97).max(1);
        for at in (0..s.len()).step_by(step) {
            let got = run(&[
                (Dir::Orig, c.clone()),
                (Dir::Resp, s[..at].to_vec()),
                (Dir::Resp, s[at..].to_vec()),
            ]);
            assert_eq!(got.records, reference.records, "server cut at {at}");
        }
    }
}

#[test]
fn byte_by_byte_gives_the_same_records() {
    for fixture in [SPLIT_CH, ECDHE, SSLV2] {
        let chunks = load(fixture);
        let whole = run(&chunks);
        let mut d = Driver::new();
        for (dir, data) in &chunks {
            for b in data {
                d.data(*dir, std::slice::from_ref(b)).expect("feed");
            }
        }
        assert_eq!(normalise(d.finish()).records, whole.records);
    }
}

#[test]
fn caller_never_buffers_encrypted_records() {
    let chunks = load(YOUTUBE);
    let mut d = Driver::new();
    for (dir, data) in &chunks {
        d.data(*dir, data).expect("feed");
    }
    // The largest plaintext record of the handshake, not the encrypted bulk.
    assert!(d.max_buffered <= HEADER_LEN + MAX_RECORD_LEN);
    assert!(
        d.done.iter().all(|&x| x),
        "both directions bypassed after the handshake"
    );
}

#[test]
fn truncation_at_every_length_never_panics() {
    for fixture in ALL {
        let chunks = load(fixture);
        let total: usize = chunks.iter().map(|(_, b)| b.len()).sum();
        let step = (total / 211).max(1);
        for cut in (0..total).step_by(step) {
            let mut d = Driver::new();
            let mut left = cut;
            for (dir, data) in &chunks {
                let n = left.min(data.len());
                let _ = d.data(*dir, &data[..n]);
                left -= n;
                if left == 0 {
                    break;
                }
            }
            let sink = d.finish();
            assert!(Driver::sessions(&sink).len() <= 1);
        }
    }
}

#[test]
fn session_is_emitted_exactly_once() {
    let chunks = load(ECDHE);
    let mut d = Driver::new();
    for (dir, data) in &chunks {
        d.data(*dir, data).expect("feed");
    }
    // Both sides are done after the handshake: emitted before finish.
    assert_eq!(Driver::sessions(&d.sink).len(), 1);
    for dir in [Dir::Orig, Dir::Resp] {
        let p = d.parser.feed(dir, 9, Segment::Eof, &mut d.sink);
        assert_eq!(p, Ok(Progress::Done));
    }
    let sink = d.finish();
    assert_eq!(Driver::sessions(&sink).len(), 1);
}

#[test]
fn gap_in_handshake_then_resync() {
    let chunks = load(ECDHE);
    let whole = session_of(ECDHE);
    // Lose the server's first segment (ServerHello, start of Certificate):
    // the direction resyncs on a later record header and still finishes.
    let mut d = Driver::new();
    let mut dropped = false;
    for (dir, data) in &chunks {
        if *dir == Dir::Resp && !dropped {
            dropped = true;
            d.gap(*dir, u32::try_from(data.len()).unwrap_or(u32::MAX));
            continue;
        }
        d.data(*dir, data).expect("feed");
    }
    let sink = d.finish();
    assert!(sink.weirds.iter().any(|w: &Weird| w.name == "tls_gap"));
    let r = Driver::sessions(&sink)[0];
    assert_eq!(r.ja3, whole.ja3, "client side unaffected");
    assert_eq!(r.version, None, "ServerHello was in the hole");
}

#[test]
fn gap_inside_encrypted_record_is_absorbed() {
    let mut p = TlsParser::new(Transport::Tcp);
    let mut sink = VecSink::default();
    // An application_data record of 100 bytes of which only 10 arrive, then a gap of 90.
    let mut rec = vec![23, 3, 3, 0, 100];
    rec.extend_from_slice(&[0; 10]);
    assert_eq!(
        p.feed(Dir::Orig, 1, Segment::Data(&rec), &mut sink),
        Ok(Progress::Consumed(15))
    );
    assert_eq!(
        p.feed(Dir::Orig, 2, Segment::Gap(90), &mut sink),
        Ok(Progress::Consumed(0))
    );
    assert!(sink.weirds.is_empty());
    let next = [22, 3, 3, 0, 4, 14, 0, 0, 0];
    assert_eq!(
        p.feed(Dir::Orig, 3, Segment::Data(&next), &mut sink),
        Ok(Progress::Consumed(9))
    );
}

#[test]
fn garbage_at_start_is_an_error() {
    let mut p = TlsParser::new(Transport::Tcp);
    let mut sink = VecSink::default();
    let r = p.feed(
        Dir::Orig,
        1,
        Segment::Data(b"GET / HTTP/1.1\r\n"),
        &mut sink,
    );
    assert!(matches!(r, Err(DecodeError::TlsBadRecord { .. })));
    assert_eq!(r.map_err(|e| e.weird_name()), Err("tls_bad_record"));
}

/// Found by `arbitrary_bytes_never_panic`: an SSLv2 header announcing 32 KiB
/// asked the caller to buffer more than one TLS record.
#[test]
fn sslv2_header_longer_than_a_record_is_an_error() {
    let mut p = TlsParser::new(Transport::Tcp);
    let mut sink = VecSink::default();
    let r = p.feed(
        Dir::Orig,
        1,
        Segment::Data(&[0xff, 0xff, 1, 3, 1]),
        &mut sink,
    );
    assert!(matches!(r, Err(DecodeError::TlsBadRecord { .. })));
}

#[test]
fn oversized_handshake_message_is_skipped_with_a_weird() {
    let mut d = Driver::new();
    // Certificate message announcing 300 KiB, carried in full records.
    let len = 300 * 1024usize;
    let mut stream = vec![11, (len >> 16) as u8, (len >> 8) as u8, len as u8];
    stream.resize(4 + len, 0);
    stream.extend_from_slice(&[14, 0, 0, 0]);
    let mut wire = Vec::new();
    for rec in stream.chunks(16384) {
        wire.extend_from_slice(&[22, 3, 3, (rec.len() >> 8) as u8, rec.len() as u8]);
        wire.extend_from_slice(rec);
    }
    d.data(Dir::Resp, &wire).expect("feed");
    assert!(d
        .sink
        .weirds
        .iter()
        .any(|w| w.name == "tls_handshake_too_large"));
    assert_eq!(d.parser.dirs[1].hs.buffered(), 0);
}

#[test]
fn session_from_client_hello_fills_the_client_half() {
    let chunks = load(SPLIT_CH);
    let client: Vec<u8> = chunks
        .iter()
        .take_while(|(d, _)| *d == Dir::Orig)
        .flat_map(|(_, b)| b.clone())
        .collect();
    // Strip the record header: the ClientHello fits in one record here.
    let len = usize::from(u16::from_be_bytes([client[3], client[4]]));
    let msg = &client[5..5 + len];
    let r = session_from_client_hello(msg, 42, true).expect("client hello");
    assert!(r.quic);
    assert_eq!(r.ts_us, 42);
    assert_eq!(
        r.ja4.as_deref(),
        Some("q13d1516h2_8daaf6152771_02713d6af862")
    );
    assert_eq!(r.server_name.as_deref(), Some("clients2.google.com"));
    assert_eq!(r.ja3.as_deref(), Some("35708a08e7be9f7aa5bce7f2d5c1cecb"));
    assert!(session_from_client_hello(&msg[..40], 0, false).is_err());
    assert!(session_from_client_hello(&[2, 0, 0, 0], 0, false).is_err());
}

#[test]
fn probe_accepts_tls_and_sslv2_hellos() {
    assert!(probe(&load(SPLIT_CH)[0].1));
    assert!(probe(&load(SSLV2)[0].1));
    assert!(!probe(b"GET / HTTP/1.1"));
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        a in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
        b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
        cut in 0usize..2048,
    ) {
        let mut d = Driver::new();
        let cut = cut.min(a.len());
        let _ = d.data(Dir::Orig, &a[..cut]);
        let _ = d.data(Dir::Resp, &b);
        let _ = d.data(Dir::Orig, &a[cut..]);
        d.gap(Dir::Resp, 7);
        let _ = d.data(Dir::Resp, &a);
        let _ = d.finish();
    }

    #[test]
    fn mutated_handshakes_never_panic(
        pos in 0usize..6000,
        byte in proptest::prelude::any::<u8>(),
        which in 0usize..10,
    ) {
        let mut chunks = load(ALL[which]);
        let mut left = pos;
        for (_, c) in chunks.iter_mut() {
            if left < c.len() {
                c[left] = byte;
                break;
            }
            left -= c.len();
        }
        let mut d = Driver::new();
        for (dir, data) in &chunks {
            if d.data(*dir, data).is_err() {
                break;
            }
        }
        let sink = d.finish();
        proptest::prop_assert!(Driver::sessions(&sink).len() <= 1);
    }
}

/// Not a test of its own: decodes every fixture of the directory named by
/// `TLS_CORPUS_DIR` (made with `testdata/decoders/tls/extract.py`) and writes
/// one JSON line per session to `$TLS_CORPUS_DIR/out.jsonl`, for comparing
/// with the corpus's expected values by script. Run with `--ignored`.
#[test]
#[ignore]
fn dump_corpus_sessions() {
    use std::fmt::Write as _;
    let Ok(dir) = std::env::var("TLS_CORPUS_DIR") else {
        return;
    };
    let mut out = String::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    paths.sort();
    for p in paths {
        let bytes = std::fs::read(&p).expect("read");
        let chunks = load(&bytes);
        let mut d = Driver::new();
        let mut err = None;
        for (dir, data) in &chunks {
            if let Err(e) = d.data(*dir, data) {
                err = Some(e.weird_name());
                break;
            }
        }
        if err.is_some() {
            // Play a STARTTLS-aware caller: each side starts at its first
            // segment that looks like TLS, the server only after the client.
            d = Driver::new();
            let mut started = [false, false];
            for (dir, data) in &chunks {
                let i = idx(*dir);
                if !started[i] {
                    started[i] = match dir {
                        Dir::Orig => probe(data),
                        Dir::Resp => started[0] && matches!(data.as_slice(), [0x16 | 0x15, 3, ..]),
                    };
                }
                if started[i] && d.data(*dir, data).is_err() {
                    break;
                }
            }
        }
        let sink = d.finish();
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let weirds: Vec<&str> = sink.weirds.iter().map(|w| w.name).collect();
        for r in Driver::sessions(&sink) {
            let _ = writeln!(
                out,
                "{{\"fixture\": {name:?}, \"error\": {:?}, \"weirds\": {weirds:?}, \"version\": {:?}, \"cipher\": {:?}, \"curve\": {:?}, \"sni\": {:?}, \"alpn\": {:?}, \"alpn_selected\": {:?}, \"resumed\": {}, \"established\": {}, \"last_alert\": {:?}, \"ja3\": {:?}, \"ja3_string\": {:?}, \"ja3s\": {:?}, \"ja3s_string\": {:?}, \"ja4\": {:?}, \"ja4_r\": {:?}, \"ja4s\": {:?}, \"cert_chain_fps\": {:?}, \"client_cert_chain_fps\": {:?}, \"subject\": {:?}, \"issuer\": {:?}, \"sni_matches_cert\": {:?}}}",
                err.unwrap_or(""),
                r.version.as_deref().unwrap_or(""),
                r.cipher.as_deref().unwrap_or(""),
                r.curve.as_deref().unwrap_or(""),
                r.server_name.as_deref().unwrap_or(""),
                r.alpn.clone().unwrap_or_default(),
                r.alpn_selected.as_deref().unwrap_or(""),
                r.resumed,
                r.established,
                r.last_alert.as_deref().unwrap_or(""),
                r.ja3.as_deref().unwrap_or(""),
                r.ja3_string.as_deref().unwrap_or(""),
                r.ja3s.as_deref().unwrap_or(""),
                r.ja3s_string.as_deref().unwrap_or(""),
                r.ja4.as_deref().unwrap_or(""),
                r.ja4_r.as_deref().unwrap_or(""),
                r.ja4s.as_deref().unwrap_or(""),
                r.cert_chain_fps,
                r.client_cert_chain_fps,
                r.subject.as_deref().unwrap_or(""),
                r.issuer.as_deref().unwrap_or(""),
                r.sni_matches_cert.map(|b| b.to_string()).unwrap_or_default(),
            );
        }
        if Driver::sessions(&sink).is_empty() {
            let _ = writeln!(
                out,
                "{{\"fixture\": {name:?}, \"error\": {:?}, \"weirds\": {weirds:?}}}",
                err.unwrap_or("")
            );
        }
    }
    std::fs::write(format!("{dir}/out.jsonl"), out).expect("write");
}
