//! Zeek-style connection history letters, packed inline (no allocation per flow).
//!
//! Each letter is a 5-bit code (1..=26; 0 ends the string) in one `u128` kept as two `u64`
//! halves, so the whole history takes 16 bytes of the flow entry. Whether a letter was
//! already logged is found by scanning the (short) string instead of keeping a bit set: the
//! letters `add` logs once and the ones `add_scaled` repeats are disjoint, so the scan gives
//! the same answer a bit set would.

use crate::packet::Dir;

/// Maximum history letters kept: 25 five-bit codes fill 125 of the 128 bits. Zeek's
/// histories are rarely longer than ~20 letters (each letter is logged once per direction,
/// repeats only at 1, 10, 100, ...); letters past the cap are dropped.
pub(crate) const HIST_CAP: usize = 25;

/// The letters Zeek uses; a letter's code is its index + 1 (originator) or + 14 (responder).
const LETTERS: &[u8; 13] = b"SHADFRCGTIQW^";

/// Bits per letter code.
const CODE_BITS: u32 = 5;

/// A flow's history string, upper case for the originator and lower case for the responder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct History {
    /// Low and high halves of the packed codes (letter `i` at bits `5i..5i+5`).
    packed: [u64; 2],
}

fn code(dir: Dir, letter: u8) -> u128 {
    let i = LETTERS.iter().position(|&l| l == letter).unwrap_or(0);
    let i = u128::try_from(i).unwrap_or(0);
    match dir {
        Dir::Orig => i + 1,
        Dir::Resp => i + 14,
    }
}

fn char_of(code: u128) -> u8 {
    let i = usize::try_from(code).unwrap_or(0);
    match i {
        1..=13 => LETTERS.get(i - 1).copied().unwrap_or(b'?'),
        14..=26 => LETTERS
            .get(i - 14)
            .copied()
            .unwrap_or(b'?')
            .to_ascii_lowercase(),
        _ => b'?',
    }
}

impl History {
    fn bits(&self) -> u128 {
        let [lo, hi] = self.packed;
        u128::from(lo) | (u128::from(hi) << 64)
    }

    fn set_bits(&mut self, v: u128) {
        // Truncation intended: splitting the u128 into its halves.
        self.packed = [v as u64, (v >> 64) as u64];
    }

    /// Number of letters logged.
    pub(crate) fn len(&self) -> usize {
        // Codes are non-zero and contiguous, so the highest set bit gives the length.
        let used = 128 - self.bits().leading_zeros();
        usize::try_from(used.div_ceil(CODE_BITS)).unwrap_or(HIST_CAP)
    }

    fn code_at(bits: u128, i: usize) -> u128 {
        let shift = u32::try_from(i).unwrap_or(0) * CODE_BITS;
        bits.checked_shr(shift).unwrap_or(0) & 0x1f
    }

    fn push(&mut self, c: u128) {
        let len = self.len();
        if len < HIST_CAP {
            let shift = u32::try_from(len).unwrap_or(0) * CODE_BITS;
            self.set_bits(self.bits() | (c << shift));
        }
    }

    fn contains(&self, c: u128) -> bool {
        let bits = self.bits();
        (0..self.len()).any(|i| Self::code_at(bits, i) == c)
    }

    /// Logs `letter` (upper-case form) for `dir` the first time it happens.
    pub(crate) fn add(&mut self, dir: Dir, letter: u8) {
        let c = code(dir, letter);
        if !self.contains(c) {
            self.push(c);
        }
    }

    /// Logs a repeating event (`T`, `G`, `W`, `C`) whose running count is now `count`:
    /// Zeek logs it at counts 1, 10, 100, ...
    pub(crate) fn add_scaled(&mut self, dir: Dir, letter: u8, count: u32) {
        let mut t = 1u32;
        while t < count {
            t = t.saturating_mul(10);
        }
        if t == count {
            self.push(code(dir, letter));
        }
    }

    /// Logs the `^` (roles flipped) marker.
    pub(crate) fn flipped(&mut self) {
        self.add(Dir::Orig, b'^');
    }

    /// True if `dir` logged `letter`.
    #[cfg(test)]
    pub(crate) fn has(&self, dir: Dir, letter: u8) -> bool {
        self.contains(code(dir, letter))
    }

    /// The letters as text, written into `buf`.
    pub(crate) fn render<'b>(&self, buf: &'b mut [u8; HIST_CAP]) -> &'b str {
        let bits = self.bits();
        let len = self.len();
        for (i, slot) in buf.iter_mut().enumerate().take(len) {
            *slot = char_of(Self::code_at(bits, i));
        }
        let b = buf.get(..len).unwrap_or(&[]);
        core::str::from_utf8(b).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(h: &History) -> String {
        let mut buf = [0; HIST_CAP];
        h.render(&mut buf).to_string()
    }

    #[test]
    fn letters_once_and_scaled() {
        let mut h = History::default();
        h.flipped();
        h.add(Dir::Orig, b'S');
        h.add(Dir::Orig, b'S');
        h.add(Dir::Resp, b'H');
        for n in 1..=100 {
            h.add_scaled(Dir::Resp, b'T', n);
        }
        assert_eq!(text(&h), "^Shttt");
        assert!(h.has(Dir::Resp, b'H'));
        assert!(!h.has(Dir::Orig, b'H'));
    }

    #[test]
    fn every_letter_round_trips() {
        let mut h = History::default();
        for &l in LETTERS.iter().take(12) {
            h.add(Dir::Orig, l);
            h.add(Dir::Resp, l);
        }
        h.add(Dir::Orig, b'^');
        assert_eq!(text(&h), "SsHhAaDdFfRrCcGgTtIiQqWw^");
        assert_eq!(h.len(), HIST_CAP);
    }

    #[test]
    fn capped() {
        let mut h = History::default();
        for n in 1..=u32::from(u16::MAX) {
            h.add_scaled(Dir::Orig, b'T', n % 11);
        }
        assert_eq!(h.len(), HIST_CAP);
        assert_eq!(text(&h), "T".repeat(HIST_CAP));
    }
}
