//! Topic names and creation: brokers such as tansu do not auto-create topics.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::RDKafkaErrorCode;
use tracing::info;

use crate::error::{Result, StreamError};

/// Partitions of a topic the sensor or the lake writer creates: 3 lets up to three
/// lake writers share a dataset while keeping per-partition order.
pub const DEFAULT_PARTITIONS: i32 = 3;

/// How long metadata and admin requests may take before they fail.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(15);

/// The topic of a dataset: `<prefix>.<dataset>`.
pub fn topic_name(prefix: &str, dataset: &str) -> String {
    format!("{prefix}.{dataset}")
}

/// A client configuration for `brokers` with the user's `key=value` options on top.
pub fn client_config(brokers: &str, opts: &[(String, String)]) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    for (k, v) in opts {
        c.set(k, v);
    }
    c
}

/// Creates those of `topics` that do not exist yet, with [`DEFAULT_PARTITIONS`]
/// partitions and replication factor 1 (or the broker's default when it has more
/// brokers, via `-1`). Returns how many were created.
///
/// Blocks (it runs its own small runtime), so call it outside async code.
///
/// # Errors
/// [`StreamError::Kafka`] when the broker cannot be reached or refuses to create a
/// topic for another reason than "already exists".
pub fn ensure_topics(brokers: &str, opts: &[(String, String)], topics: &[String]) -> Result<usize> {
    let kafka = |context: String| move |source| StreamError::Kafka { context, source };
    let admin: AdminClient<DefaultClientContext> = client_config(brokers, opts)
        .create()
        .map_err(kafka(format!("connecting to {brokers}")))?;
    let meta = admin
        .inner()
        .fetch_metadata(None, ADMIN_TIMEOUT)
        .map_err(kafka(format!("reading topic metadata from {brokers}")))?;
    let missing: Vec<&String> = topics
        .iter()
        .filter(|t| !meta.topics().iter().any(|m| m.name() == t.as_str()))
        .collect();
    if missing.is_empty() {
        return Ok(0);
    }
    let new: Vec<NewTopic<'_>> = missing
        .iter()
        .map(|t| NewTopic::new(t, DEFAULT_PARTITIONS, TopicReplication::Fixed(1)))
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| crate::LakeError::Runtime { source })?;
    let opts = AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT));
    let results = rt
        .block_on(admin.create_topics(new.iter(), &opts))
        .map_err(kafka(format!("creating topics on {brokers}")))?;
    let mut created = 0;
    for r in results {
        match r {
            Ok(name) => {
                info!(topic = %name, "created topic");
                created += 1;
            }
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(StreamError::Kafka {
                    context: format!("creating topic {name}"),
                    source: rdkafka::error::KafkaError::AdminOp(code),
                }
                .into())
            }
        }
    }
    Ok(created)
}
