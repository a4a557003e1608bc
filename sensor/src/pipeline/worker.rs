//! A worker thread: owns one flow-table shard, the decoders of its flows and one
//! batch builder per dataset. No locks: packets come in, record batches go out,
//! both over bounded channels.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use decoders::dns::{DnsParser, DnsRecord};
use decoders::http::{HttpEvent, HttpParser};
use decoders::quic::QuicParser;
use decoders::tls::{TlsEvent, TlsParser};
use decoders::{AppProto, Dir as DDir, Progress, RecordSink, Segment, Transport, Weird};
use flow::{Chunk, Dir, FlowHandler, FlowMeta, FlowRecord, FlowStats, FlowTracker, Interest};

use super::app::{AppState, Decoding, Parser, MAX_PROBE_CHUNKS, MAX_TAIL_BYTES};
use super::packets::PacketBatch;
use crate::batch::{
    append_dns, append_file, append_flow, append_http, append_tls, append_weird, append_x509,
    Common, DatasetBatch, FlowExtra, WeirdRow,
};
use crate::enrich::{Geo, HomeNets};
use crate::extract::{ExtractConfig, ExtractStats, Extractor};

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
    /// Application decoders that run.
    pub decoders: super::app::DecoderSet,
    /// File extraction (`--extract-files`), with the run's shared byte counter.
    pub extract: Option<(Arc<ExtractConfig>, Arc<AtomicU64>)>,
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
    /// File extraction counters.
    pub extract: ExtractStats,
}

/// The datasets a worker writes, in the order of its builder array.
const DATASETS: [&str; 7] = ["flow", "dns", "tls", "x509", "http", "files", "weird"];
const FLOW: usize = 0;
const DNS: usize = 1;
const TLS: usize = 2;
const X509: usize = 3;
const HTTP: usize = 4;
const FILES: usize = 5;
const WEIRD: usize = 6;

/// The decoders' view of the worker: receives flow events, writes records.
struct Handler {
    s: WorkerSettings,
    b: [DatasetBatch; DATASETS.len()],
    out: Sender<Output>,
    scratch: String,
    report: WorkerReport,
    weird_counts: std::collections::HashMap<&'static str, u64>,
    extractor: Option<Extractor>,
    record_counts: [u64; DATASETS.len()],
}

impl Handler {
    fn send(&mut self, which: usize) {
        let b = &mut self.b[which];
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

    fn send_if_full(&mut self, which: usize) {
        if self.b[which].is_full() {
            self.send(which);
        }
    }

    fn send_all(&mut self) {
        for i in 0..DATASETS.len() {
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
            &mut self.b[WEIRD],
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
        self.send_if_full(WEIRD);
    }

    /// Feed one chunk to the flow's decoder; returns whether to keep delivering
    /// this direction (a decoder that is `Done` with it gets it bypassed).
    fn decode(
        &mut self,
        flow: &FlowMeta,
        d: &mut Decoding,
        dir: Dir,
        ts_us: i64,
        chunk: Chunk<'_>,
    ) -> Result<Interest, decoders::DecodeError> {
        let tcp = flow.key.proto == 6;
        let tail = &mut d.tails[dir as usize];
        let limit_name = match d.proto {
            Some(AppProto::Dns) => "dns_buffer_limit",
            Some(AppProto::Tls | AppProto::Quic) => "tls_buffer_limit",
            Some(AppProto::Http) => "http_buffer_limit",
            #[allow(unreachable_patterns)]
            _ => "app_buffer_limit",
        };
        let feed = Feed {
            dir,
            ts_us,
            tcp,
            tail,
            limit_name,
        };
        match &mut d.parser {
            Parser::Dns(p) => feed.run(
                p,
                chunk,
                &mut Out {
                    h: self,
                    meta: flow,
                },
            ),
            Parser::Tls(p) => feed.run(
                &mut **p,
                chunk,
                &mut Out {
                    h: self,
                    meta: flow,
                },
            ),
            Parser::Quic(p) => feed.run(
                &mut **p,
                chunk,
                &mut Out {
                    h: self,
                    meta: flow,
                },
            ),
            Parser::Http(p) => feed.run(
                &mut **p,
                chunk,
                &mut Out {
                    h: self,
                    meta: flow,
                },
            ),
            Parser::Failed | Parser::Probing { .. } => Ok(Interest::Bypass),
        }
    }
}

/// One parser's view of the decoder contract, so one driver serves them all.
trait StreamDecoder<R> {
    fn feed(
        &mut self,
        dir: DDir,
        ts_us: i64,
        seg: Segment<'_>,
        out: &mut impl RecordSink<R>,
    ) -> decoders::Result<Progress>;
}

/// Each parser's inherent `feed` already has the trait's shape.
macro_rules! stream_decoder {
    ($($parser:ty => $rec:ty),* $(,)?) => {$(
        impl StreamDecoder<$rec> for $parser {
            fn feed(
                &mut self,
                dir: DDir,
                ts_us: i64,
                seg: Segment<'_>,
                out: &mut impl RecordSink<$rec>,
            ) -> decoders::Result<Progress> {
                <$parser>::feed(self, dir, ts_us, seg, out)
            }
        }
    )*};
}

stream_decoder!(
    DnsParser => DnsRecord,
    TlsParser => TlsEvent,
    HttpParser => HttpEvent,
    QuicParser => TlsEvent,
);

/// Sinks that can also count a truncation (the tail buffer's cap was hit).
trait Truncations {
    fn truncated(&mut self, ts_us: i64, name: &'static str, bytes: usize);
}

/// One chunk's trip through a decoder: TCP bytes the decoder did not consume
/// wait in the direction's tail buffer (bounded by [`MAX_TAIL_BYTES`]).
struct Feed<'t> {
    dir: Dir,
    ts_us: i64,
    tcp: bool,
    tail: &'t mut Vec<u8>,
    limit_name: &'static str,
}

impl Feed<'_> {
    fn run<R, P, S>(self, p: &mut P, chunk: Chunk<'_>, sink: &mut S) -> decoders::Result<Interest>
    where
        P: StreamDecoder<R>,
        S: RecordSink<R> + Truncations,
    {
        let ddir = match self.dir {
            Dir::Orig => DDir::Orig,
            Dir::Resp => DDir::Resp,
        };
        let ts_us = self.ts_us;
        let tail = self.tail;
        let progress = match chunk {
            Chunk::Data(data) if !self.tcp => p.feed(ddir, ts_us, Segment::Data(data), sink)?,
            Chunk::Data(data) => {
                let (progress, buffered) = if tail.is_empty() {
                    (p.feed(ddir, ts_us, Segment::Data(data), sink)?, data)
                } else {
                    tail.extend_from_slice(data);
                    (p.feed(ddir, ts_us, Segment::Data(tail), sink)?, &tail[..])
                };
                let keep_from = match progress {
                    Progress::Consumed(n) => n.min(buffered.len()),
                    Progress::NeedMore { consumed, .. } => consumed.min(buffered.len()),
                    Progress::Done => buffered.len(),
                };
                let rest = buffered.len() - keep_from;
                if rest > MAX_TAIL_BYTES {
                    sink.truncated(ts_us, self.limit_name, rest);
                    tail.clear();
                } else if rest == 0 {
                    tail.clear();
                } else if tail.is_empty() {
                    tail.extend_from_slice(&data[keep_from..]);
                } else {
                    tail.drain(..keep_from);
                }
                progress
            }
            Chunk::Gap(n) => {
                tail.clear();
                p.feed(ddir, ts_us, Segment::Gap(n), sink)?
            }
            Chunk::End => p.feed(ddir, ts_us, Segment::Eof, sink)?,
        };
        Ok(match progress {
            Progress::Done => {
                *tail = Vec::new();
                Interest::Bypass
            }
            _ => Interest::Continue,
        })
    }
}

/// Adapter from a flow's decoder to the worker's builders: records go straight
/// into their dataset's builder (one `RecordSink` impl per record type).
struct Out<'a> {
    h: &'a mut Handler,
    meta: &'a FlowMeta,
}

impl Out<'_> {
    fn weird(&mut self, w: Weird) {
        self.h
            .weird_row(Some(self.meta), w.ts_us, w.name, &w.addl, w.notice);
    }
}

impl Truncations for Out<'_> {
    fn truncated(&mut self, ts_us: i64, name: &'static str, bytes: usize) {
        self.h.truncated(self.meta, ts_us, name, bytes);
    }
}

impl RecordSink<DnsRecord> for Out<'_> {
    fn record(&mut self, r: DnsRecord) {
        append_dns(
            &mut self.h.b[DNS],
            &self.h.s.common,
            self.meta,
            &r,
            &mut self.h.scratch,
        );
        self.h.send_if_full(DNS);
    }

    fn weird(&mut self, w: Weird) {
        Out::weird(self, w);
    }
}

impl RecordSink<TlsEvent> for Out<'_> {
    fn record(&mut self, ev: TlsEvent) {
        let h = &mut *self.h;
        match ev {
            TlsEvent::Session(r) => {
                append_tls(&mut h.b[TLS], &h.s.common, self.meta, &r, &mut h.scratch);
                h.send_if_full(TLS);
            }
            TlsEvent::Certificate(c) => {
                append_x509(&mut h.b[X509], &h.s.common, self.meta, &c, &mut h.scratch);
                h.send_if_full(X509);
            }
        }
    }

    fn weird(&mut self, w: Weird) {
        Out::weird(self, w);
    }
}

impl RecordSink<HttpEvent> for Out<'_> {
    fn record(&mut self, ev: HttpEvent) {
        let h = &mut *self.h;
        match ev {
            HttpEvent::Transaction(r) => {
                append_http(&mut h.b[HTTP], &h.s.common, self.meta, &r, &mut h.scratch);
                h.send_if_full(HTTP);
            }
            HttpEvent::File(f) => {
                let stored = h.extractor.as_mut().and_then(|x| x.finish(&f));
                append_file(
                    &mut h.b[FILES],
                    &h.s.common,
                    self.meta,
                    &f,
                    stored.as_deref(),
                    &mut h.scratch,
                );
                h.send_if_full(FILES);
            }
            HttpEvent::FileData(c) => {
                if let Some(x) = h.extractor.as_mut() {
                    x.chunk(&c.fuid, &c.data);
                }
            }
        }
    }

    fn weird(&mut self, w: Weird) {
        Out::weird(self, w);
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
        if matches!(app, AppState::Undecided) || app.is_probing() {
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
                Some(p) if self.s.decoders.contains(p) => {
                    let policy = self.s.extract.as_ref().map(|(c, _)| &c.policy);
                    *app = AppState::start(p, transport, flow.id, policy)
                }
                Some(_) => return Interest::Bypass,
                None => return probe_further(app, transport),
            }
        }
        let AppState::Decoding(d) = app else {
            return Interest::Bypass;
        };
        match self.decode(flow, d, dir, ts_us, chunk) {
            Ok(interest) => interest,
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
            &mut self.b[FLOW],
            &self.s.common,
            rec,
            &extra,
            &mut self.scratch,
        );
        self.send_if_full(FLOW);
    }

    fn weird(&mut self, flow: Option<&FlowMeta>, ts_us: i64, name: &'static str, addl: &str) {
        self.weird_row(flow, ts_us, name, addl, false);
    }
}

/// An unknown flow's chunk matched no protocol: UDP flows are given up at once,
/// TCP flows are probed for up to [`MAX_PROBE_CHUNKS`] chunks (STARTTLS and the like).
fn probe_further(app: &mut AppState, transport: Transport) -> Interest {
    if transport == Transport::Udp {
        return Interest::Bypass;
    }
    match app {
        AppState::Undecided => {
            *app = AppState::probing();
            Interest::Continue
        }
        AppState::Decoding(d) => match &mut d.parser {
            Parser::Probing { chunks } if *chunks + 1 < MAX_PROBE_CHUNKS => {
                *chunks += 1;
                Interest::Continue
            }
            _ => {
                // Give up: both directions are bypassed as their next chunk arrives.
                d.parser = Parser::Failed;
                Interest::Bypass
            }
        },
    }
}

impl Handler {
    fn finish_app(&mut self, meta: &FlowMeta, app: &mut AppState) {
        if let AppState::Decoding(d) = app {
            match &mut d.parser {
                Parser::Dns(p) => p.finish(&mut Out { h: self, meta }),
                Parser::Tls(p) => p.finish(&mut Out { h: self, meta }),
                Parser::Quic(p) => p.finish(&mut Out { h: self, meta }),
                Parser::Http(p) => p.finish(&mut Out { h: self, meta }),
                Parser::Failed | Parser::Probing { .. } => {}
            }
        }
    }

    fn truncated(&mut self, meta: &FlowMeta, ts_us: i64, name: &'static str, bytes: usize) {
        self.report.truncated_stream_bytes += bytes as u64;
        self.weird_row(Some(meta), ts_us, name, "", false);
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
    let extractor = s
        .extract
        .as_ref()
        .map(|(c, used)| Extractor::new(c.clone(), used.clone()));
    let mut h = Handler {
        extractor,
        s,
        b: DATASETS.map(|d| DatasetBatch::new(d, rows)),
        out,
        scratch: String::with_capacity(64),
        report: WorkerReport::default(),
        weird_counts: Default::default(),
        record_counts: [0; DATASETS.len()],
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
        for i in 0..DATASETS.len() {
            h.send_if_full(i);
        }
        if last_cut.elapsed() >= interval {
            h.send_all();
            last_cut = Instant::now();
        }
    }
    tracker.finish(&mut h);
    if let Some(x) = h.extractor.as_mut() {
        x.close();
        h.report.extract = x.stats;
    }
    flows_gauge.fetch_sub(last_len, Ordering::Relaxed);
    h.send_all();
    let mut report = std::mem::take(&mut h.report);
    report.flow = tracker.stats().clone();
    report.records = DATASETS.iter().copied().zip(h.record_counts).collect();
    report.weirds = h
        .weird_counts
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    report
}
