//! Tests on captured bytes (`testdata/decoders/dns/*.bin`, cut from the Zeek
//! and Suricata test traces), checked against Zeek's `dns.log` baselines.

use super::*;
use crate::{VecSink, Weird};

macro_rules! bin {
    ($name:literal) => {
        include_bytes!(concat!("../../../testdata/decoders/dns/", $name)).as_slice()
    };
}

/// Feed UDP datagrams `(dir, ts_us, bytes)` to one parser and finish it.
fn run_udp(msgs: &[(Dir, i64, &[u8])]) -> VecSink<DnsRecord> {
    let mut p = DnsParser::new(Transport::Udp);
    let mut sink = VecSink::default();
    for &(dir, ts, bytes) in msgs {
        let r = p.feed(dir, ts, Segment::Data(bytes), &mut sink).unwrap();
        assert_eq!(r, Progress::Consumed(bytes.len()));
    }
    p.finish(&mut sink);
    sink
}

/// Feed a query datagram then its response datagram.
fn pair(q: &[u8], q_ts: i64, r: &[u8], r_ts: i64) -> DnsRecord {
    let mut s = run_udp(&[(Dir::Orig, q_ts, q), (Dir::Resp, r_ts, r)]);
    assert_eq!(s.records.len(), 1, "{:?}", s.records);
    s.records.remove(0)
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn names(weirds: &[Weird]) -> Vec<&'static str> {
    weirds.iter().map(|w| w.name).collect()
}

/// Feed TCP stream bytes in `chunks` the way the sensor does: keep the
/// unconsumed tail and append the next chunk to it.
fn feed_stream<'a>(
    p: &mut DnsParser,
    dir: Dir,
    ts: i64,
    chunks: impl IntoIterator<Item = &'a [u8]>,
    sink: &mut VecSink<DnsRecord>,
) -> crate::Result<usize> {
    let mut buf: Vec<u8> = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        match p.feed(dir, ts, Segment::Data(&buf), sink)? {
            Progress::Consumed(n) => {
                assert!(n <= buf.len());
                buf.drain(..n);
            }
            Progress::NeedMore { consumed, needed } => {
                assert!(consumed <= buf.len());
                buf.drain(..consumed);
                assert!(
                    needed > buf.len(),
                    "needed {needed} but {} buffered",
                    buf.len()
                );
            }
            Progress::Done => unreachable!("DNS never stops mid-stream"),
        }
    }
    Ok(buf.len())
}

fn run_tcp(client: &[&[u8]], server: &[&[u8]]) -> (VecSink<DnsRecord>, usize, usize) {
    let mut p = DnsParser::new(Transport::Tcp);
    let mut sink = VecSink::default();
    let a = feed_stream(&mut p, Dir::Orig, 10, client.iter().copied(), &mut sink).unwrap();
    let b = feed_stream(&mut p, Dir::Resp, 20, server.iter().copied(), &mut sink).unwrap();
    p.finish(&mut sink);
    (sink, a, b)
}

// ---------------------------------------------------------------- UDP, Zeek baselines

#[test]
fn udp_wks_answer_counts_without_a_string() {
    // Zeek: rtt 0.001993, AA, RD, RA, Z=2, no answers (WKS logs "").
    let r = pair(
        bin!("wks_query.bin"),
        1626316466298232,
        bin!("wks_response.bin"),
        1626316466300225,
    );
    assert_eq!(r.trans_id, 63119);
    assert_eq!(r.query.as_deref(), Some("zeek.example.net"));
    assert_eq!((r.qtype, r.qtype_name.as_deref()), (Some(11), Some("WKS")));
    assert_eq!(
        (r.qclass, r.qclass_name.as_deref()),
        (Some(1), Some("C_INTERNET"))
    );
    assert_eq!(
        (r.rcode, r.rcode_name.as_deref()),
        (Some(0), Some("NOERROR"))
    );
    assert_eq!(
        (r.opcode, r.opcode_name.as_deref()),
        (Some(0), Some("query"))
    );
    assert_eq!(r.rtt, Some(0.001993));
    assert!(r.aa && !r.tc && r.rd && r.ra && !r.rejected);
    assert_eq!(r.z, 2);
    assert!(r.answers.is_empty() && r.ttls.is_empty());
    assert!(r.has_response && !r.is_response_only);
    assert_eq!(r.ts_us, 1626316466298232);
}

#[test]
fn udp_cname_rrsig_a_and_duplicate_response() {
    // Zeek's duplicate-reponses baseline: the second response is its own record.
    let s = run_udp(&[
        (Dir::Orig, 1363716396798072, bin!("cname_rrsig_query.bin")),
        (
            Dir::Resp,
            1363716396798286,
            bin!("cname_rrsig_response.bin"),
        ),
        (
            Dir::Resp,
            1363716396798374,
            bin!("cname_rrsig_response_dup.bin"),
        ),
    ]);
    assert_eq!(s.records.len(), 2);
    let answers = strs(&[
        "www-cmu.andrew.cmu.edu",
        "RRSIG 5 cmu.edu",
        "www-cmu-2.andrew.cmu.edu",
        "128.2.10.163",
    ]);
    let first = &s.records[0];
    assert_eq!(first.rtt, Some(0.000214));
    assert_eq!(first.z, 1);
    assert_eq!(first.qtype_name.as_deref(), Some("A"));
    assert_eq!(first.answers, answers);
    assert_eq!(first.answer_types, strs(&["CNAME", "RRSIG", "CNAME", "A"]));
    assert_eq!(first.ttls, vec![86400, 86400, 5, 21600]);
    let dup = &s.records[1];
    assert!(dup.is_response_only && dup.has_response);
    assert_eq!(dup.ts_us, 1363716396798374);
    assert_eq!(dup.rtt, None);
    assert_eq!(dup.query.as_deref(), Some("www.cmu.edu"));
    assert_eq!((dup.qtype, dup.qclass, dup.z), (None, None, 0));
    assert!(dup.aa && !dup.rd);
    assert_eq!(dup.answers, answers);
    assert_eq!(names(&s.weirds), ["dns_unmatched_reply"]);
}

#[test]
fn udp_dynamic_update_renders_prerequisites_and_updates() {
    let r = pair(
        bin!("update_query.bin"),
        1676940453027625,
        bin!("update_response_refused.bin"),
        1676940453132025,
    );
    assert_eq!(r.query.as_deref(), Some("nwin2.stratolab.org"));
    assert_eq!(
        (r.rcode, r.rcode_name.as_deref()),
        (Some(5), Some("REFUSED"))
    );
    assert_eq!(
        (r.opcode, r.opcode_name.as_deref()),
        (Some(5), Some("dynamic-update"))
    );
    assert_eq!((r.qtype, r.qclass), (None, None));
    assert_eq!(r.rtt, Some(0.1044));
    assert_eq!(
        r.answers,
        strs(&[
            "pre: NoRRSet CNAME nwin2.stratolab.org",
            "del: RRSet AAAA",
            "del: RRSet A",
            "add: A nwin2.stratolab.org 192.168.1.106",
        ])
    );
    assert_eq!(r.ttls, vec![0, 0, 0, 1200]);
    assert!(!r.rejected);
}

#[test]
fn udp_loc_and_rrsig_from_truncated_loc_trace() {
    let r = pair(
        bin!("loc_truncated_query.bin"),
        1604880122851655,
        bin!("loc_truncated_response.bin"),
        1604880122851850,
    );
    assert_eq!(r.qtype_name.as_deref(), Some("*"));
    assert_eq!(r.rtt, Some(0.000195));
    assert_eq!(r.answers, strs(&["LOC:  18 21 19", "RRSIG 29 es.net"]));
    assert_eq!(r.ttls, vec![600, 600]);
}

#[test]
fn udp_spf_and_multiple_txt_strings() {
    let r = pair(bin!("spf_query.bin"), 1, bin!("spf_response.bin"), 2);
    assert_eq!(
        r.answers,
        strs(&["SPF 19 v=spf1 mx -all test", "SPF 14 v=spf1 mx -all"])
    );
    assert_eq!(r.ttls, vec![300, 300]);
    assert!(r.ra && !r.aa);
    let r = pair(
        bin!("txt_multiple_query.bin"),
        1,
        bin!("txt_multiple_response.bin"),
        2,
    );
    assert_eq!(
        r.answers,
        strs(&[
            "fa14._domainkey.flickr.com",
            "fa14._domainkey.yahoo.com",
            "TXT 127 k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDPdPfyJM2R2GqMyZM1flTzFeDIU+e7KmiKRw5yz3Xht+cgEIiHmm5lIGBuWCc5rtiy0CcxePpqccPKjn TXT 98 HSrDI23PU+HOuqJ6ergE1IOsL6LOEgG6YT53vMb8Z6UiBSsYPlrDEC+8CUIkTLMLXJauRK5bNRKV1ATGzGFpf3TjZtWwIDAQAB",
        ])
    );
    assert_eq!(r.ttls, vec![900, 900, 7200]);
}

#[test]
fn udp_dnssec_dnskey_ds_rrsig() {
    let r = pair(
        bin!("dnskey_query.bin"),
        1537557808534727,
        bin!("dnskey_response.bin"),
        1537557808552893,
    );
    assert_eq!(r.rtt, Some(0.018166));
    assert_eq!(
        r.answers,
        strs(&[
            "DNSKEY 5",
            "DNSKEY 5",
            "DNSKEY 5",
            "RRSIG 48 upenn.edu",
            "RRSIG 48 upenn.edu"
        ])
    );
    assert_eq!(r.ttls, vec![5, 5, 5, 3444, 3444]);
    let r = pair(
        bin!("ds_query.bin"),
        1537557828343603,
        bin!("ds_response.bin"),
        1537557828361424,
    );
    assert_eq!(r.answers, strs(&["DS 5 1", "DS 5 2", "RRSIG 43 edu"]));
    assert_eq!(r.rtt, Some(0.017821));
}

#[test]
fn udp_nsec_in_authority_fills_auth_only() {
    let r = pair(
        bin!("nsec_auth_query.bin"),
        1,
        bin!("nsec_auth_response.bin"),
        2,
    );
    // No answers: Zeek leaves rtt, AA and RA unset.
    assert_eq!((r.rtt, r.aa, r.ra, r.z), (None, false, false, 1));
    assert!(r.answers.is_empty());
    let mut auth = r.auth.clone();
    auth.sort();
    assert_eq!(
        auth,
        strs(&[
            "NSEC dla.library.upenn.edu dlxssvr.library.upenn.edu",
            "RRSIG 47 upenn.edu",
            "RRSIG 6 upenn.edu",
            "assailants.net.isc.upenn.edu",
        ])
    );
    let r = pair(
        bin!("a_cname_rrsig_query.bin"),
        1,
        bin!("a_cname_rrsig_response.bin"),
        1001,
    );
    assert_eq!(
        r.answers,
        strs(&["www.upenn.edgekey.net", "RRSIG 5 upenn.edu"])
    );
    assert_eq!(r.rtt, Some(0.001));
}

#[test]
fn udp_zero_answer_response_is_not_rejected_when_authority_present() {
    let r = pair(
        bin!("zero_rrs_query.bin"),
        1,
        bin!("zero_rrs_response.bin"),
        2,
    );
    assert_eq!(r.query.as_deref(), Some("psu.edu"));
    assert_eq!(r.rcode, Some(0));
    assert!(!r.rejected && !r.aa && !r.ra && r.rd);
    assert_eq!(r.rtt, None);
}

#[test]
fn udp_https_answer_is_silent_like_zeek() {
    let s = run_udp(&[(Dir::Resp, 5, bin!("https_response.bin"))]);
    let r = &s.records[0];
    assert!(r.is_response_only && r.answers.is_empty() && r.query.is_none());
}

#[test]
fn udp_rejected_response_without_rrs() {
    // The psu.edu query echoed back as REFUSED with no RRs at all.
    let q = bin!("zero_rrs_query.bin");
    let mut resp = q.to_vec();
    resp[2] |= 0x80;
    resp[3] = (resp[3] & 0xf0) | 5;
    resp[10] = 0;
    resp[11] = 0; // drop the query's additional count
    let body_end = 12 + 9 + 4; // "psu.edu" question
    resp.truncate(body_end);
    let r = pair(q, 1, &resp, 2);
    assert!(r.rejected);
    assert_eq!(r.rcode_name.as_deref(), Some("REFUSED"));
}

#[test]
fn udp_late_query_completes_pending_response() {
    let s = run_udp(&[
        (Dir::Resp, 5, bin!("spf_response.bin")),
        (Dir::Orig, 7, bin!("spf_query.bin")),
    ]);
    assert_eq!(s.records.len(), 1);
    let r = &s.records[0];
    assert!(!r.is_response_only && r.has_response);
    assert_eq!(r.qtype_name.as_deref(), Some("SPF"));
    assert_eq!(r.answers.len(), 2);
    assert!(s.weirds.is_empty());
}

#[test]
fn udp_unanswered_query_is_emitted_at_finish() {
    let mut p = DnsParser::new(Transport::Udp);
    let mut sink = VecSink::default();
    let _ = p.feed(Dir::Orig, 1, Segment::Data(bin!("ds_query.bin")), &mut sink);
    assert!(sink.records.is_empty());
    assert_eq!(p.open_transactions(), 1);
    p.finish(&mut sink);
    let r = &sink.records[0];
    assert!(!r.has_response && r.rcode.is_none() && r.rtt.is_none());
    assert_eq!(r.query.as_deref(), Some("upenn.edu"));
}

#[test]
fn udp_multicast_logs_every_message() {
    let mut p = DnsParser::new_multicast(Transport::Udp);
    let mut sink = VecSink::default();
    let _ = p.feed(Dir::Orig, 1, Segment::Data(bin!("ds_query.bin")), &mut sink);
    let _ = p.feed(
        Dir::Resp,
        2,
        Segment::Data(bin!("ds_response.bin")),
        &mut sink,
    );
    assert_eq!(sink.records.len(), 2);
    assert!(!sink.records[0].has_response);
    assert!(sink.records[1].is_response_only);
    p.finish(&mut sink);
    assert_eq!(sink.records.len(), 2);
}

#[test]
fn udp_bad_rr_keeps_earlier_answers() {
    // Cut the DS response inside the third answer (the RRSIG).
    let full = bin!("ds_response.bin");
    let r = pair(bin!("ds_query.bin"), 1, &full[..full.len() - 60], 2);
    assert_eq!(r.answers, strs(&["DS 5 1", "DS 5 2"]));
}

#[test]
fn udp_short_datagram_is_a_weird() {
    let s = run_udp(&[(Dir::Orig, 1, &[1, 2, 3])]);
    assert!(s.records.is_empty());
    assert_eq!(names(&s.weirds), ["dns_truncated"]);
}

#[test]
fn udp_truncation_at_every_length_never_panics() {
    for msg in [
        bin!("dnskey_response.bin"),
        bin!("update_response_refused.bin"),
        bin!("txt_multiple_response.bin"),
    ] {
        for len in 0..msg.len() {
            let _ = run_udp(&[(Dir::Resp, 1, &msg[..len])]);
        }
    }
}

#[test]
fn udp_transaction_cap_gives_weird_and_flushes_oldest() {
    let base = bin!("ds_query.bin");
    let mut p = DnsParser::new(Transport::Udp);
    let mut sink = VecSink::default();
    for id in 0..(MAX_DNS_TX as u16 + 10) {
        let mut q = base.to_vec();
        q[0..2].copy_from_slice(&id.to_be_bytes());
        let _ = p.feed(Dir::Orig, i64::from(id), Segment::Data(&q), &mut sink);
    }
    assert_eq!(p.open_transactions(), MAX_DNS_TX);
    assert_eq!(sink.records.len(), 10);
    assert_eq!(sink.records[0].trans_id, 0);
    assert_eq!(sink.weirds.len(), 10);
    assert!(sink
        .weirds
        .iter()
        .all(|w| w.name == "dns_too_many_transactions"));
    assert_eq!(p.stats().evicted_tx, 10);
    p.finish(&mut sink);
    assert_eq!(sink.records.len(), MAX_DNS_TX + 10);
}

// ---------------------------------------------------------------- TCP

const MULTI_CLIENT: &[u8] = bin!("tcp_multi_client_stream.bin");
const MULTI_SERVER: &[u8] = bin!("tcp_multi_server_stream.bin");

#[test]
fn tcp_many_messages_in_one_segment() {
    let (s, a, b) = run_tcp(&[MULTI_CLIENT], &[MULTI_SERVER]);
    assert_eq!((a, b), (0, 0));
    assert_eq!(s.records.len(), 20, "{:?}", s.weirds);
    assert!(s
        .records
        .iter()
        .all(|r| r.has_response && !r.is_response_only));
    assert!(s.weirds.is_empty(), "{:?}", s.weirds);
    // NXDOMAIN with only a SOA in authority: no answers, hence no rtt (Zeek).
    for (i, r) in s.records.iter().enumerate() {
        assert_eq!(r.trans_id, i as u16);
        assert_eq!(r.query.as_deref(), Some(format!("{i}.google.com").as_str()));
        assert_eq!(r.rcode_name.as_deref(), Some("NXDOMAIN"));
        assert_eq!(r.auth.len(), 1);
        assert_eq!(r.rtt, None);
    }
}

#[test]
fn tcp_same_records_when_split_at_every_offset() {
    let (whole, _, _) = run_tcp(&[MULTI_CLIENT], &[MULTI_SERVER]);
    for k in 0..=MULTI_CLIENT.len() {
        let (s, a, _) = run_tcp(&[&MULTI_CLIENT[..k], &MULTI_CLIENT[k..]], &[MULTI_SERVER]);
        assert_eq!(a, 0);
        assert_eq!(s.records, whole.records, "client split at {k}");
    }
    for k in 0..=MULTI_SERVER.len() {
        let (s, _, b) = run_tcp(&[MULTI_CLIENT], &[&MULTI_SERVER[..k], &MULTI_SERVER[k..]]);
        assert_eq!(b, 0);
        assert_eq!(s.records, whole.records, "server split at {k}");
    }
}

#[test]
fn tcp_same_records_when_fed_byte_by_byte() {
    let (whole, _, _) = run_tcp(&[MULTI_CLIENT], &[MULTI_SERVER]);
    let c: Vec<&[u8]> = MULTI_CLIENT.chunks(1).collect();
    let s: Vec<&[u8]> = MULTI_SERVER.chunks(1).collect();
    let (bytewise, _, _) = run_tcp(&c, &s);
    assert_eq!(bytewise.records, whole.records);
}

#[test]
fn tcp_tkey_message_spanning_segments() {
    // Zeek's tkey baseline: TKEY query, NOERROR, no rtt and no answers (TKEY is not logged).
    let client = bin!("tcp_tkey_client_stream.bin");
    let segs: Vec<&[u8]> = client.chunks(1460).collect();
    let (s, a, b) = run_tcp(&segs, &[bin!("tcp_tkey_server_stream.bin")]);
    assert_eq!((a, b), (0, 0));
    assert_eq!(s.records.len(), 1);
    let r = &s.records[0];
    assert_eq!(
        r.query.as_deref(),
        Some("1068-ms-7.309-2c6e448.7a9463b8-b109-11ed-26a3-080027f220e5")
    );
    assert_eq!(
        (r.qtype, r.qtype_name.as_deref()),
        (Some(249), Some("TKEY"))
    );
    assert_eq!(r.rcode_name.as_deref(), Some("NOERROR"));
    assert_eq!(r.rtt, None);
    assert!(r.answers.is_empty() && !r.rd && !r.aa);
}

#[test]
fn tcp_truncation_at_every_length_gives_need_more_or_err() {
    for stream in [
        MULTI_CLIENT,
        MULTI_SERVER,
        bin!("tcp_tkey_client_stream.bin"),
    ] {
        for len in 0..stream.len() {
            let mut p = DnsParser::new(Transport::Tcp);
            let mut sink = VecSink::default();
            match p.feed(Dir::Orig, 1, Segment::Data(&stream[..len]), &mut sink) {
                Ok(Progress::Consumed(n)) => assert!(n <= len),
                Ok(Progress::NeedMore { consumed, needed }) => {
                    assert!(consumed <= len && needed > len - consumed)
                }
                Ok(Progress::Done) => panic!("Done on data"),
                Err(_) => {}
            }
        }
    }
}

#[test]
fn tcp_gap_then_resync_on_next_message() {
    let mut p = DnsParser::new(Transport::Tcp);
    let mut sink = VecSink::default();
    // Queries are 32 bytes each: 0..=2 go through, a hole swallows 100..140
    // (queries 3 and 4); the boundary at 160 (query 5) must be found.
    let _ = feed_stream(&mut p, Dir::Orig, 1, [&MULTI_CLIENT[..100]], &mut sink).unwrap();
    let _ = p.feed(Dir::Orig, 2, Segment::Gap(40), &mut sink).unwrap();
    let tail = feed_stream(&mut p, Dir::Orig, 3, [&MULTI_CLIENT[140..]], &mut sink).unwrap();
    assert_eq!(tail, 0);
    let _ = feed_stream(&mut p, Dir::Resp, 4, [MULTI_SERVER], &mut sink).unwrap();
    p.finish(&mut sink);
    let st = p.stats();
    assert_eq!(st.gap_bytes, 40);
    assert_eq!(st.resyncs, 1);
    assert_eq!(st.skipped_bytes, 20);
    assert!(sink.weirds.iter().any(|w| w.name == "dns_resync"));
    // Queries lost in the gap show up as response-only records; all others pair.
    let paired = sink.records.iter().filter(|r| !r.is_response_only).count();
    let lost = sink.records.iter().filter(|r| r.is_response_only).count();
    assert_eq!(paired, 18);
    assert_eq!(lost, 2);
    let lost_ids: Vec<u16> = sink
        .records
        .iter()
        .filter(|r| r.is_response_only)
        .map(|r| r.trans_id)
        .collect();
    assert_eq!(lost_ids, [3, 4]);
}

#[test]
fn tcp_gap_with_no_boundary_skips_and_counts() {
    let mut p = DnsParser::new(Transport::Tcp);
    let mut sink = VecSink::default();
    let _ = p.feed(Dir::Orig, 1, Segment::Gap(10), &mut sink).unwrap();
    let junk = vec![0xffu8; 1000];
    let r = p
        .feed(Dir::Orig, 2, Segment::Data(&junk), &mut sink)
        .unwrap();
    assert!(matches!(r, Progress::NeedMore { consumed, .. } if consumed > 0));
    assert!(p.stats().skipped_bytes > 0);
    assert!(sink.records.is_empty());
}

#[test]
fn tcp_short_length_prefix_is_a_framing_error() {
    let mut p = DnsParser::new(Transport::Tcp);
    let mut sink = VecSink::default();
    let err = p
        .feed(Dir::Orig, 1, Segment::Data(&[0, 3, 1, 2, 3]), &mut sink)
        .unwrap_err();
    assert_eq!(err.weird_name(), "dns_bad_tcp_length");
    assert_eq!(
        p.feed(Dir::Orig, 1, Segment::Eof, &mut sink),
        Ok(Progress::Done)
    );
}

#[test]
fn probes_accept_dns_and_reject_junk() {
    assert!(probe_udp(bin!("ds_query.bin")));
    assert!(probe_udp(bin!("dnskey_response.bin")));
    assert!(!probe_udp(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert!(!probe_udp(&[0; 11]));
    assert!(probe_tcp(MULTI_CLIENT));
    assert!(probe_tcp(&MULTI_CLIENT[..20]));
    assert!(probe_tcp(bin!("tcp_tkey_client_stream.bin")));
    assert!(!probe_tcp(bin!("ds_query.bin")));
    assert!(!probe_tcp(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"));
}

// ---------------------------------------------------------------- properties

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn udp_arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = run_udp(&[(Dir::Orig, 1, &data), (Dir::Resp, 2, &data)]);
            let _ = probe_udp(&data);
        }

        #[test]
        fn udp_mutated_messages_never_panic(
            idx in 0usize..4, pos in any::<proptest::sample::Index>(), byte in any::<u8>()
        ) {
            let msgs = [bin!("dnskey_response.bin"), bin!("update_response_refused.bin"),
                        bin!("nsec_auth_response.bin"), bin!("txt_multiple_response.bin")];
            let mut m = msgs[idx].to_vec();
            let i = pos.index(m.len());
            m[i] = byte;
            let _ = run_udp(&[(Dir::Resp, 1, &m)]);
        }

        #[test]
        fn tcp_arbitrary_bytes_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..600),
            cut in 0usize..600,
            gap in any::<bool>(),
        ) {
            let mut p = DnsParser::new(Transport::Tcp);
            let mut sink = VecSink::default();
            if gap {
                let _ = p.feed(Dir::Resp, 1, Segment::Gap(7), &mut sink);
            }
            let cut = cut.min(data.len());
            let _ = feed_stream(&mut p, Dir::Resp, 1, [&data[..cut], &data[cut..]], &mut sink);
            p.finish(&mut sink);
            let _ = probe_tcp(&data);
        }
    }
}
