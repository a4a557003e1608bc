//! Inputs shared by the criterion micro-benchmarks in `benches/benches/`.
//!
//! - [`real_frames`]: every frame of the vendored captures (`testdata/corpus/` plus the seeds
//!   in `testdata/bench/` that the corpus does not already hold), any link type.
//! - [`dns_payload`] / [`dns_payload_names`]: the raw DNS messages and TCP streams in
//!   `testdata/decoders/dns/`.
//! - [`udp_frame`] / [`tcp_frame`]: synthetic Ethernet/IPv4 frames with correct lengths and
//!   checksums, for flow-table and reassembly workloads.
//! - [`tracker`] and [`CountingHandler`]: a default flow-table shard and a [`FlowHandler`]
//!   that only counts what it is given.
//!
//! Everything here runs before the timed loops, so it favours clarity over speed and panics
//! (with the offending path) when the test data is missing or unreadable.

use std::path::{Path, PathBuf};

use flow::{
    Chunk, Dir, FlowConfig, FlowHandler, FlowMeta, FlowRecord, FlowTracker, Interest, LinkType,
    Packet,
};

use crate::gen::packet::{fix_checksums, set_lengths, Layout, ETH_LEN, PROTO_TCP, PROTO_UDP};

/// `testdata/` of the workspace.
pub fn testdata_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// One captured frame with its link type, owned so it can outlive the file buffer.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Link type of the capture the frame came from.
    pub link: LinkType,
    /// Capture timestamp, microseconds since the epoch.
    pub ts_us: i64,
    /// Length on the wire.
    pub wire_len: u32,
    /// Captured bytes, from the link-layer header on.
    pub data: Vec<u8>,
}

impl Frame {
    /// The frame as the flow crate takes it.
    pub fn packet(&self) -> Packet<'_> {
        Packet {
            ts_us: self.ts_us,
            wire_len: self.wire_len,
            data: &self.data,
        }
    }
}

/// Reads a classic pcap (either byte order, micro- or nanosecond timestamps, any link
/// type) through the generator's reader, keeping raw-IP, Linux cooked and loopback
/// captures that the generator itself (Ethernet only) refuses.
///
/// # Errors
/// A description of the problem for pcapng files, unknown magic numbers and records that run
/// past the end of the buffer.
pub fn parse_pcap(buf: &[u8]) -> Result<Vec<Frame>, String> {
    let (link, packets) = crate::gen::pcap::parse_classic(buf)?;
    Ok(packets
        .into_iter()
        .map(|p| Frame {
            link: LinkType(link),
            ts_us: i64::try_from(p.ts_us).unwrap_or(i64::MAX),
            wire_len: p.orig_len,
            data: p.data,
        })
        .collect())
}

/// Every frame of `testdata/corpus/*.pcap` followed by the `testdata/bench/*.pcap` seeds
/// whose file name is not also in the corpus, files in name order, frames in file order.
/// pcapng files are skipped.
///
/// # Panics
/// When a directory cannot be listed or a file cannot be read.
pub fn real_frames() -> Vec<Frame> {
    let root = testdata_dir();
    let mut corpus = pcap_files(&root.join("corpus"));
    let names: Vec<_> = corpus.iter().filter_map(|p| p.file_name()).collect();
    let extra: Vec<_> = pcap_files(&root.join("bench"))
        .into_iter()
        .filter(|p| !p.file_name().is_some_and(|n| names.contains(&n)))
        .collect();
    corpus.extend(extra);
    let mut frames = Vec::new();
    for path in corpus {
        let buf = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Ok(f) = parse_pcap(&buf) {
            frames.extend(f);
        }
    }
    frames
}

/// The `*.pcap` files of `dir`, sorted by name.
fn pcap_files(dir: &Path) -> Vec<PathBuf> {
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    v.sort();
    v
}

/// Names (without `.bin`) of the files in `testdata/decoders/dns/`, sorted.
///
/// # Panics
/// When the directory cannot be listed.
pub fn dns_payload_names() -> Vec<String> {
    let dir = testdata_dir().join("decoders/dns");
    let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut v: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".bin"))
                .map(str::to_owned)
        })
        .collect();
    v.sort();
    v
}

/// The bytes of `testdata/decoders/dns/<name>.bin`.
///
/// # Panics
/// When the file cannot be read.
pub fn dns_payload(name: &str) -> Vec<u8> {
    let path = testdata_dir().join(format!("decoders/dns/{name}.bin"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One side of a synthetic IPv4 conversation: address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// IPv4 address.
    pub ip: [u8; 4],
    /// TCP or UDP port.
    pub port: u16,
}

/// Ethernet II + IPv4 header skeleton with zeroed lengths and checksums; the L4 header
/// follows, written by the caller.
fn ip_skeleton(src: Endpoint, dst: Endpoint, proto: u8, l4_hdr: usize, payload: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(ETH_LEN + 20 + l4_hdr + payload);
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 2]); // destination MAC (locally administered)
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1]); // source MAC
    f.extend_from_slice(&0x0800u16.to_be_bytes());
    // Version 4, IHL 5, DF set, TTL 64.
    f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0]);
    f.extend_from_slice(&src.ip);
    f.extend_from_slice(&dst.ip);
    f.extend_from_slice(&src.port.to_be_bytes());
    f.extend_from_slice(&dst.port.to_be_bytes());
    f
}

/// Sets the IP (and UDP) lengths and both checksums of a frame built by [`ip_skeleton`].
fn finish_frame(mut f: Vec<u8>) -> Vec<u8> {
    let total = u16::try_from(f.len() - ETH_LEN).expect("frame larger than an IPv4 packet");
    f[ETH_LEN + 2..ETH_LEN + 4].copy_from_slice(&total.to_be_bytes());
    let lay = Layout::parse(&f).expect("synthetic frame must parse");
    set_lengths(&mut f, &lay);
    fix_checksums(&mut f, &lay);
    f
}

/// An Ethernet/IPv4/UDP frame from `src` to `dst` carrying `payload`, with valid lengths and
/// checksums.
pub fn udp_frame(src: Endpoint, dst: Endpoint, payload: &[u8]) -> Vec<u8> {
    let mut f = ip_skeleton(src, dst, PROTO_UDP, 8, payload.len());
    f.extend_from_slice(&[0, 0, 0, 0]); // length, checksum: filled in below
    f.extend_from_slice(payload);
    finish_frame(f)
}

/// An Ethernet/IPv4/TCP frame (20-byte header, no options, window 65535) with the given
/// sequence and acknowledgement numbers, flags (see [`crate::gen::packet::flags`]) and
/// payload, with valid lengths and checksums.
pub fn tcp_frame(
    src: Endpoint,
    dst: Endpoint,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = ip_skeleton(src, dst, PROTO_TCP, 20, payload.len());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    finish_frame(f)
}

/// An empty flow-table shard with the default configuration, as the benchmarks use it.
pub fn tracker() -> FlowTracker<()> {
    FlowTracker::new(FlowConfig::default(), 0)
}

/// A [`FlowHandler`] with no per-flow state that counts what the tracker delivers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CountingHandler {
    /// Payload bytes delivered as [`Chunk::Data`].
    pub data_bytes: u64,
    /// Bytes announced missing as [`Chunk::Gap`].
    pub gap_bytes: u64,
    /// Flow records (updates and final ones).
    pub records: u64,
    /// Anomalies reported.
    pub weirds: u64,
}

impl FlowHandler for CountingHandler {
    type App = ();

    fn payload(&mut self, _f: &FlowMeta, _a: &mut (), _d: Dir, _ts: i64, c: Chunk<'_>) -> Interest {
        match c {
            Chunk::Data(b) => self.data_bytes += b.len() as u64,
            Chunk::Gap(n) => self.gap_bytes += u64::from(n),
            Chunk::End => {}
        }
        Interest::Continue
    }

    fn flow_record(&mut self, _r: &FlowRecord<'_>, _a: &mut ()) {
        self.records += 1;
    }

    fn weird(&mut self, _f: Option<&FlowMeta>, _ts: i64, _n: &'static str, _addl: &str) {
        self.weirds += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::packet::{checksums_ok, flags};

    #[test]
    fn synthetic_frames_are_well_formed() {
        let a = Endpoint {
            ip: [10, 0, 0, 1],
            port: 40000,
        };
        let b = Endpoint {
            ip: [198, 18, 0, 1],
            port: 53,
        };
        for f in [
            udp_frame(a, b, b"hello"),
            tcp_frame(a, b, 1, 0, flags::SYN, &[]),
            tcp_frame(a, b, 2, 7, flags::ACK | flags::PSH, &[1; 100]),
        ] {
            let lay = Layout::parse(&f).expect("parses");
            assert!(checksums_ok(&f, &lay));
        }
    }

    #[test]
    fn testdata_is_readable() {
        assert!(real_frames().len() > 1000);
        assert!(dns_payload_names().iter().any(|n| n == "wks_query"));
    }
}
