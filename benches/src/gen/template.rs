//! Seed flows turned into replayable templates.
//!
//! Packets of the seed captures are grouped by 5-tuple. Every group that is a clean IPv4
//! TCP flow starting with the client's SYN, or any IPv4 UDP exchange, becomes a [`Template`]:
//! its frames plus everything needed to replay it with other addresses, ports and sequence
//! numbers. TLS templates also get a [`BulkPoint`], the place where extra encrypted
//! application data can be spliced in without breaking TLS record framing.

use std::collections::HashMap;
use std::path::Path;

use super::packet::{self, flags, Layout, PROTO_TCP, PROTO_UDP};
use super::pcap::{SeedPacket, RECORD_HEADER_LEN};

/// Longest pause replayed between two packets of a template. Seeds sometimes idle for
/// minutes; replaying that would stretch flows far beyond the capture span.
const MAX_GAP_US: u64 = 5_000_000;
/// TLS record content types (RFC 8446 section 5.1): change_cipher_spec..application_data.
const TLS_TYPES: std::ops::RangeInclusive<u8> = 20..=23;
/// TLS content type application_data.
const TLS_APP_DATA: u8 = 23;
/// Request methods that mark a TCP flow as HTTP/1.x.
const HTTP_METHODS: [&[u8]; 8] = [
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
];

/// What kind of traffic a template carries; drives the flow mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowKind {
    /// DNS over UDP (port 53).
    Dns,
    /// TLS over TCP (client speaks first with a handshake record).
    Tls,
    /// HTTP/1.x over TCP.
    Http,
    /// Any other TCP flow (handshake, data, FIN).
    Tcp,
    /// Any other UDP exchange.
    Udp,
}

impl FlowKind {
    /// All kinds, in the order used for reports.
    pub const ALL: [FlowKind; 5] = [
        FlowKind::Dns,
        FlowKind::Tls,
        FlowKind::Http,
        FlowKind::Tcp,
        FlowKind::Udp,
    ];

    /// Parses a name written by [`FlowKind::name`].
    pub fn from_name(s: &str) -> Option<FlowKind> {
        FlowKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Lower-case name used in reports and the `.meta` file.
    pub fn name(self) -> &'static str {
        match self {
            FlowKind::Dns => "dns",
            FlowKind::Tls => "tls",
            FlowKind::Http => "http",
            FlowKind::Tcp => "tcp",
            FlowKind::Udp => "udp",
        }
    }
}

/// One packet of a template.
#[derive(Debug, Clone)]
pub struct TplPacket {
    /// Sent by the client (the side that sent the SYN, or the first UDP datagram).
    pub from_client: bool,
    /// Microseconds since the previous packet of the template (capped at 5 s).
    pub gap_us: u64,
    /// The captured frame.
    pub frame: Vec<u8>,
    /// Its header offsets.
    pub lay: Layout,
    /// TCP sequence number relative to the sender's first sequence number.
    pub rel_seq: u32,
    /// TCP acknowledgement relative to the peer's first sequence number, if ACK is set.
    pub rel_ack: Option<u32>,
}

/// Where extra TLS application data can be spliced into a TLS template.
#[derive(Debug, Clone, Copy)]
pub struct BulkPoint {
    /// Index of the server packet after which bulk segments go; it ends an application
    /// data record, so new records start on a record boundary.
    pub after: usize,
    /// Server's relative sequence number right after that packet.
    pub server_seq: u32,
    /// Client's relative sequence number at that point.
    pub client_seq: u32,
    /// Client packet whose headers are reused for the ACKs of bulk data.
    pub ack_proto: usize,
    /// Largest segment the server sent in the template (its effective MSS), if any
    /// looked full-sized (> 1000 bytes).
    pub server_mss: Option<u32>,
}

/// A replayable seed flow.
#[derive(Debug, Clone)]
pub struct Template {
    /// `seed-file#n`, for reports.
    pub name: String,
    /// Traffic kind.
    pub kind: FlowKind,
    /// Server port, kept on replay.
    pub server_port: u16,
    /// Packets in capture order.
    pub packets: Vec<TplPacket>,
    /// Splice point for extra encrypted data (TLS templates only).
    pub bulk: Option<BulkPoint>,
    /// Bytes the template takes in a pcap file (frames plus record headers).
    pub file_bytes: u64,
}

type Endpoint = ([u8; 4], u16);

/// Builds templates from the packets of one seed file. Flows that cannot be replayed
/// faithfully (non-IPv4, fragments, truncated frames, TCP without the opening SYN) are
/// skipped and counted in the second return value.
pub fn from_seed(path: &Path, pkts: &[SeedPacket]) -> (Vec<Template>, usize) {
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut order: Vec<Vec<(&SeedPacket, Layout)>> = Vec::new();
    let mut index: HashMap<(u8, Endpoint, Endpoint), usize> = HashMap::new();
    let mut skipped_pkts = false;
    for p in pkts {
        let Some(lay) = Layout::parse(&p.data) else {
            skipped_pkts = true;
            continue;
        };
        let (src, dst) = packet::addrs(&p.data, &lay);
        let (sp, dp) = packet::ports(&p.data, &lay);
        let (a, b) = if (src, sp) <= (dst, dp) {
            ((src, sp), (dst, dp))
        } else {
            ((dst, dp), (src, sp))
        };
        let slot = *index.entry((lay.proto, a, b)).or_insert_with(|| {
            order.push(Vec::new());
            order.len() - 1
        });
        order[slot].push((p, lay));
    }
    let mut out = Vec::new();
    let mut rejected = usize::from(skipped_pkts);
    for (i, group) in order.iter().enumerate() {
        match build(format!("{file}#{i}"), group) {
            Some(t) => out.push(t),
            None => rejected += 1,
        }
    }
    (out, rejected)
}

fn build(name: String, group: &[(&SeedPacket, Layout)]) -> Option<Template> {
    let (first, lay0) = group.first()?;
    if group
        .iter()
        .any(|(p, _)| p.data.len() as u64 != u64::from(p.orig_len))
    {
        return None; // truncated by snaplen: payload and checksums cannot be rebuilt
    }
    let (src0, _) = packet::addrs(&first.data, lay0);
    let (sp0, dp0) = packet::ports(&first.data, lay0);
    let fl0 = packet::tcp_flags(&first.data, lay0);
    let client: Endpoint = match lay0.proto {
        PROTO_TCP if fl0 & (flags::SYN | flags::ACK) == flags::SYN => (src0, sp0),
        PROTO_TCP => return None, // no handshake: cannot shift sequence numbers safely
        _ if sp0 == 53 && dp0 != 53 => (packet::addrs(&first.data, lay0).1, dp0),
        _ => (src0, sp0),
    };
    let mut isn: [Option<u32>; 2] = [None, None]; // [client, server]
    let mut packets = Vec::with_capacity(group.len());
    let mut prev_ts = first.ts_us;
    for (p, lay) in group {
        let (src, sp) = (packet::addrs(&p.data, lay).0, packet::ports(&p.data, lay).0);
        let from_client = (src, sp) == client;
        let (me, peer) = if from_client { (0, 1) } else { (1, 0) };
        let (seq, ack) = packet::tcp_seq_ack(&p.data, lay);
        let fl = packet::tcp_flags(&p.data, lay);
        let base = *isn[me].get_or_insert(seq);
        let rel_ack = match (lay.proto == PROTO_TCP && fl & flags::ACK != 0, isn[peer]) {
            (true, Some(peer_isn)) => Some(ack.wrapping_sub(peer_isn)),
            (true, None) => return None, // ACK for a side we never saw
            (false, _) => None,
        };
        packets.push(TplPacket {
            from_client,
            gap_us: p.ts_us.saturating_sub(prev_ts).min(MAX_GAP_US),
            frame: p.data.clone(),
            lay: *lay,
            rel_seq: seq.wrapping_sub(base),
            rel_ack,
        });
        prev_ts = prev_ts.max(p.ts_us);
    }
    let kind = classify(lay0.proto, client.1, &packets);
    let server_port = if client == (src0, sp0) { dp0 } else { sp0 };
    let bulk = if kind == FlowKind::Tls {
        find_bulk_point(&packets)
    } else {
        None
    };
    let file_bytes = packets
        .iter()
        .map(|p| p.frame.len() as u64 + RECORD_HEADER_LEN)
        .sum();
    Some(Template {
        name,
        kind,
        server_port,
        packets,
        bulk,
        file_bytes,
    })
}

fn classify(proto: u8, client_port: u16, packets: &[TplPacket]) -> FlowKind {
    if proto == PROTO_UDP {
        let server_is_53 = packets.iter().any(|p| {
            let (s, d) = packet::ports(&p.frame, &p.lay);
            (if p.from_client { d } else { s }) == 53
        });
        return if server_is_53 || client_port == 53 {
            FlowKind::Dns
        } else {
            FlowKind::Udp
        };
    }
    let first_data = packets
        .iter()
        .find(|p| p.from_client && p.lay.payload_len() > 0);
    let Some(p) = first_data.and_then(|p| p.frame.get(p.lay.payload..p.lay.end)) else {
        return FlowKind::Tcp;
    };
    if p.len() >= 3 && p[0] == 0x16 && p[1] == 0x03 {
        FlowKind::Tls
    } else if HTTP_METHODS.iter().any(|m| p.starts_with(m)) {
        FlowKind::Http
    } else {
        FlowKind::Tcp
    }
}

/// Walks the server's TLS record stream and returns the first server packet that ends
/// exactly on the boundary of an application-data record. Gives up (no bulk) when the
/// stream has holes or does not look like TLS records.
fn find_bulk_point(packets: &[TplPacket]) -> Option<BulkPoint> {
    let ack_proto = packets.iter().position(|p| {
        p.from_client
            && p.rel_ack.is_some()
            && packet::tcp_flags(&p.frame, &p.lay) & flags::SYN == 0
    })?;
    let mut next_seq: [u32; 2] = [0, 0]; // [client, server]
    let mut hdr: Vec<u8> = Vec::with_capacity(5);
    // Prefer a point after the client's first encrypted record (TLS 1.2 request or
    // TLS 1.3 Finished), so spliced data reads as a response, not as 0.5-RTT data.
    let mut client_encrypted = false;
    let mut fallback = None;
    let (mut rec_left, mut rec_type) = (0usize, 0u8);
    for (i, p) in packets.iter().enumerate() {
        let fl = packet::tcp_flags(&p.frame, &p.lay);
        let len = p.lay.payload_len() as u32;
        let side = usize::from(!p.from_client);
        let expect_data = p.rel_seq == next_seq[side] || fl & flags::SYN != 0;
        let syn_fin = u32::from(fl & flags::SYN != 0) + u32::from(fl & flags::FIN != 0);
        next_seq[side] = next_seq[side].max(p.rel_seq.wrapping_add(len).wrapping_add(syn_fin));
        if p.from_client {
            let data = p.frame.get(p.lay.payload..p.lay.end).unwrap_or_default();
            client_encrypted |= matches!(data.first(), Some(0x14 | 0x17));
            continue;
        }
        if len == 0 {
            continue;
        }
        if !expect_data {
            return None; // retransmission or hole in the server stream
        }
        let mut data = p.frame.get(p.lay.payload..p.lay.end)?;
        while !data.is_empty() {
            if rec_left == 0 {
                let take = (5 - hdr.len()).min(data.len());
                hdr.extend_from_slice(&data[..take]);
                data = &data[take..];
                if hdr.len() == 5 {
                    rec_type = hdr[0];
                    if !TLS_TYPES.contains(&rec_type) {
                        return None;
                    }
                    rec_left = usize::from(u16::from_be_bytes([hdr[3], hdr[4]]));
                    hdr.clear();
                }
            } else {
                let take = rec_left.min(data.len());
                rec_left -= take;
                data = &data[take..];
            }
        }
        if rec_left == 0 && hdr.is_empty() && rec_type == TLS_APP_DATA {
            let point = BulkPoint {
                after: i,
                server_seq: next_seq[1],
                client_seq: next_seq[0],
                ack_proto,
                server_mss: None,
            };
            if client_encrypted {
                fallback = Some(point);
                break;
            }
            fallback = fallback.or(Some(point));
        }
    }
    let server_max = packets
        .iter()
        .filter(|p| !p.from_client)
        .map(|p| p.lay.payload_len() as u32)
        .max();
    fallback.map(|bp| BulkPoint {
        server_mss: server_max.filter(|&m| m > 1000),
        ..bp
    })
}
