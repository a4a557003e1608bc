//! Benchmarks for netlake: criterion micro-benchmarks and the throughput harness.
//!
//! The [`gen`] module builds the large synthetic capture that `benches/throughput.sh` replays
//! (binary `gen-capture`); see `benches/README.md` for how to run the harness. The
//! [`fixtures`] module loads and builds the inputs of the criterion micro-benchmarks in
//! `benches/benches/`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod fixtures;
pub mod gen;
