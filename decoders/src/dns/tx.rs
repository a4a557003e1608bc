//! Transactions: pairing queries with responses inside one flow, following
//! Zeek's `base/protocols/dns/main.zeek` (`set_session`, `do_reply`).

use std::collections::VecDeque;

use super::names::{class_name, opcode_name, rcode_name, type_name};
use super::parser::{Header, Message, Question, Section};
use super::record::DnsRecord;
use super::render::{name_string, render_rr, Reply, OPCODE_UPDATE};
use crate::error::DecodeError;
use crate::{RecordSink, Weird};

/// Maximum open transactions (unanswered queries plus unmatched responses)
/// per flow. 50 is Zeek's default for `DNS::max_pending_query_ids` and
/// `DNS::max_pending_msgs` (main.zeek): past it, the oldest entry is written
/// out as it is (never dropped silently), a `dns_too_many_transactions` weird
/// is raised and the eviction is counted.
pub const MAX_DNS_TX: usize = 50;

/// Why a record is waiting.
#[derive(Debug)]
enum Waiting {
    /// A query waiting for its response; the question for disambiguation.
    Query {
        qtype: Option<u16>,
        qclass: Option<u16>,
    },
    /// A response waiting for a late query.
    Reply,
}

#[derive(Debug)]
struct Pending {
    rec: DnsRecord,
    waiting: Waiting,
}

/// Open transactions of one flow.
#[derive(Debug, Default)]
pub(crate) struct Transactions {
    pending: VecDeque<Pending>,
    /// Multicast (mDNS) flows: every message is its own record, as in Zeek.
    pub multicast: bool,
    /// Entries evicted by [`MAX_DNS_TX`].
    pub evicted: u64,
    /// Responses whose query never came.
    pub unmatched_replies: u64,
    /// Messages whose header could not be read.
    pub bad_messages: u64,
}

/// Report an anomaly.
pub(crate) fn weird<R>(out: &mut impl RecordSink<R>, ts_us: i64, name: &'static str, addl: String) {
    out.weird(Weird {
        ts_us,
        name,
        addl,
        notice: false,
    });
}

fn weird_err<R>(out: &mut impl RecordSink<R>, ts_us: i64, e: &DecodeError) {
    weird(out, ts_us, e.weird_name(), e.to_string());
}

fn set_opcode(rec: &mut DnsRecord, h: &Header) {
    rec.opcode = Some(h.opcode());
    rec.opcode_name = Some(opcode_name(h.opcode()));
}

/// Fill the fields Zeek takes from a query (`dns_request`).
fn fill_from_query(rec: &mut DnsRecord, h: &Header, q: Option<&Question<'_>>) {
    set_opcode(rec, h);
    rec.rd = h.rd();
    rec.tc = h.tc();
    rec.z = h.z();
    // UPDATE's question section is the zone, which Zeek does not log as the query.
    if h.opcode() == OPCODE_UPDATE {
        return;
    }
    if let Some(q) = q {
        rec.query = name_string(q.name).ok();
        rec.qtype = Some(q.qtype);
        rec.qtype_name = Some(type_name(q.qtype));
        rec.qclass = Some(q.qclass);
        rec.qclass_name = Some(class_name(q.qclass));
    }
}

impl Transactions {
    /// Decode one whole message and update the transactions.
    pub fn on_message<O: RecordSink<DnsRecord>>(&mut self, ts: i64, bytes: &[u8], out: &mut O) {
        let msg = match Message::parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.bad_messages += 1;
                weird_err(out, ts, &e);
                return;
            }
        };
        let (first_q, after_q) = match msg.questions() {
            Ok((q, pos)) => (q, Some(pos)),
            Err(e) => {
                weird_err(out, ts, &e);
                (None, None)
            }
        };
        if msg.header.qr() {
            self.on_response(ts, &msg, first_q.as_ref(), after_q, out);
        } else {
            self.on_query(ts, &msg.header, first_q.as_ref(), out);
        }
    }

    fn on_query<O: RecordSink<DnsRecord>>(
        &mut self,
        ts: i64,
        h: &Header,
        q: Option<&Question<'_>>,
        out: &mut O,
    ) {
        if !self.multicast {
            // A response seen before its query (capture reordering): complete it.
            let late = self
                .pending
                .iter()
                .position(|p| matches!(p.waiting, Waiting::Reply) && p.rec.trans_id == h.id);
            if let Some(p) = late.and_then(|i| self.pending.remove(i)) {
                let mut rec = p.rec;
                // As Zeek's `dns_request`: the query's fields overwrite the reply's.
                fill_from_query(&mut rec, h, q);
                rec.is_response_only = false;
                out.record(rec);
                return;
            }
        }
        let mut rec = DnsRecord::new(ts, h.id);
        fill_from_query(&mut rec, h, q);
        if self.multicast {
            out.record(rec);
            return;
        }
        let waiting = Waiting::Query {
            qtype: rec.qtype,
            qclass: rec.qclass,
        };
        self.push(Pending { rec, waiting }, out);
    }

    /// The pending query a response with id `id` and question `q` answers:
    /// the first with the same id and question, else the first with the same
    /// id (Zeek pairs on the id alone).
    fn take_query(&mut self, id: u16, q: Option<&Question<'_>>) -> Option<DnsRecord> {
        let same_id =
            |p: &Pending| matches!(p.waiting, Waiting::Query { .. }) && p.rec.trans_id == id;
        let first = self.pending.iter().position(same_id)?;
        let mut chosen = first;
        if let Some(q) = q {
            let more = self.pending.iter().skip(first + 1).any(same_id);
            if more {
                let qname = name_string(q.name).ok();
                if let Some(i) = self.pending.iter().position(|p| {
                    same_id(p)
                        && matches!(p.waiting, Waiting::Query { qtype, qclass }
                            if qtype == Some(q.qtype) && qclass == Some(q.qclass))
                        && p.rec.query == qname
                }) {
                    chosen = i;
                }
            }
        }
        self.pending.remove(chosen).map(|p| p.rec)
    }

    fn on_response<O: RecordSink<DnsRecord>>(
        &mut self,
        ts: i64,
        msg: &Message<'_>,
        q: Option<&Question<'_>>,
        after_q: Option<usize>,
        out: &mut O,
    ) {
        let h = &msg.header;
        let matched = if self.multicast {
            None
        } else {
            self.take_query(h.id, q)
        };
        let paired = matched.is_some();
        let mut rec = matched.unwrap_or_else(|| {
            let mut r = DnsRecord::new(ts, h.id);
            r.is_response_only = true;
            r
        });
        rec.has_response = true;
        rec.rcode = Some(h.rcode());
        rec.rcode_name = Some(rcode_name(h.rcode()));
        set_opcode(&mut rec, h);
        // Zeek: `rcode != 0 && num_queries == 0` (set_session), or the
        // `dns_rejected` event: a question answered with no RRs at all.
        if h.rcode() != 0 && h.qdcount == 0 {
            rec.rejected = true;
        }
        if q.is_some() && h.ancount == 0 && h.nscount == 0 && h.arcount == 0 {
            rec.rejected = true;
        }
        if let Some(pos) = after_q {
            self.apply_records(ts, msg, pos, &mut rec, out);
        }
        if self.multicast || paired {
            out.record(rec);
        } else {
            self.push(
                Pending {
                    rec,
                    waiting: Waiting::Reply,
                },
                out,
            );
        }
    }

    /// Render the answer and authority sections into `rec`, Zeek's `do_reply`.
    fn apply_records<O: RecordSink<DnsRecord>>(
        &mut self,
        ts: i64,
        msg: &Message<'_>,
        pos: usize,
        rec: &mut DnsRecord,
        out: &mut O,
    ) {
        let h = &msg.header;
        let update = h.opcode() == OPCODE_UPDATE;
        let mut records = msg.records(pos);
        while let Some(item) = records.next() {
            let (section, rr) = match item {
                Ok(x) => x,
                Err(e) => {
                    weird_err(out, ts, &e);
                    break;
                }
            };
            if section == Section::Additional {
                // Neither `answers` nor `auth` use it: stop reading.
                break;
            }
            // Zeek stops at an empty RDATA that is not the end of the message
            // (`DNS_zero_rdlength`); UPDATE prerequisites and deletes are empty by design.
            if rr.rdata.is_empty() && !update && records.pos() < msg.bytes.len() {
                weird(out, ts, "dns_zero_rdlength", format!("type={}", rr.rtype));
                break;
            }
            let reply = match render_rr(msg.bytes, &rr, h.opcode(), section) {
                Ok(r) => r,
                Err(e) => {
                    weird_err(out, ts, &e);
                    break;
                }
            };
            let is_answer = section == Section::Answer || update;
            match reply {
                Reply::Silent => {}
                Reply::Empty | Reply::Text(_) if is_answer => {
                    if rec.query.is_none() {
                        rec.query = name_string(rr.name).ok();
                    }
                    rec.aa = h.aa();
                    rec.ra = h.ra();
                    if rec.rtt.is_none() {
                        let d = ts.saturating_sub(rec.ts_us);
                        // Zeek drops a zero rtt: it means only the reply was seen.
                        if d != 0 {
                            rec.rtt = Some(d as f64 / 1e6);
                        }
                    }
                    if let Reply::Text(s) = reply {
                        rec.answers.push(s);
                        rec.answer_types.push(type_name(rr.rtype).into_owned());
                        rec.ttls.push(rr.ttl);
                    }
                }
                Reply::Text(s) => {
                    if !rec.auth.contains(&s) {
                        rec.auth.push(s);
                    }
                }
                Reply::Empty => {}
            }
        }
    }

    /// Queue a waiting record, evicting the oldest past [`MAX_DNS_TX`].
    fn push<O: RecordSink<DnsRecord>>(&mut self, p: Pending, out: &mut O) {
        if self.pending.len() >= MAX_DNS_TX {
            if let Some(old) = self.pending.pop_front() {
                self.evicted += 1;
                weird(
                    out,
                    p.rec.ts_us,
                    "dns_too_many_transactions",
                    format!(
                        "more than {MAX_DNS_TX} open; flushed trans_id={}",
                        old.rec.trans_id
                    ),
                );
                self.emit(old, out);
            }
        }
        self.pending.push_back(p);
    }

    fn emit<O: RecordSink<DnsRecord>>(&mut self, p: Pending, out: &mut O) {
        if matches!(p.waiting, Waiting::Reply) {
            self.unmatched_replies += 1;
            weird(
                out,
                p.rec.ts_us,
                "dns_unmatched_reply",
                format!("trans_id={}", p.rec.trans_id),
            );
        }
        out.record(p.rec);
    }

    /// Write out everything still waiting, oldest first.
    pub fn flush<O: RecordSink<DnsRecord>>(&mut self, out: &mut O) {
        while let Some(p) = self.pending.pop_front() {
            self.emit(p, out);
        }
    }

    /// Number of waiting entries.
    pub fn open(&self) -> usize {
        self.pending.len()
    }
}
