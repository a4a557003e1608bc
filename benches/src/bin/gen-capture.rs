//! `gen-capture`: builds a large, deterministic benchmark pcap from small seed captures.
//!
//! ```text
//! gen-capture [--bytes 1G] [--flows 500k] [--seed N] [--span 3600] --out FILE SEED_PCAP...
//! ```
//!
//! Writes `FILE` (classic pcap, Ethernet, microseconds) and `FILE.meta` (`key=value` lines:
//! packets, wire_bytes, file_bytes, flows, ...) used by `benches/throughput.sh`. Both are
//! written under a temporary name and renamed when complete. See `benches/README.md`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use netlake_benches::gen::units::{parse_count, parse_size};
use netlake_benches::gen::{self, template, FlowKind, GenError, Summary, Template};

/// Output buffer: large writes keep the generator disk-bound, not syscall-bound.
const WRITE_BUF: usize = 4 << 20;
/// 2024-01-01T00:00:00Z: a fixed start so captures are byte-identical across runs.
const DEFAULT_START_S: u64 = 1_704_067_200;

const USAGE: &str =
    "usage: gen-capture [--bytes SIZE] [--flows COUNT] [--seed N] [--span SECONDS] \
[--start EPOCH_SECONDS] [--mix dns=72,tls=12,http=5,tcp=11] [--list] --out FILE SEED_PCAP...
  --bytes   minimum pcap file size, K/M/G = KiB/MiB/GiB (default 1G)
  --flows   minimum number of distinct flows, k/m = 10^3/10^6 (default 500k)
  --seed    PRNG seed (default 1); same seed + seeds + options = same bytes
  --span    seconds of packet time over which flows start (default 3600)
  --start   timestamp of the first flow start (default 1704067200 = 2024-01-01)
  --mix     relative share of flows per kind (dns, tls, http, tcp, udp); default shown above
  --list    print the templates found in the seeds and exit
  --out     output pcap; FILE.meta gets the counts";

struct Args {
    cfg: gen::Config,
    out: Option<PathBuf>,
    seeds: Vec<PathBuf>,
    list: bool,
}

fn parse_args() -> Result<Args, GenError> {
    let mut cfg = gen::Config {
        target_bytes: 1 << 30,
        target_flows: 500_000,
        seed: 1,
        span_us: 3_600_000_000,
        start_us: DEFAULT_START_S * 1_000_000,
        mix: gen::DEFAULT_MIX.to_vec(),
    };
    let (mut out, mut seeds, mut list) = (None, Vec::new(), false);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = |flag: &'static str| {
            it.next().ok_or(GenError::BadArg {
                flag,
                value: String::new(),
                why: "missing value",
            })
        };
        match a.as_str() {
            "--bytes" => cfg.target_bytes = parse_size("--bytes", &val("--bytes")?)?,
            "--flows" => cfg.target_flows = parse_count("--flows", &val("--flows")?)?,
            "--seed" => cfg.seed = parse_count("--seed", &val("--seed")?)?,
            "--span" => {
                cfg.span_us = parse_count("--span", &val("--span")?)?.saturating_mul(1_000_000)
            }
            "--start" => {
                cfg.start_us = parse_count("--start", &val("--start")?)?.saturating_mul(1_000_000)
            }
            "--mix" => cfg.mix = parse_mix(&val("--mix")?)?,
            "--out" => out = Some(PathBuf::from(val("--out")?)),
            "--list" => list = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            s if s.starts_with('-') => {
                return Err(GenError::BadArg {
                    flag: "option",
                    value: a,
                    why: "unknown option",
                });
            }
            _ => seeds.push(PathBuf::from(a)),
        }
    }
    Ok(Args {
        cfg,
        out,
        seeds,
        list,
    })
}

/// Parses `dns=72,tls=12,http=5,tcp=11` (relative weights, rescaled later).
fn parse_mix(s: &str) -> Result<Vec<(FlowKind, f64)>, GenError> {
    let bad = |why| GenError::BadArg {
        flag: "--mix",
        value: s.to_string(),
        why,
    };
    let mut mix = Vec::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, w) = part
            .split_once('=')
            .ok_or_else(|| bad("expected KIND=WEIGHT,..."))?;
        let kind = FlowKind::from_name(k.trim())
            .ok_or_else(|| bad("kinds are dns, tls, http, tcp, udp"))?;
        let w: f64 = w.trim().parse().map_err(|_| bad("weights are numbers"))?;
        if !(w >= 0.0 && w.is_finite()) {
            return Err(bad("weights must be >= 0"));
        }
        mix.push((kind, w));
    }
    if mix.iter().all(|(_, w)| *w == 0.0) {
        return Err(bad("at least one weight must be > 0"));
    }
    Ok(mix)
}

fn load_templates(seeds: &[PathBuf]) -> Result<Vec<Template>, GenError> {
    let mut all = Vec::new();
    for path in seeds {
        let pkts = gen::pcap::read_seed(path)?;
        let (mut t, rejected) = template::from_seed(path, &pkts);
        if rejected > 0 {
            eprintln!(
                "gen-capture: {}: skipped {rejected} flow(s) that cannot be replayed",
                path.display()
            );
        }
        all.append(&mut t);
    }
    if all.is_empty() {
        return Err(GenError::NoTemplates);
    }
    Ok(all)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> GenError + '_ {
    move |source| GenError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn tmp_name(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

fn write_meta(path: &Path, args: &Args, sum: &Summary) -> Result<PathBuf, GenError> {
    let mut meta = path.as_os_str().to_owned();
    meta.push(".meta");
    let meta = PathBuf::from(meta);
    let mut s = String::new();
    let c = &args.cfg;
    let kinds: Vec<String> = sum
        .flows_by_kind
        .iter()
        .map(|(k, n)| format!("flows_{k}={n}\n"))
        .collect();
    let seeds: Vec<String> = args.seeds.iter().map(|p| p.display().to_string()).collect();
    s.push_str(&format!(
        "format=netlake-gen-capture/1\npackets={}\nwire_bytes={}\nfile_bytes={}\nflows={}\n{}\
         bulk_bytes={}\navg_base_flow_bytes={:.0}\npeak_active_flows={}\nfirst_ts_us={}\nlast_ts_us={}\n\
         seed={}\ntarget_bytes={}\ntarget_flows={}\nspan_s={}\nseeds={}\n",
        sum.packets,
        sum.wire_bytes,
        sum.file_bytes,
        sum.flows,
        kinds.concat(),
        sum.bulk_bytes,
        sum.avg_base_flow_bytes,
        sum.peak_active,
        sum.first_ts_us,
        sum.last_ts_us,
        c.seed,
        c.target_bytes,
        c.target_flows,
        c.span_us / 1_000_000,
        seeds.join(" "),
    ));
    let tmp = tmp_name(&meta);
    std::fs::write(&tmp, s).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &meta).map_err(io_err(&meta))?;
    Ok(meta)
}

fn run() -> Result<ExitCode, GenError> {
    let args = parse_args()?;
    if args.seeds.is_empty() {
        eprintln!("{USAGE}");
        return Ok(ExitCode::from(2));
    }
    let templates = load_templates(&args.seeds)?;
    if args.list {
        for t in &templates {
            let bulk = t
                .bulk
                .map_or_else(|| "-".to_string(), |b| format!("after pkt {}", b.after));
            println!(
                "{:<70} {:<5} port {:<5} {:>3} pkts {:>7} B  bulk: {bulk}",
                t.name,
                t.kind.name(),
                t.server_port,
                t.packets.len(),
                t.file_bytes
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(out) = args.out.clone() else {
        eprintln!("gen-capture: --out is required\n{USAGE}");
        return Ok(ExitCode::from(2));
    };
    let started = Instant::now();
    let tmp = tmp_name(&out);
    let file = File::create(&tmp).map_err(io_err(&tmp))?;
    let (sum, w) = gen::generate(
        &templates,
        &args.cfg,
        BufWriter::with_capacity(WRITE_BUF, file),
    )
    .map_err(io_err(&tmp))?;
    let file = w.into_inner().map_err(|e| io_err(&tmp)(e.into_error()))?;
    file.sync_all().map_err(io_err(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, &out).map_err(io_err(&out))?;
    let meta = write_meta(&out, &args, &sum)?;
    let secs = started.elapsed().as_secs_f64();
    let kinds: Vec<String> = sum
        .flows_by_kind
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    eprintln!(
        "gen-capture: wrote {} ({:.1} MiB, {} packets, {} flows [{}], {:.0} s of packet time, \
         peak {} active flows) and {} in {secs:.1} s ({:.0} MiB/s)",
        out.display(),
        sum.file_bytes as f64 / (1 << 20) as f64,
        sum.packets,
        sum.flows,
        kinds.join(" "),
        (sum.last_ts_us - sum.first_ts_us) as f64 / 1e6,
        sum.peak_active,
        meta.display(),
        sum.file_bytes as f64 / (1 << 20) as f64 / secs.max(1e-9),
    );
    if sum.bulk_bytes == 0 {
        eprintln!(
            "gen-capture: note: {} flows of this mix already take ~{:.0} MiB, so no large TLS \
             transfers were added; raise --bytes or lower --flows for a mix with bulk data",
            args.cfg.target_flows,
            args.cfg.target_flows as f64 * sum.avg_base_flow_bytes / (1 << 20) as f64
        );
    }
    let _ = std::io::stderr().flush();
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gen-capture: {e}");
            ExitCode::from(2)
        }
    }
}
