//! The flow table of [`flow::FlowTracker`]: lookup and insert cost per packet, with a
//! handler that does nothing but count.
//!
//! - `distinct_flows/N`: N packets, each opening a new flow (half UDP DNS queries carrying a
//!   real query from `testdata/decoders/dns/`, half TCP SYNs), every one a distinct 5-tuple:
//!   one miss and one insert per packet, and a table that grows to N entries.
//! - `hit_heavy/N`: N packets over 64 flows (32 UDP, 32 TCP) after their opening packets:
//!   UDP queries and responses, and pure ACKs in both directions of established TCP
//!   connections. Nearly every packet is a lookup hit on a small, cache-resident table.
//!
//! Each iteration starts from an empty tracker; dropping it is not timed. All packets lie
//! within one second of packet time, so no flow expires during an iteration.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use flow::{FlowTracker, LinkType, Packet};
use netlake_benches::fixtures::{
    dns_payload, tcp_frame, tracker, udp_frame, CountingHandler, Endpoint,
};
use netlake_benches::gen::packet::flags;

/// Packet-time origin of the synthetic traffic.
const T0: i64 = 1_700_000_000_000_000;

/// Flows of the hit-heavy case.
const HOT_FLOWS: usize = 64;

/// The `i`-th client of the synthetic traffic: 10.x.y.z with a port in the ephemeral range,
/// distinct for every `i` below 2^24.
fn client(i: usize) -> Endpoint {
    let n = i as u32 + 1;
    Endpoint {
        ip: [10, (n >> 16) as u8, (n >> 8) as u8, n as u8],
        port: 32768 + (i % 28000) as u16,
    }
}

/// A server in the RFC 2544 benchmark range on `port`.
fn server(i: usize, port: u16) -> Endpoint {
    Endpoint {
        ip: [198, 18, (i >> 8) as u8, i as u8],
        port,
    }
}

/// Appends `f` to `frames` and returns its index.
fn push(frames: &mut Vec<Vec<u8>>, f: Vec<u8>) -> u32 {
    frames.push(f);
    frames.len() as u32 - 1
}

/// Frames to replay and the order to replay them in (indices into the frames, so that the
/// hit-heavy case can repeat a few frames many times).
struct Workload {
    frames: Vec<Vec<u8>>,
    order: Vec<u32>,
}

impl Workload {
    /// `n` packets, each the first of its own flow.
    fn distinct(n: usize, query: &[u8]) -> Workload {
        let frames: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    udp_frame(client(i), server(i % 4, 53), query)
                } else {
                    tcp_frame(client(i), server(i % 16384, 443), 1000, 0, flags::SYN, &[])
                }
            })
            .collect();
        let order = (0..n as u32).collect();
        Workload { frames, order }
    }

    /// `n` packets over [`HOT_FLOWS`] flows: the opening packets (DNS query; TCP handshake),
    /// then round-robin over the flows, alternating direction.
    fn hot(n: usize, query: &[u8], response: &[u8]) -> Workload {
        let mut frames = Vec::new();
        let mut opening = Vec::new();
        // Per flow: the frames to cycle through after the opening.
        let mut cycles: Vec<Vec<u32>> = Vec::new();
        for i in 0..HOT_FLOWS {
            let (c, s) = (client(i), server(i, if i % 2 == 0 { 53 } else { 443 }));
            if i % 2 == 0 {
                let q = push(&mut frames, udp_frame(c, s, query));
                let r = push(&mut frames, udp_frame(s, c, response));
                opening.push(q);
                cycles.push(vec![r, q]);
            } else {
                let (cs, ss) = (1000, 5000);
                let syn = push(&mut frames, tcp_frame(c, s, cs, 0, flags::SYN, &[]));
                let synack = tcp_frame(s, c, ss, cs + 1, flags::SYN | flags::ACK, &[]);
                let synack = push(&mut frames, synack);
                let ack_c = tcp_frame(c, s, cs + 1, ss + 1, flags::ACK, &[]);
                let ack_c = push(&mut frames, ack_c);
                let ack_s = tcp_frame(s, c, ss + 1, cs + 1, flags::ACK, &[]);
                let ack_s = push(&mut frames, ack_s);
                opening.extend([syn, synack, ack_c]);
                cycles.push(vec![ack_s, ack_c]);
            }
        }
        let mut order = opening;
        let mut round = 0;
        while order.len() < n {
            for cycle in &cycles {
                if order.len() == n {
                    break;
                }
                order.push(cycle[round % cycle.len()]);
            }
            round += 1;
        }
        Workload { frames, order }
    }

    /// Replays the workload through a new tracker, one microsecond per packet.
    fn run(&self) -> (FlowTracker<()>, CountingHandler) {
        let mut t = tracker();
        let mut h = CountingHandler::default();
        for (i, &k) in self.order.iter().enumerate() {
            let data = black_box(self.frames[k as usize].as_slice());
            let pkt = Packet {
                ts_us: T0 + i as i64,
                wire_len: data.len() as u32,
                data,
            };
            t.process(LinkType::ETHERNET, pkt, &mut h);
        }
        (t, h)
    }
}

fn flow_table(c: &mut Criterion) {
    let query = dns_payload("txt_multiple_query");
    let response = dns_payload("txt_multiple_response");
    let mut g = c.benchmark_group("flow_table");
    g.sample_size(20);
    for (name, n, w) in [
        ("distinct_flows", 10_000, Workload::distinct(10_000, &query)),
        (
            "distinct_flows",
            100_000,
            Workload::distinct(100_000, &query),
        ),
        (
            "hit_heavy",
            100_000,
            Workload::hot(100_000, &query, &response),
        ),
    ] {
        let (t, h) = w.run();
        let expected = if name == "hit_heavy" { HOT_FLOWS } else { n };
        assert_eq!(t.len(), expected, "{name}: flows tracked");
        assert_eq!(h.weirds, 0, "{name}: no anomalies expected");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("{name}/{n}"), |b| {
            b.iter_batched(|| (), |()| w.run(), BatchSize::PerIteration)
        });
    }
    g.finish();
}

criterion_group!(benches, flow_table);
criterion_main!(benches);
