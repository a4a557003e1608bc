//! TLS handshakes and certificates, on the real streams and certificates cut from the
//! corpus (`testdata/decoders/tls/*.bin`, `testdata/decoders/x509/*.der`).
//!
//! - `client_hello`: [`decoders::tls::session_from_client_hello`] on two ClientHellos:
//!   a plain TLS 1.2 one (`tls12_ecdhe.bin`) and Chrome's TLS 1.3 one with GREASE
//!   (`tls13_http2_youtube.bin`). One iteration = parse + JA3 (string and MD5) + JA4 and
//!   JA4_r: the per-handshake cost of fingerprinting.
//! - `handshake`: a whole TLS 1.2 handshake (`tls12_ecdhe.bin`: hellos, a 3-certificate
//!   chain, key exchange, CCS, and application data until the bypass point) through a new
//!   [`TlsParser`], segment by segment as the sensor feeds it, including the X.509 parses.
//! - `certificate`: [`decoders::x509::parse_certificate`] over every fixture certificate
//!   (RSA and ECDSA, 55 certificates), reported per certificate.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use decoders::tls::{session_from_client_hello, TlsEvent, TlsParser};
use decoders::{Dir, Progress, RecordSink, Segment, Transport, Weird};
use netlake_benches::fixtures::testdata_dir;

/// Counts records instead of storing them.
#[derive(Default)]
struct CountingSink {
    records: u64,
}

impl RecordSink<TlsEvent> for CountingSink {
    fn record(&mut self, r: TlsEvent) {
        black_box(&r);
        self.records += 1;
    }
    fn weird(&mut self, w: Weird) {
        black_box(&w);
    }
}

/// The segments of a `testdata/decoders/tls` fixture: (direction, payload).
fn segments(name: &str) -> Vec<(Dir, Vec<u8>)> {
    let path = testdata_dir().join("decoders/tls").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let mut rest = &bytes[..];
    while rest.len() >= 5 {
        let dir = if rest[0] == 0 { Dir::Orig } else { Dir::Resp };
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        let end = (5 + len).min(rest.len());
        out.push((dir, rest[5..end].to_vec()));
        rest = &rest[end..];
    }
    out
}

/// The ClientHello handshake message (after the 5-byte record header) of a fixture.
fn client_hello(name: &str) -> Vec<u8> {
    let client: Vec<u8> = segments(name)
        .into_iter()
        .filter(|(d, _)| *d == Dir::Orig)
        .flat_map(|(_, p)| p)
        .collect();
    let len = usize::from(u16::from_be_bytes([client[3], client[4]]));
    client[5..5 + len].to_vec()
}

fn bench_client_hello(c: &mut Criterion) {
    let mut g = c.benchmark_group("tls/client_hello");
    g.throughput(Throughput::Elements(1));
    for (label, fixture) in [
        ("tls12", "tls12_ecdhe.bin"),
        ("tls13_chrome", "tls13_http2_youtube.bin"),
    ] {
        let msg = client_hello(fixture);
        assert!(session_from_client_hello(&msg, 0, false).is_ok_and(|r| r.ja4.is_some()));
        g.bench_function(label, |b| {
            b.iter(|| session_from_client_hello(black_box(&msg), 0, false))
        });
    }
    g.finish();
}

fn bench_handshake(c: &mut Criterion) {
    let segs = segments("tls12_ecdhe.bin");
    let mut g = c.benchmark_group("tls/handshake");
    g.throughput(Throughput::Elements(1));
    g.bench_function("tls12_ecdhe_3_certs", |b| {
        let mut tails: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        b.iter(|| {
            let mut p = TlsParser::new(Transport::Tcp);
            let mut sink = CountingSink::default();
            let mut done = [false; 2];
            for t in &mut tails {
                t.clear();
            }
            for (dir, seg) in &segs {
                let i = *dir as usize;
                if done[i] {
                    continue;
                }
                let tail = &mut tails[i];
                tail.extend_from_slice(seg);
                match p.feed(*dir, 1, Segment::Data(tail), &mut sink) {
                    Ok(Progress::Consumed(n)) | Ok(Progress::NeedMore { consumed: n, .. }) => {
                        tail.drain(..n.min(tail.len()));
                    }
                    Ok(Progress::Done) | Err(_) => done[i] = true,
                }
            }
            p.finish(&mut sink);
            assert!(sink.records >= 4, "session + 3 certificates");
        })
    });
    g.finish();
}

fn bench_certificates(c: &mut Criterion) {
    let dir = testdata_dir().join("decoders/x509");
    let mut certs: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("x509 fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "der"))
        .map(|p| std::fs::read(p).expect("readable fixture"))
        .collect();
    certs.sort();
    let mut g = c.benchmark_group("x509");
    g.throughput(Throughput::Elements(certs.len() as u64));
    g.bench_function("parse_certificate", |b| {
        b.iter(|| {
            for der in &certs {
                let _ = black_box(decoders::x509::parse_certificate(black_box(der)));
            }
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_client_hello,
    bench_handshake,
    bench_certificates
);
criterion_main!(benches);
