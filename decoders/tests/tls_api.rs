//! The TLS decoder through its public API only, as the sensor uses it: one
//! captured flow fed segment by segment, unconsumed bytes kept by the caller.

use decoders::tls::{probe, TlsEvent, TlsParser, TlsRecord};
use decoders::{Dir, Progress, Segment, Transport, VecSink};

/// `testdata/decoders/tls/tls10_github.bin`: arkime-https3-301-get.pcap, stream 0.
const GITHUB: &[u8] = include_bytes!("../../testdata/decoders/tls/tls10_github.bin");

/// (direction, payload) of each TCP segment of a fixture (format: see its README).
fn segments(mut b: &[u8]) -> Vec<(Dir, &[u8])> {
    let mut v = Vec::new();
    while let Some(&[d, l0, l1, l2, l3]) = b.first_chunk::<5>() {
        let len = u32::from_be_bytes([l0, l1, l2, l3]) as usize;
        v.push((if d == 0 { Dir::Orig } else { Dir::Resp }, &b[5..5 + len]));
        b = &b[5 + len..];
    }
    v
}

fn decode(segs: &[(Dir, &[u8])]) -> (Vec<TlsRecord>, usize, [bool; 2]) {
    let mut parser = TlsParser::new(Transport::Tcp);
    let mut sink: VecSink<TlsEvent> = VecSink::default();
    let mut kept: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut done = [false, false];
    for (ts, (dir, data)) in segs.iter().enumerate() {
        let i = usize::from(*dir == Dir::Resp);
        if done[i] {
            continue;
        }
        kept[i].extend_from_slice(data);
        let seg = Segment::Data(&kept[i]);
        match parser.feed(*dir, ts as i64, seg, &mut sink).expect("TLS") {
            Progress::Consumed(n) | Progress::NeedMore { consumed: n, .. } => {
                kept[i].drain(..n);
            }
            Progress::Done => done[i] = true,
        }
    }
    parser.finish(&mut sink);
    let certs = sink
        .records
        .iter()
        .filter(|e| matches!(e, TlsEvent::Certificate(_)))
        .count();
    let sessions = sink
        .records
        .into_iter()
        .filter_map(|e| match e {
            TlsEvent::Session(r) => Some(*r),
            TlsEvent::Certificate(_) => None,
        })
        .collect();
    (sessions, certs, done)
}

#[test]
fn tls10_flow_gives_one_session_with_peer_fingerprints() {
    let segs = segments(GITHUB);
    assert!(probe(segs[0].1));
    let (sessions, _certs, done) = decode(&segs);
    assert_eq!(
        done,
        [true, true],
        "both directions bypassed after the handshake"
    );
    assert_eq!(sessions.len(), 1);
    let r = &sessions[0];
    // arkime tests/pcap/https3-301-get.test and FoxIO's ja4 snapshot of the same capture.
    assert_eq!(r.version.as_deref(), Some("TLSv10"));
    assert_eq!(r.cipher.as_deref(), Some("TLS_RSA_WITH_RC4_128_SHA"));
    assert_eq!(r.server_name.as_deref(), Some("www.github.com"));
    assert_eq!(r.ja3.as_deref(), Some("06a92bf69b367389d2feb0d70501ddfe"));
    assert_eq!(r.ja3s.as_deref(), Some("d2e6f7ef558ea8036c7e21b163b2d1af"));
    assert_eq!(
        r.ja4.as_deref(),
        Some("t10d230100_6a57a6f57151_000000000000")
    );
    assert!(r.established);
    assert_eq!(r.cert_chain_fps.len(), 2);
}

#[test]
fn quic_client_hello_gets_the_q_prefix() {
    let segs = segments(GITHUB);
    let rec = segs[0].1;
    let len = usize::from(u16::from_be_bytes([rec[3], rec[4]]));
    let r = decoders::tls::session_from_client_hello(&rec[5..5 + len], 7, true).expect("hello");
    assert_eq!(
        r.ja4.as_deref(),
        Some("q10d230100_6a57a6f57151_000000000000")
    );
    assert!(r.quic);
}
