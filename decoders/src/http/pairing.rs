//! Heads to transactions: requests open them, responses pair in order.

use super::select::{body_framing, entity_for};
use super::*;

impl HttpParser {
    /// The next response answers an HTTP/0.9 request: it has no head, the
    /// body runs until the connection closes.
    pub(super) fn start_http09_response(&mut self, ts_us: i64) -> bool {
        let Some(t) = self.txs.iter_mut().find(|t| !t.resp_started) else {
            return false;
        };
        if !t.http09 {
            return false;
        }
        t.resp_started = true;
        let depth = t.rec.trans_depth;
        let reader = BodyReader::new(Framing::UntilClose);
        self.dirs[1].phase = Phase::Body(Box::new(BodyState {
            tx: TxRef::Queued(depth),
            depth,
            reader,
            entity: Entity::new(None, None, PartSpec::default()),
            ts_us,
        }));
        true
    }

    pub(super) fn on_head(
        &mut self,
        dir: Dir,
        ts_us: i64,
        h: Head,
        out: &mut impl RecordSink<HttpEvent>,
    ) {
        if h.bad_lines > 0 {
            weird(
                out,
                ts_us,
                "http_bad_header_line",
                format!("{} lines skipped", h.bad_lines),
            );
        }
        match dir {
            Dir::Orig => self.on_request(ts_us, h, out),
            Dir::Resp => self.on_response(ts_us, h, out),
        }
    }

    pub(super) fn on_request(&mut self, ts_us: i64, h: Head, out: &mut impl RecordSink<HttpEvent>) {
        let depth = self.next_depth;
        self.next_depth = self.next_depth.saturating_add(1);
        let mut t = Tx::from_request(ts_us, depth, &h);
        let framing = if t.http09 {
            None
        } else {
            body_framing(&h, false, ts_us, out)
        };
        let phase = if t.connect {
            t.req_done = true;
            Phase::ConnectWait
        } else {
            match framing {
                Some(f) => Phase::Body(Box::new(BodyState {
                    tx: TxRef::Queued(depth),
                    depth,
                    reader: BodyReader::new(f),
                    entity: entity_for(&h, f, t.rec.uri.as_deref(), ts_us, out),
                    ts_us,
                })),
                None => {
                    t.req_done = true;
                    Phase::Head
                }
            }
        };
        if self.txs.len() >= MAX_HTTP_TX {
            self.evict(ts_us, out);
        }
        self.txs.push_back(t);
        self.dirs[0].phase = phase;
    }

    pub(super) fn evict(&mut self, ts_us: i64, out: &mut impl RecordSink<HttpEvent>) {
        let Some(old) = self.txs.pop_front() else {
            return;
        };
        self.stats.evicted_tx += 1;
        if !self.warned_eviction {
            self.warned_eviction = true;
            weird(
                out,
                ts_us,
                "http_too_many_tx",
                format!("more than {MAX_HTTP_TX} open transactions"),
            );
        }
        if !old.resp_started {
            let d = old.rec.trans_depth;
            self.evicted_unanswered = if self.evicted_unanswered.is_empty() {
                d..d.saturating_add(1)
            } else {
                self.evicted_unanswered.start..d.saturating_add(1)
            };
        }
        self.emit(old, out);
    }

    pub(super) fn on_response(
        &mut self,
        ts_us: i64,
        h: Head,
        out: &mut impl RecordSink<HttpEvent>,
    ) {
        let code = match h.start {
            head::StartLine::Status { code, .. } => code,
            head::StartLine::Request { .. } => return,
        };
        let informational = (100..200).contains(&code) && code != 101;
        let queued = self
            .txs
            .iter()
            .position(|t| !t.resp_started)
            .and_then(|p| self.txs.get(p))
            .map(|t| t.rec.trans_depth);
        let r = match (informational, queued) {
            (_, _) if !informational && !self.evicted_unanswered.is_empty() => {
                let d = self.evicted_unanswered.start;
                self.evicted_unanswered.start = d.saturating_add(1);
                self.new_orphan(ts_us, d, out)
            }
            (_, Some(d)) => TxRef::Queued(d),
            (true, None) => return,
            (false, None) => {
                let d = self.next_depth;
                self.next_depth = self.next_depth.saturating_add(1);
                self.new_orphan(ts_us, d, out)
            }
        };
        let Some(t) = self.tx_mut(r) else {
            return;
        };
        t.on_response(&h);
        if informational {
            return;
        }
        let (connect, head_method) = (t.connect, t.head_method);
        let uri = t.rec.uri.clone();
        let tunnel = if connect && (200..300).contains(&code) {
            Some("CONNECT".to_string())
        } else if code == 101 {
            Some(h.get("upgrade").unwrap_or("101").to_string())
        } else {
            None
        };
        if connect && tunnel.is_none() && matches!(self.dirs[0].phase, Phase::ConnectWait) {
            // The proxy refused: the client may try again on this connection.
            self.dirs[0].phase = Phase::Head;
        }
        let no_body = head_method || code == 204 || code == 304 || tunnel.is_some();
        let framing = if no_body {
            None
        } else {
            body_framing(&h, true, ts_us, out)
        };
        match framing {
            Some(f) => {
                let entity = entity_for(&h, f, uri.as_deref(), ts_us, out);
                let depth = self.tx_mut(r).map_or(0, |t| t.rec.trans_depth);
                self.dirs[1].phase = Phase::Body(Box::new(BodyState {
                    tx: r,
                    depth,
                    reader: BodyReader::new(f),
                    entity,
                    ts_us,
                }));
            }
            None => {
                if let Some(t) = self.tx_mut(r) {
                    t.resp_done = true;
                    t.rec.tunnel = tunnel.clone();
                }
                if tunnel.is_some() {
                    for st in &mut self.dirs {
                        st.done = true;
                    }
                }
            }
        }
    }

    pub(super) fn new_orphan(
        &mut self,
        ts_us: i64,
        depth: i32,
        out: &mut impl RecordSink<HttpEvent>,
    ) -> TxRef {
        self.stats.unmatched_replies += 1;
        if let Some(t) = self.orphan.take() {
            self.emit(t, out);
        }
        weird(
            out,
            ts_us,
            "http_unmatched_reply",
            format!("response for trans_depth {depth} without its request"),
        );
        self.orphan = Some(Tx::response_only(ts_us, depth));
        TxRef::Orphan
    }
}
