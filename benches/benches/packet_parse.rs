//! L2–L4 parsing of real frames: every frame of the vendored captures (see
//! [`netlake_benches::fixtures::real_frames`]), a mix of DNS, HTTP, TLS, SMTP, tunnels,
//! QUIC, SCTP, OSPF and more over Ethernet, raw IP, Linux cooked and loopback links.
//!
//! - `dispatch_hash`: [`flow::dispatch_hash`], what the dispatcher reads per frame (link
//!   header, IP addresses, VLAN) to pick a worker.
//! - `parse_headers`: [`flow::parse_headers`], the tracker's link → IP → transport parse on
//!   its own (no defragmentation, flow lookup or reassembly): the read floor.
//! - `tracker_process`: [`flow::FlowTracker::process`] with a counting handler: link, IP
//!   (with defragmentation), TCP/UDP, flow lookup/insert and TCP reassembly; a fresh tracker
//!   per iteration, so every flow of the mix is created once per iteration.
//!
//! Each is reported twice, as bytes per second (captured bytes) and as frames per second.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use flow::{FlowTracker, Packet};
use netlake_benches::fixtures::{real_frames, tracker, CountingHandler, Frame};

/// The real frames, re-timed one microsecond apart from a fixed start so that the tracker
/// neither expires flows between captures nor sees time go backwards.
fn frames() -> Vec<Frame> {
    let mut frames = real_frames();
    for (i, f) in frames.iter_mut().enumerate() {
        f.ts_us = 1_700_000_000_000_000 + i as i64;
    }
    frames
}

/// Sum of `dispatch_hash` over all frames (summed so the calls cannot be optimised away).
fn hash_all(frames: &[Frame]) -> u64 {
    frames.iter().fold(0u64, |acc, f| {
        acc.wrapping_add(flow::dispatch_hash(f.link, black_box(&f.data)))
    })
}

/// Parses every frame's headers; returns a sum over the summaries (ports and payload
/// lengths of the frames that parse, plus one per frame that does not).
fn parse_all(frames: &[Frame]) -> u64 {
    frames.iter().fold(0u64, |acc, f| {
        acc.wrapping_add(match flow::parse_headers(f.link, black_box(&f.data)) {
            Ok(s) => u64::from(s.src_port ^ s.dst_port) + u64::from(s.payload_len),
            Err(_) => 1,
        })
    })
}

/// Runs all frames through a new tracker; returns it (and the handler) so that dropping the
/// flow table happens outside the timed section.
fn track_all(frames: &[Frame]) -> (FlowTracker<()>, CountingHandler) {
    let mut t = tracker();
    let mut h = CountingHandler::default();
    for f in frames {
        let pkt = Packet {
            ts_us: f.ts_us,
            wire_len: f.wire_len,
            data: black_box(&f.data),
        };
        t.process(f.link, pkt, &mut h);
    }
    (t, h)
}

fn packet_parse(c: &mut Criterion) {
    let frames = frames();
    let bytes: u64 = frames.iter().map(|f| f.data.len() as u64).sum();
    let count = frames.len() as u64;
    {
        let unparsed = frames
            .iter()
            .filter(|f| flow::parse_headers(f.link, &f.data).is_err())
            .count();
        let (t, h) = track_all(&frames);
        eprintln!(
            "packet_parse: {count} frames, {bytes} captured bytes, {} flows, {} non-IP, \
             {} payload bytes delivered, {} weirds; parse_headers: {unparsed} errors",
            t.len(),
            t.stats().non_ip,
            h.data_bytes,
            h.weirds
        );
    }

    let mut g = c.benchmark_group("packet_parse");
    for (unit, tp) in [
        ("bytes", Throughput::Bytes(bytes)),
        ("frames", Throughput::Elements(count)),
    ] {
        g.throughput(tp);
        g.bench_function(format!("dispatch_hash/{unit}"), |b| {
            b.iter(|| hash_all(&frames))
        });
        g.bench_function(format!("parse_headers/{unit}"), |b| {
            b.iter(|| parse_all(&frames))
        });
        g.bench_function(format!("tracker_process/{unit}"), |b| {
            b.iter_batched(|| (), |()| track_all(&frames), BatchSize::PerIteration)
        });
    }
    g.finish();
}

criterion_group!(benches, packet_parse);
criterion_main!(benches);
