//! Out-of-order segment buffer of one TCP direction (the slow path: it copies).
//!
//! Allocated only when a segment arrives ahead of the next expected byte. Overlaps are
//! resolved first-wins: bytes already buffered are never replaced, as most IDSs do for the
//! common case (Suricata's default "first" policy on most OSes, Zeek's reassembler).

use std::collections::BTreeMap;

/// Buffered segments keyed by relative stream position, never overlapping.
#[derive(Debug, Default)]
pub(crate) struct OooBuf {
    segs: BTreeMap<u64, Vec<u8>>,
    bytes: usize,
}

impl OooBuf {
    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.segs.is_empty()
    }

    /// Start of the first buffered segment.
    pub(crate) fn first_start(&self) -> Option<u64> {
        self.segs.keys().next().copied()
    }

    /// One past the last buffered byte (0 when empty).
    pub(crate) fn end(&self) -> u64 {
        self.segs
            .iter()
            .next_back()
            .map(|(s, d)| s.saturating_add(u64::try_from(d.len()).unwrap_or(0)))
            .unwrap_or(0)
    }

    /// Removes and returns the first segment if it starts at or before `pos`.
    pub(crate) fn pop_first_if(&mut self, pos: u64) -> Option<(u64, Vec<u8>)> {
        let (&s, _) = self.segs.iter().next()?;
        if s > pos {
            return None;
        }
        let (s, d) = self.segs.pop_first()?;
        self.bytes = self.bytes.saturating_sub(d.len());
        Some((s, d))
    }

    /// Adds the parts of `data` (at position `start`) not already buffered.
    ///
    /// Returns the bytes added, or `Err(())` without changing anything when they would
    /// exceed `per_dir_cap` for this buffer or `global_left` for the shard.
    pub(crate) fn insert(
        &mut self,
        start: u64,
        data: &[u8],
        per_dir_cap: usize,
        global_left: usize,
    ) -> Result<usize, ()> {
        let end = start.saturating_add(u64::try_from(data.len()).unwrap_or(0));
        // Collect the uncovered pieces first (no more than one per existing segment + 1).
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut s = start;
        if let Some((&ps, pd)) = self.segs.range(..=s).next_back() {
            s = s.max(ps.saturating_add(u64::try_from(pd.len()).unwrap_or(0)));
        }
        for (&bs, bd) in self.segs.range(s..) {
            if s >= end {
                break;
            }
            if bs >= end {
                break;
            }
            if bs > s {
                pieces.push((s, bs));
            }
            s = s.max(bs.saturating_add(u64::try_from(bd.len()).unwrap_or(0)));
        }
        if s < end {
            pieces.push((s, end));
        }
        let added: u64 = pieces.iter().map(|(a, b)| b - a).sum();
        let added = usize::try_from(added).map_err(|_| ())?;
        if self.bytes.saturating_add(added) > per_dir_cap || added > global_left {
            return Err(());
        }
        for (a, b) in pieces {
            let from = usize::try_from(a - start).map_err(|_| ())?;
            let to = usize::try_from(b - start).map_err(|_| ())?;
            if let Some(part) = data.get(from..to) {
                self.segs.insert(a, part.to_vec());
            }
        }
        self.bytes = self.bytes.saturating_add(added);
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_wins_overlaps() {
        let mut b = OooBuf::default();
        assert_eq!(b.insert(10, b"abcde", 100, 100), Ok(5));
        // Overlaps both ends of the existing segment: only the uncovered parts are kept.
        assert_eq!(b.insert(8, b"XXYYYYYZZ", 100, 100), Ok(4));
        assert_eq!(b.bytes(), 9);
        let mut out = Vec::new();
        while let Some((s, d)) = b.pop_first_if(u64::MAX) {
            out.push((s, d));
        }
        assert_eq!(
            out,
            vec![
                (8, b"XX".to_vec()),
                (10, b"abcde".to_vec()),
                (15, b"ZZ".to_vec())
            ]
        );
    }

    #[test]
    fn caps_reject_without_change() {
        let mut b = OooBuf::default();
        assert_eq!(b.insert(1, b"abcd", 5, 100), Ok(4));
        assert_eq!(b.insert(10, b"ef", 5, 100), Err(()));
        assert_eq!(b.insert(10, b"e", 5, 0), Err(()));
        assert_eq!(b.insert(10, b"e", 5, 1), Ok(1));
        assert_eq!(b.end(), 11);
        assert_eq!(b.pop_first_if(0), None);
    }
}
