//! [`decoders::dns::DnsParser`] on the captured DNS messages in `testdata/decoders/dns/`
//! (cut from the Zeek and Suricata test traces: A/CNAME/RRSIG, DNSKEY, DS, NSEC, HTTPS,
//! LOC, SPF, TXT, WKS, UPDATE, truncated and empty responses), with a sink that counts
//! records instead of storing them.
//!
//! - `udp`: each `<stem>_query*.bin` with its `<stem>_response*.bin` files is one flow: a new
//!   UDP parser gets the query, then the response(s), then `finish`: 12 flows, 24 messages
//!   and 13 records per iteration (a response without query, a duplicate response that
//!   becomes its own record, like Zeek).
//! - `tcp`: the two captured TCP conversations (`tcp_*_client_stream.bin` /
//!   `tcp_*_server_stream.bin`: 20 length-prefixed queries and answers in one segment each
//!   way, and a TKEY query spanning segments), cut into 1460-byte segments and fed the way
//!   the sensor does: the unconsumed tail is kept and the next segment appended to it.
//!
//! Each is reported as bytes per second (DNS payload bytes) and as messages per second.
//! Record construction (name decompression, Zeek-style answer rendering) is included.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use decoders::dns::{DnsParser, DnsRecord};
use decoders::{Dir, Progress, RecordSink, Segment, Transport, Weird};
use netlake_benches::fixtures::{dns_payload, dns_payload_names};

/// TCP segment size used to cut the captured streams.
const SEGMENT: usize = 1460;

/// A [`RecordSink`] that counts, so that the benchmark measures the parser, not a `Vec`.
#[derive(Debug, Default)]
struct CountingSink {
    records: u64,
    weirds: u64,
}

impl RecordSink<DnsRecord> for CountingSink {
    fn record(&mut self, r: DnsRecord) {
        black_box(&r);
        self.records += 1;
    }
    fn weird(&mut self, w: Weird) {
        black_box(&w);
        self.weirds += 1;
    }
}

/// One UDP flow: datagrams in feeding order.
type UdpFlow = Vec<(Dir, Vec<u8>)>;

/// One TCP flow: the client's and the server's stream bytes.
struct TcpFlow {
    client: Vec<u8>,
    server: Vec<u8>,
}

/// Groups the non-TCP payload files into flows by the stem before `_query` / `_response`.
fn udp_flows() -> Vec<UdpFlow> {
    let mut flows: Vec<(String, UdpFlow)> = Vec::new();
    for name in dns_payload_names() {
        if name.starts_with("tcp_") {
            continue;
        }
        let (stem, dir) = match (name.find("_query"), name.find("_response")) {
            (Some(i), _) => (&name[..i], Dir::Orig),
            (None, Some(i)) => (&name[..i], Dir::Resp),
            (None, None) => panic!("{name}: neither query nor response"),
        };
        let msg = (dir, dns_payload(&name));
        match flows.iter_mut().find(|(s, _)| s == stem) {
            Some((_, f)) => f.push(msg),
            None => flows.push((stem.to_owned(), vec![msg])),
        }
    }
    flows
        .into_iter()
        .map(|(_, mut f)| {
            // Queries first; the sort is stable, so responses keep their name order.
            f.sort_by_key(|(d, _)| *d == Dir::Resp);
            f
        })
        .collect()
}

/// The captured TCP conversations.
fn tcp_flows() -> Vec<TcpFlow> {
    ["tcp_multi", "tcp_tkey"]
        .iter()
        .map(|stem| TcpFlow {
            client: dns_payload(&format!("{stem}_client_stream")),
            server: dns_payload(&format!("{stem}_server_stream")),
        })
        .collect()
}

/// Parses every UDP flow with a new parser each.
fn run_udp(flows: &[UdpFlow], sink: &mut CountingSink) {
    for (f, flow) in flows.iter().enumerate() {
        let mut p = DnsParser::new(Transport::Udp);
        for (i, (dir, msg)) in flow.iter().enumerate() {
            let ts = 1_000_000 * f as i64 + i as i64 * 1000;
            let _ = p.feed(*dir, ts, Segment::Data(black_box(msg)), sink);
        }
        p.finish(sink);
    }
}

/// Feeds one direction of a TCP stream in [`SEGMENT`]-byte pieces, keeping the tail the
/// parser did not consume in `buf` (cleared first).
fn feed_stream(
    p: &mut DnsParser,
    dir: Dir,
    stream: &[u8],
    buf: &mut Vec<u8>,
    sink: &mut CountingSink,
) {
    buf.clear();
    for seg in stream.chunks(SEGMENT) {
        buf.extend_from_slice(black_box(seg));
        let used = match p.feed(dir, 1, Segment::Data(buf), sink) {
            Ok(Progress::Consumed(n)) => n,
            Ok(Progress::NeedMore { consumed, .. }) => consumed,
            Ok(Progress::Done) | Err(_) => buf.len(),
        };
        buf.drain(..used);
    }
}

/// Parses every TCP flow with a new parser each: client stream, then server stream.
fn run_tcp(flows: &[TcpFlow], buf: &mut Vec<u8>, sink: &mut CountingSink) {
    for flow in flows {
        let mut p = DnsParser::new(Transport::Tcp);
        feed_stream(&mut p, Dir::Orig, &flow.client, buf, sink);
        feed_stream(&mut p, Dir::Resp, &flow.server, buf, sink);
        p.finish(sink);
    }
}

/// Number of length-prefixed messages in a TCP DNS stream.
fn tcp_messages(stream: &[u8]) -> u64 {
    let (mut pos, mut n) = (0, 0);
    while let Some(len) = stream.get(pos..pos + 2) {
        pos += 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
        n += 1;
    }
    n
}

fn dns_parse(c: &mut Criterion) {
    let udp = udp_flows();
    let tcp = tcp_flows();
    let udp_bytes: u64 = udp.iter().flatten().map(|(_, m)| m.len() as u64).sum();
    let udp_msgs = udp.iter().map(|f| f.len() as u64).sum::<u64>();
    let tcp_bytes: u64 = tcp
        .iter()
        .map(|f| (f.client.len() + f.server.len()) as u64)
        .sum();
    let tcp_msgs: u64 = tcp
        .iter()
        .map(|f| tcp_messages(&f.client) + tcp_messages(&f.server))
        .sum();

    // Sanity check, untimed: every flow yields its records.
    let mut sink = CountingSink::default();
    run_udp(&udp, &mut sink);
    let udp_records = sink.records;
    let mut buf = Vec::new();
    run_tcp(&tcp, &mut buf, &mut sink);
    eprintln!(
        "dns_parse: udp {} flows, {udp_msgs} messages, {udp_bytes} bytes, {udp_records} records; \
         tcp {} flows, {tcp_msgs} messages, {tcp_bytes} bytes, {} records; {} weirds",
        udp.len(),
        tcp.len(),
        sink.records - udp_records,
        sink.weirds
    );
    assert!(udp_records >= udp.len() as u64, "a record per UDP flow");
    assert_eq!(sink.records - udp_records, 21, "20 + 1 TCP transactions");

    let mut g = c.benchmark_group("dns_parse");
    for (unit, udp_tp, tcp_tp) in [
        (
            "bytes",
            Throughput::Bytes(udp_bytes),
            Throughput::Bytes(tcp_bytes),
        ),
        (
            "messages",
            Throughput::Elements(udp_msgs),
            Throughput::Elements(tcp_msgs),
        ),
    ] {
        g.throughput(udp_tp);
        g.bench_function(format!("udp/{unit}"), |b| {
            b.iter(|| {
                let mut sink = CountingSink::default();
                run_udp(&udp, &mut sink);
                sink.records
            })
        });
        g.throughput(tcp_tp);
        g.bench_function(format!("tcp/{unit}"), |b| {
            b.iter(|| {
                let mut sink = CountingSink::default();
                run_tcp(&tcp, &mut buf, &mut sink);
                sink.records
            })
        });
    }
    g.finish();
}

criterion_group!(benches, dns_parse);
criterion_main!(benches);
