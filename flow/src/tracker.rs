//! [`FlowTracker`]: one shard of the flow table and the per-packet pipeline.

use core::net::IpAddr;

use crate::config::FlowConfig;
use crate::defrag::{Defrag, DefragKey, FragOutcome, Fragment};
use crate::error::ParseError;
use crate::history::{History, HIST_CAP};
use crate::key::{icmp_counterpart, FlowKey};
use crate::link::{parse_link, L3Kind};
use crate::lru::Class;
use crate::packet::{Dir, LinkType, Packet};
use crate::parse::{parse_ip, parse_l4, proto, tcp_flags, walk_ipv6_exts, TcpSeg, L4};
use crate::record::{Chunk, EndReason, FlowHandler, FlowMeta, FlowRecord, Interest};
use crate::stats::FlowStats;
use crate::table::{Entry, L4State, Table};
use crate::tcp::{conn_state, Ctx, TcpConn};
use crate::tunnel::{
    parse_geneve, parse_gre, parse_gtp_u, parse_teredo, parse_vxlan, Inner, GENEVE_PORT,
    GTP_U_PORT, IPPROTO_GRE, IPPROTO_IPIP, IPPROTO_IPV6, TEREDO_PORT, VXLAN_GPE_PORT, VXLAN_PORT,
};

/// Expiry runs at most once per this much packet time.
const EXPIRE_INTERVAL_US: i64 = 1_000_000;

/// Tunnels decapsulated inside one frame at most. Real traffic nests two (ERSPAN carrying
/// VXLAN, IP-in-IP carrying PPTP); deeper nesting is counted in `tunnels_too_deep` and the
/// innermost payload stays with its outer flow.
const MAX_TUNNEL_DEPTH: u8 = 3;

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
    /// Tunnels decapsulated to reach this packet.
    pub depth: u8,
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
    id_seed: u64,
    clock_us: i64,
    next_check_us: i64,
    reasm_used: usize,
}

fn ms_to_us(ms: u64) -> i64 {
    i64::try_from(ms.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Zeek-like "likely server port" test for mid-stream pickups: well-known ports, and the
/// tunnel ports Zeek registers its analyzers for.
fn likely_server(port: u16) -> bool {
    port < 1024
        || matches!(
            port,
            VXLAN_PORT | VXLAN_GPE_PORT | GENEVE_PORT | GTP_U_PORT | TEREDO_PORT
        )
}

/// The tunnel a UDP datagram between `sport` and `dport` carries, by the destination port
/// first, then the source port; Teredo by content on any other port.
fn udp_tunnel(sport: u16, dport: u16, payload: &[u8]) -> crate::error::Result<Option<Inner<'_>>> {
    for port in [dport, sport] {
        match port {
            VXLAN_PORT => return parse_vxlan(payload, false),
            VXLAN_GPE_PORT => return parse_vxlan(payload, true),
            GENEVE_PORT => return parse_geneve(payload),
            GTP_U_PORT => return parse_gtp_u(payload),
            _ => {}
        }
    }
    Ok(parse_teredo(payload))
}

fn is_broadcast_or_multicast(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_broadcast() || v.is_multicast(),
        IpAddr::V6(v) => v.is_multicast(),
    }
}

impl<A: Default> FlowTracker<A> {
    /// Creates a shard. A flow's id is a 64-bit hash of `id_seed`, its oriented key and
    /// its start time: derived from the flow itself, so the same capture gives the same
    /// ids however the flows are spread over shards, and a tunnelled flow can name its
    /// parent by id.
    pub fn new(cfg: FlowConfig, id_seed: u64) -> Self {
        FlowTracker {
            cfg,
            table: Table::default(),
            defrag: Defrag::default(),
            stats: FlowStats::default(),
            id_seed,
            clock_us: i64::MIN,
            next_check_us: i64::MIN,
            reasm_used: 0,
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
    /// "bytes per tracked flow" figure: 248 with a zero-sized `A`, 256 with an 8-byte one.
    /// Not included: the 12-byte LRU link of the slot, and the out-of-line extras a flow
    /// allocates only when needed (tunnel parent, TCP gaps, retransmissions, out-of-order
    /// buffers).
    pub fn entry_size() -> usize {
        Table::<A>::entry_size()
    }

    /// Parses one frame (link layer, IP with defragmentation, TCP/UDP/ICMP/other), updates
    /// its flow, reassembles TCP and calls the handler.
    ///
    /// Also advances the shard's clock: at most once per second of packet time, idle flows
    /// expire (work proportional to what expires). Malformed frames are counted and reported
    /// as `weird`, never fatal.
    ///
    /// A flow's records depend only on its own packets, not on the shard's other traffic: a
    /// packet for a flow that has been idle past its timeout ends that flow (`idle`) and
    /// starts a new one even if the periodic sweep has not run yet, and active-timeout
    /// updates are triggered by the flow's own packets (see
    /// [`FlowConfig::active_timeout_ms`]). Only the table and buffer caps (`max_flows`,
    /// `max_reassembly_bytes`, `max_frag_bytes`) are shared by the shard's flows.
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
            depth: 0,
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
            Class::Attempt => self.cfg.tcp_attempt_ms,
        })
    }

    fn expire_until<H: FlowHandler<App = A>>(&mut self, now: i64, h: &mut H) {
        for class in Class::ALL {
            let t = self.timeout_us(class);
            while let Some(idx) = self.table.lru.front(class) {
                let Some(last) = self.table.get(idx).map(|e| e.timeout_base(class)) else {
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
                let id = self.datagram(key, flip, Class::Udp, payload, u64::from(len), info, h);
                self.decap(udp_tunnel(sport, dport, payload), id, info, h);
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
            } => {
                self.datagram(
                    mk(sport, dport),
                    false,
                    Class::Other,
                    payload,
                    payload.len() as u64,
                    info,
                    h,
                );
            }
            L4::Other { payload } => {
                let id = self.datagram(
                    mk(0, 0),
                    false,
                    Class::Other,
                    payload,
                    payload.len() as u64,
                    info,
                    h,
                );
                let inner = match ipproto {
                    IPPROTO_GRE => parse_gre(payload),
                    IPPROTO_IPIP => Ok(Some(Inner::Ip(L3Kind::Ipv4, payload))),
                    IPPROTO_IPV6 => Ok(Some(Inner::Ip(L3Kind::Ipv6, payload))),
                    _ => return,
                };
                self.decap(inner, id, info, h);
            }
        }
    }

    /// Processes the packet a tunnel carried as a packet of its own, whose flow gets the
    /// outer flow `parent` as its tunnel parent.
    fn decap<H: FlowHandler<App = A>>(
        &mut self,
        inner: crate::error::Result<Option<Inner<'_>>>,
        parent: u64,
        outer: PktInfo,
        h: &mut H,
    ) {
        let inner = match inner {
            Ok(Some(i)) => i,
            Ok(None) => return,
            Err(e) => {
                self.parse_failed(e, outer.ts, h);
                return;
            }
        };
        if outer.depth >= MAX_TUNNEL_DEPTH {
            self.stats.tunnels_too_deep += 1;
            h.weird(None, outer.ts, "tunnel_too_deep", "");
            return;
        }
        self.stats.tunnels += 1;
        let mut info = PktInfo {
            ts: outer.ts,
            l2_len: 0,
            ip_len: 0,
            src_mac: None,
            dst_mac: None,
            vlan: None,
            tunnel_parent: Some(parent),
            depth: outer.depth.saturating_add(1),
        };
        let (kind, data) = match inner {
            Inner::Ip(kind, d) => (kind, d),
            Inner::Ethernet(frame) => match parse_link(LinkType::ETHERNET, frame) {
                Ok(l2) => {
                    info.src_mac = l2.src_mac;
                    info.dst_mac = l2.dst_mac;
                    info.vlan = l2.vlan;
                    (l2.kind, l2.data)
                }
                Err(e) => {
                    self.parse_failed(e, outer.ts, h);
                    return;
                }
            },
        };
        if let L3Kind::Other(_) = kind {
            self.stats.non_ip += 1;
            return;
        }
        // Frame bytes are the captured frame's, outer headers included (as Arkime counts
        // a tunnelled session's bytes), not the inner packet's.
        info.l2_len = outer.l2_len;
        self.ip_layer(kind, data, info, h);
    }

    /// Finds the flow of `key` (as sent) or creates it; returns its slot and the direction.
    ///
    /// An existing flow idle past its timeout at this packet's time is ended first, and a
    /// flow whose active-timeout boundary this packet crosses emits its update record, so
    /// both happen at the same point of the flow's own packets whichever shard it is on.
    fn lookup<H: FlowHandler<App = A>>(
        &mut self,
        key: FlowKey,
        flip: bool,
        mark_flip: bool,
        info: &PktInfo,
        h: &mut H,
    ) -> (u32, Dir) {
        if let Some(idx) = self.table.find(&key) {
            if let Some(found) = self.existing(idx, &key, info.ts, h) {
                return found;
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
        let id = flow_id(self.id_seed, &okey, info.ts);
        let mut hist = History::default();
        if flip && mark_flip {
            hist.flipped();
        }
        let l4 = if key.proto == proto::TCP {
            L4State::Tcp(TcpConn::default())
        } else {
            L4State::Dgram {
                bytes: [0; 2],
                done: [false; 2],
            }
        };
        let meta = FlowMeta {
            id,
            key: okey,
            start_ts_us: info.ts,
            src_mac,
            dst_mac,
        };
        let mut e = Entry::new(meta, l4, hist, A::default());
        if let Some(p) = info.tunnel_parent {
            e.extra_mut().tunnel_parent = Some(p);
        }
        self.stats.flows_created += 1;
        let idx = self.table.insert(e);
        (idx, if flip { Dir::Resp } else { Dir::Orig })
    }

    /// A packet at `ts` for the existing flow in `idx`: ends the flow if it idled out (then
    /// returns `None`), else emits a due active-timeout update and returns slot and direction.
    fn existing<H: FlowHandler<App = A>>(
        &mut self,
        idx: u32,
        key: &FlowKey,
        ts: i64,
        h: &mut H,
    ) -> Option<(u32, Dir)> {
        let class = self.table.lru.class_of(idx);
        let e = self.table.get(idx)?;
        let (last, start, dir) = (
            e.last_ts,
            e.meta.start_ts_us,
            e.dir_of(key.src_ip, key.src_port),
        );
        if let Some(class) = class {
            if e.timeout_base(class).saturating_add(self.timeout_us(class)) <= ts {
                // The same test the sweep makes, so the flow ends at the same packet either way.
                if class == Class::Closing {
                    self.stats.flows_closed += 1;
                } else {
                    self.stats.flows_idle += 1;
                }
                self.finalize(idx, EndReason::Idle, h);
                return None;
            }
        }
        let interval = ms_to_us(self.cfg.active_timeout_ms);
        if interval > 0 && ts > last {
            let period = |t: i64| t.saturating_sub(start).div_euclid(interval);
            if period(ts) > period(last) {
                self.emit_record(idx, EndReason::ActiveTimeout, false, h);
            }
        }
        Some((idx, dir))
    }

    /// Counts a packet on its flow and moves the flow to the tail of its LRU list.
    ///
    /// With `advance` false (a TCP packet after both sides closed) the packet is counted
    /// but leaves the end time and the LRU position alone. A connection attempt stays where
    /// it entered its list, which is ordered by flow start.
    fn account(&mut self, idx: u32, dir: Dir, info: &PktInfo, class: Class, advance: bool) {
        if let Some(e) = self.table.get_mut(idx) {
            if advance {
                e.last_ts = e.last_ts.max(info.ts);
            }
            if let Some(c) = e.ctr.get_mut(dir.idx()) {
                c.pkts += 1;
                c.ip_bytes = c.ip_bytes.saturating_add(info.ip_len);
                c.l2_bytes = c.l2_bytes.saturating_add(info.l2_len);
            }
        }
        let linked = self.table.lru.class_of(idx);
        if advance && !(class == Class::Attempt && linked == Some(Class::Attempt)) {
            self.table.lru.touch(idx, class);
        }
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
    ) -> u64 {
        let (idx, dir) = self.lookup(key, flip, class == Class::Udp, &info, h);
        self.account(idx, dir, &info, class, true);
        let Some(e) = self.table.get_mut(idx) else {
            return 0;
        };
        let id = e.meta.id;
        if class == Class::Udp {
            e.hist.add(dir, b'D');
        }
        // A TCP key never reaches here: `parse_l4` sends every TCP segment to `tcp_packet`.
        let L4State::Dgram { bytes, done } = &mut e.l4 else {
            return id;
        };
        if let Some(b) = bytes.get_mut(dir.idx()) {
            *b = b.saturating_add(payload_len);
        }
        let Some(d) = done.get_mut(dir.idx()) else {
            return id;
        };
        if !*d && !payload.is_empty() {
            if let Interest::Bypass =
                h.payload(&e.meta, &mut e.app, dir, info.ts, Chunk::Data(payload))
            {
                *d = true;
            }
        }
        id
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
                let closed = self
                    .table
                    .get(idx)
                    .is_some_and(|e| matches!(&e.l4, L4State::Tcp(t) if t.closed()));
                if closed {
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
            l4: L4State::Tcp(tcp),
            hist,
            extra,
            ..
        } = e
        else {
            return;
        };
        let mut c = Ctx {
            h,
            meta,
            app,
            ts: info.ts,
            cfg: &self.cfg,
            stats: &mut self.stats,
            reasm_used: &mut self.reasm_used,
            hist,
            extra,
        };
        // Zeek stops advancing `last_time` once both sides have closed.
        let advance = !tcp.both_closed();
        tcp.segment(dir, seg, &mut c);
        let class = if tcp.closed() {
            Class::Closing
        } else if tcp.attempt() {
            Class::Attempt
        } else {
            Class::Tcp
        };
        self.account(idx, dir, &info, class, advance);
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
            l4,
            hist,
            extra,
            update_seq,
            app,
            ..
        } = e;
        let mut hbuf = [0u8; HIST_CAP];
        let history = hist.render(&mut hbuf);
        let (missed, tunnel_parents) = match extra.as_deref() {
            Some(x) => (x.missed, x.tunnel_parent.as_slice()),
            None => (0, &[][..]),
        };
        let (ob, rb, state, flags, reason) = match l4 {
            L4State::Tcp(tcp) => {
                let [o, r] = &tcp.ep;
                let (ob, rb) = (o.size(), r.size());
                let reason = match reason {
                    EndReason::Idle | EndReason::Shutdown if tcp.reset() => EndReason::Rst,
                    EndReason::Idle | EndReason::Shutdown if tcp.closed() => EndReason::Fin,
                    other => other,
                };
                let state = conn_state(o.state, r.state, ob, rb, history);
                (ob, rb, state, [o.flags, r.flags], reason)
            }
            L4State::Dgram { bytes, .. } => {
                let state = if meta.key.proto == proto::UDP {
                    match (ctr[0].pkts > 0, ctr[1].pkts > 0) {
                        (true, true) => "SF",
                        (true, false) => "S0",
                        (false, true) => "SHR",
                        (false, false) => "OTH",
                    }
                } else {
                    "OTH"
                };
                (bytes[0], bytes[1], state, [0, 0], reason)
            }
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
            missed_bytes: missed,
            state,
            history,
            tcp_flags_orig: flags[0],
            tcp_flags_resp: flags[1],
            update_seq: *update_seq,
            is_final,
            end_reason: reason,
            tunnel_parents,
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
        let Entry {
            meta,
            app,
            l4,
            hist,
            extra,
            ctr,
            ..
        } = e;
        match l4 {
            L4State::Tcp(tcp) => {
                let mut c = Ctx {
                    h: &mut *h,
                    meta,
                    app,
                    ts,
                    cfg: &self.cfg,
                    stats: &mut self.stats,
                    reasm_used: &mut self.reasm_used,
                    hist,
                    extra,
                };
                tcp.finish(&mut c);
            }
            L4State::Dgram { done, .. } => {
                for dir in [Dir::Orig, Dir::Resp] {
                    let sent = ctr.get(dir.idx()).is_some_and(|c| c.pkts > 0);
                    let done = done.get(dir.idx()).copied().unwrap_or(true);
                    if sent && !done {
                        let _ = h.payload(meta, app, dir, ts, Chunk::End);
                    }
                }
            }
        }
        self.emit_record(idx, reason, true, h);
        self.table.remove(idx);
    }
}

#[cfg(test)]
mod tests;

/// The id of the flow `key` that started at `start_us`: SipHash-1-3 with fixed keys
/// (std's `DefaultHasher::new()`), stable within a build, mixed with the run's seed.
fn flow_id(seed: u64, key: &FlowKey, start_us: i64) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    seed.hash(&mut h);
    key.hash(&mut h);
    start_us.hash(&mut h);
    h.finish()
}
