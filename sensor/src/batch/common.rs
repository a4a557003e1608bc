//! The columns every dataset starts with, and the flow identity they come from.

use flow::FlowMeta;

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
    /// The uid of flow `id`: `C` + 11 base62 digits of the flow's 64-bit id.
    ///
    /// Flow ids are hashes of (uid seed, flow key, start time), so uids are the same
    /// whatever the number of workers, differ between runs unless the seed is pinned,
    /// and a tunnelled flow's parents can be named from their ids alone.
    pub fn uid(id: u64, out: &mut String) {
        out.clear();
        out.push('C');
        let mut n = id;
        for _ in 0..11 {
            out.push(BASE62[(n % 62) as usize] as char);
            n /= 62;
        }
    }

    /// Fill the common columns of a record of flow `meta` at time `ts_us`.
    pub fn append(&self, row: &mut Row<'_>, ts_us: i64, meta: &FlowMeta, scratch: &mut String) {
        Common::uid(meta.id, scratch);
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
