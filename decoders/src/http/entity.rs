//! A message body on its way to file analysis: Content-Encoding decoding,
//! then either one file or the parts of a multipart body.

use super::decode::{Coding, Decoder, Stop};
use super::multipart::Multipart;
use crate::files::{Extract, ExtractPolicy, FileAnalyzer, FileRecord, FileSource, FuidGen};

/// What a body's files need from the parser: ids, policy, and who sent them.
pub struct FileCtx<'a> {
    /// The flow's fuid generator.
    pub fuids: &'a mut FuidGen,
    /// Extraction policy, if extraction is on.
    pub policy: Option<&'a ExtractPolicy>,
    /// Time of the body's first byte.
    pub ts_us: i64,
    /// Request body (true) or response body.
    pub is_orig: bool,
    /// The transaction's trans_depth (Zeek's files.depth for HTTP).
    pub depth: i32,
}

impl FileCtx<'_> {
    /// Start a file described by `spec`.
    pub fn open(&mut self, spec: &PartSpec) -> FileAnalyzer {
        let mut f = FileAnalyzer::new(
            FileSource::Http,
            self.fuids.next_fuid(),
            self.is_orig,
            self.ts_us,
        );
        f.set_filename(spec.disposition.clone().or_else(|| spec.fallback.clone()));
        f.set_total_bytes(spec.total);
        f.set_depth(self.depth);
        match self.policy {
            Some(p) => f.with_extraction(p),
            None => f,
        }
    }
}

/// Receiver of finished files (and, through [`Extract`], extracted bytes).
pub trait Emit: Extract {
    /// A file ended. `disposition` is its Content-Disposition file name
    /// (Zeek's `orig_filenames`/`resp_filenames` list only those).
    fn file(&mut self, rec: FileRecord, disposition: Option<String>);
}

/// Naming and size of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartSpec {
    /// `filename` of a Content-Disposition header.
    pub disposition: Option<String>,
    /// Name used when there is no Content-Disposition (the URI path).
    pub fallback: Option<String>,
    /// Announced size (Content-Length of an identity-coded body).
    pub total: Option<u64>,
}

/// A file being fed, created at its first byte (empty bodies make no file).
#[derive(Debug, Default)]
pub struct Lazy {
    /// The name and size to give the file.
    pub spec: PartSpec,
    /// The analyzer, once a byte arrived (boxed: hash states are large).
    pub file: Option<Box<FileAnalyzer>>,
}

impl Lazy {
    /// A lazy file for `spec`.
    pub fn new(spec: PartSpec) -> Self {
        Self { spec, file: None }
    }

    /// Feed bytes, creating the analyzer on the first one.
    pub fn data(&mut self, b: &[u8], ctx: &mut FileCtx<'_>, em: &mut impl Emit) {
        if b.is_empty() {
            return;
        }
        let spec = &self.spec;
        self.file
            .get_or_insert_with(|| Box::new(ctx.open(spec)))
            .data(b, em);
    }

    /// Missing bytes.
    pub fn gap(&mut self, n: u64, ctx: &mut FileCtx<'_>) {
        let spec = &self.spec;
        self.file
            .get_or_insert_with(|| Box::new(ctx.open(spec)))
            .gap(n);
    }

    /// Undelivered bytes (only matter for a file that exists).
    pub fn overflow(&mut self, n: u64) {
        if let Some(f) = &mut self.file {
            f.overflow(n);
        }
    }

    /// Close the file, if any, and emit its record.
    pub fn finish(&mut self, timedout: bool, em: &mut impl Emit) {
        if let Some(f) = self.file.take() {
            let mut f = *f;
            if timedout {
                f.set_timedout();
            }
            let rec = f.finish(em);
            em.file(rec, self.spec.disposition.clone());
        }
    }
}

#[derive(Debug)]
enum Target {
    Single(Lazy),
    Multipart(Box<Multipart>),
}

/// One body: length accounting, decoding, file analysis.
#[derive(Debug)]
pub struct Entity {
    decoder: Option<Decoder>,
    target: Target,
    /// Body bytes after de-chunking, before content decoding.
    pub raw_len: u64,
}

impl Entity {
    /// A body coded with `coding`, split at `boundary` when it is
    /// multipart, otherwise one file named by `spec`.
    pub fn new(coding: Option<Coding>, boundary: Option<&str>, spec: PartSpec) -> Self {
        let target = match boundary {
            Some(b) => Target::Multipart(Box::new(Multipart::new(b))),
            None => Target::Single(Lazy::new(spec)),
        };
        Self {
            decoder: coding.map(Decoder::new),
            target,
            raw_len: 0,
        }
    }

    /// Body bytes (de-chunked). Returns why decoding stopped, once.
    pub fn data(&mut self, raw: &[u8], ctx: &mut FileCtx<'_>, em: &mut impl Emit) -> Option<Stop> {
        let n = u64::try_from(raw.len()).unwrap_or(u64::MAX);
        self.raw_len = self.raw_len.saturating_add(n);
        let Self {
            decoder, target, ..
        } = self;
        match decoder {
            None => {
                target_data(target, raw, ctx, em);
                None
            }
            Some(d) if d.stopped().is_some() => {
                target_overflow(target, n);
                None
            }
            Some(d) => {
                let stop = d.push(raw, &mut |b| target_data(target, b, ctx, em));
                if stop.is_some() {
                    target_overflow(target, n);
                }
                stop
            }
        }
    }

    /// `n` body bytes are missing. With a content coding the decoder cannot
    /// go on, so the rest counts as undelivered.
    pub fn gap(&mut self, n: u64, ctx: &mut FileCtx<'_>) {
        self.raw_len = self.raw_len.saturating_add(n);
        if let Some(d) = &mut self.decoder {
            d.stop_for_gap();
        }
        match &mut self.target {
            Target::Single(l) => l.gap(n, ctx),
            Target::Multipart(m) => m.gap(n, ctx),
        }
    }

    /// The body ended (`timedout`: because the flow expired).
    pub fn finish(mut self, timedout: bool, ctx: &mut FileCtx<'_>, em: &mut impl Emit) {
        match &mut self.target {
            Target::Single(l) => l.finish(timedout, em),
            Target::Multipart(m) => m.finish(timedout, ctx, em),
        }
    }
}

fn target_data(t: &mut Target, b: &[u8], ctx: &mut FileCtx<'_>, em: &mut impl Emit) {
    match t {
        Target::Single(l) => l.data(b, ctx, em),
        Target::Multipart(m) => m.data(b, ctx, em),
    }
}

fn target_overflow(t: &mut Target, n: u64) {
    match t {
        Target::Single(l) => l.overflow(n),
        Target::Multipart(m) => m.overflow(n),
    }
}
