//! Offline capture input: pcap and pcapng files, plain or gzip/zstd compressed,
//! several files in order, directories, or `-` for standard input.

mod open;
mod pcap;

pub use open::{expand_inputs, open_input, InputSpec};
pub use pcap::{PcapSource, ReadStats};

use std::path::PathBuf;

impl InputError {
    /// A capture cut short in its last record (a ring buffer rotated, a disk filled
    /// up): everything before the cut was read, so, like Zeek and Wireshark, the run
    /// reports it and goes on rather than failing.
    pub fn is_truncation(&self) -> bool {
        matches!(self, InputError::Truncated { .. })
    }
}

/// Why an input could not be read (to the end).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The input.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Not a pcap or pcapng file (after decompression).
    #[error("{path}: not a pcap or pcapng file")]
    NotPcap {
        /// The input.
        path: PathBuf,
    },
    /// The file ends in the middle of a block.
    #[error("{path}: truncated at byte offset {offset} (in the middle of a packet record)")]
    Truncated {
        /// The input.
        path: PathBuf,
        /// Offset (uncompressed) of the incomplete block.
        offset: u64,
    },
    /// A block could not be parsed.
    #[error("{path}: corrupt data at byte offset {offset}: {what}")]
    Corrupt {
        /// The input.
        path: PathBuf,
        /// Offset (uncompressed) of the bad block.
        offset: u64,
        /// What was wrong.
        what: String,
    },
}
