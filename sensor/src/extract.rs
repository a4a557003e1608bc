//! `--extract-files`: store the bodies the decoders stream out, content-addressed.
//!
//! Decoders hand over the bytes of selected files in order
//! ([`decoders::files::FileChunk`]); each goes to a temporary file, and when
//! the file's record says it is complete ([`ExtractState::Whole`]) it is renamed
//! to `<dir>/<sha256[..2]>/<sha256>`. The same content seen twice is stored once.
//! Disk use is bounded by `max_total_bytes` over the whole run (all workers);
//! what does not fit, is cut or fails is counted, never silently lost.
//!
//! With an object store (`--extract-files s3://bucket/prefix`), files are staged
//! in a local directory as above and then uploaded through the `lake` crate's
//! store to `<prefix>/<sha256[..2]>/<sha256>` (a `HEAD` first: content already
//! there is not sent again). The upload runs on the worker's thread, so a slow
//! store slows the replay down rather than piling files up.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use decoders::files::{ExtractPolicy, ExtractState, FileRecord};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// What to extract and where.
#[derive(Clone, Debug)]
pub struct ExtractConfig {
    /// Root directory of the store.
    pub dir: PathBuf,
    /// MIME types and per-file size cap, applied by the decoders.
    pub policy: ExtractPolicy,
    /// Cap on the bytes stored by the whole run.
    pub max_total_bytes: u64,
    /// Where complete files go when not in `dir`: an object store (`dir` then
    /// only stages them).
    pub remote: Option<lake::LakeLocation>,
}

/// Extraction counters (summed over workers for the run summary).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtractStats {
    /// Files stored (new content).
    pub stored: u64,
    /// Files whose content was already in the store.
    pub duplicates: u64,
    /// Files not stored because the run's byte cap was reached.
    pub over_cap: u64,
    /// Files the decoder cut (size cap, gap): partial bytes discarded.
    pub cut: u64,
    /// Files lost to I/O errors (each also logged).
    pub io_errors: u64,
}

/// A worker's connection to the object store of `--extract-files s3://...`.
struct Remote {
    store: Arc<dyn ObjectStore>,
    root: ObjectPath,
    rt: tokio::runtime::Runtime,
}

impl Remote {
    fn open(location: &lake::LakeLocation) -> anyhow::Result<Self> {
        let (store, root) = location.open()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Remote { store, root, rt })
    }

    /// Uploads the staged file `tmp` as `rel` unless the store has it. Returns
    /// whether it was already there.
    fn store(&self, tmp: &Path, rel: &str) -> anyhow::Result<bool> {
        let key = match self.root.as_ref() {
            "" => ObjectPath::from(rel),
            root => ObjectPath::from(format!("{root}/{rel}")),
        };
        let store = self.store.as_ref();
        self.rt.block_on(async {
            match store.head(&key).await {
                Ok(_) => return Ok(true),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(anyhow::Error::from(e).context(format!("HEAD {key}"))),
            }
            let bytes = std::fs::read(tmp)?;
            store
                .put(&key, PutPayload::from(bytes))
                .await
                .map_err(|e| anyhow::Error::from(e).context(format!("PUT {key}")))?;
            Ok(false)
        })
    }
}

struct Open {
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
    bytes: u64,
}

/// One worker's extractor. The byte budget is shared by all workers.
pub struct Extractor {
    cfg: Arc<ExtractConfig>,
    used: Arc<AtomicU64>,
    open: HashMap<String, Open>,
    remote: Option<Remote>,
    /// Counters so far.
    pub stats: ExtractStats,
}

impl Extractor {
    /// An extractor for one worker, sharing `used` (bytes stored) with the others.
    pub fn new(cfg: Arc<ExtractConfig>, used: Arc<AtomicU64>) -> Self {
        // `prepare` opened the same location successfully, so a failure here is
        // rare; it is logged and each file then counts as an I/O error.
        let remote = cfg.remote.as_ref().and_then(|loc| {
            Remote::open(loc)
                .map_err(|e| tracing::warn!(error = %e, "--extract-files: cannot open the store"))
                .ok()
        });
        Extractor {
            cfg,
            used,
            open: HashMap::new(),
            remote,
            stats: ExtractStats::default(),
        }
    }

    /// Checks that the object store of `--extract-files s3://...` can be opened.
    ///
    /// # Errors
    /// A bad location or store configuration.
    pub fn check_remote(location: &lake::LakeLocation) -> anyhow::Result<()> {
        Remote::open(location).map(|_| ())
    }

    /// Create the store's directories.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn prepare(dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir.join(".tmp"))
    }

    /// The next bytes of file `fuid` (in order, from offset 0).
    pub fn chunk(&mut self, fuid: &str, data: &[u8]) {
        if !self.open.contains_key(fuid) {
            static SEQ: AtomicU64 = AtomicU64::new(0);
            let seq = SEQ.fetch_add(1, Ordering::Relaxed);
            let tmp = self
                .cfg
                .dir
                .join(".tmp")
                .join(format!("{}-{seq}-{fuid}", std::process::id()));
            let out = match File::create(&tmp) {
                Ok(f) => Some(BufWriter::new(f)),
                Err(e) => {
                    tracing::warn!(path = %tmp.display(), error = %e, "cannot create extraction file");
                    None
                }
            };
            self.open
                .insert(fuid.to_string(), Open { tmp, out, bytes: 0 });
        }
        let Some(o) = self.open.get_mut(fuid) else {
            return;
        };
        let n = data.len() as u64;
        let prev = self.used.fetch_add(n, Ordering::Relaxed);
        if prev + n > self.cfg.max_total_bytes {
            self.used.fetch_sub(n, Ordering::Relaxed);
            o.out = None; // stop writing; the record's end counts it as over the cap
            o.bytes = u64::MAX;
            return;
        }
        o.bytes = o.bytes.saturating_add(n);
        if let Some(w) = &mut o.out {
            if let Err(e) = w.write_all(data) {
                tracing::warn!(path = %o.tmp.display(), error = %e, "writing an extracted file failed");
                o.out = None;
            }
        }
    }

    /// File `rec` ended: store it if it is whole. Returns the stored object's
    /// path relative to the store root, for the `files.extracted` column.
    pub fn finish(&mut self, rec: &FileRecord) -> Option<String> {
        let o = self.open.remove(&rec.fuid)?;
        let release = |s: &Self, o: &Open| {
            if o.bytes != u64::MAX {
                s.used.fetch_sub(o.bytes, Ordering::Relaxed);
            }
            let _ = std::fs::remove_file(&o.tmp);
        };
        if o.bytes == u64::MAX {
            self.stats.over_cap += 1;
            release(self, &o);
            return None;
        }
        let (ExtractState::Whole, Some(sha)) = (rec.extract, rec.sha256.as_deref()) else {
            self.stats.cut += 1;
            release(self, &o);
            return None;
        };
        let Some(mut w) = o.out else {
            self.stats.io_errors += 1;
            release(self, &o);
            return None;
        };
        if let Err(e) = w.flush() {
            tracing::warn!(error = %e, "flushing an extracted file failed");
            self.stats.io_errors += 1;
            release(self, &Open { out: None, ..o });
            return None;
        }
        drop(w);
        let rel = format!("{}/{sha}", &sha[..2.min(sha.len())]);
        if let Some(remote) = &self.remote {
            let stored = remote.store(&o.tmp, &rel);
            release(self, &Open { out: None, ..o });
            return match stored {
                Ok(true) => {
                    self.stats.duplicates += 1;
                    Some(rel)
                }
                Ok(false) => {
                    self.stats.stored += 1;
                    Some(rel)
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "uploading an extracted file failed");
                    self.stats.io_errors += 1;
                    None
                }
            };
        }
        if self.cfg.remote.is_some() {
            self.stats.io_errors += 1; // the store could not be opened (logged)
            release(self, &Open { out: None, ..o });
            return None;
        }
        let dest = self.cfg.dir.join(&rel);
        if dest.exists() {
            self.stats.duplicates += 1;
            release(self, &Open { out: None, ..o });
            return Some(rel);
        }
        let stored = dest
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::rename(&o.tmp, &dest));
        match stored {
            Ok(()) => {
                self.stats.stored += 1;
                Some(rel)
            }
            Err(e) => {
                tracing::warn!(path = %dest.display(), error = %e, "storing an extracted file failed");
                self.stats.io_errors += 1;
                release(self, &Open { out: None, ..o });
                None
            }
        }
    }

    /// Discard files still open (the run ended mid-file).
    pub fn close(&mut self) {
        for (_, o) in self.open.drain() {
            if o.bytes != u64::MAX {
                self.used.fetch_sub(o.bytes, Ordering::Relaxed);
            }
            let _ = std::fs::remove_file(&o.tmp);
            self.stats.cut += 1;
        }
    }
}
