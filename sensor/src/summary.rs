//! The end-of-run summary and the progress bar of `replay` on a terminal.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Duration;

use crate::pipeline::{Progress, ReplayReport};

/// A progress bar thread (indicatif) reading the pipeline's live counters.
pub struct ProgressBar<'scope> {
    stop: Arc<AtomicBool>,
    handle: ScopedJoinHandle<'scope, ()>,
}

impl<'scope> ProgressBar<'scope> {
    /// Start drawing: bytes read of `total`, packets/s, flows.
    pub fn start<'env>(scope: &'scope Scope<'scope, 'env>, p: &'env Progress, total: u64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let handle = scope.spawn(move || {
            let bar = indicatif::ProgressBar::new(total.max(1));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} {elapsed_precise} eta {eta} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let mut last = (0u64, std::time::Instant::now());
            while !s2.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let pk = p.packets.load(Ordering::Relaxed);
                let dt = last.1.elapsed().as_secs_f64().max(1e-3);
                let pps = (pk - last.0) as f64 / dt;
                last = (pk, std::time::Instant::now());
                bar.set_position(p.bytes_read.load(Ordering::Relaxed));
                bar.set_message(format!(
                    "{pk} pkts {:.0} pkt/s {} flows",
                    pps,
                    p.flows.load(Ordering::Relaxed)
                ));
            }
            bar.finish_and_clear();
        });
        ProgressBar { stop, handle }
    }

    /// Stop and clear the bar.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.handle.join();
    }
}

/// Print the run summary on stderr: packets, bytes, flows, records per dataset,
/// weirds, evictions and everything dropped, skipped or failed.
pub fn print(r: &ReplayReport, elapsed: Duration, raw_bytes: u64) {
    let mut packets = 0;
    let mut bytes = 0;
    let mut truncated = 0;
    let mut skipped = 0;
    for (_, s, _) in &r.inputs {
        packets += s.packets;
        bytes += s.bytes;
        truncated += s.truncated_packets;
        skipped += s.skipped_blocks;
    }
    let mut records: BTreeMap<&str, u64> = BTreeMap::new();
    let mut weirds: BTreeMap<&str, u64> = BTreeMap::new();
    let mut flows = 0;
    let mut evicted = 0;
    let mut stream_trunc = 0;
    let mut counters: BTreeMap<&'static str, u64> = BTreeMap::new();
    for w in &r.workers {
        for (d, n) in &w.records {
            *records.entry(d).or_default() += n;
        }
        for (k, n) in &w.weirds {
            *weirds.entry(k.as_str()).or_default() += n;
        }
        flows += w.flow.flows_created;
        evicted += w.flow.flows_evicted;
        stream_trunc += w.truncated_stream_bytes;
        let x = &w.extract;
        for (k, v) in [
            ("extracted files stored", x.stored),
            ("extracted files already stored", x.duplicates),
            ("extraction over the byte cap (files)", x.over_cap),
            ("extraction cut (files)", x.cut),
            ("extraction I/O errors", x.io_errors),
        ] {
            *counters.entry(k).or_default() += v;
        }
        let f = &w.flow;
        for (k, v) in [
            ("non-IP packets", f.non_ip),
            ("unknown link type packets", f.unknown_link),
            ("truncated packets", f.truncated),
            ("unparsable packets", f.parse_errors),
            ("fragments dropped", f.frags_dropped),
            ("fragment overlaps", f.frag_overlaps),
            ("reassembly overflow bytes", f.reassembly_overflow_bytes),
            ("gap bytes", f.gap_bytes),
        ] {
            *counters.entry(k).or_default() += v;
        }
    }
    let secs = elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "netlake replay: {} input(s), {packets} packets, {bytes} bytes ({raw_bytes} read) in {secs:.2}s ({:.1} Mpps, {:.2} Gbit/s)",
        r.inputs.len(),
        packets as f64 / secs / 1e6,
        bytes as f64 * 8.0 / secs / 1e9
    );
    eprintln!("flows {flows}");
    let recs: Vec<String> = records.iter().map(|(k, v)| format!("{k} {v}")).collect();
    eprintln!("records: {}", recs.join(", "));
    if !weirds.is_empty() {
        let w: Vec<String> = weirds.iter().map(|(k, v)| format!("{k} {v}")).collect();
        eprintln!("weird: {}", w.join(", "));
    }
    let mut losses = vec![
        format!("evicted flows {evicted}"),
        format!("snaplen-truncated packets {truncated}"),
        format!("skipped pcapng blocks {skipped}"),
        format!("decoder buffer overflow bytes {stream_trunc}"),
    ];
    losses.extend(
        counters
            .iter()
            .filter(|(_, v)| **v > 0)
            .map(|(k, v)| format!("{k} {v}")),
    );
    eprintln!("counted: {}", losses.join(", "));
    let truncated_inputs = r
        .inputs
        .iter()
        .filter(|(_, _, e)| e.as_ref().is_some_and(|e| e.is_truncation()))
        .count();
    eprintln!("truncated input files {truncated_inputs}");
    for (_, _, err) in &r.inputs {
        match err {
            Some(e) if e.is_truncation() => eprintln!("input truncated (read up to the cut): {e}"),
            Some(e) => eprintln!("input failed: {e}"),
            None => {}
        }
    }
    for e in &r.sink_errors {
        eprintln!("sink failed: {e}");
    }
}
