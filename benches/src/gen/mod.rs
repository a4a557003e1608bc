//! Deterministic synthetic capture generation for the throughput benchmark.
//!
//! [`template::from_seed`] turns the flows of small seed captures into [`Template`]s;
//! [`generate`] replays them many times with rewritten addresses, ports, sequence numbers
//! and checksums, interleaved in time, into one large classic pcap. The `gen-capture`
//! binary is the command-line front end.
//!
//! Not a traffic model: sizes and timings are plausible, not measured. Not a fuzzer: every
//! packet is well formed and checksummed.

pub mod error;
pub mod flow;
pub mod generate;
pub mod packet;
pub mod pcap;
pub mod rng;
pub mod template;
pub mod units;

pub use error::{GenError, Result};
pub use generate::{generate, Config, Summary, DEFAULT_MIX};
pub use template::{FlowKind, Template};

#[cfg(test)]
mod tests;
