//! The columns every dataset starts with, and the flow identity they come from.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use flow::{FlowKey, FlowMeta};

use super::Row;

/// Per-run context for the common columns: the sensor name and the uid seed.
#[derive(Clone, Debug)]
pub struct Common {
    /// Sensor name written into every record.
    pub sensor: String,
    /// Seed mixed into every uid, so uids differ between runs unless pinned.
    pub uid_seed: u64,
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl Common {
    /// The flow's uid: `C` + base62 of a 96-bit hash of (seed, flow key, start time).
    ///
    /// Derived from the flow itself rather than from a counter, so the same input
    /// gives the same uids whatever the number of workers (Zeek's are random; ours
    /// are random per run through the seed, and reproducible when it is pinned).
    pub fn uid(&self, meta: &FlowMeta, out: &mut String) {
        out.clear();
        out.push('C');
        let mut hi = std::collections::hash_map::DefaultHasher::new();
        (self.uid_seed, 0x9e37_79b9_u32).hash(&mut hi);
        hash_key(&meta.key, &mut hi);
        meta.start_ts_us.hash(&mut hi);
        let a = hi.finish();
        let mut lo = std::collections::hash_map::DefaultHasher::new();
        (a, self.uid_seed).hash(&mut lo);
        let b = lo.finish() & 0xffff_ffff;
        let mut n: u128 = (u128::from(a) << 32) | u128::from(b);
        for _ in 0..17 {
            out.push(BASE62[(n % 62) as usize] as char);
            n /= 62;
        }
    }

    /// Fill the common columns of a record of flow `meta` at time `ts_us`.
    pub fn append(&self, row: &mut Row<'_>, ts_us: i64, meta: &FlowMeta, scratch: &mut String) {
        self.uid(meta, scratch);
        let k = &meta.key;
        row.ts(Some(ts_us))
            .str(Some(scratch))
            .str(Some(&flow::community_id(k)))
            .str(Some(&self.sensor))
            .fmt(Some(format_args!("{}", k.src_ip)))
            .fmt(Some(format_args!("{}", k.dst_ip)))
            .i32(Some(i32::from(k.src_port)))
            .i32(Some(i32::from(k.dst_port)))
            .fmt(Some(format_args!("{}", ProtoText(k.proto))))
            .i32(k.vlan.map(i32::from));
    }

    /// Fill the common columns of a record that belongs to no flow (a weird about
    /// an undecodable packet): only `ts` and `sensor` are set.
    pub fn append_flowless(&self, row: &mut Row<'_>, ts_us: i64) {
        row.ts(Some(ts_us))
            .str(None)
            .str(None)
            .str(Some(&self.sensor))
            .str(None)
            .str(None)
            .i32(None)
            .i32(None)
            .str(None)
            .i32(None);
    }
}

fn hash_key(k: &FlowKey, h: &mut impl Hasher) {
    ip_bytes(k.src_ip).hash(h);
    ip_bytes(k.dst_ip).hash(h);
    (k.src_port, k.dst_port, k.proto, k.vlan).hash(h);
}

fn ip_bytes(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
        IpAddr::V6(v) => v.octets(),
    }
}

/// SCHEMA.md `proto` text: the transport's name, or the IP protocol number as text.
pub struct ProtoText(pub u8);

impl std::fmt::Display for ProtoText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            6 => f.write_str("tcp"),
            17 => f.write_str("udp"),
            1 => f.write_str("icmp"),
            58 => f.write_str("icmp6"),
            n => write!(f, "{n}"),
        }
    }
}
