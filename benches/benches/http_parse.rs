//! HTTP heads and file hashing.
//!
//! - `http/heads`: a request head and a response head (`Host`, `User-Agent`,
//!   cookies, 12-15 fields, as browsers send them) through a new
//!   [`HttpParser`], request then response: one iteration = both heads parsed,
//!   paired into a transaction record (no body).
//! - `http/stream`: the pipelined stream of the corpus fixture `pipelined.seg`
//!   (several requests and responses with bodies) through a new parser,
//!   reported in bytes/s.
//! - `files/hash`: [`FileAnalyzer`] over 1 MiB of data in 64 KiB chunks: MD5,
//!   SHA-1 and SHA-256 at once plus MIME sniffing, reported in bytes/s.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use decoders::files::{FileAnalyzer, FileSource};
use decoders::http::{HttpEvent, HttpParser};
use decoders::{Dir, Progress, RecordSink, Segment, Weird};
use netlake_benches::fixtures::testdata_dir;

/// Counts records instead of storing them.
#[derive(Default)]
struct CountingSink {
    records: u64,
}

impl RecordSink<HttpEvent> for CountingSink {
    fn record(&mut self, r: HttpEvent) {
        black_box(&r);
        self.records += 1;
    }
    fn weird(&mut self, w: Weird) {
        black_box(&w);
    }
}

const REQUEST: &[u8] = b"GET /search?q=netlake&source=hp HTTP/1.1\r\n\
Host: www.example.com\r\n\
Connection: keep-alive\r\n\
Upgrade-Insecure-Requests: 1\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n\
Referer: https://www.example.com/\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Cookie: session=0123456789abcdef; prefs=dark; consent=yes\r\n\
\r\n";

const RESPONSE: &[u8] = b"HTTP/1.1 304 Not Modified\r\n\
Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n\
Server: nginx/1.24.0\r\n\
Connection: keep-alive\r\n\
ETag: \"5f2b-61c1a3e2\"\r\n\
Cache-Control: max-age=600\r\n\
Expires: Mon, 01 Jan 2024 00:10:00 GMT\r\n\
Vary: Accept-Encoding\r\n\
X-Content-Type-Options: nosniff\r\n\
Strict-Transport-Security: max-age=31536000\r\n\
\r\n";

/// Feeds `data` whole, then keeps any unconsumed tail for the next call (as the sensor does).
fn feed(p: &mut HttpParser, dir: Dir, data: &[u8], sink: &mut CountingSink) {
    let mut rest = data;
    while !rest.is_empty() {
        match p.feed(dir, 0, Segment::Data(rest), sink) {
            Ok(Progress::Consumed(n)) | Ok(Progress::NeedMore { consumed: n, .. }) if n > 0 => {
                rest = &rest[n..];
            }
            _ => break,
        }
    }
}

fn bench_heads(c: &mut Criterion) {
    let mut g = c.benchmark_group("http/heads");
    g.throughput(Throughput::Elements(1));
    let mut probe = CountingSink::default();
    let mut p = HttpParser::new(1);
    feed(&mut p, Dir::Orig, REQUEST, &mut probe);
    feed(&mut p, Dir::Resp, RESPONSE, &mut probe);
    assert_eq!(probe.records, 1, "request + 304 must give one transaction");
    g.bench_function("request_and_response", |b| {
        b.iter(|| {
            let mut sink = CountingSink::default();
            let mut p = HttpParser::new(1);
            feed(&mut p, Dir::Orig, black_box(REQUEST), &mut sink);
            feed(&mut p, Dir::Resp, black_box(RESPONSE), &mut sink);
            sink.records
        })
    });
    g.finish();
}

/// The segments of a `testdata/decoders/http` fixture: (direction, payload).
fn segments(name: &str) -> Vec<(Dir, Vec<u8>)> {
    let path = testdata_dir().join("decoders/http").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let mut rest = &bytes[..];
    while rest.len() >= 5 {
        let dir = if rest[0] == b'C' {
            Dir::Orig
        } else {
            Dir::Resp
        };
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        let end = (5 + len).min(rest.len());
        out.push((dir, rest[5..end].to_vec()));
        rest = &rest[end..];
    }
    out
}

fn bench_stream(c: &mut Criterion) {
    let segs = segments("pipelined.seg");
    let total: usize = segs.iter().map(|(_, p)| p.len()).sum();
    let mut g = c.benchmark_group("http/stream");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("pipelined", |b| {
        b.iter(|| {
            let mut sink = CountingSink::default();
            let mut p = HttpParser::new(1);
            let mut tails: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
            for (dir, payload) in &segs {
                let t = &mut tails[*dir as usize];
                t.extend_from_slice(payload);
                let mut used = 0;
                while used < t.len() {
                    match p.feed(*dir, 0, Segment::Data(&t[used..]), &mut sink) {
                        Ok(Progress::Consumed(n)) if n > 0 => used += n,
                        Ok(Progress::NeedMore { consumed, .. }) => {
                            used += consumed;
                            break;
                        }
                        _ => break,
                    }
                }
                t.drain(..used);
            }
            p.finish(&mut sink);
            sink.records
        })
    });
    g.finish();
}

fn bench_hash(c: &mut Criterion) {
    const CHUNK: usize = 64 << 10;
    // Pseudo-random bytes: nothing for a sniffer or a hash to shortcut.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let data: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut g = c.benchmark_group("files/hash");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("md5_sha1_sha256_1MiB", |b| {
        b.iter(|| {
            let mut f = FileAnalyzer::new(FileSource::Http, "Fbench".into(), false, 0);
            for chunk in data.chunks(CHUNK) {
                f.data(black_box(chunk), &mut ());
            }
            let rec = f.finish(&mut ());
            assert!(rec.sha256.is_some());
            rec
        })
    });
    g.finish();
}

criterion_group!(benches, bench_heads, bench_stream, bench_hash);
criterion_main!(benches);
