//! Deterministic Zeek-style file ids.

/// Number of base62 digits after the `F`: Zeek's fuids are `F` + up to 17 characters.
const FUID_DIGITS: usize = 17;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Generator of file ids for one flow: `F` + base62 of a hash of
/// `(seed, counter)`.
///
/// The caller derives `seed` from something stable (the flow's uid, or its
/// 5-tuple and start time), so a rerun over the same capture gives the same
/// fuids; the counter numbers the files of the flow in order.
#[derive(Clone, Debug)]
pub struct FuidGen {
    seed: u64,
    counter: u64,
}

impl FuidGen {
    /// A generator for the flow identified by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { seed, counter: 0 }
    }

    /// The next file id of this flow.
    pub fn next_fuid(&mut self) -> String {
        self.counter = self.counter.wrapping_add(1);
        let hi = splitmix64(self.seed ^ splitmix64(self.counter));
        let lo = splitmix64(hi ^ self.counter.rotate_left(32));
        let mut n = (u128::from(hi) << 64) | u128::from(lo);
        let mut digits = [b'0'; FUID_DIGITS];
        for d in digits.iter_mut().rev() {
            // `n % 62` is below 62, so the index is in bounds.
            *d = BASE62[usize::try_from(n % 62).unwrap_or(0)];
            n /= 62;
        }
        let mut s = String::with_capacity(1 + FUID_DIGITS);
        s.push('F');
        s.extend(digits.iter().map(|&b| char::from(b)));
        s
    }

    /// How many ids were handed out.
    pub fn count(&self) -> u64 {
        self.counter
    }
}

/// SplitMix64 finaliser (Steele, Lea, Flood 2014): a cheap, well-mixed bijection.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuids_are_deterministic_and_distinct() {
        let mut a = FuidGen::new(42);
        let mut b = FuidGen::new(42);
        let mut c = FuidGen::new(43);
        let x = a.next_fuid();
        assert_eq!(x, b.next_fuid());
        assert_ne!(x, c.next_fuid());
        assert_ne!(x, a.next_fuid());
        assert_eq!(x.len(), 18);
        assert!(x.starts_with('F'));
        assert!(x[1..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(a.count(), 2);
    }
}
