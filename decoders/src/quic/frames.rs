//! Frames of decrypted Initial packets and CRYPTO stream reassembly.
//!
//! Initial packets may only carry PADDING, PING, ACK, CRYPTO and
//! CONNECTION_CLOSE (RFC 9000 section 12.4); we stop at anything else.

use super::packet::varint;

/// Bound on the reassembled CRYPTO stream per direction. A ClientHello with
/// post-quantum key shares is under 2 KiB; 64 KiB leaves room for
/// certificate-compression-sized oddities without letting a flow hoard memory.
pub(crate) const MAX_CRYPTO_BYTES: u64 = 64 * 1024;

/// Bound on distinct received ranges (each CRYPTO frame adds at most one).
const MAX_CRYPTO_RANGES: usize = 64;

/// Why a packet's frames stopped being read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// A frame is cut short or malformed.
    Malformed(&'static str),
    /// CRYPTO data beyond [`MAX_CRYPTO_BYTES`] or too fragmented.
    Limit,
}

/// The CRYPTO stream of one direction, reassembled by offset.
#[derive(Debug, Default)]
pub(crate) struct CryptoStream {
    data: Vec<u8>,
    /// Received `[start, end)` ranges, sorted and disjoint.
    ranges: Vec<(u64, u64)>,
}

impl CryptoStream {
    /// Store `bytes` at stream offset `offset` (duplicates and overlaps are fine).
    fn insert(&mut self, offset: u64, bytes: &[u8]) -> Result<(), FrameError> {
        let end = offset
            .checked_add(bytes.len() as u64)
            .filter(|e| *e <= MAX_CRYPTO_BYTES)
            .ok_or(FrameError::Limit)?;
        if bytes.is_empty() {
            return Ok(());
        }
        // Both fit usize: bounded by MAX_CRYPTO_BYTES.
        let (start_us, end_us) = (offset as usize, end as usize);
        if self.data.len() < end_us {
            self.data.resize(end_us, 0);
        }
        if let Some(dst) = self.data.get_mut(start_us..end_us) {
            dst.copy_from_slice(bytes);
        }
        self.ranges.push((offset, end));
        self.ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(self.ranges.len());
        for &(s, e) in &self.ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.ranges = merged;
        if self.ranges.len() > MAX_CRYPTO_RANGES {
            return Err(FrameError::Limit);
        }
        Ok(())
    }

    /// The bytes received contiguously from offset 0.
    pub(crate) fn contiguous(&self) -> &[u8] {
        match self.ranges.first() {
            Some(&(0, end)) => self.data.get(..end as usize).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The first complete handshake message (type, 3-byte length, body), if in.
    pub(crate) fn first_message(&self) -> Option<&[u8]> {
        let c = self.contiguous();
        let [_, a, b, l] = *c.first_chunk::<4>()?;
        let len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(l);
        c.get(..len.checked_add(4)?)
    }

    /// Whether the first handshake message announces more than the bound allows.
    pub(crate) fn first_message_too_large(&self) -> bool {
        let c = self.contiguous();
        c.first_chunk::<4>().is_some_and(|[_, a, b, l]| {
            let len = u64::from(*a) << 16 | u64::from(*b) << 8 | u64::from(*l);
            len + 4 > MAX_CRYPTO_BYTES
        })
    }
}

/// Read the frames of one decrypted Initial packet, feeding CRYPTO data into `crypto`.
///
/// # Errors
///
/// [`FrameError`] when a frame is malformed or the CRYPTO bound is hit; data
/// of the frames before it has been stored.
pub(crate) fn read_frames(plain: &[u8], crypto: &mut CryptoStream) -> Result<(), FrameError> {
    let bad = FrameError::Malformed;
    let mut pos = 0;
    while pos < plain.len() {
        let ty = varint(plain, &mut pos).ok_or(bad("frame type cut short"))?;
        match ty {
            0x00 | 0x01 => {} // PADDING, PING
            0x02 | 0x03 => {
                // ACK: largest, delay, range count, first range, ranges, [ECN counts].
                let mut n = 0;
                let _largest = varint(plain, &mut pos).ok_or(bad("ACK cut short"))?;
                let _delay = varint(plain, &mut pos).ok_or(bad("ACK cut short"))?;
                let count = varint(plain, &mut pos).ok_or(bad("ACK cut short"))?;
                let _first = varint(plain, &mut pos).ok_or(bad("ACK cut short"))?;
                while n < count {
                    varint(plain, &mut pos).ok_or(bad("ACK range cut short"))?;
                    varint(plain, &mut pos).ok_or(bad("ACK range cut short"))?;
                    n += 1;
                }
                if ty == 0x03 {
                    for _ in 0..3 {
                        varint(plain, &mut pos).ok_or(bad("ACK ECN cut short"))?;
                    }
                }
            }
            0x06 => {
                let offset = varint(plain, &mut pos).ok_or(bad("CRYPTO cut short"))?;
                let len = varint(plain, &mut pos).ok_or(bad("CRYPTO cut short"))?;
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|l| pos.checked_add(l))
                    .ok_or(bad("CRYPTO longer than the packet"))?;
                let data = plain
                    .get(pos..end)
                    .ok_or(bad("CRYPTO longer than the packet"))?;
                crypto.insert(offset, data)?;
                pos = end;
            }
            // CONNECTION_CLOSE or a frame not allowed in Initials: nothing more to learn.
            _ => return Ok(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypto_reassembles_out_of_order_and_overlaps() {
        let mut c = CryptoStream::default();
        c.insert(4, b"efgh").unwrap();
        assert_eq!(c.contiguous(), b"");
        c.insert(0, b"\x01\x00\x00").unwrap();
        assert_eq!(c.first_message(), None);
        c.insert(2, b"\x00\x04ef").unwrap();
        assert_eq!(c.contiguous(), b"\x01\x00\x00\x04efgh");
        assert_eq!(c.first_message(), Some(&b"\x01\x00\x00\x04efgh"[..]));
    }

    #[test]
    fn crypto_limits() {
        let mut c = CryptoStream::default();
        assert_eq!(c.insert(MAX_CRYPTO_BYTES, b"x"), Err(FrameError::Limit));
        for i in 0..MAX_CRYPTO_RANGES as u64 {
            c.insert(i * 2, b"x").unwrap();
        }
        assert_eq!(c.insert(1000, b"x"), Err(FrameError::Limit));
    }

    #[test]
    fn frames_padding_ping_ack_crypto() {
        let mut c = CryptoStream::default();
        let plain = [
            0x00, 0x01, 0x02, 0x05, 0x00, 0x01, 0x00, 0x01, 0x02, // PADDING PING ACK(1 range)
            0x06, 0x00, 0x02, 0xaa, 0xbb, // CRYPTO off 0 len 2
            0x00, 0x00,
        ];
        read_frames(&plain, &mut c).unwrap();
        assert_eq!(c.contiguous(), &[0xaa, 0xbb]);
        assert!(read_frames(&[0x06, 0x00, 0x05, 0x01], &mut c).is_err());
    }
}
