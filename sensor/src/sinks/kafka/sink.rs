//! The Kafka sink: an idempotent producer, delivery reports counted, a full queue
//! waited on (back-pressure), and a disk spool while the broker is away.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use arrow::record_batch::RecordBatch;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use tracing::{info, warn};

use super::config::KafkaSinkConfig;
use super::encode::encode;
use super::spool::{Spool, SpoolRecord};
use crate::sinks::Sink;

/// With a spool, a message still undelivered after this long is handed back (and
/// spooled); the broker is then taken to be away.
const SPOOLED_MESSAGE_TIMEOUT_MS: &str = "15000";
/// With a spool, a full producer queue for this long sends new messages to the spool.
const SPOOL_AFTER: Duration = Duration::from_secs(5);
/// How often a sink with spooled messages checks whether the broker is back.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// Delivery counters, shared with librdkafka's delivery callback.
#[derive(Debug, Default)]
pub struct KafkaCounters {
    /// Messages the broker acknowledged (acks=all).
    pub delivered: AtomicU64,
    /// Messages that failed for good and could not be spooled.
    pub failed: AtomicU64,
    /// Messages handed back by the producer and spooled.
    pub respooled: AtomicU64,
    /// Set when a delivery failed: the broker is away.
    pub broker_down: AtomicBool,
}

/// The producer's context: counts delivery reports and spools failed messages.
struct Ctx {
    counters: Arc<KafkaCounters>,
    spool: Option<Arc<Mutex<Spool>>>,
}

impl ClientContext for Ctx {}

impl ProducerContext for Ctx {
    type DeliveryOpaque = ();

    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        let (err, msg) = match r {
            Ok(_) => {
                self.counters.delivered.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("netlake_kafka_delivered_total").increment(1);
                return;
            }
            Err((e, m)) => (e, m),
        };
        self.counters.broker_down.store(true, Ordering::Relaxed);
        let kept = self.spool.as_ref().is_some_and(|s| {
            let rec = SpoolRecord {
                topic: msg.topic().to_owned(),
                key: msg.key().unwrap_or_default().to_vec(),
                headers: msg
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|x| (x.key.to_owned(), x.value.unwrap_or_default().to_vec()))
                            .collect()
                    })
                    .unwrap_or_default(),
                payload: msg.payload().unwrap_or_default().to_vec(),
            };
            s.lock()
                .ok()
                .and_then(|mut s| s.push(&rec).ok())
                .unwrap_or(false)
        });
        if kept {
            self.counters.respooled.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("netlake_kafka_respooled_total").increment(1);
        } else {
            self.counters.failed.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("netlake_kafka_failed_total").increment(1);
            warn!(topic = msg.topic(), error = %err, "kafka delivery failed; message lost (counted)");
        }
    }
}

/// Sends record batches to `<prefix>.<dataset>` topics.
pub struct KafkaSink {
    cfg: KafkaSinkConfig,
    producer: ThreadedProducer<Ctx>,
    counters: Arc<KafkaCounters>,
    spool: Option<Arc<Mutex<Spool>>>,
    topics: HashSet<String>,
    last_probe: Option<Instant>,
    /// Messages sent (handed to the producer), spooled directly, and drained.
    sent: u64,
    spooled: u64,
    drained: u64,
    rejected: u64,
    /// Message value bytes handed to the producer.
    payload_bytes: u64,
    out: Vec<SpoolRecord>,
}

impl KafkaSink {
    /// Creates the producer (idempotent, acks=all) and opens the spool; a spool left
    /// by an earlier run is sent first if the broker answers.
    ///
    /// # Errors
    /// Bad librdkafka options or an unusable spool directory.
    pub fn open(cfg: &KafkaSinkConfig) -> Result<Self> {
        let counters = Arc::new(KafkaCounters::default());
        let spool = match &cfg.spool_dir {
            Some(dir) => Some(Arc::new(Mutex::new(Spool::open(dir, cfg.spool_max_bytes)?))),
            None => None,
        };
        let mut cc = lake::kafka::client_config(&cfg.brokers, &[]);
        cc.set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("queue.buffering.max.kbytes", "65536")
            .set("message.max.bytes", "2000000")
            // Without a spool a message waits for the broker as long as it takes
            // (back-pressure); with one it comes back after a while and is spooled.
            .set(
                "message.timeout.ms",
                if spool.is_some() {
                    SPOOLED_MESSAGE_TIMEOUT_MS
                } else {
                    "0"
                },
            );
        for (k, v) in &cfg.opts {
            cc.set(k, v);
        }
        let producer: ThreadedProducer<Ctx> = cc
            .create_with_context(Ctx {
                counters: Arc::clone(&counters),
                spool: spool.clone(),
            })
            .with_context(|| format!("creating the Kafka producer for {}", cfg.brokers))?;
        let mut sink = KafkaSink {
            cfg: cfg.clone(),
            producer,
            counters,
            spool,
            topics: HashSet::new(),
            last_probe: None,
            sent: 0,
            spooled: 0,
            drained: 0,
            rejected: 0,
            payload_bytes: 0,
            out: Vec::new(),
        };
        // Healthcheck: without a spool an unreachable broker at startup is a
        // configuration error (exit code 2), not something to wait for.
        if sink.spool.is_none() {
            sink.producer
                .client()
                .fetch_metadata(None, Duration::from_secs(10))
                .with_context(|| format!("Kafka brokers {} unreachable", cfg.brokers))?;
        }
        if sink.spool_pending() {
            info!("draining the spool left by an earlier run");
            sink.maybe_drain(true)?;
        }
        Ok(sink)
    }

    /// The delivery counters.
    pub fn counters(&self) -> &KafkaCounters {
        &self.counters
    }

    fn spool_pending(&self) -> bool {
        self.spool
            .as_ref()
            .is_some_and(|s| s.lock().map(|s| !s.is_empty()).unwrap_or(false))
    }

    /// Creates the topic once per run (tansu does not auto-create topics).
    fn ensure_topic(&mut self, topic: &str) -> Result<()> {
        if self.topics.contains(topic) {
            return Ok(());
        }
        lake::kafka::ensure_topics(&self.cfg.brokers, &self.cfg.opts, &[topic.to_owned()])
            .with_context(|| format!("creating topic {topic}"))?;
        self.topics.insert(topic.to_owned());
        Ok(())
    }

    /// Hands one message to the producer, waiting while its queue is full.
    ///
    /// Returns false if it gave up waiting (only with a spool, after [`SPOOL_AFTER`]).
    fn produce(&mut self, r: &SpoolRecord) -> Result<bool> {
        let mut headers = OwnedHeaders::new_with_capacity(r.headers.len());
        for (k, v) in &r.headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        let started = Instant::now();
        let mut last_warn = Instant::now();
        let mut record = BaseRecord::to(&r.topic)
            .key(&r.key[..])
            .payload(&r.payload[..])
            .headers(headers);
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(true),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    if self.spool.is_some() && started.elapsed() >= SPOOL_AFTER {
                        return Ok(false);
                    }
                    if last_warn.elapsed() >= Duration::from_secs(30) {
                        warn!(brokers = %self.cfg.brokers, "kafka producer queue full for 30 s; waiting (back-pressure)");
                        last_warn = Instant::now();
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, _)) => {
                    self.rejected += 1;
                    bail!("kafka refused a message for {}: {e}", r.topic);
                }
            }
        }
    }

    fn push_spool(&mut self, r: &SpoolRecord) -> Result<()> {
        let Some(spool) = &self.spool else {
            return Ok(());
        };
        let mut s = spool
            .lock()
            .map_err(|_| anyhow::anyhow!("spool lock poisoned"))?;
        if s.push(r)? {
            self.spooled += 1;
        } else {
            warn!(dir = %s.dir().display(), "spool full; message dropped (counted)");
        }
        Ok(())
    }

    /// If the spool holds messages and the broker answers, sends them in order.
    fn maybe_drain(&mut self, force: bool) -> Result<()> {
        let Some(spool) = self.spool.clone() else {
            return Ok(());
        };
        if !self.spool_pending() {
            return Ok(());
        }
        if !force && self.last_probe.is_some_and(|t| t.elapsed() < PROBE_EVERY) {
            return Ok(());
        }
        self.last_probe = Some(Instant::now());
        if self
            .producer
            .client()
            .fetch_metadata(None, Duration::from_secs(2))
            .is_err()
        {
            return Ok(());
        }
        self.counters.broker_down.store(false, Ordering::Relaxed);
        loop {
            let next = spool
                .lock()
                .map_err(|_| anyhow::anyhow!("spool lock poisoned"))?
                .oldest()?;
            let Some((path, records)) = next else {
                return Ok(());
            };
            for r in &records {
                self.ensure_topic(&r.topic)?;
                if !self.produce(r)? {
                    // The broker went away again: keep the segment (its messages
                    // already sent may be sent twice; none is lost).
                    return Ok(());
                }
                self.drained += 1;
            }
            // Wait until every message is delivered or handed back to the spool.
            while self.producer.in_flight_count() > 0 {
                let _ = self.producer.flush(Duration::from_secs(1));
            }
            spool
                .lock()
                .map_err(|_| anyhow::anyhow!("spool lock poisoned"))?
                .remove(&path)?;
            if self.counters.broker_down.load(Ordering::Relaxed) {
                return Ok(());
            }
        }
    }
}

impl Sink for KafkaSink {
    fn name(&self) -> String {
        format!("kafka:{}", self.cfg.brokers)
    }

    fn write(&mut self, dataset: &str, batch: &RecordBatch) -> Result<()> {
        let topic = lake::kafka::topic_name(&self.cfg.topic_prefix, dataset);
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        encode(
            self.cfg.format,
            &topic,
            &self.cfg.sensor,
            dataset,
            batch,
            &mut out,
        )?;
        let result = self.send_all(&topic, &out);
        self.out = out;
        result
    }

    fn flush(&mut self) -> Result<()> {
        self.maybe_drain(true)?;
        let started = Instant::now();
        while self.producer.in_flight_count() > 0 {
            let _ = self.producer.flush(Duration::from_secs(1));
            if self.spool.is_none() && started.elapsed() >= Duration::from_secs(30) {
                warn!(in_flight = self.producer.in_flight_count(), brokers = %self.cfg.brokers,
                    "still waiting for the broker to acknowledge messages");
            }
        }
        let c = &self.counters;
        let (delivered, failed, respooled) = (
            c.delivered.load(Ordering::Relaxed),
            c.failed.load(Ordering::Relaxed),
            c.respooled.load(Ordering::Relaxed),
        );
        info!(
            sent = self.sent,
            payload_bytes = self.payload_bytes,
            delivered,
            failed,
            respooled,
            spooled = self.spooled,
            drained = self.drained,
            "kafka sink flushed"
        );
        if let Some(spool) = &self.spool {
            let mut s = spool
                .lock()
                .map_err(|_| anyhow::anyhow!("spool lock poisoned"))?;
            s.seal()?;
            if !s.is_empty() {
                warn!(dir = %s.dir().display(), bytes = s.bytes(),
                    "the broker is away: messages kept in the spool are sent at the next start");
            }
            if s.dropped > 0 || s.torn > 0 {
                bail!(
                    "spool {}: {} message(s) dropped (spool full), {} cut short by a crash",
                    s.dir().display(),
                    s.dropped,
                    s.torn
                );
            }
        }
        if failed > 0 || self.rejected > 0 {
            bail!(
                "kafka: {failed} message(s) failed and {} refused",
                self.rejected
            );
        }
        Ok(())
    }
}

impl KafkaSink {
    fn send_all(&mut self, topic: &str, msgs: &[SpoolRecord]) -> Result<()> {
        if msgs.is_empty() {
            return Ok(());
        }
        self.maybe_drain(false)?;
        let use_spool = self.spool.is_some()
            && (self.spool_pending() || self.counters.broker_down.load(Ordering::Relaxed));
        if !use_spool {
            if self.spool.is_none() {
                // The broker went away mid-run: wait for it (back-pressure).
                while let Err(e) = self.ensure_topic(topic) {
                    warn!(error = %format!("{e:#}"), "kafka broker unreachable; retrying in 2 s");
                    std::thread::sleep(Duration::from_secs(2));
                }
            } else if let Err(e) = self.ensure_topic(topic) {
                warn!(error = %format!("{e:#}"), "broker unreachable; spooling");
                self.counters.broker_down.store(true, Ordering::Relaxed);
                return msgs.iter().try_for_each(|m| self.push_spool(m));
            }
        }
        let mut spooling = use_spool;
        for m in msgs {
            if !spooling {
                if self.produce(m)? {
                    self.sent += 1;
                    self.payload_bytes += m.payload.len() as u64;
                    continue;
                }
                warn!("kafka producer queue full for 5 s; spooling");
                self.counters.broker_down.store(true, Ordering::Relaxed);
                spooling = true;
            }
            self.push_spool(m)?;
        }
        Ok(())
    }
}
