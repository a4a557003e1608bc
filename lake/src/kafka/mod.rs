//! Kafka: topic naming and creation, and the exactly-once Kafka-to-lake writer.
//!
//! The sensor's Kafka sink sends one message per record batch to `<prefix>.<dataset>`
//! (see [`crate::ipc`] for the message format). [`run`] consumes those topics with
//! one consumer group and lands the batches as Parquet in a [`crate::LakeLocation`],
//! committing offsets only after the objects holding them are stored.

mod marker;
mod segment;
mod topics;
mod writer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use segment::object_key;
pub use topics::{client_config, ensure_topics, topic_name, DEFAULT_PARTITIONS};
pub use writer::{run, KafkaLakeConfig, KafkaLakeStats};

/// A flag set on SIGTERM or SIGINT, so that a long-running writer flushes, commits
/// and exits cleanly (systemd stops services with SIGTERM).
///
/// Watches the signals on a background thread with its own small runtime.
///
/// # Errors
/// [`crate::LakeError::Runtime`] if the watcher cannot start.
pub fn stop_on_signals() -> crate::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| crate::LakeError::Runtime { source })?;
    let set = Arc::clone(&flag);
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            rt.block_on(async move {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut term), Ok(mut int)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::interrupt()),
                ) else {
                    return;
                };
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
                tracing::info!("stop signal received: flushing");
                set.store(true, Ordering::Relaxed);
            });
        })
        .map_err(|source| crate::LakeError::Runtime { source })?;
    Ok(flag)
}
