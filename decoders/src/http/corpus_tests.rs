//! The decoder against TCP streams cut from the corpus pcaps
//! (`testdata/decoders/http/README.md`), compared with the values the peer
//! tools state for those pcaps (`shared/testdata/corpus/expected`).

use super::tests::{drive, files, txs};
use super::*;
use crate::VecSink;

/// Segments of a fixture: `C`/`S` byte, 4-byte big-endian length, payload.
fn segments(raw: &[u8]) -> Vec<(Dir, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let [d, a, b, c, e, tail @ ..] = rest {
        let n = u32::from_be_bytes([*a, *b, *c, *e]) as usize;
        let dir = if *d == b'C' { Dir::Orig } else { Dir::Resp };
        out.push((dir, tail[..n].to_vec()));
        rest = &tail[n..];
    }
    out
}

macro_rules! fixture {
    ($name:literal) => {
        segments(include_bytes!(concat!(
            "../../../testdata/decoders/http/",
            $name,
            ".seg"
        )))
    };
}

fn run(segs: &[(Dir, Vec<u8>)]) -> VecSink<HttpEvent> {
    drive(&mut HttpParser::new(0x5eed), segs)
}

fn lower_sorted(v: &[String]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_ascii_lowercase()).collect();
    v.sort();
    v.dedup();
    v
}

/// zeek: scripts.base.protocols.http.http-pipelining (http.log) and
/// scripts.base.frameworks.file-analysis.http.pipeline (hashes).
#[test]
fn zeek_pipelined_requests() {
    let s = run(&fixture!("pipelined"));
    let t = txs(&s);
    // Zeek logs response_body_len 2675 and 21421 for the first two: the
    // gzip-decoded lengths. SCHEMA.md wants the length before content
    // decoding (946, 6716); the decoded lengths are the files' seen_bytes.
    let want = [
        (
            "/style/enhanced.css",
            946,
            "text/plain",
            "http://www.mozilla.org/projects/calendar/",
        ),
        (
            "/script/urchin.js",
            6716,
            "text/plain",
            "http://www.mozilla.org/projects/calendar/",
        ),
        (
            "/images/template/screen/bullet_utility.png",
            94,
            "image/gif",
            "http://www.mozilla.org/style/screen.css",
        ),
        (
            "/images/template/screen/key-point-top.png",
            2349,
            "image/png",
            "http://www.mozilla.org/style/screen.css",
        ),
        (
            "/projects/calendar/images/header-sunbird.png",
            27579,
            "image/png",
            "http://www.mozilla.org/projects/calendar/calendar.css",
        ),
    ];
    assert_eq!(t.len(), 5);
    for (k, (tx, (uri, len, mime, referrer))) in t.iter().zip(want).enumerate() {
        assert_eq!(tx.trans_depth, k as i32 + 1);
        assert_eq!(tx.method.as_deref(), Some("GET"));
        assert_eq!(tx.host.as_deref(), Some("www.mozilla.org"));
        assert_eq!(tx.uri.as_deref(), Some(uri));
        assert_eq!(tx.referrer.as_deref(), Some(referrer));
        assert_eq!(tx.version.as_deref(), Some("1.1"));
        assert_eq!(
            tx.user_agent.as_deref(),
            Some("Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.1.5) Gecko/20091102 Firefox/3.5.5")
        );
        assert_eq!(tx.request_body_len, 0);
        assert_eq!(tx.response_body_len, len, "{uri}");
        assert_eq!(tx.status_code, Some(200));
        assert_eq!(tx.status_msg.as_deref(), Some("OK"));
        assert_eq!(tx.resp_mime_types, [mime]);
        assert_eq!(tx.resp_fuids.len(), 1);
    }
    let f = files(&s);
    let hashes = [
        (
            "b932c3310ce47e158d1a5a42e0b01279",
            "0e42ae17eea9b074981bd3a34535ad3a22d02706",
            "5b037a2c5e36f56e63a3012c73e46a04b27741d8ff8f8b62c832fb681fc60f42",
            2675,
            None,
        ),
        (
            "e732f7bf1d7cb4eedcb1661697d7bc8c",
            "8f241117afaa8ca5f41dc059e66d75c283dcc983",
            "6a509fd05aa7c8fa05080198894bb19e638554ffcee0e0b3d7bc8ff54afee1da",
            21421,
            None,
        ),
        (
            "d903de7e30db1691d3130ba5eae6b9a7",
            "81f5f056ce5e97d940854bb0c48017b45dd9f15e",
            "6fb22aa9d780ea63bd7a2e12b92b16fcbf1c4874f1d3e11309a5ba984433c315",
            94,
            Some(94),
        ),
        (
            "e0029eea80812e9a8e57b8d05d52938a",
            "560eab5a0177246827a94042dd103916d8765ac7",
            "e0b4500c1fd1d675da4137461cbe64d3c8489f4180d194e47683b20e7fb876f4",
            2349,
            Some(2349),
        ),
        (
            "30aa926344f58019d047e85ba049ca1e",
            "ee2b41bdef85de14ef332da14fc392f110b84249",
            "eb482bda230a215b90aedbfe1eee72b8193608df76a319aaf11fb85511579a1e",
            27579,
            Some(27579),
        ),
    ];
    assert_eq!(f.len(), 5);
    for (file, (md5, sha1, sha256, seen, total)) in f.iter().zip(hashes) {
        assert_eq!(file.md5.as_deref(), Some(md5));
        assert_eq!(file.sha1.as_deref(), Some(sha1));
        assert_eq!(file.sha256.as_deref(), Some(sha256));
        assert_eq!(file.seen_bytes, seen);
        assert_eq!(file.missing_bytes, 0);
        assert_eq!(file.total_bytes, total);
        assert_eq!(file.source.name(), "HTTP");
    }
    assert!(s.weirds.is_empty(), "{:?}", s.weirds);
}

/// zeek: scripts.base.frameworks.file-analysis.http.get (get-gzip.out):
/// hashes and MIME type of the gzip-decoded body.
#[test]
fn zeek_get_gzip() {
    let s = run(&fixture!("get_gzip"));
    let f = files(&s);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].seen_bytes, 197);
    assert_eq!(f[0].mime_type.as_deref(), Some("text/json"));
    assert_eq!(
        f[0].md5.as_deref(),
        Some("5baba7eea57bc8a42a92c817ed566d72")
    );
    assert_eq!(
        f[0].sha1.as_deref(),
        Some("e351b8c693c3353716787c02e2923f4d12ebbb31")
    );
    assert_eq!(
        f[0].sha256.as_deref(),
        Some("202b775be087f5af98e95120e42769a9b3488f84c5aa79c4f4c1093d348f849c")
    );
    // Content-Length 165 of gzip: no total for the decoded file.
    assert_eq!(f[0].total_bytes, None);
    assert_eq!(txs(&s)[0].response_body_len, 165);
}

/// zeek: scripts.base.frameworks.file-analysis.http.post (request and response files).
#[test]
fn zeek_post() {
    let s = run(&fixture!("post"));
    let f = files(&s);
    assert_eq!(f.len(), 2);
    assert!(f[0].is_orig);
    assert_eq!(f[0].seen_bytes, 11);
    assert_eq!(f[0].total_bytes, Some(11));
    assert_eq!(f[0].mime_type.as_deref(), Some("text/plain"));
    assert_eq!(
        f[0].md5.as_deref(),
        Some("5eb63bbbe01eeed093cb22bb8f5acdc3")
    );
    assert!(!f[1].is_orig);
    assert_eq!(f[1].seen_bytes, 366);
    assert_eq!(f[1].total_bytes, Some(366));
    assert_eq!(f[1].mime_type.as_deref(), Some("text/json"));
    assert_eq!(
        f[1].md5.as_deref(),
        Some("c9337794df612aeaa901dcf9fa446bca")
    );
    assert_eq!(
        f[1].sha1.as_deref(),
        Some("6a1582672c203210c6d18d700322060b676365e7")
    );
    assert_eq!(
        f[1].sha256.as_deref(),
        Some("8eb24c16df7cb45cb6a1790b0d26ad2571f754228d0ac111b3ac59adbfecbeb8")
    );
    let t = txs(&s);
    assert_eq!(t[0].method.as_deref(), Some("POST"));
    assert_eq!(t[0].request_body_len, 11);
    assert_eq!(t[0].orig_mime_types, ["text/plain"]);
    assert_eq!(t[0].resp_mime_types, ["text/json"]);
}

/// zeek: scripts.base.protocols.http.x-gzip. Zeek logs response_body_len 19,
/// the *decoded* length; SCHEMA.md asks for the length before content
/// decoding (39 here). The decoded length is the file's seen_bytes.
#[test]
fn zeek_x_gzip() {
    let s = run(&fixture!("x_gzip"));
    let t = txs(&s);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].host.as_deref(), Some("localhost"));
    assert_eq!(t[0].uri.as_deref(), Some("/"));
    assert_eq!(t[0].status_code, Some(200));
    assert_eq!(t[0].status_msg.as_deref(), Some("ok"));
    assert_eq!(t[0].response_body_len, 39);
    assert_eq!(t[0].resp_mime_types, ["text/plain"]);
    assert_eq!(files(&s)[0].seen_bytes, 19);
}

/// zeek: scripts.base.protocols.http.http-basic-auth-colon.
#[test]
fn zeek_basic_auth_with_colon() {
    let s = run(&fixture!("basic_auth_colon"));
    let t = txs(&s);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].host.as_deref(), Some("172.24.133.205:8000"));
    // Zeek's `version` column is 1.0: the reply's version overwrites the
    // request's. SCHEMA.md splits them: version (request) and resp_version.
    assert_eq!(t[0].version.as_deref(), Some("1.1"));
    assert_eq!(t[0].resp_version.as_deref(), Some("1.0"));
    assert_eq!(t[0].user_agent.as_deref(), Some("python-requests/2.31.0"));
    assert_eq!(t[0].username.as_deref(), Some("test"));
    assert_eq!(t[0].response_body_len, 643);
    assert_eq!(t[0].status_msg.as_deref(), Some("OK"));
    assert_eq!(t[0].resp_mime_types, ["text/html"]);
}

/// zeek: scripts.base.protocols.http.http-connect (the tunnel carries SMTP).
#[test]
fn zeek_connect_with_smtp() {
    let s = run(&fixture!("connect_smtp"));
    let t = txs(&s);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].method.as_deref(), Some("CONNECT"));
    assert_eq!(t[0].uri.as_deref(), Some("mailin03.sul.t-online.de:25 /"));
    assert_eq!(t[0].version.as_deref(), Some("1.0"));
    assert_eq!(t[0].status_code, Some(200));
    assert_eq!(t[0].status_msg.as_deref(), Some("Connection established"));
    assert_eq!((t[0].request_body_len, t[0].response_body_len), (0, 0));
    assert_eq!(t[0].host, None);
}

/// zeek: scripts.base.protocols.http.version-mismatch.
#[test]
fn zeek_version_mismatch() {
    let s = run(&fixture!("version_mismatch"));
    let t = txs(&s);
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].uri.as_deref(), Some("/srad.js?azId=1000000326207"));
    assert_eq!(t[0].response_body_len, 12122);
    assert_eq!(t[0].resp_mime_types, ["text/plain"]);
    // Zeek's `version` 1.0 is the reply's (see zeek_basic_auth_with_colon).
    assert_eq!(t[1].version.as_deref(), Some("1.1"));
    assert_eq!(t[1].resp_version.as_deref(), Some("1.0"));
    assert_eq!(t[1].response_body_len, 1254);
    assert_eq!(t[1].resp_mime_types, ["application/javascript"]);
    assert_eq!(t[1].host.as_deref(), Some("ad.afy11.net"));
}

/// arkime: tests/pcap/http-100-continue.test.
#[test]
fn arkime_100_continue() {
    let s = run(&fixture!("continue_100"));
    let t = txs(&s);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].method.as_deref(), Some("POST"));
    assert_eq!(t[0].host.as_deref(), Some("example.com"));
    assert_eq!(
        t[0].uri.as_deref(),
        Some("/re/abcdefghijklmnopqrstuvwxyz123456")
    );
    assert_eq!(t[0].info_code, Some(100));
    assert_eq!(t[0].status_code, Some(404));
    assert_eq!(
        lower_sorted(&t[0].request_header_names),
        ["connection", "content-length", "expect", "host"]
    );
    assert_eq!(
        lower_sorted(&t[0].response_header_names),
        [
            "cache-control",
            "content-length",
            "content-type",
            "date",
            "expires",
            "server"
        ]
    );
    let mut md5s: Vec<_> = files(&s).iter().filter_map(|f| f.md5.clone()).collect();
    md5s.sort();
    assert_eq!(
        md5s,
        [
            "4a8b5abca9e7e6bbc4b2e881a86821db",
            "8533d322aa09355339125acaf8bd42ac"
        ]
    );
    // Arkime's bodyMagic (libmagic) says text/xml; Zeek's xhtml rule
    // (`<?xml ...?>` then `<!DOCTYPE html`) says text/html.
    assert_eq!(t[0].resp_mime_types, ["text/html"]);
    assert_eq!(t[0].orig_mime_types, ["text/plain"]);
}

/// arkime: tests/pcap/http-content-zip.test.
#[test]
fn arkime_content_zip() {
    let s = run(&fixture!("content_zip"));
    let f = files(&s);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].mime_type.as_deref(), Some("application/zip"));
    assert_eq!(
        f[0].md5.as_deref(),
        Some("40be8f5100e9beabab293c9d7bacaff0")
    );
    assert_eq!(
        f[0].sha256.as_deref(),
        Some("61479904e443b354d4427a51b990c696f731e341e4c63328e07c1a92658ba591")
    );
    let t = txs(&s);
    assert_eq!(t[0].host.as_deref(), Some("xxxxxxxxxxxxx.xxx.com"));
    assert_eq!(t[0].uri.as_deref(), Some("/a.zip"));
    assert_eq!(
        lower_sorted(&t[0].response_header_names),
        [
            "accept-ranges",
            "connection",
            "content-length",
            "content-type",
            "date",
            "etag",
            "last-modified",
            "server"
        ]
    );
    assert_eq!(
        lower_sorted(&t[0].request_header_names),
        [
            "accept",
            "accept-encoding",
            "accept-language",
            "connection",
            "host",
            "user-agent"
        ]
    );
}

/// arkime + ja4: tests/pcap/http-empty-useragent.test, ja4 snapshot.
#[test]
fn arkime_empty_useragent() {
    let s = run(&fixture!("empty_useragent"));
    let t = txs(&s);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].user_agent.as_deref(), Some(""));
    assert_eq!(t[0].version.as_deref(), Some("1.0"));
    assert_eq!(t[0].resp_version.as_deref(), Some("1.0"));
    assert_eq!(t[0].request_header_names, ["User-Agent"]);
    assert_eq!(
        files(&s)[0].md5.as_deref(),
        Some("ab925c3fe55e60dc86b048ff2d1f13c9")
    );
    #[cfg(feature = "ja4plus")]
    assert_eq!(
        t[0].ja4h.as_deref(),
        Some("ge10nn010000_b8bcd45ac095_000000000000_000000000000")
    );
}

/// arkime + ja4: CVE-2018-6794.pcap streams 0 and 1.
#[test]
fn arkime_cve_2018_6794() {
    for (segs, path, ja4h) in [
        (
            fixture!("cve_2018_6794_a"),
            "/",
            "ge11nn07ruru_6cd0fb54989b_000000000000_000000000000",
        ),
        (
            fixture!("cve_2018_6794_b"),
            "/favicon.ico",
            "ge11nr06ruru_cc6ec9a91856_000000000000_000000000000",
        ),
    ] {
        // The server answers before the request arrives (the point of this
        // CVE): the response is logged alone, then the request alone.
        let s = run(&segs);
        let t = txs(&s);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].status_code, Some(200));
        assert_eq!(t[0].method, None);
        let t = &t[1..];
        assert_eq!(t[0].uri.as_deref(), Some(path));
        assert_eq!(t[0].host.as_deref(), Some("192.168.235.136:8089"));
        assert_eq!(
            files(&s)[0].sha256.as_deref(),
            Some("9a4b621075fc02ffdc6a5bd0eb5744880d580b71e8e998647e98413e437ae6d0")
        );
        #[cfg(feature = "ja4plus")]
        assert_eq!(t[0].ja4h.as_deref(), Some(ja4h));
        let _ = ja4h;
    }
}

/// ja4: single-packets.pcap stream 0 (a request with cookies).
#[test]
fn ja4_single_packets_cookie() {
    let s = run(&fixture!("single_packets_cookie"));
    let t = txs(&s);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].method.as_deref(), Some("GET"));
    #[cfg(feature = "ja4plus")]
    assert_eq!(
        t[0].ja4h.as_deref(),
        Some("ge11cr06enus_8c2f9ef95269_2a79f5d9f8b3_7b4d78c057bc")
    );
}

/// Every fixture gives the same events fed byte by byte.
#[test]
fn fixtures_byte_by_byte() {
    for segs in [
        fixture!("post"),
        fixture!("get_gzip"),
        fixture!("continue_100"),
        fixture!("content_zip"),
    ] {
        let whole = run(&segs);
        let bytes: Vec<(Dir, Vec<u8>)> = segs
            .iter()
            .flat_map(|(d, b)| b.iter().map(move |&x| (*d, vec![x])))
            .collect();
        let fine = run(&bytes);
        let strip = |s: &VecSink<HttpEvent>| {
            s.records
                .iter()
                .map(|e| match e {
                    HttpEvent::Transaction(t) => format!(
                        "{:?}",
                        HttpRecord {
                            ts_us: 0,
                            ..(**t).clone()
                        }
                    ),
                    HttpEvent::File(f) => format!(
                        "{:?}",
                        crate::files::FileRecord {
                            ts_us: 0,
                            ..(**f).clone()
                        }
                    ),
                    HttpEvent::FileData(_) => String::new(),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&fine), strip(&whole));
    }
}
