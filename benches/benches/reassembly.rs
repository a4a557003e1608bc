//! TCP reassembly through [`flow::FlowTracker`]: one connection (SYN, SYN/ACK, ACK, then
//! 1 MiB of client data in 1448-byte segments, then FIN) delivered to a handler that counts
//! the in-order payload bytes it receives.
//!
//! - `in_order`: segments in sequence order, the fast path (no copy into the out-of-order
//!   buffer).
//! - `reordered`: segments shuffled within windows of 8, and one segment of every 8 sent a
//!   second time after its window: most segments arrive ahead of the next expected byte and
//!   are buffered, then drained; the duplicates are trimmed away.
//!
//! Both deliver exactly the 1 MiB once (checked before timing). Throughput counts the
//! payload bytes of the stream, not the duplicates. Each iteration uses a new tracker.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use flow::{FlowTracker, LinkType, Packet};
use netlake_benches::fixtures::{tcp_frame, tracker, CountingHandler, Endpoint};
use netlake_benches::gen::packet::flags;
use netlake_benches::gen::rng::Rng;

/// Payload bytes of the stream.
const STREAM_BYTES: usize = 1 << 20;
/// Segment payload size (Ethernet MTU minus IPv4, TCP and timestamp option).
const MSS: usize = 1448;
/// Shuffling window, in segments.
const WINDOW: usize = 8;
/// Packet-time origin.
const T0: i64 = 1_700_000_000_000_000;

const CLIENT: Endpoint = Endpoint {
    ip: [10, 0, 0, 1],
    port: 40000,
};
const SERVER: Endpoint = Endpoint {
    ip: [198, 18, 0, 1],
    port: 443,
};
const CLIENT_ISN: u32 = 0xfff0_0000; // wraps around 2^32 within the stream
const SERVER_ISN: u32 = 7_000;

/// The frames of one connection, in the order they are fed.
fn connection(reordered: bool) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(1);
    let mut payload = vec![0u8; STREAM_BYTES];
    rng.fill(&mut payload);

    let data_ack = SERVER_ISN.wrapping_add(1);
    let mut frames = vec![
        tcp_frame(CLIENT, SERVER, CLIENT_ISN, 0, flags::SYN, &[]),
        tcp_frame(
            SERVER,
            CLIENT,
            SERVER_ISN,
            CLIENT_ISN.wrapping_add(1),
            flags::SYN | flags::ACK,
            &[],
        ),
        tcp_frame(
            CLIENT,
            SERVER,
            CLIENT_ISN.wrapping_add(1),
            data_ack,
            flags::ACK,
            &[],
        ),
    ];
    let segments: Vec<Vec<u8>> = payload
        .chunks(MSS)
        .enumerate()
        .map(|(i, chunk)| {
            let seq = CLIENT_ISN.wrapping_add(1 + (i * MSS) as u32);
            tcp_frame(
                CLIENT,
                SERVER,
                seq,
                data_ack,
                flags::ACK | flags::PSH,
                chunk,
            )
        })
        .collect();
    if reordered {
        for window in segments.chunks(WINDOW) {
            let mut w: Vec<&Vec<u8>> = window.iter().collect();
            // Fisher-Yates with the deterministic generator.
            for i in (1..w.len()).rev() {
                w.swap(i, rng.below(i as u64 + 1) as usize);
            }
            frames.extend(w.iter().map(|f| (*f).clone()));
            // Retransmit one segment of the window once it has all been seen.
            frames.push(window[rng.below(window.len() as u64) as usize].clone());
        }
    } else {
        frames.extend(segments);
    }
    let fin_seq = CLIENT_ISN.wrapping_add(1 + STREAM_BYTES as u32);
    frames.push(tcp_frame(
        CLIENT,
        SERVER,
        fin_seq,
        data_ack,
        flags::FIN | flags::ACK,
        &[],
    ));
    frames
}

/// Feeds the frames to a new tracker, one microsecond apart.
fn run(frames: &[Vec<u8>]) -> (FlowTracker<()>, CountingHandler) {
    let mut t = tracker();
    let mut h = CountingHandler::default();
    for (i, f) in frames.iter().enumerate() {
        let data = black_box(f.as_slice());
        let pkt = Packet {
            ts_us: T0 + i as i64,
            wire_len: data.len() as u32,
            data,
        };
        t.process(LinkType::ETHERNET, pkt, &mut h);
    }
    (t, h)
}

fn reassembly(c: &mut Criterion) {
    let mut g = c.benchmark_group("reassembly");
    g.throughput(Throughput::Bytes(STREAM_BYTES as u64));
    for (name, reordered) in [("in_order", false), ("reordered", true)] {
        let frames = connection(reordered);
        let (_, h) = run(&frames);
        assert_eq!(h.data_bytes, STREAM_BYTES as u64, "{name}: bytes delivered");
        assert_eq!((h.gap_bytes, h.weirds), (0, 0), "{name}: gaps, weirds");
        g.bench_function(name, |b| {
            b.iter_batched(|| (), |()| run(&frames), BatchSize::PerIteration)
        });
    }
    g.finish();
}

criterion_group!(benches, reassembly);
criterion_main!(benches);
