//! One replayed flow: a template with new addresses, ports, sequence numbers and,
//! for TLS, extra application-data records spliced in at the template's bulk point.

use super::packet::{self, flags, Layout, MIN_FRAME};
use super::pcap::RECORD_HEADER_LEN;
use super::rng::Rng;
use super::template::{FlowKind, Template};

/// Largest TLS record body we emit: 2^14 plaintext plus AES-GCM overhead
/// (8-byte explicit nonce + 16-byte tag, RFC 5288 section 3), as TLS 1.2 servers send.
const MAX_RECORD_BODY: u64 = 16_384 + 24;
/// TLS record header length (RFC 8446 section 5.1).
const RECORD_HEADER: u64 = 5;
/// Ethernet MTU the bulk segments are sized for.
const MTU: usize = 1500;
/// Delay between a bulk segment and the client's ACK (µs): a LAN-side client.
const ACK_DELAY_US: u64 = 20;

/// Addresses and the client port a flow is replayed with.
#[derive(Debug, Clone, Copy)]
pub struct Endpoints {
    /// Client IPv4 address.
    pub client_ip: [u8; 4],
    /// Server IPv4 address.
    pub server_ip: [u8; 4],
    /// Client port (the server port is the template's).
    pub client_port: u16,
}

/// Random bytes standing in for ciphertext; slices at random offsets are used so the
/// generator does not spend its time in the PRNG.
#[derive(Debug)]
pub struct Pool {
    bytes: Vec<u8>,
}

/// Size of the random pool: large enough that repeats are not obvious, small enough to
/// stay in L2/L3 cache.
const POOL_LEN: usize = 1 << 20;

impl Pool {
    /// Fills a pool from `rng`.
    pub fn new(rng: &mut Rng) -> Self {
        let mut bytes = vec![0u8; POOL_LEN + MTU];
        rng.fill(&mut bytes);
        Pool { bytes }
    }

    fn slice(&self, r: u64, len: usize) -> &[u8] {
        let start = (r % POOL_LEN as u64) as usize;
        let len = len.min(MTU);
        &self.bytes[start..start + len]
    }
}

/// Planned splice of extra TLS data.
#[derive(Debug, Clone, Copy, Default)]
struct Bulk {
    /// Stream bytes (record headers included) not yet sent.
    left: u64,
    /// Record body bytes not yet assigned to a record.
    body_left: u64,
    /// Position inside the current record (0 = a new record starts).
    rec_pos: u64,
    /// Length of the current record including its header.
    rec_len: u64,
    /// Payload bytes per segment.
    mss: u64,
    /// Pause between segments (µs), from the flow's transfer rate.
    seg_gap_us: u64,
    /// Segments sent since the last ACK.
    unacked: u32,
    /// An ACK is due before the next segment.
    ack_due: bool,
}

/// Bytes (pcap records included) a bulk splice of `body` record-body bytes adds to a flow
/// of template `tpl`. `None` when the template has no bulk point.
pub fn bulk_file_bytes(tpl: &Template, body: u64) -> Option<u64> {
    let (mss, data_hdr, ack_len) = bulk_shape(tpl)?;
    if body == 0 {
        return Some(0);
    }
    let records = body.div_ceil(MAX_RECORD_BODY);
    let stream = body + records * RECORD_HEADER;
    let segs = stream.div_ceil(mss);
    let acks = segs.div_ceil(2);
    let last = stream - (segs - 1) * mss;
    let pad = (MIN_FRAME as u64).saturating_sub(data_hdr + last);
    Some(
        segs * (data_hdr + RECORD_HEADER_LEN) + stream + pad + acks * (ack_len + RECORD_HEADER_LEN),
    )
}

/// (mss, data segment header length, ACK frame length) for a template's bulk splice.
fn bulk_shape(tpl: &Template) -> Option<(u64, u64, u64)> {
    let bp = tpl.bulk?;
    let data = &tpl.packets.get(bp.after)?.lay;
    let ack = &tpl.packets.get(bp.ack_proto)?.lay;
    let mut mss = MTU.saturating_sub(data.payload - data.l3).max(536) as u64;
    if let Some(seen) = bp.server_mss {
        mss = mss.min(u64::from(seen));
    }
    Some((mss, data.payload as u64, ack.payload.max(MIN_FRAME) as u64))
}

/// A flow being replayed.
#[derive(Debug)]
pub struct Flow<'t> {
    tpl: &'t Template,
    ends: Endpoints,
    /// Initial sequence numbers [client, server].
    isn: [u32; 2],
    /// Added to the captured IP IDs [client, server]; grows for spliced packets.
    ip_id_delta: [u16; 2],
    dns_id_xor: u16,
    /// Next template packet.
    pos: usize,
    in_bulk: bool,
    bulk: Bulk,
    /// Bytes spliced into the server stream so far.
    shift: u32,
    rng: Rng,
}

impl<'t> Flow<'t> {
    /// Starts replaying `tpl` with `ends`, splicing `bulk_body` bytes of TLS record bodies
    /// (ignored when the template has no bulk point) sent at `rate_bps`.
    pub fn new(
        tpl: &'t Template,
        ends: Endpoints,
        bulk_body: u64,
        rate_bps: f64,
        mut rng: Rng,
    ) -> Self {
        let mut bulk = Bulk::default();
        if let (Some((mss, data_hdr, _)), true) = (bulk_shape(tpl), bulk_body > 0) {
            let records = bulk_body.div_ceil(MAX_RECORD_BODY);
            bulk.left = bulk_body + records * RECORD_HEADER;
            bulk.body_left = bulk_body;
            bulk.mss = mss;
            let bits = ((mss + data_hdr) * 8) as f64;
            bulk.seg_gap_us = (bits / rate_bps.max(1.0) * 1e6).ceil().max(1.0) as u64;
        }
        let isn = [rng.next_u32(), rng.next_u32()];
        let ip_id_delta = [rng.next_u32() as u16, rng.next_u32() as u16];
        let dns_id_xor = rng.next_u32() as u16;
        Flow {
            tpl,
            ends,
            isn,
            ip_id_delta,
            dns_id_xor,
            pos: 0,
            in_bulk: false,
            bulk,
            shift: 0,
            rng,
        }
    }

    /// Writes the next packet of the flow into `out` (replacing its contents) and returns
    /// the delay until the packet after it, or `None` if this was the last one.
    pub fn emit(&mut self, out: &mut Vec<u8>, pool: &Pool) -> Option<u64> {
        if self.in_bulk {
            return self.emit_bulk(out, pool);
        }
        let idx = self.pos;
        self.emit_template(idx, out);
        self.pos += 1;
        if self.tpl.bulk.is_some_and(|bp| bp.after == idx) && self.bulk.left > 0 {
            self.in_bulk = true;
            return Some(self.bulk.seg_gap_us);
        }
        self.tpl.packets.get(self.pos).map(|p| p.gap_us)
    }

    fn emit_template(&mut self, idx: usize, out: &mut Vec<u8>) {
        let Some(p) = self.tpl.packets.get(idx) else {
            return;
        };
        out.clear();
        out.extend_from_slice(&p.frame);
        let lay = p.lay;
        let (me, peer) = if p.from_client { (0, 1) } else { (1, 0) };
        self.set_addrs(out, &lay, p.from_client);
        let id = packet::ip_id(out, &lay).wrapping_add(self.ip_id_delta[me]);
        packet::set_ip_id(out, &lay, id);
        // Spliced bytes move the server's sequence space from the splice point on; server
        // sequence numbers and client ACKs before that point keep their value.
        let shifted = |rel: u32| match self.tpl.bulk {
            Some(bp) if rel.wrapping_sub(bp.server_seq) < 1 << 31 => rel.wrapping_add(self.shift),
            _ => rel,
        };
        let (seq, ack) = if p.from_client {
            (p.rel_seq, p.rel_ack.map(shifted))
        } else {
            (shifted(p.rel_seq), p.rel_ack)
        };
        let seq = self.isn[me].wrapping_add(seq);
        let ack = match ack {
            Some(a) => self.isn[peer].wrapping_add(a),
            None => packet::tcp_seq_ack(out, &lay).1,
        };
        packet::set_tcp_seq_ack(out, &lay, seq, ack);
        if self.tpl.kind == FlowKind::Dns {
            // A fresh DNS transaction ID per flow, same in query and reply.
            if let Some(tid) = out.get_mut(lay.payload..lay.payload + 2) {
                let v = u16::from_be_bytes([tid[0], tid[1]]) ^ self.dns_id_xor;
                tid.copy_from_slice(&v.to_be_bytes());
            }
        }
        packet::fix_checksums(out, &lay);
    }

    fn emit_bulk(&mut self, out: &mut Vec<u8>, pool: &Pool) -> Option<u64> {
        let bp = self.tpl.bulk?;
        if self.bulk.ack_due {
            self.bulk.ack_due = false;
            self.emit_bulk_ack(out, bp.ack_proto, bp.client_seq, bp.server_seq);
            if self.bulk.left == 0 {
                self.in_bulk = false;
                return self.tpl.packets.get(self.pos).map(|p| p.gap_us);
            }
            return Some(self.bulk.seg_gap_us);
        }
        let proto = self.tpl.packets.get(bp.after)?;
        let lay0 = proto.lay;
        out.clear();
        out.extend_from_slice(proto.frame.get(..lay0.payload)?);
        let n = self.bulk.left.min(self.bulk.mss);
        self.fill_records(out, n, pool);
        let lay = Layout {
            end: out.len(),
            ..lay0
        };
        out.resize(out.len().max(MIN_FRAME), 0);
        packet::set_lengths(out, &lay);
        self.set_addrs(out, &lay, false);
        let id = packet::ip_id(out, &lay).wrapping_add(self.ip_id_delta[1]);
        self.ip_id_delta[1] = self.ip_id_delta[1].wrapping_add(1);
        packet::set_ip_id(out, &lay, id);
        let seq = self.isn[1]
            .wrapping_add(bp.server_seq)
            .wrapping_add(self.shift);
        let ack = self.isn[0].wrapping_add(bp.client_seq);
        packet::set_tcp_seq_ack(out, &lay, seq, ack);
        packet::set_tcp_flags(out, &lay, flags::ACK | flags::PSH);
        packet::fix_checksums(out, &lay);
        self.shift = self.shift.wrapping_add(n as u32);
        self.bulk.left -= n;
        self.bulk.unacked += 1;
        if self.bulk.unacked == 2 || self.bulk.left == 0 {
            // Delayed ACK: one per two full segments (RFC 9293 section 3.8.6.3).
            self.bulk.unacked = 0;
            self.bulk.ack_due = true;
            return Some(ACK_DELAY_US);
        }
        Some(self.bulk.seg_gap_us)
    }

    fn emit_bulk_ack(
        &mut self,
        out: &mut Vec<u8>,
        proto_idx: usize,
        client_seq: u32,
        server_seq: u32,
    ) {
        let Some(proto) = self.tpl.packets.get(proto_idx) else {
            return;
        };
        let lay = Layout {
            end: proto.lay.payload,
            ..proto.lay
        };
        out.clear();
        out.extend_from_slice(proto.frame.get(..lay.payload).unwrap_or_default());
        out.resize(out.len().max(MIN_FRAME), 0);
        packet::set_lengths(out, &lay);
        self.set_addrs(out, &lay, true);
        let id = packet::ip_id(out, &lay).wrapping_add(self.ip_id_delta[0]);
        self.ip_id_delta[0] = self.ip_id_delta[0].wrapping_add(1);
        packet::set_ip_id(out, &lay, id);
        let seq = self.isn[0].wrapping_add(client_seq);
        let ack = self.isn[1]
            .wrapping_add(server_seq)
            .wrapping_add(self.shift);
        packet::set_tcp_seq_ack(out, &lay, seq, ack);
        packet::set_tcp_flags(out, &lay, flags::ACK);
        packet::fix_checksums(out, &lay);
    }

    /// Appends `n` bytes of the spliced TLS stream: application-data record headers and
    /// random "ciphertext".
    fn fill_records(&mut self, out: &mut Vec<u8>, mut n: u64, pool: &Pool) {
        let b = &mut self.bulk;
        while n > 0 {
            if b.rec_pos == 0 {
                let body = b.body_left.min(MAX_RECORD_BODY);
                b.body_left -= body;
                b.rec_len = body + RECORD_HEADER;
            }
            let take = if b.rec_pos < RECORD_HEADER {
                let body = (b.rec_len - RECORD_HEADER) as u16;
                let [hi, lo] = body.to_be_bytes();
                let hdr = [0x17, 0x03, 0x03, hi, lo];
                let k = (RECORD_HEADER - b.rec_pos).min(n);
                out.extend_from_slice(&hdr[b.rec_pos as usize..(b.rec_pos + k) as usize]);
                k
            } else {
                let k = (b.rec_len - b.rec_pos).min(n);
                out.extend_from_slice(pool.slice(self.rng.next_u64(), k as usize));
                k
            };
            b.rec_pos += take;
            n -= take;
            if b.rec_pos == b.rec_len {
                b.rec_pos = 0;
            }
        }
    }

    fn set_addrs(&self, out: &mut [u8], lay: &Layout, from_client: bool) {
        let e = &self.ends;
        let sport = self.tpl.server_port;
        if from_client {
            packet::set_endpoints(out, lay, e.client_ip, e.server_ip, e.client_port, sport);
        } else {
            packet::set_endpoints(out, lay, e.server_ip, e.client_ip, sport, e.client_port);
        }
    }
}
