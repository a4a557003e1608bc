//! TCP per-flow state: two endpoints, Zeek's state machine and reassembly.

mod reassembly;
mod state;

pub(crate) use state::{conn_state, EpState};

use crate::config::FlowConfig;
use crate::history::History;
use crate::packet::Dir;
use crate::parse::{tcp_flags as f, TcpSeg};
use crate::record::{Chunk, FlowHandler, FlowMeta, Interest};
use crate::stats::FlowStats;
use crate::table::Extra;
use reassembly::OooBuf;

/// Zeek's `TOO_LARGE_SEQ_DELTA`: SYN/RST sequence numbers further than this from what we
/// know are not trusted for byte counting.
const TOO_LARGE_SEQ_DELTA: i64 = 1_048_576;

/// Everything the reassembler needs from its surroundings while delivering payload.
pub(crate) struct Ctx<'a, H: FlowHandler> {
    pub h: &'a mut H,
    pub meta: &'a FlowMeta,
    pub app: &'a mut H::App,
    pub ts: i64,
    pub cfg: &'a FlowConfig,
    pub stats: &'a mut FlowStats,
    /// Out-of-order bytes buffered across the shard.
    pub reasm_used: &'a mut usize,
    pub hist: &'a mut History,
    /// The flow's out-of-line state, allocated on first need.
    pub extra: &'a mut Option<Box<Extra>>,
}

impl<H: FlowHandler> Ctx<'_, H> {
    /// The rarely used state of direction `dir`, allocating the flow's extras if needed.
    fn ep_extra(&mut self, dir: Dir) -> &mut EpExtra {
        let x = self.extra.get_or_insert_with(Box::default);
        match dir {
            Dir::Orig => &mut x.ep[0],
            Dir::Resp => &mut x.ep[1],
        }
    }

    /// The out-of-order buffer of `dir`, if one exists (never allocates).
    fn ooo(&mut self, dir: Dir) -> Option<&mut OooBuf> {
        self.extra
            .as_mut()
            .and_then(|x| x.ep.get_mut(dir.idx()))
            .and_then(|e| e.ooo.as_deref_mut())
    }

    fn add_missed(&mut self, n: u64) {
        let x = self.extra.get_or_insert_with(Box::default);
        x.missed = x.missed.saturating_add(n);
    }

    fn missed(&self) -> u64 {
        self.extra.as_ref().map_or(0, |x| x.missed)
    }
}

/// Rarely used per-direction TCP state, kept out of line in the flow's [`Extra`]: counters
/// that only matter after a retransmission, gap or zero window, and the out-of-order buffer.
#[derive(Debug, Default)]
pub(crate) struct EpExtra {
    rxmit: u32,
    gaps: u32,
    zero_win: u32,
    ooo: Option<Box<OooBuf>>,
}

/// Endpoint flag bits.
const INIT: u8 = 1;
const HAS_FIN: u8 = 2;
const BYPASS: u8 = 4;
const ENDED: u8 = 8;
/// Zeek's `did_close`: this side's FIN or RST closed its half (sticky).
const DID_CLOSE: u8 = 16;
/// This side opened with a SYN (Zeek arms its connection-attempt timer).
const OPENED_SYN: u8 = 32;
/// Kept on the originator's endpoint: the connection has closed (sticky, see
/// [`TcpConn::closed`]).
const CONN_CLOSED: u8 = 64;

/// One direction of a TCP connection (32 bytes).
///
/// Sequence positions are relative to `start` (the ISN, or first seq - 1 for a mid-stream
/// pickup, as Zeek does) and unwrapped to 64 bits, so streams over 4 GiB and sequence
/// wrap-around count correctly. Only `last` is stored in full; the other positions (ack,
/// next, FIN, bypass high-water mark) are `i32` offsets from it. That covers the ±2^31
/// window `rel` unwraps wire numbers into, so nothing that can still be compared with a
/// sequence number is lost; a position that falls further behind is clamped to the edge of
/// the window.
#[derive(Debug, Default)]
pub(crate) struct Endpoint {
    pub state: EpState,
    pub flags: u8,
    bits: u8,
    start: u32,
    /// One past the highest sequence position sent (SYN and FIN included).
    last: u64,
    /// Highest position acknowledged by the peer.
    ack_d: i32,
    /// Next stream position to deliver (the first data byte is position 1).
    next_d: i32,
    /// Position of the FIN.
    fin_d: i32,
    /// Highest end of data seen beyond `next` while bypassed (single-hole approximation).
    bypass_hi_d: i32,
}

impl Endpoint {
    fn at(&self, d: i32) -> u64 {
        if d >= 0 {
            self.last.saturating_add(u64::from(d.unsigned_abs()))
        } else {
            self.last.saturating_sub(u64::from(d.unsigned_abs()))
        }
    }

    fn delta(&self, pos: u64) -> i32 {
        if pos >= self.last {
            i32::try_from(pos - self.last).unwrap_or(i32::MAX)
        } else {
            i32::try_from(self.last - pos).map_or(i32::MIN, |x| -x)
        }
    }

    fn ack(&self) -> u64 {
        self.at(self.ack_d)
    }
    fn next(&self) -> u64 {
        self.at(self.next_d)
    }
    fn fin(&self) -> u64 {
        self.at(self.fin_d)
    }
    fn bypass_hi(&self) -> u64 {
        self.at(self.bypass_hi_d)
    }
    fn set_ack(&mut self, v: u64) {
        self.ack_d = self.delta(v);
    }
    fn set_next(&mut self, v: u64) {
        self.next_d = self.delta(v);
    }
    fn set_fin(&mut self, v: u64) {
        self.fin_d = self.delta(v);
    }
    fn set_bypass_hi(&mut self, v: u64) {
        self.bypass_hi_d = self.delta(v);
    }

    /// Moves `last`, keeping the other positions where they are.
    fn set_last(&mut self, v: u64) {
        let (a, n, f, b) = (self.ack(), self.next(), self.fin(), self.bypass_hi());
        self.last = v;
        self.set_ack(a);
        self.set_next(n);
        self.set_fin(f);
        self.set_bypass_hi(b);
    }

    fn flag(&self, b: u8) -> bool {
        self.bits & b != 0
    }

    fn set_flag(&mut self, b: u8) {
        self.bits |= b;
    }

    /// True once the first segment of this direction set up its sequence space.
    pub(crate) fn init(&self) -> bool {
        self.flag(INIT)
    }

    /// Unwraps `seq` to a position near `last`.
    fn rel(&self, seq: u32) -> u64 {
        // Truncation intended: we compare within the 32-bit sequence space.
        let reference = self.start.wrapping_add(self.last as u32);
        let d = i64::from(seq.wrapping_sub(reference) as i32);
        let last = i64::try_from(self.last).unwrap_or(i64::MAX);
        u64::try_from(last.saturating_add(d)).unwrap_or(0)
    }

    /// Zeek's `TCP_Endpoint::Size()`: payload bytes from sequence numbers.
    pub(crate) fn size(&self) -> u64 {
        if !self.init() {
            return 0;
        }
        let mut size = self.last.max(self.ack());
        // Position 0 is the (real or assumed) SYN.
        size = size.saturating_sub(1);
        if self.flag(HAS_FIN) && size > 0 {
            size -= 1;
        }
        size
    }

    fn free_ooo<H: FlowHandler>(&mut self, dir: Dir, c: &mut Ctx<'_, H>) {
        let Some(x) = c.extra.as_mut().and_then(|x| x.ep.get_mut(dir.idx())) else {
            return;
        };
        if let Some(b) = x.ooo.take() {
            *c.reasm_used = c.reasm_used.saturating_sub(b.bytes());
            c.stats.reassembly_bytes_in_use = c
                .stats
                .reassembly_bytes_in_use
                .saturating_sub(u64::try_from(b.bytes()).unwrap_or(0));
            self.set_bypass_hi(self.bypass_hi().max(b.end()));
        }
    }

    fn emit<H: FlowHandler>(&mut self, dir: Dir, c: &mut Ctx<'_, H>, chunk: Chunk<'_>) {
        if self.flag(BYPASS) || self.flag(ENDED) {
            return;
        }
        if let Interest::Bypass = c.h.payload(c.meta, c.app, dir, c.ts, chunk) {
            self.set_flag(BYPASS);
            self.set_bypass_hi(self.bypass_hi().max(self.next()));
            self.free_ooo(dir, c);
        }
    }

    fn gap<H: FlowHandler>(&mut self, dir: Dir, c: &mut Ctx<'_, H>, n: u64) {
        if n == 0 {
            return;
        }
        c.add_missed(n);
        c.stats.gap_bytes = c.stats.gap_bytes.saturating_add(n);
        let x = c.ep_extra(dir);
        x.gaps = x.gaps.saturating_add(1);
        let gaps = x.gaps;
        c.hist.add_scaled(dir, b'G', gaps);
        let mut left = n;
        while left > 0 && !self.flag(BYPASS) {
            let part = u32::try_from(left).unwrap_or(u32::MAX);
            self.emit(dir, c, Chunk::Gap(part));
            left -= u64::from(part);
        }
        self.set_next(self.next().saturating_add(n));
    }

    /// Delivers `data` placed at stream position `ds`; `len` is its stated length (the
    /// captured `data` may be shorter when the snaplen cut the packet).
    fn data<H: FlowHandler>(
        &mut self,
        dir: Dir,
        c: &mut Ctx<'_, H>,
        ds: u64,
        data: &[u8],
        len: u64,
    ) {
        let de = ds.saturating_add(len);
        if self.flag(BYPASS) {
            if ds <= self.next() {
                self.set_next(self.next().max(de));
                if self.bypass_hi() > self.next() {
                    // Assume the segment filled the one hole we know of.
                    self.set_next(self.bypass_hi());
                }
            } else {
                self.set_bypass_hi(self.bypass_hi().max(de));
            }
            return;
        }
        let next = self.next();
        if de <= next || self.flag(ENDED) {
            return;
        }
        if ds > next {
            self.buffer(dir, c, ds, data);
            return;
        }
        let skip = usize::try_from(next - ds).unwrap_or(usize::MAX);
        if let Some(fresh) = data.get(skip..) {
            if !fresh.is_empty() {
                self.emit(dir, c, Chunk::Data(fresh));
            }
        }
        let cap_end = ds.saturating_add(u64::try_from(data.len()).unwrap_or(0));
        self.set_next(self.next().max(cap_end));
        if de > self.next() {
            // Uncaptured tail of a truncated segment.
            self.gap(dir, c, de - self.next());
        }
        self.drain(dir, c);
    }

    /// Buffers an out-of-order segment, giving up on the hole when a cap is hit.
    fn buffer<H: FlowHandler>(&mut self, dir: Dir, c: &mut Ctx<'_, H>, ds: u64, data: &[u8]) {
        let per_dir = c.cfg.max_stream_buffer_bytes;
        let global_left = c.cfg.max_reassembly_bytes.saturating_sub(*c.reasm_used);
        let buf = c.ep_extra(dir).ooo.get_or_insert_with(Box::default);
        match buf.insert(ds, data, per_dir, global_left) {
            Ok(added) => {
                *c.reasm_used = c.reasm_used.saturating_add(added);
                let a = u64::try_from(added).unwrap_or(0);
                c.stats.ooo_bytes = c.stats.ooo_bytes.saturating_add(a);
                c.stats.reassembly_bytes_in_use = c.stats.reassembly_bytes_in_use.saturating_add(a);
            }
            Err(()) => {
                // Cap hit: flush what we hold (holes become gaps), then place this segment.
                c.stats.reassembly_overflows += 1;
                let before = c.missed();
                self.flush(dir, c, None);
                if ds > self.next() && !self.flag(BYPASS) {
                    let n = ds - self.next();
                    self.gap(dir, c, n);
                }
                c.stats.reassembly_overflow_bytes = c
                    .stats
                    .reassembly_overflow_bytes
                    .saturating_add(c.missed().saturating_sub(before));
                if ds <= self.next() {
                    let len = u64::try_from(data.len()).unwrap_or(0);
                    self.data(dir, c, ds, data, len);
                }
            }
        }
    }

    /// Delivers buffered segments that have become contiguous.
    fn drain<H: FlowHandler>(&mut self, dir: Dir, c: &mut Ctx<'_, H>) {
        loop {
            let next = self.next();
            let Some((s, seg)) = c.ooo(dir).and_then(|b| b.pop_first_if(next)) else {
                break;
            };
            self.release(c, seg.len());
            let end = s.saturating_add(u64::try_from(seg.len()).unwrap_or(0));
            if end > next {
                let skip = usize::try_from(next.saturating_sub(s)).unwrap_or(usize::MAX);
                if let Some(fresh) = seg.get(skip..) {
                    self.emit(dir, c, Chunk::Data(fresh));
                }
                self.set_next(end);
            }
        }
        if let Some(x) = c.extra.as_mut().and_then(|x| x.ep.get_mut(dir.idx())) {
            if x.ooo.as_ref().is_some_and(|b| b.is_empty()) {
                x.ooo = None;
            }
        }
    }

    fn release<H: FlowHandler>(&mut self, c: &mut Ctx<'_, H>, n: usize) {
        *c.reasm_used = c.reasm_used.saturating_sub(n);
        c.stats.reassembly_bytes_in_use = c
            .stats
            .reassembly_bytes_in_use
            .saturating_sub(u64::try_from(n).unwrap_or(0));
    }

    /// Gives up on holes: delivers everything buffered, with gaps, up to `limit` (or all
    /// of it when `None`).
    fn flush<H: FlowHandler>(&mut self, dir: Dir, c: &mut Ctx<'_, H>, limit: Option<u64>) {
        loop {
            let first = c.ooo(dir).and_then(|b| b.first_start());
            match (first, limit) {
                (Some(s), l) if l.is_none_or(|l| s < l) => {
                    if s > self.next() {
                        self.gap(dir, c, s - self.next());
                    }
                    self.drain(dir, c);
                    if self.flag(BYPASS) {
                        return;
                    }
                }
                _ => break,
            }
        }
        if let Some(l) = limit {
            if l > self.next() {
                self.gap(dir, c, l - self.next());
                self.drain(dir, c);
            }
        }
    }

    /// The peer acknowledged up to `ack` (relative): data below it will not be
    /// retransmitted, so holes below it are gaps (Zeek's "acked but not seen").
    fn acked<H: FlowHandler>(&mut self, dir: Dir, c: &mut Ctx<'_, H>, ack: u64) {
        if ack <= self.ack() {
            return;
        }
        self.set_ack(ack);
        // Stream data ends at the FIN; an ACK of the FIN covers one extra position.
        let limit = if self.flag(HAS_FIN) {
            ack.min(self.fin())
        } else {
            ack
        };
        if limit <= self.next() || self.flag(ENDED) {
            return;
        }
        if self.flag(BYPASS) {
            let from = self.bypass_hi().max(self.next());
            if limit > from {
                self.gap(dir, c, limit - from);
            }
            self.set_next(self.next().max(limit));
            return;
        }
        self.flush(dir, c, Some(limit));
    }

    /// End of this direction: holes become gaps, buffered data is delivered, then `End`.
    pub(crate) fn close<H: FlowHandler>(&mut self, dir: Dir, c: &mut Ctx<'_, H>) {
        if self.flag(ENDED) {
            return;
        }
        if !self.flag(BYPASS) {
            self.flush(dir, c, None);
            if self.flag(HAS_FIN) && self.fin() > self.next() {
                self.gap(dir, c, self.fin() - self.next());
            }
        }
        self.free_ooo(dir, c);
        if !self.flag(BYPASS) {
            self.emit(dir, c, Chunk::End);
        }
        self.set_flag(ENDED);
    }

    fn maybe_end<H: FlowHandler>(&mut self, dir: Dir, c: &mut Ctx<'_, H>) {
        if self.flag(HAS_FIN) && !self.flag(ENDED) && self.next() >= self.fin() {
            self.free_ooo(dir, c);
            if !self.flag(BYPASS) {
                self.emit(dir, c, Chunk::End);
            }
            self.set_flag(ENDED);
        }
    }
}

/// Both endpoints of a TCP connection, indexed by [`Dir::idx`].
#[derive(Debug, Default)]
pub(crate) struct TcpConn {
    pub ep: [Endpoint; 2],
}

impl TcpConn {
    /// True once the connection has closed (Zeek's `close_complete`): FIN both ways, an
    /// RST, or a FIN from one side while the other had sent nothing. Sticky: Zeek schedules
    /// the connection's removal at that point, whatever the peer sends afterwards.
    pub(crate) fn closed(&self) -> bool {
        self.ep[0].flag(CONN_CLOSED) || self.closing_now()
    }

    fn closing_now(&self) -> bool {
        let [o, r] = &self.ep;
        o.state == EpState::Reset
            || r.state == EpState::Reset
            || (o.state == EpState::Closed && r.state == EpState::Closed)
            || (o.state == EpState::Closed && r.state == EpState::Inactive)
            || (r.state == EpState::Closed && o.state == EpState::Inactive)
    }

    /// Both sides have closed their half (FIN or RST each). Zeek stops advancing the
    /// connection's `last_time` from then on, so late ACKs and retransmissions are counted
    /// but do not lengthen the duration.
    pub(crate) fn both_closed(&self) -> bool {
        self.ep.iter().all(|e| e.flag(DID_CLOSE))
    }

    /// A connection attempt: the originator opened with a SYN, has not closed, and the
    /// responder has sent nothing. Zeek removes such a connection `tcp_attempt_delay`
    /// after the SYN (logged as `S0`); later packets start a new connection.
    pub(crate) fn attempt(&self) -> bool {
        let [o, r] = &self.ep;
        o.flag(OPENED_SYN)
            && matches!(o.state, EpState::SynSent | EpState::SynAckSent)
            && r.state == EpState::Inactive
    }

    /// True if either side sent an RST.
    pub(crate) fn reset(&self) -> bool {
        self.ep.iter().any(|e| e.state == EpState::Reset)
    }

    /// Processes one segment sent in direction `dir`.
    pub(crate) fn segment<H: FlowHandler>(
        &mut self,
        dir: Dir,
        seg: &TcpSeg<'_>,
        c: &mut Ctx<'_, H>,
    ) {
        let [o, r] = &mut self.ep;
        let (e, p) = match dir {
            Dir::Orig => (o, r),
            Dir::Resp => (r, o),
        };
        e.flags |= seg.flags;
        let syn = seg.has(f::SYN);
        let fin = seg.has(f::FIN);
        let rst = seg.has(f::RST);
        let ackf = seg.has(f::ACK);

        // 1. Sequence space set-up (Zeek's init_endpoint).
        if !e.init()
            || (syn
                && matches!(e.state, EpState::SynSent | EpState::SynAckSent)
                && e.next() <= 1
                && seg.seq != e.start)
        {
            e.set_flag(INIT);
            e.start = if syn {
                seg.seq
            } else {
                seg.seq.wrapping_sub(1)
            };
            e.last = 1;
            e.set_ack(1);
            e.set_next(1);
            e.set_fin(1);
            e.set_bypass_hi(1);
        }
        let seq_pos = e.rel(seg.seq);
        let ds = seq_pos.saturating_add(u64::from(syn));
        let len = u64::from(seg.len);
        let de = ds.saturating_add(len);
        let top = de.saturating_add(u64::from(fin));

        // 2. Highest sequence seen / retransmissions (Zeek's update_last_seq).
        let delta = i64::try_from(top)
            .unwrap_or(i64::MAX)
            .saturating_sub(i64::try_from(e.last).unwrap_or(i64::MAX));
        let untrusted =
            (syn || rst) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta);
        // Sequence numbers after our own RST are not trusted either.
        if untrusted || e.state == EpState::Reset {
            // Nothing to learn from this segment's sequence number.
        } else if delta > 0 {
            e.set_last(top);
        } else if len > 0 {
            let x = c.ep_extra(dir);
            x.rxmit = x.rxmit.saturating_add(1);
            let n = x.rxmit;
            c.hist.add_scaled(dir, b'T', n);
            c.stats.retransmitted_bytes = c.stats.retransmitted_bytes.saturating_add(len);
        }
        if fin && !e.flag(HAS_FIN) && e.state != EpState::Reset {
            e.set_flag(HAS_FIN);
            e.set_fin(de);
        }

        // 3. The peer's data acknowledged by this segment.
        if ackf && p.init() {
            let a = p.rel(seg.ack);
            p.acked(dir.flip(), c, a);
            p.maybe_end(dir.flip(), c);
        }

        // 4. History letters for the flags.
        if syn && (fin || rst) {
            c.hist.add(dir, b'Q');
        } else if fin && rst {
            c.hist.add(dir, b'I');
        }
        if syn {
            c.hist.add(dir, if ackf { b'H' } else { b'S' });
        }
        if seg.window == 0 && !syn && !fin && !rst {
            let x = c.ep_extra(dir);
            x.zero_win = x.zero_win.saturating_add(1);
            let n = x.zero_win;
            c.hist.add_scaled(dir, b'W', n);
        }
        let h = &mut *c.hist;
        if len > 0 {
            h.add(dir, b'D');
        } else if ackf && !syn && !fin && !rst {
            h.add(dir, b'A');
        }
        if fin {
            h.add(dir, b'F');
        }
        if rst {
            h.add(dir, b'R');
        }

        // 5. Endpoint state machine. As observed from Zeek's baselines, an RST whose
        // sequence number is far off, or that a closed side sends just past its FIN, leaves
        // the state alone (`ShADadFRf` and `ShADadfFr` are SF); an RST at the FIN's own
        // sequence number resets (`ShAdDafr` is RSTR).
        let rst_ignored = rst
            && (!(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta)
                || (e.state == EpState::Closed && delta >= 0));
        if dir == Dir::Orig && syn && e.state == EpState::Inactive {
            e.set_flag(OPENED_SYN);
        }
        if !rst_ignored {
            let peer_syn = p.flags & f::SYN != 0;
            e.state = state::next_state(e.state, &mut p.state, seg.flags, len, peer_syn);
        }
        if matches!(e.state, EpState::Closed | EpState::Reset) {
            e.set_flag(DID_CLOSE);
        }

        // 6. Payload.
        if len > 0 {
            e.data(dir, c, ds, seg.payload, len);
        }
        if rst {
            e.close(dir, c);
        } else {
            e.maybe_end(dir, c);
        }
        if self.closing_now() {
            self.ep[0].set_flag(CONN_CLOSED);
        }
    }

    /// Flow end: closes both directions (gaps for holes, buffered data, then `End`).
    pub(crate) fn finish<H: FlowHandler>(&mut self, c: &mut Ctx<'_, H>) {
        let [o, r] = &mut self.ep;
        if o.init() {
            o.close(Dir::Orig, c);
        }
        if r.init() {
            r.close(Dir::Resp, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_is_compact() {
        assert_eq!(core::mem::size_of::<Endpoint>(), 32);
    }

    #[test]
    fn positions_follow_last_and_clamp_far_behind() {
        let mut e = Endpoint {
            last: 1,
            ..Endpoint::default()
        };
        e.set_next(1);
        e.set_ack(5);
        e.set_last(1 << 40);
        assert_eq!(e.ack(), (1 << 40) - (1 << 31));
        e.set_last(100);
        e.set_next(99);
        e.set_fin(110);
        e.set_last(105);
        assert_eq!((e.next(), e.fin(), e.last), (99, 110, 105));
    }
}
