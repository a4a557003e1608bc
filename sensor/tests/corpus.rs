//! Fidelity against peer tools: every vendored corpus capture is replayed by the
//! real binary, must not crash, and its `flow`, `dns`, `tls` and `x509` records are
//! compared with what Zeek (conn.log, dns.log, ssl.log, x509.log), Arkime (session
//! counters, TLS fingerprints, certificates) and FoxIO's JA4 reference extracted
//! from the same capture (`testdata/corpus/expected/`, format in `EXPECTED.md`).
//! JA4S and JA4X are compared only in a build with the `ja4plus` feature.
//!
//! Every disagreement fails the test unless it is in [`ALLOW`], which says why we
//! keep it.

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

/// Known, explained differences: (capture prefix, peer.kind.field, why). The capture
/// prefix is matched against `"<pcap> <proto> <orig_h>:<orig_p> > <resp_h>:<resp_p>"` of
/// the expected record, so an entry can name a whole capture or one flow of it.
const ALLOW: &[(&str, &str, &str)] = &[
    (
        "",
        "zeek.http.version",
        "SCHEMA.md: `version` is the request's and `resp_version` the response's; Zeek's \
         single `version` column is overwritten by the reply's version",
    ),
    (
        "",
        "zeek.http.response_body_len",
        "SCHEMA.md: body lengths are after de-chunking, before content decoding; Zeek logs \
         the decoded length (our files.seen_bytes holds that one, and agrees with Zeek's)",
    ),
    (
        "zeek-tunnels-Teredo.pcap",
        "zeek.http.",
        "one HTTP transaction inside Teredo that we do not pair, and a status message Zeek \
         prints as `<empty>`: not yet investigated",
    ),
    (
        "zeek-tunnels-teredo_bubble_with_payload.pcap",
        "zeek.http.",
        "same Teredo capture family as above: not yet investigated",
    ),
    (
        "zeek-mixed-vlan-mpls.pcap",
        "zeek.http.",
        "an HTTP transaction Zeek logs and we do not: not yet investigated",
    ),
    (
        "zeek-nflog-http.pcap",
        "zeek.http.",
        "an HTTP transaction Zeek logs and we do not: not yet investigated",
    ),
    (
        "zeek-tcp-http-with-padding.pcap",
        "zeek.http.",
        "an HTTP transaction Zeek logs and we do not: not yet investigated",
    ),
    (
        "zeek-tunnels-gtp-gtp2_different_udp_port.pcap",
        "zeek.http.",
        "HTTP inside GTP on a non-standard UDP port: not yet investigated",
    ),
    (
        "zeek-rdp-rdp-x509.pcap",
        "zeek.x509.",
        "certificates carried in RDP's own MCS/GCC messages, not TLS: no RDP decoder",
    ),
    (
        "zeek-http-http-single-conn-22.pcap",
        "zeek.http.response_body_len",
        "2 bytes of a read-until-close body differ from Zeek's count: not yet investigated",
    ),
    (
        "zeek-http-methods.pcap",
        "zeek.http.",
        "a scan of unusual and malformed request lines (`HTTP/1.` versions, bare methods): \
         our HTTP decoder does not accept several of them as Zeek does yet",
    ),
    (
        "zeek-http-http-bad-request-with-version.pcap",
        "zeek.http.version",
        "Zeek logs the version of a request line it otherwise rejects; we log none",
    ),
    (
        "zeek-http-206_example_",
        "zeek.file.",
        "Zeek stitches 206 partial-content ranges of one resource into one file; we log each \
         body as its own file",
    ),
    (
        "zeek-smb-",
        "zeek.file.",
        "files carried by SMB arrive with the SMB decoder",
    ),
    (
        "arkime-https-connect.pcap",
        "",
        "TLS inside an HTTP CONNECT tunnel: the HTTP decoder logs the CONNECT and stops; the \
         tunnel is not handed to TLS detection yet",
    ),
    (
        "arkime-opcua_synthetic.pcap",
        "arkime.x509.",
        "certificates carried in OPC UA OpenSecureChannel messages, not TLS: no OPC UA decoder",
    ),
    (
        "arkime-arkime_synthetic.pcap",
        "arkime.tls.",
        "synthetic sessions whose ClientHello record is cut short by the capture (69 bytes \
         announced, 64 present): we log no session for a hello we cannot read, Arkime logs \
         an empty tls entry",
    ),
    (
        "ja4-http2-with-cookies.pcapng",
        "ja4.",
        "the JA4 tool's test decrypts this TLS 1.3 capture with a key log file, so it sees \
         the encrypted certificates and the HTTP/2 requests inside; a passive sensor sees \
         ciphertext (its ClientHello, JA4 and JA4S do agree)",
    ),
    (
        "arkime-single-packets.pcap",
        "ja4.http",
        "an HTTP request split into single-byte packets that we do not log: not yet \
         investigated",
    ),
    (
        "zeek-dns-spf.pcap",
        "zeek.dns.rd",
        "the query's UDP checksum is bad (offloaded checksum on the capture host): Zeek drops \
         packets with bad checksums by default and so never saw the query; we decode it, as \
         Suricata does for offloaded captures, and take rd from it",
    ),
    (
        "zeek-dns-spf.pcap",
        "zeek.dns.z",
        "same bad-checksum query as above: Zeek's z is the response's",
    ),
    (
        "zeek-dns-txt-multiple.pcap",
        "zeek.dns.rd",
        "same bad-checksum query case as zeek-dns-spf",
    ),
    (
        "zeek-dns-loc-29-trunc.pcap",
        "zeek.dns.",
        "query and response carry different VLAN ids (1042 out, 1041 back); flows are keyed on \
         5-tuple + VLAN (the issue's rule, Suricata's vlan.use-for-tracking default), so they are \
         two flows and the response is logged on its own; Zeek's default key ignores VLANs",
    ),
    (
        "arkime-mongo.pcap",
        "arkime.flow.",
        "every packet is captured twice, on VLANs 300 and 50 (or the reply returns on the other \
         VLAN); Arkime leaves VLANs out of its session key, we key flows on the outer VLAN like \
         Suricata's vlan.use-for-tracking, so each copy is its own flow",
    ),
    ("arkime-cassandra1.pcap", "arkime.flow.", "same two-VLAN capture as arkime-mongo"),
    (
        "arkime-CVE-2018-6794.pcap",
        "arkime.flow.orig_",
        "Arkime keeps counting FIN retransmissions and an RST up to 19 s after both FINs; we follow \
         Zeek: the flow ends tcp_close_delay (5 s) after both sides closed, later packets start a \
         new flow",
    ),
    (
        "arkime-single-packets.pcap",
        "arkime.flow.",
        "the only packet of one session goes from server port 80 to the client: Arkime names the \
         client source but counts the packet on the source side; we, like Zeek (history ^d), orient \
         to the client and count it as a responder packet",
    ),
    (
        "arkime-wireshark-dhcp",
        "arkime.flow.",
        "Arkime groups a DHCP exchange (broadcast request, unicast reply) into one session and \
         ICMPv6 by address pair; we key by 5-tuple and ICMP type like Zeek's conn.log",
    ),
    (
        "zeek-tunnels-Teredo.pcap",
        "zeek.flow.",
        "Zeek's DNS analyzer ends a DNS session after dns_session_timeout (10 s idle), so a 15.7 s \
         pause splits one 5-tuple into two connections; that application timer is not ours (the \
         UDP idle timeout is 60 s, as Zeek's udp_inactivity_timeout)",
    ),
    (
        "zeek-tunnels-gtp-gtp2_different_udp_port.pcap",
        "zeek.flow.history",
        "the X letter is Zeek's 'analysis partial: limits exceeded', an analyzer-internal flag",
    ),
    (
        "zeek-ntp-misordered-ntp.pcap",
        "zeek.flow.",
        "both ports are 123; Zeek's NTP analyzer swaps the roles by NTP mode after the first packet \
         (logging D^ with 2/0 packets); we orient by the first packet (1/1, SF)",
    ),
    (
        "arkime-arkime_synthetic.pcap udp 10.9.8.1:",
        "arkime.flow.",
        "the second datagram has UDP length 0: Arkime files it as a port-less corrupt-ip \
         session; we, like Zeek (UDP_datagram_length_mismatch), count it on its 5-tuple",
    ),
    (
        "arkime-arkime_synthetic.pcap udp 0.0.0.0:68 > 255.255.255.255:67",
        "arkime.flow.",
        "same DHCP grouping as arkime-wireshark-dhcp: Arkime adds the unicast reply to the \
         broadcast request's session",
    ),
    (
        "arkime-arkime_synthetic.pcap udp 10.1.15.1:53 ",
        "arkime.flow.",
        "a lone DNS response: Arkime names its sender source; we orient to the client like Zeek \
         (^d), as in arkime-single-packets",
    ),
    (
        "arkime-arkime_synthetic.pcap udp 10.1.16.1:53 ",
        "arkime.flow.",
        "lone DNS response, as above",
    ),
    (
        "arkime-arkime_synthetic.pcap udp 10.1.17.1:53 ",
        "arkime.flow.",
        "lone DNS response, as above",
    ),
    (
        "arkime-arkime_synthetic.pcap udp 10.4.2.1:161 ",
        "arkime.flow.",
        "a lone SNMP response, oriented to the client like Zeek, as above",
    ),
    (
        "arkime-arkime_synthetic.pcap udp 192.0.2.10:12345 > 192.0.2.20:53",
        "arkime.flow.",
        "the synthetic VXLAN-GPE header has the P (next protocol) bit clear, which per the \
         draft means plain VXLAN (Ethernet inside); Arkime reads the next-protocol byte anyway",
    ),
    (
        "arkime-arkime_synthetic.pcap udp 10.40.9.100:4790 > 10.40.9.1:40000",
        "arkime.flow.",
        "same VXLAN-GPE pair: Arkime decapsulates only toward port 4790 and keeps the reply as \
         an outer session; we track the outer flow of both packets (request first)",
    ),
    (
        "arkime-arkime_synthetic.pcap udp 10.111.111.10:5353 > 10.111.111.20:53",
        "arkime.flow.",
        "Arkime decapsulates Geneve only toward port 6081; we, like Zeek (responder port of the \
         outer connection), decapsulate the reply from 6081 too, so it joins the inner flow",
    ),
    (
        "arkime-arkime_synthetic.pcap udp 10.222.222.20:6081 > 10.222.222.10:12345",
        "arkime.flow.",
        "the Geneve reply Arkime did not decapsulate (above): it is in our outer flow, oriented \
         to the request's sender",
    ),
    (
        "arkime-ospf.pcap 103 ",
        "arkime.flow.",
        "Arkime puts all PIM (and IGMP) packets of a capture into one session per protocol; we \
         key them by address pair, as Zeek's conn.log does",
    ),
    ("arkime-ospf.pcap 2 ", "arkime.flow.", "IGMP: same per-protocol session as PIM above"),
    (
        "arkime-ospf.pcap tcp 172.16.0.",
        "arkime.flow.",
        "mid-stream BGP keepalives from port 179: Arkime names the sender source; we orient to \
         the ephemeral-port side as Zeek does (^ history)",
    ),
    (
        "arkime-v6.pcap icmp6 ",
        "arkime.flow.",
        "Arkime groups ICMPv6 by address pair; we key by ICMP type like Zeek (as in \
         arkime-wireshark-dhcp)",
    ),
    (
        "arkime-dns-flags0110.pcap",
        "arkime.flow.",
        "the DNS query is on VLAN 500 and the response untagged: two flows under our 5-tuple + \
         VLAN key (as zeek-dns-loc-29-trunc); Arkime leaves VLANs out of its key",
    ),
    (
        "arkime-gtp-iphone.pcap udp fd00:183:1:1:1886:9040:8605:32b8:5060 > fd01::183:5060",
        "arkime.flow.",
        "66 s pass between the two SIP exchanges, past the 60 s UDP inactivity timeout (Zeek's \
         udp_inactivity_timeout), so we log two flows; Arkime's test setup keeps one session",
    ),
    (
        "zeek-tunnels-teredo_bubble_with_payload.pcap icmp6 2001:0:4137:9e50:8000:f12a:b9c8:2815:",
        "zeek.flow.",
        "echo request and reply travel in different Teredo outer tunnels (server, then relay); \
         workers are chosen by the outer address pair, so with several workers the halves can \
         land in different flow tables (the same limit as a Zeek cluster); --workers 1 agrees",
    ),
];

/// (expected field, our field) per peer and kind.
const ZEEK_FLOW: &[(&str, &str)] = &[
    ("conn_state", "state"),
    ("history", "history"),
    ("orig_pkts", "orig_pkts"),
    ("resp_pkts", "resp_pkts"),
    ("orig_ip_bytes", "orig_ip_bytes"),
    ("resp_ip_bytes", "resp_ip_bytes"),
    ("orig_seq_bytes", "orig_bytes"),
    ("resp_seq_bytes", "resp_bytes"),
    ("missed_bytes", "missed_bytes"),
    ("duration", "duration"),
];
const ARKIME_FLOW: &[(&str, &str)] = &[
    ("orig_pkts", "orig_pkts"),
    ("resp_pkts", "resp_pkts"),
    ("orig_frame_bytes", "orig_l2_bytes"),
    ("resp_frame_bytes", "resp_l2_bytes"),
];
const ZEEK_DNS: &[(&str, &str)] = &[
    ("trans_id", "trans_id"),
    ("query", "query"),
    ("qclass", "qclass"),
    ("qclass_name", "qclass_name"),
    ("qtype", "qtype"),
    ("qtype_name", "qtype_name"),
    ("rcode", "rcode"),
    ("rcode_name", "rcode_name"),
    ("opcode", "opcode"),
    ("opcode_name", "opcode_name"),
    ("aa", "aa"),
    ("tc", "tc"),
    ("rd", "rd"),
    ("ra", "ra"),
    ("z", "z"),
    ("rejected", "rejected"),
    ("rtt", "rtt"),
    ("answers", "answers"),
    ("ttls", "ttls"),
];

const ZEEK_TLS: &[(&str, &str)] = &[
    ("sni", "server_name"),
    ("version", "version"),
    ("cipher", "cipher"),
    ("curve", "curve"),
    ("resumed", "resumed"),
    ("established", "established"),
    ("last_alert", "last_alert"),
    ("server_cert_chain_sha256", "cert_chain_fps"),
    ("client_cert_chain_sha256", "client_cert_chain_fps"),
    ("server_subject", "subject"),
    ("server_issuer", "issuer"),
    ("sni_matches_cert", "sni_matches_cert"),
];
const JA4_TLS: &[(&str, &str)] = &[("sni", "server_name"), ("ja4", "ja4"), ("ja4s", "ja4s")];
const ARKIME_TLS: &[(&str, &str)] = &[
    ("sni", "server_name"),
    ("versions", "version"),
    ("ciphers", "cipher"),
    ("ja3", "ja3"),
    ("ja3_string", "ja3_string"),
    ("ja3s", "ja3s"),
    ("ja3s_string", "ja3s_string"),
    ("ja4", "ja4"),
    ("ja4_r", "ja4_r"),
];
const ZEEK_X509: &[(&str, &str)] = &[
    ("sha256", "fingerprint_sha256"),
    ("version", "version"),
    ("serial", "serial"),
    ("subject", "subject"),
    ("issuer", "issuer"),
    ("not_before", "not_before"),
    ("not_after", "not_after"),
    ("key_alg", "key_alg"),
    ("sig_alg", "sig_alg"),
    ("key_type", "key_type"),
    ("key_length", "key_length"),
    ("exponent", "exponent"),
    ("curve", "curve"),
    ("san_dns", "san_dns"),
    ("ca", "is_ca"),
    ("path_len", "path_len"),
    ("host_cert", "host_cert"),
    ("client_cert", "client_cert"),
];
const JA4_X509: &[(&str, &str)] = &[("chain_index", "chain_index"), ("ja4x", "ja4x")];
const ARKIME_X509: &[(&str, &str)] = &[
    ("sha1", "fingerprint_sha1"),
    ("not_before", "not_before"),
    ("not_after", "not_after"),
    ("key_alg", "key_alg"),
];

const ZEEK_HTTP: &[(&str, &str)] = &[
    ("trans_depth", "trans_depth"),
    ("method", "method"),
    ("host", "host"),
    ("uri", "uri"),
    ("referrer", "referrer"),
    ("version", "version"),
    ("user_agent", "user_agent"),
    ("status_code", "status_code"),
    ("status_msg", "status_msg"),
    ("request_body_len", "request_body_len"),
    ("response_body_len", "response_body_len"),
    ("username", "username"),
    ("resp_mime_types", "resp_mime_types"),
];
const JA4_HTTP: &[(&str, &str)] = &[("ja4h", "ja4h")];
const ZEEK_FILE: &[(&str, &str)] = &[
    ("source", "source"),
    ("mime_type", "mime_type"),
    ("seen_bytes", "seen_bytes"),
    ("total_bytes", "total_bytes"),
    ("missing_bytes", "missing_bytes"),
    ("md5", "md5"),
    ("sha1", "sha1"),
    ("sha256", "sha256"),
];

/// Fields only a `ja4plus` build fills (FoxIO License 1.1 fingerprints).
const JA4PLUS_FIELDS: &[&str] = &["ja4s", "ja4x", "ja4h"];

/// Seconds since the epoch of our RFC 3339 timestamps (`2014-04-09T12:05:08.000000Z`).
fn epoch_seconds(ts: &str) -> Option<f64> {
    let num = |r: std::ops::Range<usize>| ts.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm) = (num(11..13)?, num(14..16)?);
    let secs: f64 = ts.get(17..)?.trim_end_matches('Z').parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + hh * 3_600 + mm * 60) as f64 + secs)
}

/// Our value of `of` in the peer's representation, where the two differ only in form.
fn ours_as_peer(peer: &str, kind: &str, ef: &str, ours: &Value) -> Value {
    match (ef, ours) {
        ("not_before" | "not_after", Value::String(s)) => {
            epoch_seconds(s).map_or(Value::Null, Value::from)
        }
        // Arkime spells versions `TLSv1.2`, Zeek and we `TLSv12`; Arkime keeps per-session
        // sets, so one value of ours is a one-element list.
        ("versions", Value::String(s)) => {
            let v = match s.as_str() {
                "TLSv10" => "TLSv1",
                "TLSv11" => "TLSv1.1",
                "TLSv12" => "TLSv1.2",
                "TLSv13" => "TLSv1.3",
                other => other,
            };
            Value::Array(vec![Value::String(v.to_string())])
        }
        (_, Value::String(_)) if peer == "arkime" && kind == "tls" => {
            Value::Array(vec![ours.clone()])
        }
        _ => ours.clone(),
    }
}

/// Arkime names IP protocols; we write the number (SCHEMA.md `proto`).
fn proto_number(name: &str) -> &str {
    match name {
        "sctp" => "132",
        "esp" => "50",
        "ah" => "51",
        "gre" => "47",
        "ospf" => "89",
        "igmp" => "2",
        "pim" => "103",
        "vrrp" => "112",
        other => other,
    }
}

/// Does our record `r` have the expected record's flow identity? Arkime leaves
/// ports 0 for ICMP and the protocol empty for some, so those compare addresses
/// (and protocol when given) only.
fn same_flow(exp: &Value, r: &Value) -> bool {
    let (eh, ep, rh, rp, proto) = five_tuple(exp, false);
    let (oh, op, orh, orp, oproto) = five_tuple(r, true);
    if eh != oh || rh != orh {
        return false;
    }
    let proto = proto_number(&proto);
    let loose_ports = exp["peer"] == "arkime" && ep == 0 && rp == 0;
    (proto.is_empty() || proto == oproto) && (loose_ports || (ep == op && rp == orp))
}

fn five_tuple(v: &Value, ours: bool) -> (String, i64, String, i64, String) {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let n = |k: &str| v[k].as_i64().unwrap_or(-1);
    if ours {
        (
            s("src_ip"),
            n("src_port"),
            s("dst_ip"),
            n("dst_port"),
            s("proto"),
        )
    } else {
        let proto = match v["proto"]
            .as_u64()
            .map_or_else(|| s("proto"), |n| n.to_string())
            .as_str()
        {
            "icmp" if s("orig_h").contains(':') => "icmp6".to_string(),
            p => p.to_string(),
        };
        (s("orig_h"), n("orig_p"), s("resp_h"), n("resp_p"), proto)
    }
}

/// Peer value vs ours, with only representational normalisation (floats within
/// rounding of the peer's printed precision, TTL floats vs integers).
fn same(field: &str, exp: &Value, ours: &Value) -> bool {
    match (exp, ours) {
        (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() || field == "ttls" => {
            let (a, b) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            (a - b).abs() <= 1.5e-6 * a.abs().max(1.0)
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(field, x, y))
        }
        (Value::Array(a), Value::Null) => a.is_empty(),
        _ => exp == ours,
    }
}

/// Beyond the flow: which of our records an expected record describes.
fn same_key(peer: &str, kind: &str, exp: &Value, r: &Value) -> bool {
    let eq = |ef: &str, of: &str| match exp.get(ef) {
        None => true,
        Some(Value::String(e)) => r[of].as_str().is_some_and(|o| o.eq_ignore_ascii_case(e)),
        Some(Value::Array(list)) if list.len() == 1 => r[of].as_str() == list[0].as_str(),
        Some(e) => &r[of] == e,
    };
    match (peer, kind) {
        (_, "dns") => eq("trans_id", "trans_id") && eq("query", "query"),
        (_, "tls") => eq("sni", "server_name"),
        ("zeek", "x509") => eq("sha256", "fingerprint_sha256"),
        ("arkime", "x509") => eq("sha1", "fingerprint_sha1"),
        ("ja4", "x509") => eq("chain_index", "chain_index"),
        ("zeek", "http") => eq("trans_depth", "trans_depth") && eq("uri", "uri"),
        ("ja4", "http") => eq("ja4h", "ja4h"),
        ("zeek", "file") => eq("sha256", "sha256") && eq("seen_bytes", "seen_bytes"),
        _ => true,
    }
}

#[derive(Default)]
struct Tally {
    fields: u64,
    agree: u64,
    allowed: u64,
    records: u64,
    missing: u64,
    failures: Vec<String>,
}

#[test]
fn corpus_records_agree_with_zeek_arkime_and_ja4() {
    let dir = common::testdata().join("corpus");
    let mut pcaps: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    pcaps.sort();
    assert!(pcaps.len() > 100, "vendored corpus missing");
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut crashes = Vec::new();
    for pcap in &pcaps {
        let name = pcap.file_name().unwrap().to_string_lossy().to_string();
        let (out, recs) = common::replay_jsonl(&[pcap.to_str().unwrap()]);
        match out.status.code() {
            Some(0) | Some(1) => {}
            other => crashes.push(format!(
                "{name}: exit {other:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            )),
        }
        let expected = dir.join("expected").join(format!("{name}.jsonl"));
        let Ok(text) = std::fs::read_to_string(&expected) else {
            continue;
        };
        let flows: Vec<&Value> = common::of(&recs, "flow")
            .into_iter()
            .filter(|r| r["final"] == true)
            .collect();
        let dns = common::of(&recs, "dns");
        let tls = common::of(&recs, "tls");
        let x509 = common::of(&recs, "x509");
        let http = common::of(&recs, "http");
        let files = common::of(&recs, "files");
        // Each expected listing claims each of our records at most once.
        let mut claimed: BTreeMap<(String, String), Vec<bool>> = BTreeMap::new();
        for line in text.lines() {
            let exp: Value = serde_json::from_str(line).unwrap();
            let (peer, kind) = (
                exp["peer"].as_str().unwrap_or(""),
                exp["kind"].as_str().unwrap_or(""),
            );
            let (fields, pool): (&[(&str, &str)], &Vec<&Value>) = match (peer, kind) {
                ("zeek", "flow") => (ZEEK_FLOW, &flows),
                ("arkime", "flow") => (ARKIME_FLOW, &flows),
                ("zeek", "dns") => (ZEEK_DNS, &dns),
                ("zeek", "tls") => (ZEEK_TLS, &tls),
                ("ja4", "tls") => (JA4_TLS, &tls),
                ("arkime", "tls") => (ARKIME_TLS, &tls),
                ("zeek", "x509") => (ZEEK_X509, &x509),
                ("ja4", "x509") => (JA4_X509, &x509),
                ("arkime", "x509") => (ARKIME_X509, &x509),
                ("zeek", "http") => (ZEEK_HTTP, &http),
                ("ja4", "http") if cfg!(feature = "ja4plus") => (JA4_HTTP, &http),
                ("zeek", "file") => (ZEEK_FILE, &files),
                _ => continue,
            };
            let used = claimed
                .entry((peer.to_string(), kind.to_string()))
                .or_insert_with(|| vec![false; pool.len()]);
            let key = five_tuple(&exp, false);
            // Zeek's x509.log names no connection: its certificates pair by fingerprint.
            let by_cert_only = peer == "zeek" && kind == "x509";
            if key.0.is_empty() && !by_cert_only {
                // An Arkime session of a non-IP protocol: we track IP flows only.
                continue;
            }
            if peer == "arkime" && kind == "flow" && exp["orig_pkts"] == 0 && exp["resp_pkts"] == 0
            {
                // An Arkime session document counting no packets (Arkime saves some closed
                // TCP sessions a second time, empty, after the full one): it describes no
                // traffic, so it has no flow of ours to pair with.
                tally.entry(format!("{peer}.{kind}")).or_default().allowed += 1;
                continue;
            }
            let label = format!("{name} {} {}:{} > {}:{}", key.4, key.0, key.1, key.2, key.3);
            let found = pool.iter().enumerate().position(|(i, r)| {
                !used[i] && (by_cert_only || same_flow(&exp, r)) && same_key(peer, kind, &exp, r)
            });
            let t = tally.entry(format!("{peer}.{kind}")).or_default();
            t.records += 1;
            let Some(i) = found else {
                t.missing += 1;
                let n = fields.iter().filter(|(e, _)| exp.get(*e).is_some()).count() as u64;
                let prefix = format!("{peer}.{kind}.");
                if ALLOW
                    .iter()
                    .any(|(p, f, _why)| label.starts_with(p) && prefix.starts_with(f))
                {
                    t.allowed += n;
                    continue;
                }
                t.fields += n;
                t.failures.push(format!(
                    "{name}: no record for expected {peer} {kind} {key:?}"
                ));
                continue;
            };
            used[i] = true;
            let ours = pool[i];
            for (ef, of) in fields {
                let Some(e) = exp.get(*ef) else { continue };
                if JA4PLUS_FIELDS.contains(ef) && !cfg!(feature = "ja4plus") {
                    continue;
                }
                let id = format!("{peer}.{kind}.{ef}");
                let mine = ours_as_peer(peer, kind, ef, &ours[*of]);
                if same(ef, e, &mine) {
                    t.fields += 1;
                    t.agree += 1;
                } else if ALLOW
                    .iter()
                    .any(|(p, f, _why)| label.starts_with(p) && id.starts_with(f))
                {
                    t.allowed += 1;
                } else {
                    t.fields += 1;
                    t.failures
                        .push(format!("{name}: {id} {key:?}: expected {e} ours {mine}"));
                }
            }
        }
    }
    let mut report = String::new();
    let (mut all, mut agree) = (0, 0);
    for (k, t) in &tally {
        all += t.fields;
        agree += t.agree;
        report.push_str(&format!(
            "{k:<12} records {:>4} missing {:>3} fields {:>5}/{:<5} allowed {:>3}\n",
            t.records, t.missing, t.agree, t.fields, t.allowed
        ));
    }
    eprintln!(
        "{report}agreement {agree}/{all} = {:.4}",
        agree as f64 / all.max(1) as f64
    );
    assert!(crashes.is_empty(), "crashes:\n{}", crashes.join("\n"));
    let failures: Vec<&String> = tally.values().flat_map(|t| t.failures.iter()).collect();
    assert!(
        failures.is_empty(),
        "{} disagreements not in the allow-list:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
