//! The flow table: a slab of entries, a hash index by symmetric key and the LRU lists.

use std::collections::HashMap;

use crate::history::History;
use crate::key::{FlowKey, TableKey};
use crate::lru::Lru;
use crate::record::FlowMeta;
use crate::tcp::TcpConn;

/// Counters of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DirCtr {
    pub pkts: u64,
    /// Payload bytes (UDP/ICMP/other; TCP uses sequence numbers instead).
    pub bytes: u64,
    pub ip_bytes: u64,
    pub l2_bytes: u64,
}

/// One tracked flow. Reassembly buffers live out of line (allocated only on reordering).
#[derive(Debug)]
pub(crate) struct Entry<A> {
    pub meta: FlowMeta,
    pub last_ts: i64,
    /// Next active-timeout update deadline (0 = none).
    pub next_update_us: i64,
    pub ctr: [DirCtr; 2],
    pub tcp: TcpConn,
    pub hist: History,
    pub missed: u64,
    /// Outer flow id when this flow was decapsulated from a tunnel.
    pub tunnel_parent: Option<u64>,
    pub update_seq: u32,
    /// Per direction: payload delivery stopped (bypass) or `End` sent (non-TCP flows).
    pub done: [bool; 2],
    pub app: A,
}

impl<A> Entry<A> {
    /// Direction of a packet from `src`:`sport`.
    pub(crate) fn dir_of(&self, src: core::net::IpAddr, sport: u16) -> crate::Dir {
        if self.meta.key.src_ip == src && self.meta.key.src_port == sport {
            crate::Dir::Orig
        } else {
            crate::Dir::Resp
        }
    }
}

/// Slab + index. Slot indices are stable while the flow lives.
#[derive(Debug)]
pub(crate) struct Table<A> {
    map: HashMap<TableKey, u32>,
    slots: Vec<Option<Entry<A>>>,
    free: Vec<u32>,
    pub lru: Lru,
}

impl<A> Default for Table<A> {
    fn default() -> Self {
        Table {
            map: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            lru: Lru::default(),
        }
    }
}

impl<A> Table<A> {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn find(&self, key: &FlowKey) -> Option<u32> {
        self.map.get(&TableKey::from_key(key).0).copied()
    }

    pub(crate) fn get_mut(&mut self, idx: u32) -> Option<&mut Entry<A>> {
        self.slots.get_mut(usize::try_from(idx).ok()?)?.as_mut()
    }

    pub(crate) fn get(&self, idx: u32) -> Option<&Entry<A>> {
        self.slots.get(usize::try_from(idx).ok()?)?.as_ref()
    }

    /// Inserts a new flow; the caller links it into an LRU list.
    pub(crate) fn insert(&mut self, e: Entry<A>) -> u32 {
        let tk = TableKey::from_key(&e.meta.key).0;
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
        self.map.insert(tk, idx);
        idx
    }

    /// Removes a flow from the index, the slab and its LRU list.
    pub(crate) fn remove(&mut self, idx: u32) -> Option<Entry<A>> {
        let e = self.slots.get_mut(usize::try_from(idx).ok()?)?.take()?;
        self.map.remove(&TableKey::from_key(&e.meta.key).0);
        self.lru.remove(idx);
        self.free.push(idx);
        Some(e)
    }

    /// Indices of all live flows (for `finish`).
    pub(crate) fn live(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.map.values().copied().collect();
        v.sort_unstable();
        v
    }

    /// Size of one slab slot plus its index entry.
    pub(crate) fn entry_size() -> usize {
        core::mem::size_of::<Option<Entry<A>>>() + core::mem::size_of::<(TableKey, u32)>()
    }
}
