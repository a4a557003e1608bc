//! Long-header packets (RFC 9000 section 17.2) and Initial packet unprotection.

use super::keys::{Keys, Version};

/// Connection IDs are at most 20 bytes in QUIC v1 and v2 (RFC 9000 section 17.2).
pub(crate) const MAX_CID_LEN: usize = 20;

/// What the first packet of `d` is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Header<'a> {
    /// A long-header packet of a supported version with a Length field.
    Long(LongHeader<'a>),
    /// Short header (1-RTT), Retry or Version Negotiation: opaque to the end of the datagram.
    Opaque,
    /// Long header of a version we cannot read.
    UnknownVersion(u32),
}

/// A parsed long header, offsets relative to the packet start.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LongHeader<'a> {
    /// The packet's version.
    pub version: Version,
    /// Whether this is an Initial packet.
    pub initial: bool,
    /// Destination Connection ID.
    pub dcid: &'a [u8],
    /// Offset of the (protected) packet number.
    pub pn_offset: usize,
    /// Length of the whole packet (the next coalesced packet starts here).
    pub len: usize,
}

/// A QUIC variable-length integer (RFC 9000 section 16) at `*pos`, advancing it.
pub(crate) fn varint(d: &[u8], pos: &mut usize) -> Option<u64> {
    let first = *d.get(*pos)?;
    let n = 1usize << (first >> 6);
    let bytes = d.get(*pos..pos.checked_add(n)?)?;
    let mut v = u64::from(first & 0x3f);
    for b in bytes.iter().skip(1) {
        v = (v << 8) | u64::from(*b);
    }
    *pos += n;
    Some(v)
}

/// Parse the header of the packet at the start of `d`.
///
/// # Errors
///
/// A reason when a long header is cut short or its lengths are impossible.
pub(crate) fn parse_header(d: &[u8]) -> Result<Header<'_>, &'static str> {
    let first = *d.first().ok_or("empty packet")?;
    if first & 0x80 == 0 {
        return Ok(Header::Opaque);
    }
    let version = d
        .get(1..5)
        .and_then(|v| <[u8; 4]>::try_from(v).ok())
        .map(u32::from_be_bytes)
        .ok_or("long header shorter than its version")?;
    if version == 0 {
        return Ok(Header::Opaque);
    }
    let Some(v) = Version::from_wire(version) else {
        return Ok(Header::UnknownVersion(version));
    };
    let ty = (first >> 4) & 3;
    if ty == v.retry_type() {
        return Ok(Header::Opaque);
    }
    let mut pos = 5;
    let dcid_len = usize::from(*d.get(pos).ok_or("no DCID length")?);
    if dcid_len > MAX_CID_LEN {
        return Err("DCID longer than 20 bytes");
    }
    let dcid = d.get(pos + 1..pos + 1 + dcid_len).ok_or("DCID cut short")?;
    pos += 1 + dcid_len;
    let scid_len = usize::from(*d.get(pos).ok_or("no SCID length")?);
    if scid_len > MAX_CID_LEN {
        return Err("SCID longer than 20 bytes");
    }
    pos += 1 + scid_len;
    let initial = ty == v.initial_type();
    if initial {
        let token_len = varint(d, &mut pos).ok_or("token length cut short")?;
        pos = usize::try_from(token_len)
            .ok()
            .and_then(|t| pos.checked_add(t))
            .ok_or("token too long")?;
    }
    let length = varint(d, &mut pos).ok_or("length cut short")?;
    let len = usize::try_from(length)
        .ok()
        .and_then(|l| pos.checked_add(l))
        .filter(|end| *end <= d.len())
        .ok_or("packet longer than the datagram")?;
    Ok(Header::Long(LongHeader {
        version: v,
        initial,
        dcid,
        pn_offset: pos,
        len,
    }))
}

/// Full packet number from its truncated form (RFC 9000 appendix A.3).
fn decode_pn(largest: Option<u64>, truncated: u64, bits: u32) -> u64 {
    let expected = largest.map_or(0, |l| l.saturating_add(1));
    let win = 1u64 << bits;
    let hwin = win / 2;
    let mask = win - 1;
    let candidate = (expected & !mask) | truncated;
    if candidate.saturating_add(hwin) <= expected && candidate < (1 << 62) - win {
        candidate + win
    } else if candidate > expected.saturating_add(hwin) && candidate >= win {
        candidate - win
    } else {
        candidate
    }
}

/// Remove header protection from `pkt` (exactly one packet) and decrypt its
/// payload. Returns the packet number and the plaintext frames.
///
/// # Errors
///
/// A reason when the packet is too short to sample or does not authenticate.
pub(crate) fn open_packet(
    keys: &Keys,
    hdr: &LongHeader<'_>,
    pkt: &[u8],
    largest_pn: Option<u64>,
) -> Result<(u64, Vec<u8>), &'static str> {
    let pn_offset = hdr.pn_offset;
    let sample: [u8; 16] = pkt
        .get(pn_offset + 4..pn_offset + 20)
        .and_then(|s| s.try_into().ok())
        .ok_or("packet too short for the header-protection sample")?;
    let mask = keys.mask(&sample);
    let mut buf = pkt.to_vec();
    let first = buf.first_mut().ok_or("empty packet")?;
    *first ^= mask[0] & 0x0f;
    let pn_len = usize::from(*first & 3) + 1;
    let mut truncated = 0u64;
    for i in 0..pn_len {
        let b = buf
            .get_mut(pn_offset + i)
            .ok_or("packet number cut short")?;
        *b ^= mask[1 + i];
        truncated = (truncated << 8) | u64::from(*b);
    }
    // pn_len <= 4, so the shift fits.
    let pn = decode_pn(largest_pn, truncated, (pn_len * 8) as u32);
    let header_len = pn_offset + pn_len;
    let (aad, payload) = buf.split_at_mut(header_len);
    if !keys.open(pn, aad, payload) {
        return Err("Initial packet does not authenticate");
    }
    let plain_len = payload.len() - 16;
    let mut plain = payload.to_vec();
    plain.truncate(plain_len);
    Ok((pn, plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_rfc9000_a1() {
        let cases: [(&[u8], u64); 4] = [
            (
                &[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c],
                151_288_809_941_952_652,
            ),
            (&[0x9d, 0x7f, 0x3e, 0x7d], 494_878_333),
            (&[0x7b, 0xbd], 15_293),
            (&[0x25], 37),
        ];
        for (bytes, want) in cases {
            let mut pos = 0;
            assert_eq!(varint(bytes, &mut pos), Some(want));
            assert_eq!(pos, bytes.len());
        }
        let mut pos = 0;
        assert_eq!(varint(&[0x40], &mut pos), None);
    }

    #[test]
    fn packet_number_rfc9000_a3() {
        assert_eq!(decode_pn(Some(0xa82f30ea), 0x9b32, 16), 0xa82f9b32);
        assert_eq!(decode_pn(None, 2, 32), 2);
    }
}
