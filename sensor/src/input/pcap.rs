//! Streaming pcap/pcapng reading through one reused buffer (no per-packet allocation).

use std::io::Read;
use std::path::PathBuf;

use flow::{LinkType, Packet};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};

use super::InputError;

/// Initial read buffer; grows (up to [`MAX_BUFFER`]) for a jumbo record.
const BUFFER: usize = 1 << 20;
/// Largest record we accept: well above the 256 KiB snaplen of tcpdump and
/// Wireshark, small enough that a corrupt length cannot make us allocate gigabytes.
const MAX_BUFFER: usize = 16 << 20;

/// Counters of one input read.
#[derive(Clone, Debug, Default)]
pub struct ReadStats {
    /// Packets handed on.
    pub packets: u64,
    /// Captured bytes handed on.
    pub bytes: u64,
    /// Packets shorter on the wire than captured (snaplen truncation).
    pub truncated_packets: u64,
    /// pcapng blocks skipped because they carry no packet we can place
    /// (unknown interface id, unknown block type).
    pub skipped_blocks: u64,
}

#[derive(Clone, Copy)]
struct Interface {
    link: LinkType,
    /// Timestamp units per second.
    resolution: u64,
    /// Seconds added to every timestamp.
    offset_s: i64,
}

/// A pcap or pcapng stream being read.
pub struct PcapSource {
    reader: Box<dyn PcapReaderIterator + Send>,
    st: State,
}

/// Everything but the reader, so packets borrowed from the reader can be
/// delivered while the counters are updated.
struct State {
    path: PathBuf,
    /// Legacy pcap: (snaplen, big-endian), to tell a cut-short record from a corrupt one.
    legacy: Option<(u32, bool)>,
    /// Legacy pcap: one interface; pcapng: the current section's interfaces.
    interfaces: Vec<Interface>,
    /// Uncompressed bytes consumed so far (for error offsets).
    offset: u64,
    last_ts_us: i64,
    stats: ReadStats,
}

impl PcapSource {
    /// Recognise the format and prepare to read.
    ///
    /// # Errors
    /// `NotPcap` when the stream is neither pcap nor pcapng, `Io` when empty or unreadable.
    pub fn new(path: PathBuf, input: Box<dyn Read + Send>) -> Result<Self, InputError> {
        let reader = create_reader(BUFFER, input).map_err(|e| match e {
            PcapError::Eof | PcapError::Incomplete(_) => InputError::Truncated {
                path: path.clone(),
                offset: 0,
            },
            PcapError::ReadError => InputError::Io {
                path: path.clone(),
                source: std::io::Error::other("read failed"),
            },
            _ => InputError::NotPcap { path: path.clone() },
        })?;
        Ok(PcapSource {
            reader,
            st: State {
                path,
                legacy: None,
                interfaces: Vec::new(),
                offset: 0,
                last_ts_us: 0,
                stats: ReadStats::default(),
            },
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> &ReadStats {
        &self.st.stats
    }

    /// Read every packet, calling `f` with each one (borrowed from the read buffer).
    ///
    /// # Errors
    /// A truncated or corrupt file: the packets before the bad spot have been
    /// delivered, and the error names the file and the byte offset.
    pub fn for_each(&mut self, mut f: impl FnMut(LinkType, Packet<'_>)) -> Result<(), InputError> {
        let st = &mut self.st;
        loop {
            match self.reader.next() {
                Ok((len, block)) => {
                    match block {
                        PcapBlockOwned::LegacyHeader(h) => {
                            st.legacy = Some((h.snaplen, h.is_bigendian()));
                            let resolution = if h.is_nanosecond_precision() {
                                1_000_000_000
                            } else {
                                1_000_000
                            };
                            st.interfaces = vec![Interface {
                                link: LinkType(h.network.0 as u32),
                                resolution,
                                offset_s: 0,
                            }];
                        }
                        PcapBlockOwned::Legacy(b) => {
                            if let Some(i) = st.interfaces.first().copied() {
                                let frac = u64::from(b.ts_usec);
                                let us = if i.resolution == 1_000_000 {
                                    frac
                                } else {
                                    frac / 1000
                                };
                                let ts = i64::from(b.ts_sec) * 1_000_000 + us as i64;
                                st.deliver(&mut f, i.link, ts, b.origlen, b.data);
                            }
                        }
                        PcapBlockOwned::NG(Block::SectionHeader(_)) => st.interfaces.clear(),
                        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                            st.interfaces.push(Interface {
                                link: LinkType(idb.linktype.0 as u32),
                                resolution: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                                offset_s: idb.ts_offset(),
                            });
                        }
                        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                            match st.interfaces.get(epb.if_id as usize).copied() {
                                Some(i) => {
                                    let units =
                                        (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                                    let us = (u128::from(units) * 1_000_000
                                        / u128::from(i.resolution))
                                        as i64;
                                    let ts =
                                        us.saturating_add(i.offset_s.saturating_mul(1_000_000));
                                    let caplen = (epb.caplen as usize).min(epb.data.len());
                                    let data = &epb.data[..caplen];
                                    st.deliver(&mut f, i.link, ts, epb.origlen, data);
                                }
                                None => st.stats.skipped_blocks += 1,
                            }
                        }
                        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                            match st.interfaces.first().copied() {
                                Some(i) => {
                                    let ts = st.last_ts_us;
                                    st.deliver(&mut f, i.link, ts, spb.origlen, spb.data);
                                }
                                None => st.stats.skipped_blocks += 1,
                            }
                        }
                        PcapBlockOwned::NG(_) => {}
                    }
                    st.offset += len as u64;
                    self.reader.consume(len);
                }
                Err(PcapError::Eof) => return Ok(()),
                Err(PcapError::Incomplete(_)) => {
                    if self.reader.refill().is_err() {
                        return Err(st.io_error());
                    }
                }
                Err(PcapError::BufferTooSmall) => {
                    let cap = self.reader.data().len().max(BUFFER) * 2;
                    if cap > MAX_BUFFER || !self.reader.grow(cap) {
                        return Err(st.corrupt("record larger than 16 MiB (corrupt length?)"));
                    }
                    if self.reader.refill().is_err() {
                        return Err(st.io_error());
                    }
                }
                Err(PcapError::UnexpectedEof) => {
                    // A record longer than any the capture could hold is corrupt, not cut short.
                    if let (Some((snap, be)), Some(len)) =
                        (st.legacy, self.reader.data().get(8..12))
                    {
                        let bytes: [u8; 4] = len.try_into().unwrap_or([0; 4]);
                        let caplen = if be {
                            u32::from_be_bytes(bytes)
                        } else {
                            u32::from_le_bytes(bytes)
                        };
                        if caplen > snap.max(262_144) {
                            return Err(st.corrupt(&format!(
                                "record length {caplen} exceeds the snaplen {snap}"
                            )));
                        }
                    }
                    return Err(InputError::Truncated {
                        path: st.path.clone(),
                        offset: st.offset,
                    });
                }
                Err(PcapError::ReadError) => return Err(st.io_error()),
                Err(e) => {
                    let what = match e {
                        PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k) => {
                            format!("unparsable block ({k:?})")
                        }
                        PcapError::HeaderNotRecognized => "header not recognised".to_string(),
                        _ => "unparsable block".to_string(),
                    };
                    return Err(st.corrupt(&what));
                }
            }
        }
    }
}

impl State {
    fn deliver(
        &mut self,
        f: &mut impl FnMut(LinkType, Packet<'_>),
        link: LinkType,
        ts_us: i64,
        origlen: u32,
        data: &[u8],
    ) {
        self.last_ts_us = ts_us;
        self.stats.packets += 1;
        self.stats.bytes += data.len() as u64;
        if (origlen as usize) > data.len() {
            self.stats.truncated_packets += 1;
        }
        f(
            link,
            Packet {
                ts_us,
                wire_len: origlen.max(data.len() as u32),
                data,
            },
        );
    }

    fn corrupt(&self, what: &str) -> InputError {
        InputError::Corrupt {
            path: self.path.clone(),
            offset: self.offset,
            what: what.to_string(),
        }
    }

    fn io_error(&self) -> InputError {
        InputError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(format!("read failed at byte offset {}", self.offset)),
        }
    }
}
