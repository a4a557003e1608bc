//! The Kafka-to-lake loop: consume, buffer per partition, land Parquet, commit.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tracing::{debug, info, warn};

use super::marker::{self, Marker};
use super::segment::{object_key, Segment};
use super::topics::client_config;
use crate::error::{LakeError, Result, StreamError};
use crate::ipc::{decode_ipc, is_ipc, HEADER_DATASET};
use crate::store::LakeLocation;

/// How the lake writer consumes and when it rolls files.
#[derive(Debug, Clone)]
pub struct KafkaLakeConfig {
    /// Bootstrap brokers, `host:port[,host:port]`.
    pub brokers: String,
    /// Topic prefix: the writer consumes every `<prefix>.<dataset>` topic.
    pub topic_prefix: String,
    /// Consumer group; writers of one group share the partitions.
    pub group: String,
    /// Where the lake lives.
    pub dest: LakeLocation,
    /// Flush, commit and return after this long without messages (`None`: run until stopped).
    pub until_idle: Option<Duration>,
    /// Land a partition's files once they hold this many rows.
    pub max_rows: usize,
    /// Land a partition's files once this many message bytes went into them.
    pub max_bytes: usize,
    /// Land a partition's files at the latest this long after their first message.
    pub max_age: Duration,
    /// Extra librdkafka `key=value` settings for the consumer.
    pub kafka_opts: Vec<(String, String)>,
    /// Schemas of the datasets, to decode JSON messages (Arrow messages carry their own).
    pub schemas: HashMap<String, SchemaRef>,
}

impl KafkaLakeConfig {
    /// Defaults: group `netlake-lake`, files landed at 1 M rows, 64 MiB or 60 s.
    pub fn new(brokers: &str, topic_prefix: &str, dest: LakeLocation) -> Self {
        Self {
            brokers: brokers.to_owned(),
            topic_prefix: topic_prefix.to_owned(),
            group: "netlake-lake".to_owned(),
            dest,
            until_idle: None,
            max_rows: 1_000_000,
            max_bytes: 64 << 20,
            max_age: Duration::from_secs(60),
            kafka_opts: Vec::new(),
            schemas: HashMap::new(),
        }
    }
}

/// What a lake writer run did; counted per message and per object, never per row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KafkaLakeStats {
    /// Messages consumed.
    pub messages: u64,
    /// Rows landed in committed objects.
    pub rows: u64,
    /// Objects written (Parquet files).
    pub objects: u64,
    /// Bytes of the objects written.
    pub object_bytes: u64,
    /// Offset commits.
    pub commits: u64,
    /// Messages that could not be decoded: skipped, committed past, and counted.
    pub bad_messages: u64,
    /// Objects of uncommitted segments deleted at start (left by a crash).
    pub stale_objects_deleted: u64,
    /// Buffered segments dropped because their partition was revoked (re-consumed
    /// by the new owner from the committed offset: not lost).
    pub revoked_segments: u64,
}

/// Rebalance events, handed from librdkafka's callback to the loop.
#[derive(Default)]
struct RebalanceLog {
    revoked: Mutex<Vec<(String, i32)>>,
    assigned: AtomicBool,
}

struct Ctx(Arc<RebalanceLog>);

impl ClientContext for Ctx {
    /// librdkafka's periodic statistics: the summed consumer lag of the assigned
    /// partitions becomes the `netlake_lake_consumer_lag` gauge.
    fn stats(&self, stats: Statistics) {
        let lag: i64 = stats
            .topics
            .values()
            .flat_map(|t| t.partitions.values())
            .filter(|p| p.partition >= 0 && p.consumer_lag >= 0)
            .map(|p| p.consumer_lag)
            .sum();
        metrics::gauge!(M_LAG).set(lag as f64);
    }
}

impl ConsumerContext for Ctx {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, r: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = r {
            if let Ok(mut v) = self.0.revoked.lock() {
                v.extend(
                    tpl.elements()
                        .iter()
                        .map(|e| (e.topic().to_owned(), e.partition())),
                );
            }
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, r: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = r {
            info!(partitions = tpl.count(), "partitions assigned");
            self.0.assigned.store(true, Ordering::Relaxed);
        }
    }
}

/// Metric names (Prometheus), documented in the README's metrics table.
const M_MESSAGES: &str = "netlake_lake_messages_total";
const M_BAD: &str = "netlake_lake_bad_messages_total";
const M_ROWS: &str = "netlake_lake_rows_total";
const M_OBJECTS: &str = "netlake_lake_objects_total";
const M_OBJECT_BYTES: &str = "netlake_lake_object_bytes_total";
const M_COMMITS: &str = "netlake_lake_commits_total";
const M_UPLOAD_ERRORS: &str = "netlake_lake_upload_errors_total";
const M_LAG: &str = "netlake_lake_consumer_lag";
const M_MULTIPART: &str = "netlake_lake_multipart_uploads_total";

/// Tries an object-store call a few times before giving up: S3 endpoints fail
/// transiently, but retrying forever would hide an outage. 8 tries with doubling
/// waits from 250 ms span about a minute.
const STORE_TRIES: u32 = 8;

/// Consumes `<prefix>.*` and lands every message exactly once in the lake.
///
/// Per (topic, partition) messages are buffered into one in-memory Parquet file per
/// UTC hour. When the buffer reaches `max_rows`, `max_bytes` or `max_age` (or the
/// run ends), its objects are written under names derived from (topic, partition,
/// first offset), and only then is the next offset committed. After a crash the
/// uncommitted messages are consumed again from the committed offset and land on
/// the same keys; a marker (see the `marker` module) removes objects of a previous
/// attempt that the new one would not overwrite. Readers may briefly see such an
/// attempt's objects; once the writer has caught up each record is in the lake once.
///
/// Runs until `stop` is set (then flushes and commits) or, with `until_idle`, until
/// no message arrived for that long.
///
/// # Errors
/// The Kafka client or the object store failing persistently; everything not yet
/// committed is then consumed again by the next run.
pub fn run(cfg: &KafkaLakeConfig, stop: &AtomicBool) -> Result<KafkaLakeStats> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| LakeError::Runtime { source })?;
    let (store, root) = cfg.dest.open()?;
    let log = Arc::new(RebalanceLog::default());
    let mut cc = client_config(&cfg.brokers, &[]);
    cc.set("group.id", &cfg.group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false")
        // New dataset topics are found by the regex subscription within seconds.
        .set("topic.metadata.refresh.interval.ms", "2000")
        // Feeds the consumer-lag gauge (see `Ctx::stats`).
        .set("statistics.interval.ms", "5000");
    for (k, v) in &cfg.kafka_opts {
        cc.set(k, v);
    }
    let kafka = |context: String| move |source| StreamError::Kafka { context, source };
    let consumer: BaseConsumer<Ctx> = cc
        .create_with_context(Ctx(Arc::clone(&log)))
        .map_err(kafka(format!("connecting to {}", cfg.brokers)))?;
    let pattern = format!("^{}\\.[a-z0-9_]+$", regex_escape(&cfg.topic_prefix));
    consumer
        .subscribe(&[pattern.as_str()])
        .map_err(kafka(format!("subscribing to {pattern}")))?;
    info!(brokers = %cfg.brokers, group = %cfg.group, %pattern, dest = %cfg.dest, "lake writer started");

    let mut w = Loop {
        cfg,
        rt: &rt,
        store,
        root,
        consumer: &consumer,
        segments: HashMap::new(),
        checked: HashSet::new(),
        stats: KafkaLakeStats::default(),
    };
    let started = Instant::now();
    let mut last_activity = started;
    // The idle clock runs only once partitions are assigned: joining a group can
    // take a session timeout when a crashed member is still registered. Without any
    // assignment the writer gives up after the idle time plus this grace.
    let join_grace = Duration::from_secs(120);
    let mut assigned_once = false;
    while !stop.load(Ordering::Relaxed) {
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Ok(m)) => {
                last_activity = Instant::now();
                w.handle(&m)?;
            }
            Some(Err(e)) => warn!(error = %e, "consumer error"),
        }
        if log.assigned.swap(false, Ordering::Relaxed) {
            last_activity = Instant::now();
            assigned_once = true;
        }
        let revoked = log
            .revoked
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        for tp in revoked {
            w.checked.remove(&tp);
            if w.segments.remove(&tp).is_some() {
                w.stats.revoked_segments += 1;
            }
        }
        w.roll_aged()?;
        let idle = cfg.until_idle.is_some_and(|idle| {
            if assigned_once {
                last_activity.elapsed() >= idle
            } else {
                started.elapsed() >= idle + join_grace
            }
        });
        if idle {
            info!("idle: flushing and exiting");
            break;
        }
    }
    w.roll_all()?;
    Ok(w.stats)
}

/// Escapes regex metacharacters of a topic prefix.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

struct Loop<'a> {
    cfg: &'a KafkaLakeConfig,
    rt: &'a tokio::runtime::Runtime,
    store: Arc<dyn ObjectStore>,
    root: ObjectPath,
    consumer: &'a BaseConsumer<Ctx>,
    segments: HashMap<(String, i32), Segment>,
    /// Partitions whose marker was checked since they were assigned.
    checked: HashSet<(String, i32)>,
    stats: KafkaLakeStats,
}

impl Loop<'_> {
    fn handle(&mut self, m: &BorrowedMessage<'_>) -> Result<()> {
        self.stats.messages += 1;
        metrics::counter!(M_MESSAGES).increment(1);
        let tp = (m.topic().to_owned(), m.partition());
        let offset = m.offset();
        if !self.checked.contains(&tp) {
            self.clean_stale(&tp, offset)?;
            self.checked.insert(tp.clone());
        }
        let payload = m.payload().unwrap_or_default();
        let dataset = dataset_of(m, &self.cfg.topic_prefix);
        let batches = match self.decode(&dataset, payload) {
            Ok(b) => b,
            Err(reason) => {
                warn!(topic = %tp.0, partition = tp.1, offset, %reason, "skipping undecodable message");
                self.stats.bad_messages += 1;
                metrics::counter!(M_BAD).increment(1);
                return self.cover_or_commit(&tp, offset, payload.len());
            }
        };
        for batch in &batches {
            let schema = batch.schema();
            let fits = self
                .segments
                .get(&tp)
                .map(|s| s.accepts(&schema) && s.dataset == dataset);
            if fits == Some(false) {
                self.roll(&tp)?;
            }
            if !self.segments.contains_key(&tp) {
                match Segment::new(&dataset, offset, schema) {
                    Ok(s) => {
                        self.segments.insert(tp.clone(), s);
                    }
                    Err(e) => {
                        warn!(topic = %tp.0, partition = tp.1, offset, error = %e, "skipping message the lake cannot store");
                        self.stats.bad_messages += 1;
                        metrics::counter!(M_BAD).increment(1);
                        return self.cover_or_commit(&tp, offset, payload.len());
                    }
                }
            }
            if let Some(seg) = self.segments.get_mut(&tp) {
                seg.append(offset, batch, payload.len() / batches.len().max(1))?;
            }
        }
        if batches.is_empty() {
            return self.cover_or_commit(&tp, offset, payload.len());
        }
        let full = self
            .segments
            .get(&tp)
            .is_some_and(|s| s.rows >= self.cfg.max_rows || s.bytes >= self.cfg.max_bytes);
        if full {
            self.roll(&tp)?;
        }
        Ok(())
    }

    /// Decodes a payload: an Arrow IPC stream, or a JSON record of a known dataset.
    fn decode(
        &self,
        dataset: &str,
        payload: &[u8],
    ) -> std::result::Result<Vec<RecordBatch>, String> {
        if is_ipc(payload) {
            return decode_ipc(payload).map_err(|e| e.to_string());
        }
        let schema = self
            .cfg
            .schemas
            .get(dataset)
            .ok_or_else(|| format!("JSON message of unknown dataset '{dataset}'"))?;
        let mut reader = arrow::json::ReaderBuilder::new(Arc::clone(schema))
            .build(std::io::Cursor::new(payload))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for b in reader.by_ref() {
            out.push(b.map_err(|e| e.to_string())?);
        }
        Ok(out)
    }

    /// A message without rows: part of the open segment, or committed right away.
    fn cover_or_commit(&mut self, tp: &(String, i32), offset: i64, bytes: usize) -> Result<()> {
        match self.segments.get_mut(tp) {
            Some(seg) => {
                seg.cover(offset, bytes);
                Ok(())
            }
            None => self.commit(tp, offset + 1),
        }
    }

    /// Deletes the objects of an uncommitted segment a previous run left behind.
    fn clean_stale(&mut self, tp: &(String, i32), resume_offset: i64) -> Result<()> {
        let key = marker::marker_key(&self.root, &tp.0, tp.1);
        let store = Arc::clone(&self.store);
        let Some(m) = self.rt.block_on(marker::read(store.as_ref(), &key))? else {
            return Ok(());
        };
        if m.first_offset < resume_offset {
            return Ok(()); // committed: consumption resumes after it
        }
        let n = self
            .rt
            .block_on(marker::delete_all(store.as_ref(), &m.keys))?;
        info!(topic = %tp.0, partition = tp.1, first_offset = m.first_offset, deleted = n,
            "removed objects of an uncommitted segment");
        self.stats.stale_objects_deleted += n as u64;
        Ok(())
    }

    fn roll_aged(&mut self) -> Result<()> {
        let aged: Vec<(String, i32)> = self
            .segments
            .iter()
            .filter(|(_, s)| s.started.elapsed() >= self.cfg.max_age)
            .map(|(tp, _)| tp.clone())
            .collect();
        for tp in aged {
            self.roll(&tp)?;
        }
        Ok(())
    }

    fn roll_all(&mut self) -> Result<()> {
        let all: Vec<(String, i32)> = self.segments.keys().cloned().collect();
        for tp in all {
            self.roll(&tp)?;
        }
        Ok(())
    }

    /// Lands a segment: marker, objects, then the offset commit.
    fn roll(&mut self, tp: &(String, i32)) -> Result<()> {
        let Some(seg) = self.segments.remove(tp) else {
            return Ok(());
        };
        let (dataset, first, last, rows) = (
            seg.dataset.clone(),
            seg.first_offset,
            seg.last_offset,
            seg.rows,
        );
        let keys: Vec<ObjectPath> = seg
            .hours()
            .into_iter()
            .map(|h| object_key(&self.root, &dataset, h, &tp.0, tp.1, first))
            .collect();
        let files = seg.finish()?;
        let store = Arc::clone(&self.store);
        let marker = Marker {
            first_offset: first,
            last_offset: last,
            keys: keys.iter().map(ToString::to_string).collect(),
        };
        let mkey = marker::marker_key(&self.root, &tp.0, tp.1);
        let rt = self.rt;
        rt.block_on(async {
            retry(|| marker::write(store.as_ref(), &mkey, &marker)).await?;
            for (key, (_, bytes)) in keys.iter().zip(files) {
                let len = bytes.len() as u64;
                let payload = Bytes::from(bytes);
                retry(|| put_object(store.as_ref(), key, payload.clone())).await?;
                self.stats.objects += 1;
                self.stats.object_bytes += len;
                metrics::counter!(M_OBJECTS).increment(1);
                metrics::counter!(M_OBJECT_BYTES).increment(len);
            }
            Ok::<(), LakeError>(())
        })?;
        self.commit(tp, last + 1)?;
        self.stats.rows += rows as u64;
        metrics::counter!(M_ROWS).increment(rows as u64);
        debug!(topic = %tp.0, partition = tp.1, first, last, rows, objects = keys.len(), "landed segment");
        Ok(())
    }

    fn commit(&mut self, tp: &(String, i32), next: i64) -> Result<()> {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&tp.0, tp.1, Offset::Offset(next))
            .map_err(|source| StreamError::Kafka {
                context: format!("committing {}/{}@{next}", tp.0, tp.1),
                source,
            })?;
        self.consumer
            .commit(&tpl, CommitMode::Sync)
            .map_err(|source| StreamError::Kafka {
                context: format!("committing {}/{}@{next}", tp.0, tp.1),
                source,
            })?;
        self.stats.commits += 1;
        metrics::counter!(M_COMMITS).increment(1);
        Ok(())
    }
}

/// Objects at least this large are uploaded in parts (S3 multipart upload), so a
/// large file is not one long request that a hiccup restarts from zero; S3 allows
/// at most 5 GiB in a single PUT.
pub const MULTIPART_THRESHOLD: usize = 16 << 20;

/// Size of one part of a multipart upload (S3's minimum is 5 MiB).
const MULTIPART_PART: usize = 8 << 20;

/// Writes one object: a single PUT, or a multipart upload from [`MULTIPART_THRESHOLD`]
/// on. Either way the object becomes visible only once complete; a failed multipart
/// upload is aborted so no parts are left behind.
async fn put_object(store: &dyn ObjectStore, key: &ObjectPath, payload: Bytes) -> Result<()> {
    let err = |what: &'static str| {
        move |source| {
            LakeError::from(StreamError::Store {
                what,
                key: key.to_string(),
                source,
            })
        }
    };
    if payload.len() < MULTIPART_THRESHOLD {
        return store
            .put(key, PutPayload::from(payload))
            .await
            .map(|_| ())
            .map_err(err("put"));
    }
    let upload = store
        .put_multipart(key)
        .await
        .map_err(err("start multipart upload"))?;
    let mut w = WriteMultipart::new_with_chunk_size(upload, MULTIPART_PART);
    w.put(payload);
    match w.finish().await {
        Ok(_) => {
            metrics::counter!(M_MULTIPART).increment(1);
            Ok(())
        }
        Err(e) => Err(err("multipart upload")(e)),
    }
}

/// Runs `f` up to [`STORE_TRIES`] times with doubling waits.
async fn retry<F, Fut>(mut f: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut wait = Duration::from_millis(250);
    let mut tries = 0;
    loop {
        tries += 1;
        match f().await {
            Ok(()) => return Ok(()),
            Err(e) if tries >= STORE_TRIES => {
                metrics::counter!(M_UPLOAD_ERRORS).increment(1);
                return Err(e);
            }
            Err(e) => {
                metrics::counter!(M_UPLOAD_ERRORS).increment(1);
                warn!(error = %e, tries, "object store write failed; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(15));
            }
        }
    }
}

/// The dataset of a message: its `dataset` header, else the topic after the prefix.
fn dataset_of(m: &BorrowedMessage<'_>, prefix: &str) -> String {
    if let Some(h) = m.headers() {
        for hdr in h.iter() {
            if hdr.key == HEADER_DATASET {
                if let Some(v) = hdr.value.and_then(|v| std::str::from_utf8(v).ok()) {
                    return v.to_owned();
                }
            }
        }
    }
    let topic = m.topic();
    topic
        .strip_prefix(prefix)
        .and_then(|t| t.strip_prefix('.'))
        .unwrap_or(topic)
        .to_owned()
}
