//! Losing and finding framing again: gaps, garbage, end of stream.

use super::*;

impl HttpParser {
    pub(super) fn skipped(&mut self, i: usize, n: usize) {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        self.stats.skipped_bytes = self.stats.skipped_bytes.saturating_add(n);
        let st = &mut self.dirs[i];
        st.resync_skipped = st.resync_skipped.saturating_add(n);
    }

    pub(super) fn lose_sync(&mut self, i: usize, at_zero: bool) {
        let st = &mut self.dirs[i];
        st.phase = Phase::Head;
        st.desync = true;
        st.resync_at_zero = at_zero;
        st.resync_skipped = 0;
    }

    /// Look for the next plausible message start in `rest`. `Some(at)`:
    /// found, skip `at` bytes; `None`: not in these bytes (the direction is
    /// `done` when the scan limit is reached).
    pub(super) fn resync(
        &mut self,
        dir: Dir,
        ts_us: i64,
        rest: &[u8],
        out: &mut impl RecordSink<HttpEvent>,
    ) -> Option<usize> {
        let i = idx(dir);
        let zero = self.dirs[i].resync_at_zero;
        let starts = zero.then_some(0).into_iter().chain(
            rest.iter()
                .enumerate()
                .filter(|(_, &c)| c == b'\n')
                .map(|(p, _)| p + 1),
        );
        for at in starts {
            let cand = rest.get(at..).unwrap_or_default();
            if cand.is_empty() {
                break;
            }
            if plausible_start(cand, dir, true) == Some(true) {
                self.skipped(i, at);
                let st = &mut self.dirs[i];
                st.desync = false;
                self.stats.resyncs += 1;
                return Some(at);
            }
        }
        // From now on only line starts count (the data continues mid-line).
        self.dirs[i].resync_at_zero = false;
        if self.dirs[i]
            .resync_skipped
            .saturating_add(u64::try_from(rest.len()).unwrap_or(u64::MAX))
            > MAX_RESYNC_SCAN
        {
            self.dirs[i].done = true;
            weird(
                out,
                ts_us,
                "http_resync_failed",
                format!("no message start in {} bytes", MAX_RESYNC_SCAN),
            );
        }
        None
    }

    pub(super) fn gap(
        &mut self,
        dir: Dir,
        ts_us: i64,
        n: u32,
        out: &mut impl RecordSink<HttpEvent>,
    ) -> Progress {
        let i = idx(dir);
        let n64 = u64::from(n);
        self.stats.gap_bytes = self.stats.gap_bytes.saturating_add(n64);
        let absorbed = {
            let Self {
                fuids,
                policy,
                dirs,
                ..
            } = self;
            match &mut dirs[i].phase {
                Phase::Body(b) => {
                    let inside = b.reader.absorb_gap(n64);
                    let mut ctx = FileCtx {
                        fuids,
                        policy: policy.as_ref(),
                        ts_us: b.ts_us,
                        is_orig: dir == Dir::Orig,
                        depth: b.depth,
                    };
                    // Inside the body: the file has a hole. Past it: the
                    // body lost its end (at least `n` bytes of it).
                    b.entity.gap(n64, &mut ctx);
                    inside
                }
                _ => false,
            }
        };
        if absorbed {
            return Progress::Consumed(0);
        }
        weird(out, ts_us, "http_gap", format!("{n} bytes missing"));
        let connect = matches!(self.dirs[i].phase, Phase::ConnectWait);
        self.end_body(dir, false, out);
        if connect {
            self.dirs[i].done = true;
            return Progress::Done;
        }
        self.lose_sync(i, true);
        Progress::Consumed(0)
    }

    pub(super) fn eof(&mut self, dir: Dir, ts_us: i64, out: &mut impl RecordSink<HttpEvent>) {
        let i = idx(dir);
        if let Phase::Body(b) = &self.dirs[i].phase {
            let f = b.reader.framing();
            if f != Framing::UntilClose {
                weird(
                    out,
                    ts_us,
                    "http_body_truncated",
                    format!(
                        "{f:?} body ended by the connection ({} bytes announced left)",
                        b.reader.remaining()
                    ),
                );
            }
        }
        self.end_body(dir, false, out);
        self.dirs[i].done = true;
    }
}

/// Bytes at the end of `rest` that may be the beginning of a start line
/// cut by the segment end (kept for the next call instead of skipped).
pub(super) fn tail_keep(rest: &[u8]) -> usize {
    match rest.iter().rposition(|&c| c == b'\n') {
        Some(nl) => (rest.len() - nl - 1).min(32),
        None => 0,
    }
}
