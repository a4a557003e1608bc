//! Minimal classic-pcap reading (seeds) and writing (the generated capture).
//!
//! The reader accepts both byte orders and both microsecond and nanosecond timestamps. It
//! loads the whole file: seeds are small. pcapng is not supported; convert seeds with
//! `editcap -F pcap` first. The writer always produces little-endian, microsecond,
//! Ethernet (link type 1) pcap and streams through a `BufWriter`.

use std::io::Write;
use std::path::Path;

use super::error::{GenError, Result};

/// Link type of Ethernet II frames (LINKTYPE_ETHERNET).
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Snap length written in the output header: 256 KiB, the libpcap default, so no frame
/// we replay is ever reported as truncated.
const SNAPLEN: u32 = 262_144;
/// Size of a pcap record header.
pub const RECORD_HEADER_LEN: u64 = 16;
/// Size of the pcap file header.
pub const FILE_HEADER_LEN: u64 = 24;
/// Largest record we accept from a seed; guards against a corrupt length field.
const MAX_SEED_RECORD: usize = 256 * 1024;

/// One packet read from a seed capture.
#[derive(Debug, Clone)]
pub struct SeedPacket {
    /// Timestamp in microseconds since the epoch.
    pub ts_us: u64,
    /// Length on the wire (may exceed `data.len()` if the seed was truncated by snaplen).
    pub orig_len: u32,
    /// Captured bytes.
    pub data: Vec<u8>,
}

/// Reads every packet of a classic pcap file with Ethernet link type.
///
/// # Errors
/// [`GenError::Io`] if the file cannot be read; [`GenError::BadSeed`] if it is not a classic
/// pcap, has another link type, or a record runs past the end of the file.
pub fn read_seed(path: &Path) -> Result<Vec<SeedPacket>> {
    let buf = std::fs::read(path).map_err(|source| GenError::Io {
        path: path.into(),
        source,
    })?;
    parse_seed(&buf).map_err(|why| GenError::BadSeed {
        path: path.into(),
        why,
    })
}

fn parse_seed(buf: &[u8]) -> std::result::Result<Vec<SeedPacket>, String> {
    let (linktype, packets) = parse_classic(buf)?;
    if linktype != LINKTYPE_ETHERNET {
        return Err(format!(
            "link type {linktype}, only Ethernet (1) is supported"
        ));
    }
    Ok(packets)
}

/// Parses a whole classic pcap of any link type: (link type, packets). The one pcap
/// reader of this crate; the generator and the micro-benchmark fixtures both use it.
///
/// # Errors
/// A description of the problem for pcapng files, unknown magic numbers, records larger
/// than 256 KiB and records that run past the end of the buffer.
pub fn parse_classic(buf: &[u8]) -> std::result::Result<(u32, Vec<SeedPacket>), String> {
    let word = |off: usize, be: bool| -> Option<u32> {
        let b: [u8; 4] = buf.get(off..off.checked_add(4)?)?.try_into().ok()?;
        Some(if be {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let magic = word(0, false).ok_or("shorter than a pcap header")?;
    let (be, nanos) = match magic {
        0xa1b2_c3d4 => (false, false),
        0xa1b2_3c4d => (false, true),
        0xd4c3_b2a1 => (true, false),
        0x4d3c_b2a1 => (true, true),
        0x0a0d_0d0a => return Err("pcapng is not supported; convert with `editcap -F pcap`".into()),
        m => return Err(format!("unknown magic {m:#010x}")),
    };
    // The upper bits of the link-type word carry FCS information (pcap-savefile(5)).
    let linktype = word(20, be).ok_or("truncated header")? & 0x0fff_ffff;
    let mut out = Vec::new();
    let mut off = FILE_HEADER_LEN as usize;
    while off < buf.len() {
        let rec = |i: usize| word(off + i * 4, be).ok_or("truncated record header");
        let (sec, frac, caplen, orig_len) = (rec(0)?, rec(1)?, rec(2)?, rec(3)?);
        let caplen = usize::try_from(caplen).map_err(|_| "record too large")?;
        if caplen > MAX_SEED_RECORD {
            return Err(format!("record of {caplen} bytes at offset {off}"));
        }
        let start = off + RECORD_HEADER_LEN as usize;
        let data = buf
            .get(start..start + caplen)
            .ok_or("record runs past end of file")?;
        let frac_us = if nanos {
            u64::from(frac) / 1000
        } else {
            u64::from(frac)
        };
        out.push(SeedPacket {
            ts_us: u64::from(sec) * 1_000_000 + frac_us,
            orig_len,
            data: data.to_vec(),
        });
        off = start + caplen;
    }
    Ok((linktype, out))
}

/// Streams a classic pcap (little-endian, microseconds, Ethernet) and counts what it wrote.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    last_ts_us: u64,
    /// Packets written so far.
    pub packets: u64,
    /// Sum of frame lengths written so far (what a NIC would have counted).
    pub wire_bytes: u64,
    /// Bytes written so far including file and record headers.
    pub file_bytes: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header.
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn new(mut out: W) -> std::io::Result<Self> {
        let mut h = [0u8; FILE_HEADER_LEN as usize];
        h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        h[20..24].copy_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter {
            out,
            last_ts_us: 0,
            packets: 0,
            wire_bytes: 0,
            file_bytes: FILE_HEADER_LEN,
        })
    }

    /// Writes one frame. Timestamps are forced strictly increasing (a tie or a step back
    /// becomes last + 1 µs) so readers that assume ordered input are happy. Returns the
    /// timestamp actually written.
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn write(&mut self, ts_us: u64, frame: &[u8]) -> std::io::Result<u64> {
        let ts = ts_us.max(self.last_ts_us + 1);
        self.last_ts_us = ts;
        // Frames are at most MTU-sized (built from seeds capped at MAX_SEED_RECORD).
        let len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        let mut h = [0u8; RECORD_HEADER_LEN as usize];
        h[0..4].copy_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
        h[8..12].copy_from_slice(&len.to_le_bytes());
        h[12..16].copy_from_slice(&len.to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(frame)?;
        self.packets += 1;
        self.wire_bytes += frame.len() as u64;
        self.file_bytes += RECORD_HEADER_LEN + frame.len() as u64;
        Ok(ts)
    }

    /// Flushes and returns the inner writer.
    ///
    /// # Errors
    /// Any error of the underlying writer while flushing.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcap_roundtrip_and_monotonic_ts() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        assert_eq!(w.write(5_000_001, &[1, 2, 3]).unwrap(), 5_000_001);
        assert_eq!(w.write(5_000_001, &[4; 60]).unwrap(), 5_000_002);
        assert_eq!(w.write(10, &[5]).unwrap(), 5_000_003);
        let n = w.file_bytes;
        let buf = w.finish().unwrap();
        assert_eq!(buf.len() as u64, n);
        let pkts = parse_seed(&buf).unwrap();
        assert_eq!(pkts.len(), 3);
        assert_eq!(pkts[1].ts_us, 5_000_002);
        assert_eq!(pkts[1].data, vec![4; 60]);
    }

    #[test]
    fn pcap_rejects_truncated_and_unknown() {
        let mut buf = PcapWriter::new(Vec::new()).unwrap().finish().unwrap();
        buf.extend_from_slice(&[0; 16]);
        buf[8 + 24] = 10; // caplen 10 but no data
        assert!(parse_seed(&buf).is_err());
        assert!(parse_seed(&[0; 10]).is_err());
        assert!(parse_seed(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0]).is_err());
    }
}
