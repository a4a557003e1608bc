//! A worker thread: owns one flow-table shard, the decoders of its flows and one
//! batch builder per dataset. No locks: packets come in, record batches go out,
//! both over bounded channels.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use decoders::dns::DnsRecord;
use decoders::{Dir as DDir, Progress, RecordSink, Segment, Transport, Weird};
use flow::{Chunk, Dir, FlowHandler, FlowMeta, FlowRecord, FlowStats, FlowTracker, Interest};

use super::app::{AppState, Decoding, Parser, MAX_TAIL_BYTES};
use super::packets::PacketBatch;
use crate::batch::{
    append_dns, append_flow, append_weird, Common, DatasetBatch, FlowExtra, WeirdRow,
};
use crate::enrich::{Geo, HomeNets};

/// A finished record batch on its way to the sinks.
pub struct Output {
    /// Dataset name.
    pub dataset: &'static str,
    /// The rows.
    pub batch: arrow::record_batch::RecordBatch,
}

/// Settings shared by all workers.
#[derive(Clone)]
pub struct WorkerSettings {
    /// Common columns (sensor name, uid seed).
    pub common: Common,
    /// Home networks.
    pub home: HomeNets,
    /// GeoIP databases, if configured.
    pub geo: Option<Arc<Geo>>,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Wall-clock interval after which partial batches are sent anyway.
    pub batch_interval: Duration,
}

/// Counters a worker reports when it ends.
#[derive(Debug, Default, Clone)]
pub struct WorkerReport {
    /// The flow shard's counters.
    pub flow: FlowStats,
    /// Records per dataset.
    pub records: Vec<(&'static str, u64)>,
    /// Weird records by name.
    pub weirds: Vec<(String, u64)>,
    /// Errors building batches (a bug if ever non-zero).
    pub batch_errors: u64,
    /// Stream bytes skipped because a decoder's buffer cap was hit.
    pub truncated_stream_bytes: u64,
}

struct Batches {
    flow: DatasetBatch,
    dns: DatasetBatch,
    weird: DatasetBatch,
}

/// The decoders' view of the worker: receives flow events, writes records.
struct Handler {
    s: WorkerSettings,
    b: Batches,
    out: Sender<Output>,
    scratch: String,
    report: WorkerReport,
    weird_counts: std::collections::HashMap<&'static str, u64>,
    record_counts: [u64; 3],
}

impl Handler {
    fn send(&mut self, which: usize) {
        let b = match which {
            0 => &mut self.b.flow,
            1 => &mut self.b.dns,
            _ => &mut self.b.weird,
        };
        let dataset = b.name();
        match b.finish() {
            Ok(Some(batch)) => {
                self.record_counts[which] += batch.num_rows() as u64;
                // Blocks when the sinks are behind: back-pressure, never a drop.
                let _ = self.out.send(Output { dataset, batch });
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(dataset, error = %e, "building a record batch failed");
                self.report.batch_errors += 1;
            }
        }
    }

    fn send_full(&mut self) {
        if self.b.flow.is_full() {
            self.send(0);
        }
        if self.b.dns.is_full() {
            self.send(1);
        }
        if self.b.weird.is_full() {
            self.send(2);
        }
    }

    fn send_all(&mut self) {
        for i in 0..3 {
            self.send(i);
        }
    }

    fn weird_row(
        &mut self,
        meta: Option<&FlowMeta>,
        ts_us: i64,
        name: &'static str,
        addl: &str,
        notice: bool,
    ) {
        *self.weird_counts.entry(name).or_insert(0) += 1;
        append_weird(
            &mut self.b.weird,
            &self.s.common,
            meta,
            WeirdRow {
                ts_us,
                name,
                addl,
                notice,
            },
            &mut self.scratch,
        );
        if self.b.weird.is_full() {
            self.send(2);
        }
    }

    /// Feed one chunk to the flow's decoder; returns whether to keep delivering.
    fn decode(
        &mut self,
        flow: &FlowMeta,
        d: &mut Decoding,
        dir: Dir,
        ts_us: i64,
        chunk: Chunk<'_>,
    ) -> Result<(), decoders::DecodeError> {
        let ddir = match dir {
            Dir::Orig => DDir::Orig,
            Dir::Resp => DDir::Resp,
        };
        let tcp = flow.key.proto == 6;
        let Parser::Dns(p) = &mut d.parser else {
            return Ok(());
        };
        let mut sink = DnsOut {
            h: self,
            meta: flow,
        };
        match chunk {
            Chunk::Data(data) if !tcp => {
                let _ = p.feed(ddir, ts_us, Segment::Data(data), &mut sink)?;
            }
            Chunk::Data(data) => {
                let tail = &mut d.tails[dir as usize];
                let (progress, buffered) = if tail.is_empty() {
                    (p.feed(ddir, ts_us, Segment::Data(data), &mut sink)?, data)
                } else {
                    tail.extend_from_slice(data);
                    (
                        p.feed(ddir, ts_us, Segment::Data(tail), &mut sink)?,
                        &tail[..],
                    )
                };
                let keep_from = match progress {
                    Progress::Consumed(n) => n.min(buffered.len()),
                    Progress::NeedMore { consumed, .. } => consumed.min(buffered.len()),
                    Progress::Done => buffered.len(),
                };
                let rest = buffered.len() - keep_from;
                if rest > MAX_TAIL_BYTES {
                    sink.h.report.truncated_stream_bytes += rest as u64;
                    sink.h
                        .weird_row(Some(flow), ts_us, "dns_buffer_limit", "", false);
                    d.tails[dir as usize].clear();
                } else if rest == 0 {
                    d.tails[dir as usize].clear();
                } else if d.tails[dir as usize].is_empty() {
                    d.tails[dir as usize].extend_from_slice(&data[keep_from..]);
                } else {
                    d.tails[dir as usize].drain(..keep_from);
                }
            }
            Chunk::Gap(n) => {
                d.tails[dir as usize].clear();
                let _ = p.feed(ddir, ts_us, Segment::Gap(n), &mut sink)?;
            }
            Chunk::End => {
                let _ = p.feed(ddir, ts_us, Segment::Eof, &mut sink)?;
            }
        }
        Ok(())
    }
}

/// Adapter: DNS records from the decoder go straight into the `dns` builder.
struct DnsOut<'a> {
    h: &'a mut Handler,
    meta: &'a FlowMeta,
}

impl RecordSink<DnsRecord> for DnsOut<'_> {
    fn record(&mut self, r: DnsRecord) {
        append_dns(
            &mut self.h.b.dns,
            &self.h.s.common,
            self.meta,
            &r,
            &mut self.h.scratch,
        );
        if self.h.b.dns.is_full() {
            self.h.send(1);
        }
    }

    fn weird(&mut self, w: Weird) {
        self.h
            .weird_row(Some(self.meta), w.ts_us, w.name, &w.addl, w.notice);
    }
}

impl FlowHandler for Handler {
    type App = AppState;

    fn payload(
        &mut self,
        flow: &FlowMeta,
        app: &mut AppState,
        dir: Dir,
        ts_us: i64,
        chunk: Chunk<'_>,
    ) -> Interest {
        if let AppState::Undecided = app {
            let Chunk::Data(data) = chunk else {
                return Interest::Continue;
            };
            let transport = match flow.key.proto {
                6 => Transport::Tcp,
                17 => Transport::Udp,
                _ => return Interest::Bypass,
            };
            let ddir = if dir == Dir::Orig {
                DDir::Orig
            } else {
                DDir::Resp
            };
            match decoders::detect(transport, flow.key.src_port, flow.key.dst_port, ddir, data) {
                Some(p) => *app = AppState::start(p, transport),
                None => return Interest::Bypass,
            }
        }
        let AppState::Decoding(d) = app else {
            return Interest::Bypass;
        };
        match self.decode(flow, d, dir, ts_us, chunk) {
            Ok(()) => Interest::Continue,
            Err(e) => {
                let name = e.weird_name();
                self.weird_row(Some(flow), ts_us, name, &e.to_string(), false);
                // Flush what the decoder still holds, then drop its state but keep
                // the protocol for the flow record.
                self.finish_app(flow, app);
                if let AppState::Decoding(d) = app {
                    d.parser = Parser::Failed;
                    d.tails = [Vec::new(), Vec::new()];
                }
                Interest::Bypass
            }
        }
    }

    fn flow_record(&mut self, rec: &FlowRecord<'_>, app: &mut AppState) {
        if rec.is_final {
            self.finish_app(rec.meta, app);
        }
        let k = &rec.meta.key;
        let (sg, dg) = match self.s.geo.as_deref() {
            Some(g) => (g.lookup(k.src_ip), g.lookup(k.dst_ip)),
            None => Default::default(),
        };
        let extra = FlowExtra {
            app_proto: app.proto_name(),
            direction: Some(self.s.home.direction(k.src_ip, k.dst_ip)),
            src_country: sg.country,
            dst_country: dg.country,
            src_asn: sg.asn,
            dst_asn: dg.asn,
            src_as_org: sg.as_org,
            dst_as_org: dg.as_org,
        };
        append_flow(
            &mut self.b.flow,
            &self.s.common,
            rec,
            &extra,
            &mut self.scratch,
        );
        if self.b.flow.is_full() {
            self.send(0);
        }
    }

    fn weird(&mut self, flow: Option<&FlowMeta>, ts_us: i64, name: &'static str, addl: &str) {
        self.weird_row(flow, ts_us, name, addl, false);
    }
}

impl Handler {
    fn finish_app(&mut self, meta: &FlowMeta, app: &mut AppState) {
        if let AppState::Decoding(d) = app {
            if let Parser::Dns(p) = &mut d.parser {
                let mut sink = DnsOut { h: self, meta };
                p.finish(&mut sink);
            }
        }
    }
}

/// Run one worker until its input channel closes; returns its counters.
pub fn run(
    cfg: flow::FlowConfig,
    s: WorkerSettings,
    input: Receiver<PacketBatch>,
    recycle: Sender<PacketBatch>,
    out: Sender<Output>,
    flows_gauge: Arc<AtomicU64>,
) -> WorkerReport {
    let rows = s.batch_rows;
    let interval = s.batch_interval;
    let mut tracker: FlowTracker<AppState> = FlowTracker::new(cfg, s.common.uid_seed);
    let mut h = Handler {
        s,
        b: Batches {
            flow: DatasetBatch::new("flow", rows),
            dns: DatasetBatch::new("dns", rows),
            weird: DatasetBatch::new("weird", rows),
        },
        out,
        scratch: String::with_capacity(64),
        report: WorkerReport::default(),
        weird_counts: Default::default(),
        record_counts: [0; 3],
    };
    let mut last_cut = Instant::now();
    let mut last_len = 0u64;
    for mut batch in input {
        for (link, pkt) in batch.iter() {
            tracker.process(link, pkt, &mut h);
        }
        batch.clear();
        let _ = recycle.try_send(batch);
        let len = tracker.len() as u64;
        flows_gauge.fetch_add(len.wrapping_sub(last_len), Ordering::Relaxed);
        last_len = len;
        h.send_full();
        if last_cut.elapsed() >= interval {
            h.send_all();
            last_cut = Instant::now();
        }
    }
    tracker.finish(&mut h);
    flows_gauge.fetch_sub(last_len, Ordering::Relaxed);
    h.send_all();
    let mut report = std::mem::take(&mut h.report);
    report.flow = tracker.stats().clone();
    report.records = vec![
        ("flow", h.record_counts[0]),
        ("dns", h.record_counts[1]),
        ("weird", h.record_counts[2]),
    ];
    report.weirds = h
        .weird_counts
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    report
}
