//! Batches of packets travelling from the reader to a worker.
//!
//! Packets are copied once into a batch's byte buffer (the read buffer is reused
//! for the next block); batches are recycled through a return channel, so the
//! steady state allocates nothing per packet.

use flow::{LinkType, Packet};

/// Packets per batch: large enough to amortise channel costs, small enough to
/// keep workers busy in turn.
pub const BATCH_PACKETS: usize = 512;
/// Bytes per batch before it is sent early.
pub const BATCH_BYTES: usize = 1 << 20;

#[derive(Clone, Copy)]
struct Entry {
    ts_us: i64,
    wire_len: u32,
    link: u32,
    start: u32,
    len: u32,
}

/// A batch of packets for one worker.
#[derive(Default)]
pub struct PacketBatch {
    data: Vec<u8>,
    entries: Vec<Entry>,
}

impl PacketBatch {
    /// An empty batch with room for a full one.
    pub fn new() -> Self {
        PacketBatch {
            data: Vec::with_capacity(BATCH_BYTES + 65_536),
            entries: Vec::with_capacity(BATCH_PACKETS),
        }
    }

    /// Copy one packet in.
    pub fn push(&mut self, link: LinkType, pkt: Packet<'_>) {
        let start = self.data.len() as u32;
        self.data.extend_from_slice(pkt.data);
        self.entries.push(Entry {
            ts_us: pkt.ts_us,
            wire_len: pkt.wire_len,
            link: link.0,
            start,
            len: pkt.data.len() as u32,
        });
    }

    /// True when the batch should be sent.
    pub fn is_full(&self) -> bool {
        self.entries.len() >= BATCH_PACKETS || self.data.len() >= BATCH_BYTES
    }

    /// Number of packets.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no packet is in the batch.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Empty the batch for reuse (keeps its capacity).
    pub fn clear(&mut self) {
        self.data.clear();
        self.entries.clear();
    }

    /// The packets, borrowed from the batch.
    pub fn iter(&self) -> impl Iterator<Item = (LinkType, Packet<'_>)> + '_ {
        self.entries.iter().map(move |e| {
            let data = self
                .data
                .get(e.start as usize..(e.start + e.len) as usize)
                .unwrap_or(&[]);
            (
                LinkType(e.link),
                Packet {
                    ts_us: e.ts_us,
                    wire_len: e.wire_len,
                    data,
                },
            )
        })
    }
}
