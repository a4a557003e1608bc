//! The replay pipeline: reader → dispatcher → N workers → sink thread.
//!
//! ```text
//! files ─► reader/dispatcher ─(PacketBatch, bounded)─► worker 0..N ─(RecordBatch, bounded)─► sinks
//!                 ▲                                        │
//!                 └──────────── recycled batches ◄─────────┘
//! ```
//! The dispatcher sends each packet to the worker chosen by the symmetric hash of
//! its host pair, so both directions and every fragment of a flow meet in one
//! worker. Every channel is bounded and every send blocks when full: offline
//! replay never drops, a slow sink slows the reader down.

mod app;
mod packets;
mod worker;

pub use app::DecoderSet;
pub use packets::PacketBatch;
pub use worker::{WorkerReport, WorkerSettings};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::{anyhow, Result};
use crossbeam_channel::{bounded, Receiver, Sender};

use crate::input::{open_input, InputError, InputSpec, PcapSource, ReadStats};
use crate::sinks::Sink;
use worker::Output;

/// Live counters shared with the progress bar.
#[derive(Default)]
pub struct Progress {
    /// Raw input bytes read (compressed, as on disk).
    pub bytes_read: Arc<AtomicU64>,
    /// Packets read.
    pub packets: AtomicU64,
    /// Flows currently tracked, all workers.
    pub flows: Arc<AtomicU64>,
}

/// What a replay did.
#[derive(Debug, Default)]
pub struct ReplayReport {
    /// Per input: read counters and the error that stopped it, if any.
    pub inputs: Vec<(String, ReadStats, Option<InputError>)>,
    /// Per worker counters.
    pub workers: Vec<WorkerReport>,
    /// Batches written per sink, and the first error of each failed sink.
    pub sink_errors: Vec<String>,
}

/// Everything the pipeline needs besides the inputs and sinks.
pub struct PipelineConfig {
    /// Worker count.
    pub workers: usize,
    /// Flow-table settings for each shard (caps already divided per worker).
    pub flow: flow::FlowConfig,
    /// Shared worker settings.
    pub settings: WorkerSettings,
}

/// Replay `inputs` through the workers into `sinks`.
///
/// Input errors are reported per input and do not stop the run (the next input
/// is read); everything read before an error is still written.
///
/// # Errors
/// Only when a thread could not be started.
pub fn replay(
    inputs: &[InputSpec],
    sinks: Vec<Box<dyn Sink>>,
    cfg: PipelineConfig,
    progress: &Progress,
) -> Result<ReplayReport> {
    let n = cfg.workers.max(1);
    let (out_tx, out_rx) = bounded::<Output>(4 * n);
    let sink_thread = thread::Builder::new()
        .name("netlake-sink".into())
        .spawn(move || sink_loop(sinks, out_rx))?;

    let (recycle_tx, recycle_rx) = bounded::<PacketBatch>(8 * n);
    let mut to_workers: Vec<Sender<PacketBatch>> = Vec::with_capacity(n);
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let (tx, rx) = bounded::<PacketBatch>(4);
        to_workers.push(tx);
        let (fc, s, out, rec, gauge) = (
            cfg.flow.clone(),
            cfg.settings.clone(),
            out_tx.clone(),
            recycle_tx.clone(),
            progress.flows.clone(),
        );
        handles.push(
            thread::Builder::new()
                .name(format!("netlake-worker-{i}"))
                .spawn(move || worker::run(fc, s, rx, rec, out, gauge))?,
        );
    }
    drop(out_tx);
    drop(recycle_tx);

    let mut report = ReplayReport::default();
    let mut pending: Vec<PacketBatch> = (0..n).map(|_| PacketBatch::new()).collect();
    for spec in inputs {
        let name = spec.display_path().display().to_string();
        let (stats, err) = read_one(spec, &mut pending, &to_workers, &recycle_rx, progress);
        if let Some(e) = &err {
            tracing::warn!(input = %name, "{e}");
        }
        report.inputs.push((name, stats, err));
    }
    for (i, b) in pending.into_iter().enumerate() {
        if !b.is_empty() {
            let _ = to_workers[i].send(b);
        }
    }
    drop(to_workers);
    for h in handles {
        report
            .workers
            .push(h.join().map_err(|_| anyhow!("a worker thread panicked"))?);
    }
    report.sink_errors = sink_thread
        .join()
        .map_err(|_| anyhow!("the sink thread panicked"))?;
    Ok(report)
}

fn read_one(
    spec: &InputSpec,
    pending: &mut [PacketBatch],
    to_workers: &[Sender<PacketBatch>],
    recycle: &Receiver<PacketBatch>,
    progress: &Progress,
) -> (ReadStats, Option<InputError>) {
    let n = to_workers.len() as u64;
    let input = match open_input(spec, progress.bytes_read.clone()) {
        Ok(i) => i,
        Err(e) => return (ReadStats::default(), Some(e)),
    };
    let mut src = match PcapSource::new(spec.display_path(), input) {
        Ok(s) => s,
        Err(e) => return (ReadStats::default(), Some(e)),
    };
    let result = src.for_each(|link, pkt| {
        let w = (flow::dispatch_hash(link, pkt.data) % n) as usize;
        let batch = &mut pending[w];
        batch.push(link, pkt);
        if batch.is_full() {
            let fresh = recycle.try_recv().unwrap_or_else(|_| PacketBatch::new());
            let full = std::mem::replace(batch, fresh);
            progress
                .packets
                .fetch_add(full.len() as u64, Ordering::Relaxed);
            metrics::counter!("netlake_packets_total").increment(full.len() as u64);
            // Blocks while the worker is busy: back-pressure to the file reader.
            let _ = to_workers[w].send(full);
        }
    });
    (src.stats().clone(), result.err())
}

/// Sink thread: write every batch to every sink, in arrival order; flush at the end.
/// Returns one message per failed sink.
fn sink_loop(mut sinks: Vec<Box<dyn Sink>>, rx: Receiver<Output>) -> Vec<String> {
    let mut failed: Vec<Option<String>> = vec![None; sinks.len()];
    let mut last_flush = std::time::Instant::now();
    for o in rx {
        metrics::counter!("netlake_records_total", "dataset" => o.dataset)
            .increment(o.batch.num_rows() as u64);
        for (s, f) in sinks.iter_mut().zip(failed.iter_mut()) {
            if f.is_none() {
                if let Err(e) = s.write(o.dataset, &o.batch) {
                    metrics::counter!("netlake_sink_errors_total", "sink" => s.name()).increment(1);
                    *f = Some(format!("{}: {e:#}", s.name()));
                }
            }
        }
        // Land files regularly so a long replay's lake is queryable while it runs.
        if last_flush.elapsed() >= Duration::from_secs(300) {
            flush_all(&mut sinks, &mut failed);
            last_flush = std::time::Instant::now();
        }
    }
    flush_all(&mut sinks, &mut failed);
    failed.into_iter().flatten().collect()
}

fn flush_all(sinks: &mut [Box<dyn Sink>], failed: &mut [Option<String>]) {
    for (s, f) in sinks.iter_mut().zip(failed.iter_mut()) {
        if f.is_none() {
            if let Err(e) = s.flush() {
                *f = Some(format!("{}: {e:#}", s.name()));
            }
        }
    }
}
