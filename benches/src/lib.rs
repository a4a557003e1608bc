//! Benchmarks for netlake: criterion micro-benchmarks and the throughput harness.
