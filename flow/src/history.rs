//! Zeek-style connection history letters, stored inline (no allocation per flow).

use crate::packet::Dir;

/// Maximum history letters kept. Zeek's histories are rarely longer than ~20 letters
/// (each letter is logged once per direction, repeats only at 1, 10, 100, ...); letters
/// past the cap are dropped.
const HIST_CAP: usize = 24;

/// The letters Zeek uses, in the order of their bit in `History::seen`.
const LETTERS: &[u8; 13] = b"SHADFRCGTIQW^";

/// A flow's history string, upper case for the originator and lower case for the responder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct History {
    buf: [u8; HIST_CAP],
    len: u8,
    /// Bit `i` (originator) / `13 + i` (responder) set once `LETTERS[i]` was logged.
    seen: u32,
}

fn bit(dir: Dir, letter: u8) -> u32 {
    let i = LETTERS.iter().position(|&l| l == letter).unwrap_or(0);
    let i = u32::try_from(i).unwrap_or(0);
    1 << (i + if dir == Dir::Orig { 0 } else { 13 })
}

impl History {
    fn push(&mut self, c: u8) {
        if let Some(slot) = self.buf.get_mut(usize::from(self.len)) {
            *slot = c;
            self.len += 1;
        }
    }

    fn letter(dir: Dir, letter: u8) -> u8 {
        match dir {
            Dir::Orig => letter,
            Dir::Resp => letter.to_ascii_lowercase(),
        }
    }

    /// Logs `letter` (upper-case form) for `dir` the first time it happens.
    pub(crate) fn add(&mut self, dir: Dir, letter: u8) {
        let b = bit(dir, letter);
        if self.seen & b == 0 {
            self.seen |= b;
            self.push(Self::letter(dir, letter));
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
            self.push(Self::letter(dir, letter));
        }
    }

    /// Logs the `^` (roles flipped) marker.
    pub(crate) fn flipped(&mut self) {
        self.add(Dir::Orig, b'^');
    }

    /// True if `dir` logged `letter`.
    #[cfg(test)]
    pub(crate) fn has(&self, dir: Dir, letter: u8) -> bool {
        self.seen & bit(dir, letter) != 0
    }

    /// The letters as text.
    pub(crate) fn as_str(&self) -> &str {
        let b = self.buf.get(..usize::from(self.len)).unwrap_or(&[]);
        core::str::from_utf8(b).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(h.as_str(), "^Shttt");
        assert!(h.has(Dir::Resp, b'H'));
        assert!(!h.has(Dir::Orig, b'H'));
    }

    #[test]
    fn capped() {
        let mut h = History::default();
        for n in 1..=u32::from(u16::MAX) {
            h.add_scaled(Dir::Orig, b'T', n % 11);
        }
        assert!(h.as_str().len() <= HIST_CAP);
    }
}
