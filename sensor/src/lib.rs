//! The netlake sensor: reads captures, runs the flow tracker and the protocol
//! decoders on worker threads, builds Arrow record batches and writes them to
//! sinks (a local Parquet lake, JSON lines).
//!
//! The crate wires the pure crates together: `flow` (packets → flows and
//! in-order streams), `decoders` (bytes → records) and `lake` (batches → Parquet,
//! SQL). Its own parts: [`input`] (pcap/pcapng reading), [`pipeline`] (threads
//! and channels), [`batch`] (records → Arrow), [`sinks`], [`config`], and the
//! command line ([`cli`], [`replay`], [`sql`]).
//!
//! ```no_run
//! // The library is driven by the `netlake` binary; see `netlake --help`.
//! let schema = sensor::schema::schema("dns").unwrap();
//! assert_eq!(schema.field(0).name(), "ts");
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod batch;
pub mod cli;
pub mod config;
pub mod enrich;
pub mod extract;
pub mod input;
pub mod lake_writer_cmd;
pub mod metrics;
pub mod pipeline;
pub mod replay;
pub mod schema;
pub mod sinks;
pub mod sql;
pub mod summary;
