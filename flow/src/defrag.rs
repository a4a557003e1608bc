//! IPv4 and IPv6 fragment reassembly (the slow path: it copies), bounded in bytes, time
//! and fragments per datagram.
//!
//! Overlapping fragments are resolved first-wins and reported (`ip_fragment_overlap`):
//! overlaps are a classic IDS evasion, so the anomaly matters more than the policy.

use std::collections::{HashMap, VecDeque};

use core::net::IpAddr;

use crate::config::FlowConfig;
use crate::parse::FragInfo;
use crate::stats::FlowStats;

/// Largest datagram we rebuild: the 16-bit IP length limit (jumbograms are not fragmented).
const MAX_DATAGRAM: u32 = 65_535;
/// Fragments per datagram before we give up; real fragmentation of a 64 KiB datagram over a
/// 576-byte MTU needs ~120, attacks use thousands of tiny ones.
const MAX_FRAGS_PER_DATAGRAM: u16 = 128;

/// Identifies one datagram being reassembled (RFC 791: src, dst, protocol, id; RFC 8200:
/// src, dst, id), plus the VLAN so that overlapping address spaces stay apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct DefragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    /// IPv4 protocol; 0 for IPv6 (its key has no protocol).
    pub proto: u8,
    pub vlan: Option<u16>,
}

#[derive(Debug)]
struct Pending {
    buf: Vec<u8>,
    /// Sorted, merged byte ranges of `buf` received so far.
    covered: Vec<(u32, u32)>,
    total: Option<u32>,
    frags: u16,
    first_us: i64,
    l2_bytes: u64,
    /// Header length and upper protocol taken from the offset-0 fragment.
    hdr_len: u32,
    proto: u8,
}

/// A datagram rebuilt from its fragments.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reassembled {
    /// The transport bytes (for IPv6: everything after the fragment header).
    pub payload: Vec<u8>,
    /// Sum of the fragments' frame lengths.
    pub l2_bytes: u64,
    /// IP header length of the first fragment (IPv6: without the fragment header).
    pub hdr_len: u32,
    /// Upper-layer protocol from the first fragment.
    pub proto: u8,
}

/// Outcome of adding a fragment.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FragOutcome {
    /// Held; the datagram is not complete yet.
    Held,
    /// The datagram is complete.
    Complete(Reassembled),
    /// The fragment (or its whole datagram) was dropped; the `weird` name says why.
    Dropped(&'static str),
}

/// One fragment as passed to [`Defrag::add`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fragment<'a> {
    pub key: DefragKey,
    pub info: FragInfo,
    pub data: &'a [u8],
    pub hdr_len: u32,
    pub proto: u8,
    pub l2_len: u64,
    pub ts_us: i64,
}

/// Pending datagrams of one shard.
#[derive(Debug, Default)]
pub(crate) struct Defrag {
    map: HashMap<DefragKey, Pending>,
    /// Datagrams in arrival order of their first fragment, for timeouts and cap eviction.
    order: VecDeque<(i64, DefragKey)>,
    used: usize,
    /// True when the last `add` saw an overlap.
    pub overlapped: bool,
}

impl Defrag {
    /// Bytes held in reassembly buffers.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used
    }

    fn drop_entry(&mut self, key: &DefragKey, stats: &mut FlowStats) {
        if let Some(p) = self.map.remove(key) {
            self.used = self.used.saturating_sub(p.buf.len());
            stats.frags_dropped = stats.frags_dropped.saturating_add(u64::from(p.frags));
        }
    }

    /// Drops datagrams whose first fragment is older than the timeout.
    pub(crate) fn expire(&mut self, now_us: i64, cfg: &FlowConfig, stats: &mut FlowStats) {
        let timeout = i64::try_from(cfg.frag_timeout_ms.saturating_mul(1000)).unwrap_or(i64::MAX);
        while let Some(&(t, k)) = self.order.front() {
            if t.saturating_add(timeout) > now_us {
                break;
            }
            self.order.pop_front();
            if self.map.get(&k).is_some_and(|p| p.first_us == t) {
                self.drop_entry(&k, stats);
            }
        }
    }

    /// Drops everything (end of input).
    pub(crate) fn clear(&mut self, stats: &mut FlowStats) {
        let keys: Vec<DefragKey> = self.map.keys().copied().collect();
        for k in keys {
            self.drop_entry(&k, stats);
        }
        self.order.clear();
    }

    /// Adds one fragment.
    pub(crate) fn add(
        &mut self,
        f: Fragment<'_>,
        cfg: &FlowConfig,
        stats: &mut FlowStats,
    ) -> FragOutcome {
        self.overlapped = false;
        let len = u32::try_from(f.data.len()).unwrap_or(u32::MAX);
        let start = f.info.offset;
        let end = start.saturating_add(len);
        if end > MAX_DATAGRAM {
            stats.frags_dropped += 1;
            return FragOutcome::Dropped("excessively_large_fragment");
        }
        let grow = {
            let cur = self.map.get(&f.key).map(|p| p.buf.len()).unwrap_or(0);
            usize::try_from(end)
                .unwrap_or(usize::MAX)
                .saturating_sub(cur)
        };
        // Make room under the global cap by dropping the oldest datagrams.
        while self.used.saturating_add(grow) > cfg.max_frag_bytes {
            let Some((t, k)) = self.order.pop_front() else {
                break;
            };
            if k == f.key {
                self.order.push_front((t, k));
                break;
            }
            if self.map.get(&k).is_some_and(|p| p.first_us == t) {
                self.drop_entry(&k, stats);
            }
        }
        if self.used.saturating_add(grow) > cfg.max_frag_bytes {
            stats.frags_dropped += 1;
            return FragOutcome::Dropped("ip_fragment_buffer_limit");
        }
        let is_new = !self.map.contains_key(&f.key);
        let p = self.map.entry(f.key).or_insert_with(|| Pending {
            buf: Vec::new(),
            covered: Vec::new(),
            total: None,
            frags: 0,
            first_us: f.ts_us,
            l2_bytes: 0,
            hdr_len: f.hdr_len,
            proto: f.proto,
        });
        if is_new {
            self.order.push_back((f.ts_us, f.key));
        }
        p.frags = p.frags.saturating_add(1);
        p.l2_bytes = p.l2_bytes.saturating_add(f.l2_len);
        if p.frags > MAX_FRAGS_PER_DATAGRAM {
            self.drop_entry(&f.key, stats);
            return FragOutcome::Dropped("ip_fragment_limit");
        }
        if start == 0 {
            p.hdr_len = f.hdr_len;
            p.proto = f.proto;
        }
        if !f.info.more {
            match p.total {
                Some(t) if t != end => {
                    self.drop_entry(&f.key, stats);
                    return FragOutcome::Dropped("ip_fragment_size_inconsistency");
                }
                _ => p.total = Some(end),
            }
        }
        let new_len = usize::try_from(end).unwrap_or(usize::MAX);
        if p.buf.len() < new_len {
            self.used = self.used.saturating_add(new_len - p.buf.len());
            p.buf.resize(new_len, 0);
        }
        // Copy only the uncovered parts (first data wins).
        let mut pos = start;
        let mut overlap = false;
        let mut pieces: [(u32, u32); 2] = [(0, 0); 2];
        let mut extra: Vec<(u32, u32)> = Vec::new();
        let mut n = 0usize;
        for &(a, b) in &p.covered {
            if b <= pos || a >= end {
                continue;
            }
            overlap = true;
            if a > pos {
                if let Some(slot) = pieces.get_mut(n) {
                    *slot = (pos, a);
                    n += 1;
                } else {
                    extra.push((pos, a));
                }
            }
            pos = pos.max(b);
        }
        if pos < end {
            if let Some(slot) = pieces.get_mut(n) {
                *slot = (pos, end);
                n += 1;
            } else {
                extra.push((pos, end));
            }
        }
        for &(a, b) in pieces.iter().take(n).chain(extra.iter()) {
            let src = f.data.get(
                usize::try_from(a - start).unwrap_or(0)..usize::try_from(b - start).unwrap_or(0),
            );
            let dst = p
                .buf
                .get_mut(usize::try_from(a).unwrap_or(0)..usize::try_from(b).unwrap_or(0));
            if let (Some(s), Some(d)) = (src, dst) {
                d.copy_from_slice(s);
            }
        }
        if overlap {
            self.overlapped = true;
            stats.frag_overlaps += 1;
        }
        insert_range(&mut p.covered, start, end);
        let complete = p
            .total
            .is_some_and(|t| p.covered.first() == Some(&(0, t)) && p.covered.len() == 1);
        if !complete {
            return FragOutcome::Held;
        }
        let Some(p) = self.map.remove(&f.key) else {
            return FragOutcome::Held;
        };
        self.used = self.used.saturating_sub(p.buf.len());
        stats.frags_reassembled += 1;
        FragOutcome::Complete(Reassembled {
            payload: p.buf,
            l2_bytes: p.l2_bytes,
            hdr_len: p.hdr_len,
            proto: p.proto,
        })
    }
}

/// Inserts `[a, b)` into sorted, merged `ranges`.
fn insert_range(ranges: &mut Vec<(u32, u32)>, a: u32, b: u32) {
    if a >= b {
        return;
    }
    let (mut a, mut b) = (a, b);
    ranges.retain(|&(x, y)| {
        if y < a || x > b {
            true
        } else {
            a = a.min(x);
            b = b.max(y);
            false
        }
    });
    let at = ranges.partition_point(|&(x, _)| x < a);
    ranges.insert(at, (a, b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn frag(offset: u32, more: bool, data: &[u8]) -> Fragment<'_> {
        Fragment {
            key: DefragKey {
                src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
                dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
                id: 7,
                proto: 17,
                vlan: None,
            },
            info: FragInfo {
                id: 7,
                offset,
                more,
            },
            data,
            hdr_len: 20,
            proto: 17,
            l2_len: 100,
            ts_us: 1,
        }
    }

    #[test]
    fn in_order_and_out_of_order() {
        let cfg = FlowConfig::default();
        let mut st = FlowStats::default();
        let mut d = Defrag::default();
        assert_eq!(
            d.add(frag(0, true, &[1; 8]), &cfg, &mut st),
            FragOutcome::Held
        );
        let FragOutcome::Complete(r) = d.add(frag(8, false, &[2; 4]), &cfg, &mut st) else {
            panic!()
        };
        assert_eq!(r.payload, [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
        assert_eq!(r.l2_bytes, 200);
        assert_eq!(d.used(), 0);

        assert_eq!(
            d.add(frag(16, false, &[3; 2]), &cfg, &mut st),
            FragOutcome::Held
        );
        assert_eq!(
            d.add(frag(8, true, &[2; 8]), &cfg, &mut st),
            FragOutcome::Held
        );
        let FragOutcome::Complete(r) = d.add(frag(0, true, &[1; 8]), &cfg, &mut st) else {
            panic!()
        };
        assert_eq!(r.payload.len(), 18);
        assert_eq!(st.frags_reassembled, 2);
    }

    #[test]
    fn overlap_first_wins() {
        let cfg = FlowConfig::default();
        let mut st = FlowStats::default();
        let mut d = Defrag::default();
        assert_eq!(
            d.add(frag(8, true, &[2; 8]), &cfg, &mut st),
            FragOutcome::Held
        );
        assert_eq!(
            d.add(frag(0, true, &[1; 24]), &cfg, &mut st),
            FragOutcome::Held
        );
        assert!(d.overlapped);
        let FragOutcome::Complete(r) = d.add(frag(24, false, &[3; 1]), &cfg, &mut st) else {
            panic!()
        };
        let mut want = vec![1u8; 8];
        want.extend([2u8; 8]);
        want.extend([1u8; 8]);
        want.push(3);
        assert_eq!(r.payload, want);
        assert_eq!(st.frag_overlaps, 1);
    }

    #[test]
    fn byte_cap_and_timeout() {
        let cfg = FlowConfig {
            max_frag_bytes: 16,
            ..FlowConfig::default()
        };
        let mut st = FlowStats::default();
        let mut d = Defrag::default();
        assert_eq!(
            d.add(frag(0, true, &[1; 8]), &cfg, &mut st),
            FragOutcome::Held
        );
        assert_eq!(
            d.add(frag(64, true, &[1; 8]), &cfg, &mut st),
            FragOutcome::Dropped("ip_fragment_buffer_limit")
        );
        assert!(d.used() <= 16);
        d.expire(1 + 30_000_000, &cfg, &mut st);
        assert_eq!(d.used(), 0);
        assert!(st.frags_dropped >= 2);
        assert_eq!(
            d.add(frag(65_530, false, &[0; 8]), &cfg, &mut st),
            FragOutcome::Dropped("excessively_large_fragment")
        );
    }
}
