//! The scheduler: starts flows at random times, keeps the active ones in a heap ordered
//! by their next packet time, and interleaves their packets into one capture.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::Write;

use super::flow::{bulk_file_bytes, Endpoints, Flow, Pool};
use super::pcap::{PcapWriter, FILE_HEADER_LEN};
use super::rng::Rng;
use super::template::{FlowKind, Template};

/// Largest single spliced TLS transfer (record bodies). Keeps one unlucky Pareto draw from
/// turning the capture into a single download.
const MAX_BULK: u64 = 64 << 20;
/// Pareto shape for spliced transfer sizes: heavy-tailed (many small, a few large) like
/// web object sizes, with a finite mean.
const PARETO_ALPHA: f64 = 1.5;
/// Linux default ephemeral port range (net.ipv4.ip_local_port_range = 32768 60999).
const EPHEMERAL: (u16, u16) = (32_768, 60_999);
/// Number of server addresses for TCP, drawn from 198.18.0.0/15 (RFC 2544 benchmarking).
const TCP_SERVERS: u64 = 16_384;
/// Resolvers every DNS flow goes to.
const RESOLVERS: [[u8; 4]; 4] = [
    [198, 18, 0, 53],
    [198, 18, 1, 53],
    [198, 18, 2, 53],
    [198, 18, 3, 53],
];
/// Average number of flows per client address, which sizes the 10.0.0.0/8 client pool.
const FLOWS_PER_CLIENT: u64 = 8;

/// Default share of flows per kind: many small DNS flows, then TLS, HTTP and other TCP.
/// Chosen so that 500k flows of seed-sized transactions take about 70% of 1 GiB and the
/// rest goes into large TLS transfers (1 GiB / 500k flows leaves only ~2 KiB per flow).
pub const DEFAULT_MIX: [(FlowKind, f64); 4] = [
    (FlowKind::Dns, 0.72),
    (FlowKind::Tls, 0.12),
    (FlowKind::Http, 0.05),
    (FlowKind::Tcp, 0.11),
];

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Minimum size of the pcap file in bytes.
    pub target_bytes: u64,
    /// Minimum number of distinct flows (5-tuples).
    pub target_flows: u64,
    /// PRNG seed: the same seed, seeds and config give the same bytes.
    pub seed: u64,
    /// Time over which flow starts are spread, in microseconds.
    pub span_us: u64,
    /// Timestamp of the first flow start, in microseconds since the epoch.
    pub start_us: u64,
    /// Share of flows per kind; kinds without a template are dropped and the rest rescaled.
    pub mix: Vec<(FlowKind, f64)>,
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Packets written.
    pub packets: u64,
    /// Sum of frame lengths (bytes on the wire, what Gbit/s is computed from).
    pub wire_bytes: u64,
    /// Size of the pcap file.
    pub file_bytes: u64,
    /// Distinct flows (each has its own client address and port pair).
    pub flows: u64,
    /// Flows per kind name.
    pub flows_by_kind: BTreeMap<&'static str, u64>,
    /// Record-body bytes spliced into TLS flows.
    pub bulk_bytes: u64,
    /// Expected bytes of one flow before any TLS splice, for the chosen mix.
    pub avg_base_flow_bytes: f64,
    /// Largest number of flows active at the same time.
    pub peak_active: usize,
    /// First and last packet timestamps (µs).
    pub first_ts_us: u64,
    /// Last packet timestamp (µs).
    pub last_ts_us: u64,
    /// File bytes the planner expected; equals `file_bytes` unless there is a bug.
    pub planned_bytes: u64,
}

struct Picker<'t> {
    kinds: Vec<(f64, Vec<&'t Template>)>,
    bulk_capable: Vec<&'t Template>,
    /// Expected file bytes of a flow before any splice.
    avg_base: f64,
    /// Expected share of flows that can carry a splice.
    bulk_share: f64,
}

impl<'t> Picker<'t> {
    fn new(templates: &'t [Template], mix: &[(FlowKind, f64)]) -> Option<Self> {
        let mut kinds: Vec<(f64, Vec<&Template>)> = mix
            .iter()
            .filter(|(_, w)| *w > 0.0)
            .map(|(k, w)| {
                (
                    *w,
                    templates
                        .iter()
                        .filter(|t| t.kind == *k)
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, ts)| !ts.is_empty())
            .collect();
        if kinds.is_empty() {
            kinds.push((1.0, templates.iter().collect()));
        }
        let total: f64 = kinds.iter().map(|(w, _)| w).sum();
        let (mut avg_base, mut bulk_share) = (0.0, 0.0);
        for (w, ts) in &mut kinds {
            *w /= total;
            let n = ts.len() as f64;
            avg_base += *w * ts.iter().map(|t| t.file_bytes as f64).sum::<f64>() / n;
            bulk_share += *w * ts.iter().filter(|t| t.bulk.is_some()).count() as f64 / n;
        }
        let bulk_capable: Vec<&Template> = templates.iter().filter(|t| t.bulk.is_some()).collect();
        (!kinds.first()?.1.is_empty()).then_some(Picker {
            kinds,
            bulk_capable,
            avg_base,
            bulk_share,
        })
    }

    fn pick(&self, rng: &mut Rng) -> &'t Template {
        let mut u = rng.unit();
        for (w, ts) in &self.kinds {
            if u <= *w {
                return ts[rng.below(ts.len() as u64) as usize];
            }
            u -= w;
        }
        let ts = &self.kinds[self.kinds.len() - 1].1;
        ts[rng.below(ts.len() as u64) as usize]
    }
}

/// Hands out client endpoints so that no two flows share (client address, client port):
/// that makes every flow a distinct 5-tuple whatever the server side is.
struct Clients {
    next_port: Vec<u16>,
    used: Vec<u16>,
}

impl Clients {
    fn new(target_flows: u64, rng: &mut Rng) -> Self {
        let n = (target_flows / FLOWS_PER_CLIENT).clamp(256, (1 << 24) - 2) as usize;
        let span = u64::from(EPHEMERAL.1 - EPHEMERAL.0) + 1;
        let next_port = (0..n)
            .map(|_| EPHEMERAL.0 + rng.below(span) as u16)
            .collect();
        Clients {
            next_port,
            used: vec![0; n],
        }
    }

    fn take(&mut self, rng: &mut Rng) -> ([u8; 4], u16) {
        let span = EPHEMERAL.1 - EPHEMERAL.0 + 1;
        let n = self.used.len();
        let mut c = rng.below(n as u64) as usize;
        // A client that used every ephemeral port hands over to the next one.
        while self.used[c] == span {
            c = (c + 1) % n;
        }
        self.used[c] += 1;
        let port = self.next_port[c];
        self.next_port[c] = if port == EPHEMERAL.1 {
            EPHEMERAL.0
        } else {
            port + 1
        };
        // Odd multiplier: a bijection on 24 bits, so distinct clients get distinct hosts.
        let host = ((c as u32 + 1).wrapping_mul(0x9E37_79B1) & 0x00ff_ffff).to_be_bytes();
        ([10, host[1], host[2], host[3]], port)
    }
}

fn server_for(kind: FlowKind, rng: &mut Rng) -> [u8; 4] {
    if kind == FlowKind::Dns {
        return RESOLVERS[rng.below(RESOLVERS.len() as u64) as usize];
    }
    // Cubing a uniform draw makes low indexes (popular servers) much more likely.
    let idx = (TCP_SERVERS as f64 * rng.unit().powi(3)) as u32;
    // 198.18.4.0 upwards, past the resolver /24s.
    (0xC612_0400u32 + idx.min(TCP_SERVERS as u32 - 1) * 7 + 1).to_be_bytes()
}

struct Active<'t> {
    flow: Flow<'t>,
}

/// Generates the capture into `out`.
///
/// Flows start at exponentially distributed intervals (mean `span / target_flows`) and
/// run concurrently; the packet with the earliest timestamp among active flows is always
/// written next, so output timestamps increase. Generation stops once at least
/// `target_flows` flows have been started and the planned file size reaches
/// `target_bytes`. The size is steered by splicing extra TLS application data into TLS
/// flows, with Pareto-distributed sizes whose mean adapts to the remaining budget.
///
/// # Errors
/// Any write error of `out`.
pub fn generate<W: Write>(
    templates: &[Template],
    cfg: &Config,
    out: W,
) -> std::io::Result<(Summary, W)> {
    let mut rng = Rng::new(cfg.seed);
    let Some(picker) = Picker::new(templates, &cfg.mix) else {
        return Err(std::io::Error::other("no templates"));
    };
    let pool = Pool::new(&mut rng);
    let mut clients = Clients::new(cfg.target_flows, &mut rng);
    let mut w = PcapWriter::new(out)?;
    let mut sum = Summary {
        avg_base_flow_bytes: picker.avg_base,
        ..Summary::default()
    };
    let mut slab: Vec<Option<Active>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut heap: BinaryHeap<Reverse<(u64, u64, usize)>> = BinaryHeap::new();
    let mut committed = FILE_HEADER_LEN;
    let mean_gap = cfg.span_us as f64 / cfg.target_flows.max(1) as f64;
    let mut next_start = cfg.start_us;
    let mut buf = Vec::with_capacity(2048);
    loop {
        let want_more = sum.flows < cfg.target_flows || committed < cfg.target_bytes;
        let top = heap.peek().map(|Reverse((ts, _, _))| *ts);
        if want_more && top.is_none_or(|t| next_start <= t) {
            let (tpl, body) = plan_flow(&picker, cfg, &sum, committed, &mut rng);
            committed += tpl.file_bytes + bulk_file_bytes(tpl, body).unwrap_or(0);
            let (client_ip, client_port) = clients.take(&mut rng);
            let ends = Endpoints {
                client_ip,
                server_ip: server_for(tpl.kind, &mut rng),
                client_port,
            };
            // Log-uniform transfer rate between 10 Mbit/s and 1 Gbit/s.
            let rate = 10f64.powf(7.0 + 2.0 * rng.unit());
            let flow = Flow::new(tpl, ends, body, rate, Rng::new(rng.next_u64()));
            let slot = free.pop().unwrap_or_else(|| {
                slab.push(None);
                slab.len() - 1
            });
            slab[slot] = Some(Active { flow });
            heap.push(Reverse((next_start, sum.flows, slot)));
            sum.flows += 1;
            sum.bulk_bytes += body;
            *sum.flows_by_kind.entry(tpl.kind.name()).or_default() += 1;
            sum.peak_active = sum.peak_active.max(heap.len());
            next_start += rng.exp(mean_gap).round() as u64;
            continue;
        }
        let Some(Reverse((ts, id, slot))) = heap.pop() else {
            break;
        };
        let Some(active) = slab.get_mut(slot).and_then(Option::as_mut) else {
            continue;
        };
        let next = active.flow.emit(&mut buf, &pool);
        let written = w.write(ts, &buf)?;
        if sum.packets == 0 {
            sum.first_ts_us = written;
        }
        sum.packets += 1;
        sum.last_ts_us = written;
        match next {
            Some(gap) => heap.push(Reverse((ts + gap, id, slot))),
            None => {
                slab[slot] = None;
                free.push(slot);
            }
        }
    }
    sum.wire_bytes = w.wire_bytes;
    sum.file_bytes = w.file_bytes;
    sum.planned_bytes = committed;
    Ok((sum, w.finish()?))
}

/// Picks the next flow's template and how many TLS record-body bytes to splice into it.
fn plan_flow<'t>(
    p: &Picker<'t>,
    cfg: &Config,
    sum: &Summary,
    committed: u64,
    rng: &mut Rng,
) -> (&'t Template, u64) {
    let remaining = cfg.target_flows.saturating_sub(sum.flows) as f64;
    let base_rest = remaining * p.avg_base;
    let budget = cfg.target_bytes as f64 - committed as f64 - base_rest;
    if remaining == 0.0 {
        // Flow target met but the file is still short: add transfers until it is not.
        let Some(&tpl) = p
            .bulk_capable
            .get(rng.below(p.bulk_capable.len() as u64) as usize)
        else {
            return (p.pick(rng), 0);
        };
        return (tpl, (budget.max(1.0) as u64).min(MAX_BULK));
    }
    let tpl = p.pick(rng);
    if tpl.bulk.is_none() || budget <= 0.0 {
        return (tpl, 0);
    }
    let mean = budget / (remaining * p.bulk_share).max(1.0);
    // Pareto with unit mean: x_m = (alpha - 1) / alpha.
    let unit = (PARETO_ALPHA - 1.0) / PARETO_ALPHA / rng.unit().powf(1.0 / PARETO_ALPHA);
    let body = (mean * unit).min(budget).min(MAX_BULK as f64);
    (tpl, body as u64)
}
