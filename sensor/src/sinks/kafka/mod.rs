//! The Kafka sink: one topic per dataset, one message per record batch (Arrow IPC)
//! or per record (JSON), an idempotent producer with acks=all, and a bounded disk
//! spool for when the broker is away.
//!
//! Files: [`config`] (settings), [`encode`] (batches to messages), [`spool`] (the
//! disk queue), `sink` (the producer, back-pressure and spooling).

pub mod config;
pub mod encode;
mod sink;
pub mod spool;

pub use config::{apply_options, KafkaFormat, KafkaOptions, KafkaSinkConfig};
pub use sink::{KafkaCounters, KafkaSink};
