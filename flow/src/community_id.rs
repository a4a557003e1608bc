//! Community ID v1 flow hashing (<https://github.com/corelight/community-id-spec>).

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::key::{icmp_counterpart, FlowKey};
use crate::parse::proto;

/// Community ID v1 with seed 0 of `key`, e.g. `"1:LQU9qZlK+B5F3KDmev6m5PMibrg="`.
///
/// The hash is the same for both orientations of a flow (except one-way ICMP messages,
/// which the spec keeps in their sending order). Allocates the returned string: call it once
/// per flow record, not per packet.
pub fn community_id(key: &FlowKey) -> String {
    community_id_with_seed(key, 0)
}

/// Community ID v1 of `key` with a configured `seed` (Suricata's `community-id-seed`).
pub fn community_id_with_seed(key: &FlowKey, seed: u16) -> String {
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    let (has_ports, one_way) = match key.proto {
        proto::TCP | proto::UDP | proto::SCTP => (true, false),
        proto::ICMP | proto::ICMPV6 => {
            let v6 = key.proto == proto::ICMPV6;
            let ty = u8::try_from(key.src_port).unwrap_or(u8::MAX);
            (true, icmp_counterpart(v6, ty).is_none())
        }
        _ => (false, false),
    };
    let src = ip_bytes(&key.src_ip);
    let dst = ip_bytes(&key.dst_ip);
    let ordered = (src.as_slice(), key.src_port) <= (dst.as_slice(), key.dst_port);
    let swap = !(one_way || ordered);
    let (a, pa, b, pb) = if swap {
        (dst, key.dst_port, src, key.src_port)
    } else {
        (src, key.src_port, dst, key.dst_port)
    };
    h.update(a.as_slice());
    h.update(b.as_slice());
    h.update([key.proto, 0]);
    if has_ports {
        h.update(pa.to_be_bytes());
        h.update(pb.to_be_bytes());
    }
    let digest = h.finalize();
    let mut out = String::with_capacity(30);
    out.push_str("1:");
    base64::engine::general_purpose::STANDARD.encode_string(digest, &mut out);
    out
}

/// Address bytes in network order, without allocating.
struct IpBytes {
    buf: [u8; 16],
    len: usize,
}

impl IpBytes {
    fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

fn ip_bytes(ip: &core::net::IpAddr) -> IpBytes {
    let mut buf = [0u8; 16];
    match ip {
        core::net::IpAddr::V4(v4) => {
            buf[..4].copy_from_slice(&v4.octets());
            IpBytes { buf, len: 4 }
        }
        core::net::IpAddr::V6(v6) => IpBytes {
            buf: v6.octets(),
            len: 16,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::IpAddr;

    fn key(src: &str, dst: &str, proto: u8, sp: u16, dp: u16) -> FlowKey {
        FlowKey {
            src_ip: src.parse::<IpAddr>().unwrap(),
            dst_ip: dst.parse::<IpAddr>().unwrap(),
            src_port: sp,
            dst_port: dp,
            proto,
            vlan: None,
        }
    }

    #[test]
    fn spec_vector_tcp() {
        let k = key("128.232.110.120", "66.35.250.204", 6, 34855, 80);
        assert_eq!(community_id(&k), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
        assert_eq!(
            community_id(&k.reversed()),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
    }

    /// The Community ID spec's baseline vectors (seed 0).
    #[test]
    fn udp_icmp_icmp6_vectors() {
        let u = key("192.168.1.52", "8.8.8.8", 17, 54585, 53);
        assert_eq!(community_id(&u), "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
        assert_eq!(
            community_id(&u.reversed()),
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ="
        );
        // ICMP echo request and its reply (type 8 -> counterpart 0) hash alike.
        let req = key("192.168.0.89", "192.168.0.1", 1, 8, 0);
        let rep = key("192.168.0.1", "192.168.0.89", 1, 0, 8);
        assert_eq!(community_id(&req), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
        assert_eq!(community_id(&rep), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
        // One-way ICMP (destination unreachable) keeps its direction.
        let un = key("10.0.0.1", "10.0.0.2", 1, 3, 1);
        assert_ne!(community_id(&un), community_id(&un.reversed()));
        let ns = key(
            "fe80::200:86ff:fe05:80da",
            "fe80::260:97ff:fe07:69ea",
            58,
            135,
            136,
        );
        assert_eq!(community_id(&ns), "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
        assert_eq!(
            community_id(&ns.reversed()),
            "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="
        );
    }

    #[test]
    fn seeded() {
        // Suricata's community-id test (seed 7) for 172.26.0.39:35958 -> 172.217.14.206:443.
        let k = key("172.26.0.39", "172.217.14.206", 6, 35958, 443);
        assert_eq!(
            community_id_with_seed(&k, 7),
            "1:IwiTNfuO7aCaamMijl+7/X9uLx0="
        );
        assert_eq!(community_id(&k), "1:0rRFlkfZsYZ0l7PqLoMEAxHMqrI=");
    }
}
