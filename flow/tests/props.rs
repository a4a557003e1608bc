//! Property tests: reassembly of any segmentation/reordering/duplication, the flow cap, and
//! arbitrary input never panicking.

use std::collections::HashMap;

use flow::{
    Chunk, Dir, FlowConfig, FlowHandler, FlowMeta, FlowRecord, FlowTracker, Interest, LinkType,
    Packet,
};
use proptest::prelude::*;

#[derive(Default)]
struct H {
    data: HashMap<(u64, bool), Vec<u8>>,
    gaps: u64,
    records: usize,
}

impl FlowHandler for H {
    type App = ();
    fn payload(&mut self, f: &FlowMeta, _a: &mut (), d: Dir, _ts: i64, c: Chunk<'_>) -> Interest {
        match c {
            Chunk::Data(b) => self
                .data
                .entry((f.id, d == Dir::Orig))
                .or_default()
                .extend_from_slice(b),
            Chunk::Gap(n) => self.gaps += u64::from(n),
            Chunk::End => {}
        }
        Interest::Continue
    }
    fn flow_record(&mut self, _r: &FlowRecord<'_>, _a: &mut ()) {
        self.records += 1;
    }
    fn weird(&mut self, _f: Option<&FlowMeta>, _ts: i64, _n: &'static str, _addl: &str) {}
}

fn tcp(sp: u16, dp: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let total = u16::try_from(40 + payload.len()).unwrap();
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    p.extend_from_slice(&sp.to_be_bytes());
    p.extend_from_slice(&dp.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

fn feed(t: &mut FlowTracker<()>, h: &mut H, frames: &[Vec<u8>]) {
    for (i, f) in frames.iter().enumerate() {
        let ts = i64::try_from(i).unwrap();
        t.process(
            LinkType::RAW,
            Packet {
                ts_us: ts,
                wire_len: u32::try_from(f.len()).unwrap(),
                data: f,
            },
            h,
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any segmentation, order and duplication of a stream that starts with a SYN
    /// reassembles to the original bytes, with no gap.
    #[test]
    fn reassembly_restores_stream(
        stream in proptest::collection::vec(any::<u8>(), 1..600),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..20),
        order in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
        isn in any::<u32>(),
    ) {
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len())).collect();
        points.push(0);
        points.push(stream.len());
        points.sort_unstable();
        points.dedup();
        let mut segs: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
        // Duplicate and shuffle by the chosen indices.
        for o in &order {
            let i = o.index(segs.len());
            let s = segs[i];
            let j = order.len() % segs.len();
            segs.insert(j, s);
            let last = segs.len() - 1;
            segs.swap(i, last);
        }
        let mut frames = vec![tcp(40000, 80, isn, 0x02, b"")];
        for (a, b) in &segs {
            let seq = isn.wrapping_add(1).wrapping_add(u32::try_from(*a).unwrap());
            frames.push(tcp(40000, 80, seq, 0x10, &stream[*a..*b]));
        }
        let mut t: FlowTracker<()> = FlowTracker::new(FlowConfig::default(), 0);
        let mut h = H::default();
        feed(&mut t, &mut h, &frames);
        t.finish(&mut h);
        prop_assert_eq!(h.gaps, 0);
        // One flow; its id is a hash.
        let orig = h.data.iter().find(|((_, o), _)| *o).map(|(_, v)| v.clone());
        prop_assert_eq!(orig.unwrap_or_default(), stream);
        prop_assert_eq!(t.stats().reassembly_bytes_in_use, 0);
    }

    /// The table never holds more than `max_flows` flows.
    #[test]
    fn table_respects_max_flows(ports in proptest::collection::vec(any::<u16>(), 1..300), cap in 1usize..20) {
        let cfg = FlowConfig { max_flows: cap, ..FlowConfig::default() };
        let mut t: FlowTracker<()> = FlowTracker::new(cfg, 0);
        let mut h = H::default();
        for (i, p) in ports.iter().enumerate() {
            let f = tcp(*p, 80, 1, 0x02, b"");
            t.process(LinkType::RAW, Packet { ts_us: i64::try_from(i).unwrap(), wire_len: 40, data: &f }, &mut h);
            prop_assert!(t.len() <= cap);
        }
        t.finish(&mut h);
        prop_assert!(t.is_empty());
        prop_assert_eq!(h.records as u64, t.stats().flows_created);
    }

    /// Arbitrary bytes never panic, whatever the link type.
    #[test]
    fn arbitrary_bytes_never_panic(
        frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..20),
        link in prop::sample::select(vec![0u32, 1, 12, 101, 108, 113, 228, 229, 276, 7]),
    ) {
        let mut t: FlowTracker<()> = FlowTracker::new(FlowConfig::default(), 0);
        let mut h = H::default();
        for (i, f) in frames.iter().enumerate() {
            let _ = flow::dispatch_hash(LinkType(link), f);
            t.process(LinkType(link), Packet { ts_us: i64::try_from(i).unwrap() * 7_000_000, wire_len: 9000, data: f }, &mut h);
        }
        t.finish(&mut h);
        prop_assert!(t.is_empty());
    }

    /// Mutated TCP/IP frames (plausible headers, random fields) never panic either.
    #[test]
    fn mutated_tcp_never_panics(
        muts in proptest::collection::vec((0usize..60, any::<u8>()), 0..8),
        n in 1usize..30,
    ) {
        let mut t: FlowTracker<()> = FlowTracker::new(FlowConfig { max_stream_buffer_bytes: 64, ..FlowConfig::default() }, 0);
        let mut h = H::default();
        for i in 0..n {
            let mut f = tcp(1000 + (i % 3) as u16, 80, (i as u32).wrapping_mul(977), if i % 5 == 0 { 0x02 } else { 0x10 }, b"payload-bytes-xyz");
            for (at, v) in &muts {
                if let Some(b) = f.get_mut(*at) { *b = *v; }
            }
            t.process(LinkType::RAW, Packet { ts_us: i64::try_from(i).unwrap(), wire_len: 60, data: &f }, &mut h);
        }
        t.finish(&mut h);
        prop_assert!(t.is_empty());
    }
}
