//! `netlake replay`: offline capture files into the sinks.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::batch::Common;
use crate::cli::ReplayArgs;
use crate::config::Config;
use crate::enrich::Geo;
use crate::input::{expand_inputs, open_input, InputError, PcapSource};
use crate::pipeline::{self, PipelineConfig, Progress, WorkerSettings};
use crate::summary::{self, ProgressBar};

/// Run `netlake replay`.
///
/// # Errors
/// Bad configuration, no inputs, or a sink that cannot be opened (exit code 2).
pub fn run(a: &ReplayArgs) -> Result<ExitCode> {
    let cfg = Config::from_args(a)?;
    let inputs = expand_inputs(&a.inputs)?;
    if inputs.is_empty() {
        anyhow::bail!("no capture files found in {:?}", a.inputs);
    }
    if let Some(addr) = &a.metrics {
        crate::metrics::serve(addr)?;
    }
    if a.floor {
        return floor(&inputs, a.quiet);
    }
    let geo = if cfg.geoip_dbs.is_empty() {
        None
    } else {
        Some(Arc::new(Geo::open(&cfg.geoip_dbs)?))
    };
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id());
    let writer_name = format!("{}-{:x}", sanitize(&cfg.sensor), run_id);
    let sinks = crate::sinks::build(&cfg.sinks, &writer_name).context("opening sinks")?;
    let flow_cfg = flow::FlowConfig {
        max_flows: (cfg.max_flows / cfg.workers).max(1),
        active_timeout_ms: cfg.active_timeout_ms,
        ..flow::FlowConfig::default()
    };
    let settings = WorkerSettings {
        common: Common {
            sensor: cfg.sensor.clone(),
            uid_seed: cfg.uid_seed,
        },
        home: cfg.home_nets.clone(),
        geo,
        batch_rows: cfg.batch_rows,
        batch_interval: Duration::from_secs(5),
        decoders: cfg.decoders,
        extract: match &cfg.extract {
            Some(x) => {
                crate::extract::Extractor::prepare(&x.dir).with_context(|| {
                    format!("--extract-files {}: cannot create it", x.dir.display())
                })?;
                if let Some(remote) = &x.remote {
                    crate::extract::Extractor::check_remote(remote)
                        .with_context(|| format!("--extract-files {remote}"))?;
                }
                Some((
                    std::sync::Arc::new(x.clone()),
                    std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)),
                ))
            }
            None => None,
        },
    };
    let progress = Progress::default();
    let total: u64 = inputs.iter().filter_map(|i| i.size()).sum();
    let show = !a.quiet && std::io::stderr().is_terminal();
    let started = Instant::now();
    let report = std::thread::scope(|scope| {
        let bar = show.then(|| ProgressBar::start(scope, &progress, total));
        let r = pipeline::replay(
            &inputs,
            sinks,
            PipelineConfig {
                workers: cfg.workers,
                flow: flow_cfg,
                settings,
            },
            &progress,
        );
        if let Some(b) = bar {
            b.stop();
        }
        r
    })?;
    if let Some(x) = cfg.extract.as_ref().filter(|x| x.remote.is_some()) {
        let _ = std::fs::remove_dir_all(&x.dir); // the staging directory
    }
    let failed = report
        .inputs
        .iter()
        .any(|(_, _, e)| e.as_ref().is_some_and(|e| !e.is_truncation()))
        || !report.sink_errors.is_empty()
        || report.workers.iter().any(|w| w.batch_errors > 0);
    if !a.quiet {
        summary::print(
            &report,
            started.elapsed(),
            progress.bytes_read.load(Ordering::Relaxed),
        );
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The benchmark read floor: the same reading and L2-L4 parsing, nothing after it.
fn floor(inputs: &[crate::input::InputSpec], quiet: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let (mut packets, mut bytes, mut parsed, mut failed) = (0u64, 0u64, 0u64, false);
    for spec in inputs {
        let r: Result<(), InputError> = (|| {
            let input = open_input(spec, Default::default())?;
            let mut src = PcapSource::new(spec.display_path(), input)?;
            src.for_each(|link, pkt| {
                packets += 1;
                bytes += pkt.data.len() as u64;
                if flow::parse_headers(link, pkt.data).is_ok() {
                    parsed += 1;
                }
            })
        })();
        if let Err(e) = r {
            eprintln!("netlake: {e}");
            failed = true;
        }
    }
    if !quiet {
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        eprintln!(
            "floor: packets {packets} bytes {bytes} parsed {parsed} seconds {secs:.3} gbps {:.3} mpps {:.3}",
            bytes as f64 * 8.0 / secs / 1e9,
            packets as f64 / secs / 1e6
        );
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
