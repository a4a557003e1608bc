//! The flow table: a slab of entries, a hash index by symmetric key and the LRU lists.
//!
//! The index maps a 64-bit keyed hash of the flow's symmetric key to a slab slot (16 bytes
//! per flow instead of a copy of the key). The hash uses std's randomly keyed SipHash, so
//! crafted traffic cannot aim for collisions; the rare real collision is chained through
//! the entries' `chain` field and resolved by comparing the full key held in the entry.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use crate::history::History;
use crate::key::{FlowKey, TableKey};
use crate::lru::Lru;
use crate::record::FlowMeta;
use crate::tcp::{EpExtra, TcpConn};

/// "No slot" marker for collision chains.
const NIL: u32 = u32::MAX;

/// Counters of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DirCtr {
    pub pkts: u64,
    pub ip_bytes: u64,
    pub l2_bytes: u64,
}

/// Protocol-specific state: TCP endpoints, or the payload counters of a datagram flow.
#[derive(Debug)]
pub(crate) enum L4State {
    /// TCP: payload sizes come from sequence numbers.
    Tcp(TcpConn),
    /// UDP, ICMP and other protocols.
    Dgram {
        /// Payload bytes per direction.
        bytes: [u64; 2],
        /// Per direction: payload delivery stopped (bypass) or `End` sent.
        done: [bool; 2],
    },
}

/// Rarely needed per-flow state, kept out of line and allocated only when first needed
/// (a tunnel parent, a TCP gap, retransmission, zero window or out-of-order segment), so
/// the common flow pays 8 bytes for it.
#[derive(Debug, Default)]
pub(crate) struct Extra {
    /// Outer flow id when this flow was decapsulated from a tunnel.
    pub tunnel_parent: Option<u64>,
    /// TCP bytes never seen (sequence gaps), both directions.
    pub missed: u64,
    /// Per-direction TCP extras.
    pub ep: [EpExtra; 2],
}

/// One tracked flow (240 bytes with an 8-byte `A`).
#[derive(Debug)]
pub(crate) struct Entry<A> {
    pub meta: FlowMeta,
    pub last_ts: i64,
    pub ctr: [DirCtr; 2],
    pub l4: L4State,
    pub hist: History,
    pub update_seq: u32,
    /// Next slot whose key has the same index hash (`NIL` at the end).
    chain: u32,
    pub extra: Option<Box<Extra>>,
    pub app: A,
}

impl<A> Entry<A> {
    /// A fresh entry.
    pub(crate) fn new(meta: FlowMeta, l4: L4State, hist: History, app: A) -> Self {
        Entry {
            last_ts: meta.start_ts_us,
            meta,
            ctr: [DirCtr::default(); 2],
            l4,
            hist,
            update_seq: 0,
            chain: NIL,
            extra: None,
            app,
        }
    }

    /// The time the timeout of `class` counts from: the flow's start for a connection
    /// attempt, else its last packet.
    pub(crate) fn timeout_base(&self, class: crate::lru::Class) -> i64 {
        if class == crate::lru::Class::Attempt {
            self.meta.start_ts_us
        } else {
            self.last_ts
        }
    }

    /// Direction of a packet from `src`:`sport`.
    pub(crate) fn dir_of(&self, src: core::net::IpAddr, sport: u16) -> crate::Dir {
        if self.meta.key.src_ip == src && self.meta.key.src_port == sport {
            crate::Dir::Orig
        } else {
            crate::Dir::Resp
        }
    }

    /// The out-of-line state, allocated if needed.
    pub(crate) fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }
}

/// Pass-through hasher for keys that already are keyed hashes.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in for completeness.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// Slab + index. Slot indices are stable while the flow lives.
#[derive(Debug)]
pub(crate) struct Table<A> {
    seed: RandomState,
    map: HashMap<u64, u32, BuildHasherDefault<IdHasher>>,
    slots: Vec<Option<Entry<A>>>,
    free: Vec<u32>,
    live: usize,
    pub lru: Lru,
    /// Tests: every key hashes to 42, to exercise collision chains.
    #[cfg(test)]
    collide: bool,
}

impl<A> Default for Table<A> {
    fn default() -> Self {
        Table {
            seed: RandomState::new(),
            map: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            lru: Lru::default(),
            #[cfg(test)]
            collide: false,
        }
    }
}

impl<A> Table<A> {
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    fn hash(&self, tk: &TableKey) -> u64 {
        #[cfg(test)]
        if self.collide {
            return 42;
        }
        self.seed.hash_one(tk)
    }

    pub(crate) fn find(&self, key: &FlowKey) -> Option<u32> {
        let tk = TableKey::from_key(key).0;
        let mut idx = *self.map.get(&self.hash(&tk))?;
        while idx != NIL {
            let e = self.get(idx)?;
            if TableKey::from_key(&e.meta.key).0 == tk {
                return Some(idx);
            }
            idx = e.chain;
        }
        None
    }

    pub(crate) fn get_mut(&mut self, idx: u32) -> Option<&mut Entry<A>> {
        self.slots.get_mut(usize::try_from(idx).ok()?)?.as_mut()
    }

    pub(crate) fn get(&self, idx: u32) -> Option<&Entry<A>> {
        self.slots.get(usize::try_from(idx).ok()?)?.as_ref()
    }

    /// Inserts a new flow (whose key is not in the table); the caller links it into an LRU
    /// list.
    pub(crate) fn insert(&mut self, mut e: Entry<A>) -> u32 {
        let h = self.hash(&TableKey::from_key(&e.meta.key).0);
        e.chain = self.map.get(&h).copied().unwrap_or(NIL);
        let idx = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(usize::try_from(i).unwrap_or(usize::MAX)) {
                    *s = Some(e);
                }
                i
            }
            None => {
                self.slots.push(Some(e));
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.map.insert(h, idx);
        self.live += 1;
        idx
    }

    /// Removes a flow from the index, the slab and its LRU list.
    pub(crate) fn remove(&mut self, idx: u32) -> Option<Entry<A>> {
        let e = self.slots.get_mut(usize::try_from(idx).ok()?)?.take()?;
        let h = self.hash(&TableKey::from_key(&e.meta.key).0);
        if self.map.get(&h) == Some(&idx) {
            if e.chain == NIL {
                self.map.remove(&h);
            } else {
                self.map.insert(h, e.chain);
            }
        } else {
            // Unlink from the middle of the collision chain.
            let mut cur = self.map.get(&h).copied().unwrap_or(NIL);
            while cur != NIL {
                let Some(c) = self.get_mut(cur) else { break };
                if c.chain == idx {
                    c.chain = e.chain;
                    break;
                }
                cur = c.chain;
            }
        }
        self.lru.remove(idx);
        self.free.push(idx);
        self.live = self.live.saturating_sub(1);
        Some(e)
    }

    /// Indices of all live flows (for `finish`).
    pub(crate) fn live(&self) -> Vec<u32> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .filter_map(|(i, _)| u32::try_from(i).ok())
            .collect()
    }

    /// Size of one slab slot plus its index entry.
    pub(crate) fn entry_size() -> usize {
        core::mem::size_of::<Option<Entry<A>>>() + core::mem::size_of::<(u64, u32)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{IpAddr, Ipv4Addr};

    fn meta(port: u16) -> FlowMeta {
        FlowMeta {
            id: u64::from(port),
            key: FlowKey {
                src_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
                dst_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
                src_port: port,
                dst_port: 53,
                proto: 17,
                vlan: None,
            },
            start_ts_us: 0,
            src_mac: None,
            dst_mac: None,
        }
    }

    fn dgram() -> L4State {
        L4State::Dgram {
            bytes: [0; 2],
            done: [false; 2],
        }
    }

    #[test]
    fn collision_chains_resolve_by_full_key() {
        let mut t: Table<()> = Table {
            collide: true,
            ..Table::default()
        };
        let idx: Vec<u32> = (1..=4u16)
            .map(|p| t.insert(Entry::new(meta(p), dgram(), History::default(), ())))
            .collect();
        assert_eq!(t.map.len(), 1);
        for (p, &i) in (1..=4u16).zip(&idx) {
            assert_eq!(t.find(&meta(p).key), Some(i));
        }
        assert_eq!(t.find(&meta(9).key), None);
        // Middle of the chain, then its head, then its tail.
        for (gone, &i) in idx.iter().enumerate().skip(1).take(2).chain([(0, &idx[0])]) {
            assert!(t.remove(i).is_some(), "{gone}");
            assert_eq!(t.find(&meta(u16::try_from(gone).unwrap() + 1).key), None);
        }
        assert_eq!(t.find(&meta(4).key), Some(idx[3]));
        assert!(t.remove(idx[3]).is_some());
        assert!(t.map.is_empty());
    }

    #[test]
    fn insert_find_remove() {
        let mut t: Table<()> = Table::default();
        let a = t.insert(Entry::new(meta(1), dgram(), History::default(), ()));
        let b = t.insert(Entry::new(meta(2), dgram(), History::default(), ()));
        assert_eq!(t.find(&meta(1).key.reversed()), Some(a));
        assert_eq!(t.find(&meta(2).key), Some(b));
        assert!(t.remove(a).is_some());
        assert_eq!((t.find(&meta(1).key), t.len()), (None, 1));
        assert_eq!(t.live(), vec![b]);
    }
}
