//! [`FlowTracker`]: one shard of the flow table and the per-packet pipeline.

use core::cmp::Reverse;
use core::net::IpAddr;
use std::collections::BinaryHeap;

use crate::config::FlowConfig;
use crate::defrag::{Defrag, DefragKey, FragOutcome, Fragment};
use crate::error::ParseError;
use crate::history::History;
use crate::key::{icmp_counterpart, FlowKey};
use crate::link::{parse_link, L3Kind};
use crate::lru::Class;
use crate::packet::{Dir, LinkType, Packet};
use crate::parse::{parse_ip, parse_l4, proto, tcp_flags, walk_ipv6_exts, TcpSeg, L4};
use crate::record::{Chunk, EndReason, FlowHandler, FlowMeta, FlowRecord, Interest};
use crate::stats::FlowStats;
use crate::table::{DirCtr, Entry, Table};
use crate::tcp::{conn_state, Ctx, TcpConn};

/// Expiry runs at most once per this much packet time.
const EXPIRE_INTERVAL_US: i64 = 1_000_000;

/// Per-packet facts carried from the link layer down to the flow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PktInfo {
    pub ts: i64,
    pub l2_len: u64,
    pub ip_len: u64,
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    pub vlan: Option<u16>,
    pub tunnel_parent: Option<u64>,
}

/// One shard of the flow table (one per worker thread).
///
/// Owns the flows whose packets the dispatcher sends it (see
/// [`dispatch_hash`](crate::dispatch_hash)), their reassembly buffers and the IP fragment
/// buffers. `A` is the caller's per-flow state, created with `Default` for each new flow and
/// dropped after the flow's final record.
#[derive(Debug)]
pub struct FlowTracker<A> {
    cfg: FlowConfig,
    table: Table<A>,
    defrag: Defrag,
    stats: FlowStats,
    next_id: u64,
    id_stride: u64,
    clock_us: i64,
    next_check_us: i64,
    reasm_used: usize,
    /// Active-timeout deadlines: (deadline, flow id, slot). Stale items are skipped.
    updates: BinaryHeap<Reverse<(i64, u64, u32)>>,
}

fn ms_to_us(ms: u64) -> i64 {
    i64::try_from(ms.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Zeek-like "likely server port" test for mid-stream pickups.
fn likely_server(port: u16) -> bool {
    port < 1024
}

fn is_broadcast_or_multicast(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_broadcast() || v.is_multicast(),
        IpAddr::V6(v) => v.is_multicast(),
    }
}

impl<A: Default> FlowTracker<A> {
    /// Creates a shard. Flow ids are `id_base`, `id_base + id_stride`, ... so that worker
    /// `i` of `n` (base `i`, stride `n`) never collides with another worker.
    pub fn new(cfg: FlowConfig, id_base: u64, id_stride: u64) -> Self {
        FlowTracker {
            cfg,
            table: Table::default(),
            defrag: Defrag::default(),
            stats: FlowStats::default(),
            next_id: id_base,
            id_stride: id_stride.max(1),
            clock_us: i64::MIN,
            next_check_us: i64::MIN,
            reasm_used: 0,
            updates: BinaryHeap::new(),
        }
    }

    /// The shard's counters.
    pub fn stats(&self) -> &FlowStats {
        &self.stats
    }

    /// Number of tracked flows.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when no flow is tracked.
    pub fn is_empty(&self) -> bool {
        self.table.len() == 0
    }

    /// Bytes of one table entry including `A` (slab slot plus hash-index entry), for the
    /// "bytes per tracked flow" figure. Out-of-order buffers are extra and allocated only
    /// when reordering happens.
    pub fn entry_size() -> usize {
        Table::<A>::entry_size()
    }

    /// Parses one frame (link layer, IP with defragmentation, TCP/UDP/ICMP/other), updates
    /// its flow, reassembles TCP and calls the handler.
    ///
    /// Also advances the shard's clock: at most once per second of packet time, idle flows
    /// expire and long flows emit active-timeout updates (work proportional to what
    /// expires). Malformed frames are counted and reported as `weird`, never fatal.
    pub fn process<H: FlowHandler<App = A>>(&mut self, link: LinkType, pkt: Packet<'_>, h: &mut H) {
        self.stats.packets += 1;
        self.stats.bytes = self.stats.bytes.saturating_add(u64::from(pkt.wire_len));
        self.tick(pkt.ts_us, h);
        let l2 = match parse_link(link, pkt.data) {
            Ok(l2) => l2,
            Err(e) => {
                self.parse_failed(e, pkt.ts_us, h);
                return;
            }
        };
        if let L3Kind::Other(_) = l2.kind {
            self.stats.non_ip += 1;
            return;
        }
        let info = PktInfo {
            ts: pkt.ts_us,
            l2_len: u64::from(pkt.wire_len),
            ip_len: 0,
            src_mac: l2.src_mac,
            dst_mac: l2.dst_mac,
            vlan: l2.vlan,
            tunnel_parent: None,
        };
        self.ip_layer(l2.kind, l2.data, info, h);
    }

    /// Expires by time without a packet (live capture idle periods).
    pub fn expire<H: FlowHandler<App = A>>(&mut self, now_us: i64, h: &mut H) {
        self.clock_us = self.clock_us.max(now_us);
        self.expire_until(self.clock_us, h);
        self.next_check_us = self.clock_us.saturating_add(EXPIRE_INTERVAL_US);
    }

    /// End of input: every open flow gets its final record (`end_reason` fin/rst if it had
    /// closed, else shutdown), after `Chunk::End` for its open directions; buffered
    /// out-of-order data is delivered as gaps plus data first. Incomplete IP datagrams are
    /// dropped and counted.
    pub fn finish<H: FlowHandler<App = A>>(&mut self, h: &mut H) {
        let mut live = self.table.live();
        live.sort_by_key(|&i| self.table.get(i).map(|e| (e.meta.start_ts_us, e.meta.id)));
        for idx in live {
            self.finalize(idx, EndReason::Shutdown, h);
        }
        self.defrag.clear(&mut self.stats);
        self.updates.clear();
    }

    fn parse_failed<H: FlowHandler<App = A>>(&mut self, e: ParseError, ts: i64, h: &mut H) {
        let addl = match e {
            ParseError::UnknownLinkType(_) => {
                self.stats.unknown_link += 1;
                // One weird per shard is enough; the counter has the rest.
                if self.stats.unknown_link > 1 {
                    return;
                }
                ""
            }
            ParseError::Truncated(layer) => {
                self.stats.truncated += 1;
                layer
            }
            _ => {
                self.stats.parse_errors += 1;
                ""
            }
        };
        h.weird(None, ts, e.weird_name(), addl);
    }

    fn tick<H: FlowHandler<App = A>>(&mut self, ts: i64, h: &mut H) {
        if ts > self.clock_us {
            self.clock_us = ts;
        }
        if self.clock_us >= self.next_check_us {
            self.expire_until(self.clock_us, h);
            self.next_check_us = self.clock_us.saturating_add(EXPIRE_INTERVAL_US);
        }
    }

    fn timeout_us(&self, class: Class) -> i64 {
        ms_to_us(match class {
            Class::Tcp => self.cfg.tcp_idle_ms,
            Class::Udp => self.cfg.udp_idle_ms,
            Class::Other => self.cfg.other_idle_ms,
            Class::Closing => self.cfg.tcp_close_linger_ms,
        })
    }

    fn expire_until<H: FlowHandler<App = A>>(&mut self, now: i64, h: &mut H) {
        for class in Class::ALL {
            let t = self.timeout_us(class);
            while let Some(idx) = self.table.lru.front(class) {
                let Some(last) = self.table.get(idx).map(|e| e.last_ts) else {
                    self.table.lru.remove(idx);
                    continue;
                };
                if last.saturating_add(t) > now {
                    break;
                }
                if class == Class::Closing {
                    self.stats.flows_closed += 1;
                } else {
                    self.stats.flows_idle += 1;
                }
                self.finalize(idx, EndReason::Idle, h);
            }
        }
        let interval = ms_to_us(self.cfg.active_timeout_ms);
        while let Some(&Reverse((deadline, id, idx))) = self.updates.peek() {
            if deadline > now {
                break;
            }
            self.updates.pop();
            let valid = self
                .table
                .get(idx)
                .is_some_and(|e| e.meta.id == id && e.next_update_us == deadline);
            if valid && interval > 0 {
                self.emit_record(idx, EndReason::ActiveTimeout, false, h);
                if let Some(e) = self.table.get_mut(idx) {
                    e.next_update_us = deadline.saturating_add(interval);
                    self.updates.push(Reverse((e.next_update_us, id, idx)));
                }
            }
        }
        self.defrag.expire(now, &self.cfg, &mut self.stats);
    }

    fn ip_layer<H: FlowHandler<App = A>>(
        &mut self,
        kind: L3Kind,
        data: &[u8],
        mut info: PktInfo,
        h: &mut H,
    ) {
        let ip = match parse_ip(kind, data) {
            Ok(ip) => ip,
            Err(e) => {
                self.parse_failed(e, info.ts, h);
                return;
            }
        };
        info.ip_len = u64::from(ip.ip_len);
        let Some(fr) = ip.frag else {
            self.l4_layer(
                ip.src,
                ip.dst,
                ip.proto,
                ip.payload,
                ip.payload_len,
                info,
                h,
            );
            return;
        };
        self.stats.fragments += 1;
        let v6 = kind == L3Kind::Ipv6;
        let frag = Fragment {
            key: DefragKey {
                src: ip.src,
                dst: ip.dst,
                id: fr.id,
                proto: if v6 { 0 } else { ip.proto },
                vlan: info.vlan,
            },
            info: fr,
            data: ip.payload,
            hdr_len: ip.hdr_len,
            proto: ip.proto,
            l2_len: info.l2_len,
            ts_us: info.ts,
        };
        let out = self.defrag.add(frag, &self.cfg, &mut self.stats);
        if self.defrag.overlapped {
            h.weird(None, info.ts, "ip_fragment_overlap", "");
        }
        match out {
            FragOutcome::Held => {}
            FragOutcome::Dropped(name) => h.weird(None, info.ts, name, ""),
            FragOutcome::Complete(r) => {
                let (proto, skip) = if v6 {
                    match walk_ipv6_exts(r.proto, &r.payload) {
                        Ok(x) if x.frag.is_none() => (x.proto, x.skipped),
                        _ => {
                            self.stats.parse_errors += 1;
                            h.weird(None, info.ts, "bad_ip_header", "reassembled");
                            return;
                        }
                    }
                } else {
                    (r.proto, 0)
                };
                // IPv6: the fragment header is gone from the rebuilt datagram.
                let hdr = if v6 {
                    r.hdr_len.saturating_sub(8)
                } else {
                    r.hdr_len
                };
                let plen = u32::try_from(r.payload.len()).unwrap_or(u32::MAX);
                info.ip_len = u64::from(hdr) + u64::from(plen);
                info.l2_len = r.l2_bytes;
                let body = r.payload.get(skip..).unwrap_or(&[]);
                let blen = u32::try_from(body.len()).unwrap_or(u32::MAX);
                self.l4_layer(ip.src, ip.dst, proto, body, blen, info, h);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn l4_layer<H: FlowHandler<App = A>>(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        ipproto: u8,
        data: &[u8],
        stated_len: u32,
        info: PktInfo,
        h: &mut H,
    ) {
        let l4 = match parse_l4(ipproto, data, stated_len) {
            Ok(l4) => l4,
            Err(e) => {
                self.parse_failed(e, info.ts, h);
                return;
            }
        };
        let mk = |sp: u16, dp: u16| FlowKey {
            src_ip: src,
            dst_ip: dst,
            src_port: sp,
            dst_port: dp,
            proto: ipproto,
            vlan: info.vlan,
        };
        match l4 {
            L4::Tcp(seg) => self.tcp_packet(mk(seg.sport, seg.dport), &seg, info, h),
            L4::Udp {
                sport,
                dport,
                payload,
                len,
            } => {
                let key = mk(sport, dport);
                let flip = (likely_server(sport) && !likely_server(dport)
                    || matches!((sport, dport), (67, 68) | (547, 546)))
                    && !is_broadcast_or_multicast(&dst);
                self.datagram(key, flip, Class::Udp, payload, u64::from(len), info, h);
            }
            L4::Icmp {
                v6,
                ty,
                code,
                payload,
            } => {
                let counter = icmp_counterpart(v6, ty);
                let key = mk(u16::from(ty), u16::from(counter.unwrap_or(code)));
                // A reply seen first: the requester is the originator.
                let flip = matches!((v6, ty), (false, 0) | (true, 129));
                self.datagram(
                    key,
                    flip,
                    Class::Other,
                    payload,
                    payload.len() as u64,
                    info,
                    h,
                );
            }
            L4::Sctp {
                sport,
                dport,
                payload,
            } => self.datagram(
                mk(sport, dport),
                false,
                Class::Other,
                payload,
                payload.len() as u64,
                info,
                h,
            ),
            L4::Other { payload } => self.datagram(
                mk(0, 0),
                false,
                Class::Other,
                payload,
                payload.len() as u64,
                info,
                h,
            ),
        }
    }

    /// Finds the flow of `key` (as sent) or creates it; returns its slot and the direction.
    fn lookup<H: FlowHandler<App = A>>(
        &mut self,
        key: FlowKey,
        flip: bool,
        mark_flip: bool,
        info: &PktInfo,
        h: &mut H,
    ) -> (u32, Dir) {
        if let Some(idx) = self.table.find(&key) {
            if let Some(e) = self.table.get(idx) {
                return (idx, e.dir_of(key.src_ip, key.src_port));
            }
        }
        while self.table.len() >= self.cfg.max_flows.max(1) {
            if !self.evict_one(h) {
                break;
            }
        }
        let (okey, src_mac, dst_mac) = if flip {
            (key.reversed(), info.dst_mac, info.src_mac)
        } else {
            (key, info.src_mac, info.dst_mac)
        };
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(self.id_stride);
        let mut hist = History::default();
        if flip && mark_flip {
            hist.flipped();
        }
        let interval = ms_to_us(self.cfg.active_timeout_ms);
        let next_update_us = if interval > 0 {
            info.ts.saturating_add(interval)
        } else {
            0
        };
        let e = Entry {
            meta: FlowMeta {
                id,
                key: okey,
                start_ts_us: info.ts,
                src_mac,
                dst_mac,
            },
            last_ts: info.ts,
            next_update_us,
            ctr: [DirCtr::default(); 2],
            tcp: TcpConn::default(),
            hist,
            missed: 0,
            tunnel_parent: info.tunnel_parent,
            update_seq: 0,
            done: [false; 2],
            app: A::default(),
        };
        self.stats.flows_created += 1;
        let idx = self.table.insert(e);
        if interval > 0 {
            self.updates.push(Reverse((next_update_us, id, idx)));
        }
        (idx, if flip { Dir::Resp } else { Dir::Orig })
    }

    /// Counts a packet on its flow and moves the flow to the tail of its LRU list.
    fn account(&mut self, idx: u32, dir: Dir, info: &PktInfo, class: Class) {
        if let Some(e) = self.table.get_mut(idx) {
            e.last_ts = e.last_ts.max(info.ts);
            if let Some(c) = e.ctr.get_mut(dir.idx()) {
                c.pkts += 1;
                c.ip_bytes = c.ip_bytes.saturating_add(info.ip_len);
                c.l2_bytes = c.l2_bytes.saturating_add(info.l2_len);
            }
        }
        self.table.lru.touch(idx, class);
    }

    #[allow(clippy::too_many_arguments)]
    fn datagram<H: FlowHandler<App = A>>(
        &mut self,
        key: FlowKey,
        flip: bool,
        class: Class,
        payload: &[u8],
        payload_len: u64,
        info: PktInfo,
        h: &mut H,
    ) {
        let (idx, dir) = self.lookup(key, flip, class == Class::Udp, &info, h);
        self.account(idx, dir, &info, class);
        let Some(e) = self.table.get_mut(idx) else {
            return;
        };
        if let Some(c) = e.ctr.get_mut(dir.idx()) {
            c.bytes = c.bytes.saturating_add(payload_len);
        }
        if class == Class::Udp {
            e.hist.add(dir, b'D');
        }
        let done = e.done.get(dir.idx()).copied().unwrap_or(true);
        if !done && !payload.is_empty() {
            if let Interest::Bypass =
                h.payload(&e.meta, &mut e.app, dir, info.ts, Chunk::Data(payload))
            {
                if let Some(d) = e.done.get_mut(dir.idx()) {
                    *d = true;
                }
            }
        }
    }

    fn tcp_packet<H: FlowHandler<App = A>>(
        &mut self,
        key: FlowKey,
        seg: &TcpSeg<'_>,
        info: PktInfo,
        h: &mut H,
    ) {
        let syn = seg.has(tcp_flags::SYN);
        let ack = seg.has(tcp_flags::ACK);
        // Port reuse: a fresh SYN on a closed connection starts a new one (Zeek's IsReuse).
        if syn && !ack {
            if let Some(idx) = self.table.find(&key) {
                if self.table.get(idx).is_some_and(|e| e.tcp.closed()) {
                    self.stats.flows_closed += 1;
                    self.finalize(idx, EndReason::Idle, h);
                }
            }
        }
        let flip = if syn {
            ack && !seg.has(tcp_flags::RST)
        } else {
            likely_server(seg.sport) && !likely_server(seg.dport)
        };
        let (idx, dir) = self.lookup(key, flip, true, &info, h);
        let Some(e) = self.table.get_mut(idx) else {
            return;
        };
        let Entry {
            meta,
            app,
            tcp,
            hist,
            missed,
            ..
        } = e;
        let mut c = Ctx {
            h,
            meta,
            app,
            ts: info.ts,
            cfg: &self.cfg,
            stats: &mut self.stats,
            reasm_used: &mut self.reasm_used,
            hist,
            missed,
        };
        tcp.segment(dir, seg, &mut c);
        let class = if tcp.closed() {
            Class::Closing
        } else {
            Class::Tcp
        };
        self.account(idx, dir, &info, class);
    }

    /// Evicts the least recently active flow. Returns false when the table is empty.
    fn evict_one<H: FlowHandler<App = A>>(&mut self, h: &mut H) -> bool {
        let victim = Class::ALL
            .iter()
            .filter_map(|&c| self.table.lru.front(c))
            .filter_map(|i| self.table.get(i).map(|e| (e.last_ts, i)))
            .min();
        let Some((_, idx)) = victim else { return false };
        self.stats.flows_evicted += 1;
        self.finalize(idx, EndReason::Evicted, h);
        true
    }

    /// Emits a record for the flow in `idx` without removing it.
    fn emit_record<H: FlowHandler<App = A>>(
        &mut self,
        idx: u32,
        reason: EndReason,
        is_final: bool,
        h: &mut H,
    ) {
        let Some(e) = self.table.get_mut(idx) else {
            return;
        };
        let Entry {
            meta,
            last_ts,
            ctr,
            tcp,
            hist,
            missed,
            tunnel_parent,
            update_seq,
            app,
            ..
        } = e;
        let is_tcp = meta.key.proto == proto::TCP;
        let [o, r] = &tcp.ep;
        let (ob, rb) = if is_tcp {
            (o.size(), r.size())
        } else {
            (ctr[0].bytes, ctr[1].bytes)
        };
        let state = if is_tcp {
            conn_state(o.state, r.state, ob, rb, hist)
        } else if meta.key.proto == proto::UDP {
            match (ctr[0].pkts > 0, ctr[1].pkts > 0) {
                (true, true) => "SF",
                (true, false) => "S0",
                (false, true) => "SHR",
                (false, false) => "OTH",
            }
        } else {
            "OTH"
        };
        let reason = match reason {
            EndReason::Idle | EndReason::Shutdown if is_tcp && tcp.reset() => EndReason::Rst,
            EndReason::Idle | EndReason::Shutdown if is_tcp && tcp.closed() => EndReason::Fin,
            other => other,
        };
        let rec = FlowRecord {
            meta,
            end_ts_us: *last_ts,
            orig_pkts: ctr[0].pkts,
            resp_pkts: ctr[1].pkts,
            orig_bytes: ob,
            resp_bytes: rb,
            orig_ip_bytes: ctr[0].ip_bytes,
            resp_ip_bytes: ctr[1].ip_bytes,
            orig_l2_bytes: ctr[0].l2_bytes,
            resp_l2_bytes: ctr[1].l2_bytes,
            missed_bytes: *missed,
            state,
            history: hist.as_str(),
            tcp_flags_orig: o.flags,
            tcp_flags_resp: r.flags,
            update_seq: *update_seq,
            is_final,
            end_reason: reason,
            tunnel_parents: tunnel_parent.as_slice(),
        };
        h.flow_record(&rec, app);
        *update_seq = update_seq.saturating_add(1);
        if is_final {
            self.stats.flow_records += 1;
        } else {
            self.stats.flow_updates += 1;
        }
    }

    /// Ends a flow: flushes payload (gaps, buffered data, `End`), emits the final record and
    /// drops the entry.
    fn finalize<H: FlowHandler<App = A>>(&mut self, idx: u32, reason: EndReason, h: &mut H) {
        let Some(e) = self.table.get_mut(idx) else {
            self.table.lru.remove(idx);
            return;
        };
        let ts = e.last_ts;
        if e.meta.key.proto == proto::TCP {
            let Entry {
                meta,
                app,
                tcp,
                hist,
                missed,
                ..
            } = e;
            let mut c = Ctx {
                h: &mut *h,
                meta,
                app,
                ts,
                cfg: &self.cfg,
                stats: &mut self.stats,
                reasm_used: &mut self.reasm_used,
                hist,
                missed,
            };
            tcp.finish(&mut c);
        } else {
            for dir in [Dir::Orig, Dir::Resp] {
                let sent = e.ctr.get(dir.idx()).is_some_and(|c| c.pkts > 0);
                let done = e.done.get(dir.idx()).copied().unwrap_or(true);
                if sent && !done {
                    let _ = h.payload(&e.meta, &mut e.app, dir, ts, Chunk::End);
                }
            }
        }
        self.emit_record(idx, reason, true, h);
        self.table.remove(idx);
    }
}

#[cfg(test)]
mod tests;
