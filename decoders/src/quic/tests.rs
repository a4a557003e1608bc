//! RFC 9001 / RFC 9369 vectors, the corpus Initial (`testdata/decoders/quic/`),
//! Initials rebuilt from it (split, coalesced, reordered), and never-panic properties.

use proptest::prelude::*;

use super::keys::{initial_material, KeyMaterial};
use super::packet::{open_packet, parse_header, LongHeader};
use super::*;
use crate::VecSink;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../testdata/decoders/quic/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const RFC_DCID: &str = "8394c8f03e515708";

fn material(key: &str, iv: &str, hp: &str) -> KeyMaterial {
    KeyMaterial {
        key: unhex(key).try_into().unwrap(),
        iv: unhex(iv).try_into().unwrap(),
        hp: unhex(hp).try_into().unwrap(),
    }
}

#[test]
fn initial_keys_rfc9001_a1_and_rfc9369_a1() {
    let dcid = unhex(RFC_DCID);
    assert_eq!(
        initial_material(Version::V1, &dcid, true),
        material(
            "1f369613dd76d5467730efcbe3b1a22d",
            "fa044b2f42a3fd3b46fb255c",
            "9f50449e04a0e810283a1e9933adedd2"
        )
    );
    assert_eq!(
        initial_material(Version::V1, &dcid, false),
        material(
            "cf3a5331653c364c88f0f379b6067e37",
            "0ac1493ca1905853b0bba03e",
            "c206b8d9b9f0f37644430b490eeaa314"
        )
    );
    assert_eq!(
        initial_material(Version::V2, &dcid, true),
        material(
            "8b1a0bc121284290a29e0971b5cd045d",
            "91f73e2351d8fa91660e909f",
            "45b95e15235d6f45a6b19cbcb0294ba9"
        )
    );
}

#[test]
fn client_header_protection_mask_rfc9001_a2() {
    let keys = Keys::initial(Version::V1, &unhex(RFC_DCID), true);
    let sample: [u8; 16] = unhex("d1b1c98dd7689fb8ec11d242b123dc9b")
        .try_into()
        .unwrap();
    assert_eq!(keys.mask(&sample)[..5], unhex("437b9aec36")[..]);
}

#[test]
fn server_initial_decrypts_rfc9001_a3() {
    let pkt = unhex(
        "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
         5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
         dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
         022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
         2158407dd074ee",
    );
    let Ok(Header::Long(hdr)) = parse_header(&pkt) else {
        panic!("header")
    };
    assert!(hdr.initial);
    assert_eq!(hdr.len, pkt.len());
    let keys = Keys::initial(Version::V1, &unhex(RFC_DCID), false);
    let (pn, plain) = open_packet(&keys, &hdr, &pkt, None).unwrap();
    assert_eq!(pn, 1);
    assert_eq!(
        plain,
        unhex(
            "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739
             88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94
             0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00
             020304"
        )
    );
    // The client keys do not open it.
    let client = Keys::initial(Version::V1, &unhex(RFC_DCID), true);
    assert!(open_packet(&client, &hdr, &pkt, None).is_err());
}

fn run(datagrams: &[Vec<u8>]) -> (VecSink<TlsEvent>, Vec<Progress>) {
    let mut p = QuicParser::new();
    let mut sink = VecSink::default();
    let mut progress = Vec::new();
    for (i, d) in datagrams.iter().enumerate() {
        let ts = 1_000_000 + i as i64;
        progress.push(p.feed(Dir::Orig, ts, Segment::Data(d), &mut sink).unwrap());
    }
    p.finish(&mut sink);
    (sink, progress)
}

fn sessions(sink: &VecSink<TlsEvent>) -> Vec<&TlsRecord> {
    sink.records
        .iter()
        .filter_map(|e| match e {
            TlsEvent::Session(r) => Some(&**r),
            TlsEvent::Certificate(_) => None,
        })
        .collect()
}

#[test]
fn corpus_client_initial_gives_one_quic_session() {
    // arkime-quicietf.pcap: one v1 client Initial for ssl.gstatic.com.
    let d = fixture("quicietf-client-initial.bin");
    assert!(probe(&d));
    let (sink, progress) = run(&[d.clone(), d]);
    assert_eq!(progress, vec![Progress::Done, Progress::Done]);
    assert!(sink.weirds.is_empty(), "{:?}", sink.weirds);
    let s = sessions(&sink);
    assert_eq!(s.len(), 1);
    assert!(s[0].quic);
    assert_eq!(s[0].ts_us, 1_000_000);
    // tshark -r arkime-quicietf.pcap -Y quic -T fields -e tls.handshake.extensions_server_name
    assert_eq!(s[0].server_name.as_deref(), Some("ssl.gstatic.com"));
    assert!(
        s[0].ja4.as_deref().is_some_and(|j| j.starts_with('q')),
        "{:?}",
        s[0].ja4
    );
}

/// The ClientHello carried by the corpus Initial, and that Initial's DCID.
fn corpus_client_hello() -> (Vec<u8>, Vec<u8>) {
    let d = fixture("quicietf-client-initial.bin");
    let Ok(Header::Long(hdr)) = parse_header(&d) else {
        panic!("header")
    };
    let keys = Keys::initial(Version::V1, hdr.dcid, true);
    let (_, plain) = open_packet(&keys, &hdr, &d[..hdr.len], None).unwrap();
    let mut crypto = frames::CryptoStream::default();
    frames::read_frames(&plain, &mut crypto).unwrap();
    let msg = crypto.first_message().expect("whole ClientHello").to_vec();
    assert_eq!(msg[0], 1);
    (msg, hdr.dcid.to_vec())
}

#[test]
fn corpus_client_hello_names_the_server() {
    let (msg, _) = corpus_client_hello();
    // SNI extension (type 0) host_name as tshark shows it.
    let needle = b"ssl.gstatic.com";
    assert!(msg.windows(needle.len()).any(|w| w == needle));
    let rec = crate::tls::session_from_client_hello(&msg, 5, true).unwrap();
    assert!(rec.quic);
}

/// Build a protected client Initial carrying `frames` with packet number `pn`
/// (two-byte packet number, no token), padded so the sample exists.
fn protect(version: Version, dcid: &[u8], pn: u16, frames_plain: &[u8]) -> Vec<u8> {
    let keys = Keys::initial(version, dcid, true);
    let mut payload = frames_plain.to_vec();
    payload.resize(payload.len().max(40), 0);
    let ty = version.initial_type();
    let mut hdr = vec![0xc1 | (ty << 4)];
    let v: u32 = match version {
        Version::V1 => 1,
        Version::V2 => 0x6b33_43cf,
    };
    hdr.extend_from_slice(&v.to_be_bytes());
    hdr.push(dcid.len() as u8);
    hdr.extend_from_slice(dcid);
    hdr.push(0); // SCID
    hdr.push(0); // token length
    let len = payload.len() + 2 + 16;
    hdr.extend_from_slice(&(0x4000 | len as u16).to_be_bytes());
    let pn_offset = hdr.len();
    hdr.extend_from_slice(&pn.to_be_bytes());
    let tag = keys.seal(u64::from(pn), &hdr, &mut payload);
    let mut pkt = hdr;
    pkt.extend_from_slice(&payload);
    pkt.extend_from_slice(&tag);
    let sample: [u8; 16] = pkt[pn_offset + 4..pn_offset + 20].try_into().unwrap();
    let mask = keys.mask(&sample);
    pkt[0] ^= mask[0] & 0x0f;
    pkt[pn_offset] ^= mask[1];
    pkt[pn_offset + 1] ^= mask[2];
    pkt
}

fn crypto_frame(offset: usize, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x06];
    f.extend_from_slice(&(0x8000_0000u32 | offset as u32).to_be_bytes());
    f.extend_from_slice(&(0x4000u16 | data.len() as u16).to_be_bytes());
    f.extend_from_slice(data);
    f
}

#[test]
fn client_hello_split_over_two_initials_in_any_order() {
    let (msg, dcid) = corpus_client_hello();
    let cut = msg.len() / 2;
    let first = protect(Version::V1, &dcid, 0, &crypto_frame(0, &msg[..cut]));
    let second = protect(Version::V1, &dcid, 1, &crypto_frame(cut, &msg[cut..]));
    for order in [[&first, &second], [&second, &first]] {
        let (sink, progress) = run(&[order[0].clone(), order[1].clone()]);
        assert_eq!(progress[0], Progress::Consumed(order[0].len()));
        assert_eq!(progress[1], Progress::Done);
        let s = sessions(&sink);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].server_name.as_deref(), Some("ssl.gstatic.com"));
        assert!(sink.weirds.is_empty());
    }
    // Both packets coalesced into one datagram.
    let coalesced = [first.clone(), second.clone()].concat();
    let (sink, progress) = run(&[coalesced]);
    assert_eq!(progress, vec![Progress::Done]);
    assert_eq!(sessions(&sink).len(), 1);
}

#[test]
fn version_2_initials_are_read() {
    let (msg, dcid) = corpus_client_hello();
    let pkt = protect(Version::V2, &dcid, 0, &crypto_frame(0, &msg));
    assert!(probe(&pkt));
    let (sink, _) = run(&[pkt]);
    assert_eq!(sessions(&sink).len(), 1);
}

#[test]
fn bad_packets_are_weirds_not_errors() {
    let d = fixture("quicietf-client-initial.bin");
    let mut tampered = d.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let (sink, progress) = run(&[tampered]);
    assert_eq!(progress, vec![Progress::Consumed(d.len())]);
    assert!(sessions(&sink).is_empty());
    assert_eq!(sink.weirds[0].name, "quic_decrypt_failed");
    for w in &sink.weirds {
        assert!(w.name.starts_with("quic_"));
    }
}

#[test]
fn truncated_datagrams_never_panic_nor_emit() {
    let d = fixture("quicietf-client-initial.bin");
    for len in 0..d.len() {
        let (sink, _) = run(&[d[..len].to_vec()]);
        assert!(sessions(&sink).is_empty(), "len {len}");
        assert!(sink.weirds.iter().all(|w| w.name.starts_with("quic_")));
    }
}

#[test]
fn gquic_and_responder_are_ignored() {
    // arkime-quic24-wireshark.pcap: Google QUIC Q024, not IETF QUIC.
    let g = fixture("gquic-q024-client-hello.bin");
    assert!(!probe(&g));
    let (sink, _) = run(&[g]);
    assert!(sink.records.is_empty());
    let mut p = QuicParser::new();
    let mut sink: VecSink<TlsEvent> = VecSink::default();
    let d = fixture("quicietf-client-initial.bin");
    assert_eq!(
        p.feed(Dir::Resp, 0, Segment::Data(&d), &mut sink).unwrap(),
        Progress::Done
    );
}

#[test]
fn gives_up_after_non_initial_packets() {
    // Short-header datagrams only.
    let short = vec![vec![0x40u8; 30]; MAX_NON_INITIAL_PACKETS as usize];
    let (sink, progress) = run(&short);
    assert_eq!(progress.last(), Some(&Progress::Done));
    assert!(sink.records.is_empty());
}

#[test]
fn header_parse_rejects_impossible_lengths() {
    let mut d = vec![0xc0, 0, 0, 0, 1, 21];
    d.extend_from_slice(&[0; 30]);
    assert!(parse_header(&d).is_err());
    let d = [0xc0, 0, 0, 0, 1, 0, 0, 0, 0x44, 0x00];
    assert!(parse_header(&d).is_err());
    let h = parse_header(&[0xc0, 0, 0, 0, 1, 0, 0, 0, 0x01, 0xaa]);
    assert!(matches!(h, Ok(Header::Long(LongHeader { len: 10, .. }))));
}

proptest! {
    #[test]
    fn arbitrary_datagrams_never_panic(
        prefix in prop::sample::select(vec![vec![], vec![0xc0u8, 0, 0, 0, 1], vec![0xd0u8, 0x6b, 0x33, 0x43, 0xcf]]),
        body in proptest::collection::vec(any::<u8>(), 0..1500),
    ) {
        let d = [prefix, body].concat();
        let (sink, _) = run(&[d.clone(), d]);
        prop_assert!(sink.weirds.iter().all(|w| w.name.starts_with("quic_")));
    }

    #[test]
    fn mutated_initials_never_panic(at in any::<prop::sample::Index>(), x in 1u8..) {
        let mut d = fixture("quicietf-client-initial.bin");
        let i = at.index(d.len());
        d[i] ^= x;
        let _ = run(&[d]);
    }
}
