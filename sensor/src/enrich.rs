//! Flow enrichment: direction from the configured home networks, GeoIP and ASN
//! from MaxMind-format databases.

use std::net::IpAddr;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// One CIDR block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cidr {
    net: u128,
    mask: u128,
    v6: bool,
}

/// The configured home networks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HomeNets(Vec<Cidr>);

fn as_u128(ip: IpAddr) -> (u128, bool) {
    match ip {
        IpAddr::V4(v) => (u128::from(u32::from(v)), false),
        IpAddr::V6(v) => match v.to_ipv4_mapped() {
            Some(v4) => (u128::from(u32::from(v4)), false),
            None => (u128::from(v), true),
        },
    }
}

impl HomeNets {
    /// Parse comma-separated CIDRs (`10.0.0.0/8,fc00::/7`); a bare address is a /32 or /128.
    ///
    /// # Errors
    /// A malformed address or prefix length.
    pub fn parse(s: &str) -> Result<Self> {
        let mut v = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (addr, len) = part.split_once('/').unwrap_or((part, ""));
            let ip: IpAddr = addr
                .parse()
                .with_context(|| format!("bad address in {part:?}"))?;
            let (bits, v6) = as_u128(ip);
            let width = if v6 { 128 } else { 32 };
            let len: u32 = if len.is_empty() {
                width
            } else {
                len.parse()
                    .with_context(|| format!("bad prefix length in {part:?}"))?
            };
            if len > width {
                bail!("prefix length {len} too long in {part:?}");
            }
            let mask = if len == 0 {
                0
            } else {
                (u128::MAX << (width - len)) & if v6 { u128::MAX } else { u128::from(u32::MAX) }
            };
            v.push(Cidr {
                net: bits & mask,
                mask,
                v6,
            });
        }
        Ok(HomeNets(v))
    }

    /// Is `ip` inside a home network?
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (bits, v6) = as_u128(ip);
        self.0.iter().any(|c| c.v6 == v6 && bits & c.mask == c.net)
    }

    /// SCHEMA.md `direction` of a flow from `src` (originator) to `dst`.
    pub fn direction(&self, src: IpAddr, dst: IpAddr) -> &'static str {
        match (self.contains(src), self.contains(dst)) {
            (true, true) => "internal",
            (true, false) => "outbound",
            (false, true) => "inbound",
            (false, false) => "external",
        }
    }
}

#[derive(Deserialize)]
struct IsoOnly<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct CountryOnly<'a> {
    #[serde(borrow)]
    country: Option<IsoOnly<'a>>,
}

#[derive(Deserialize)]
struct AsnOnly<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

/// What GeoIP says of one address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GeoInfo<'a> {
    /// ISO country code.
    pub country: Option<&'a str>,
    /// Autonomous system number.
    pub asn: Option<i64>,
    /// Autonomous system organisation.
    pub as_org: Option<&'a str>,
}

/// MaxMind-format databases: any mix of City/Country and ASN databases.
pub struct Geo {
    country: Vec<maxminddb::Reader<Vec<u8>>>,
    asn: Vec<maxminddb::Reader<Vec<u8>>>,
}

impl Geo {
    /// Open the databases; the kind of each comes from its metadata `database_type`.
    ///
    /// # Errors
    /// A file that cannot be read or is not a MaxMind database.
    pub fn open(paths: &[impl AsRef<Path>]) -> Result<Self> {
        let mut g = Geo {
            country: Vec::new(),
            asn: Vec::new(),
        };
        for p in paths {
            let p = p.as_ref();
            let r = maxminddb::Reader::open_readfile(p)
                .with_context(|| format!("opening GeoIP database {}", p.display()))?;
            if r.metadata.database_type.contains("ASN") {
                g.asn.push(r);
            } else {
                g.country.push(r);
            }
        }
        Ok(g)
    }

    /// Look `ip` up in every database; lookups that fail count as unknown.
    pub fn lookup(&self, ip: IpAddr) -> GeoInfo<'_> {
        let mut info = GeoInfo::default();
        for r in &self.country {
            if let Ok(Some(c)) = r.lookup::<CountryOnly<'_>>(ip) {
                info.country = c.country.and_then(|c| c.iso_code);
                if info.country.is_some() {
                    break;
                }
            }
        }
        for r in &self.asn {
            if let Ok(Some(a)) = r.lookup::<AsnOnly<'_>>(ip) {
                info.asn = a.autonomous_system_number.map(i64::from);
                info.as_org = a.autonomous_system_organization;
                break;
            }
        }
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_follows_home_nets() {
        let h = HomeNets::parse(crate::config::DEFAULT_HOME_NET).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(h.direction(ip("10.1.2.3"), ip("8.8.8.8")), "outbound");
        assert_eq!(h.direction(ip("8.8.8.8"), ip("192.168.1.1")), "inbound");
        assert_eq!(
            h.direction(ip("172.16.0.1"), ip("172.31.255.255")),
            "internal"
        );
        assert_eq!(h.direction(ip("1.1.1.1"), ip("2001:db8::1")), "external");
        assert_eq!(h.direction(ip("fd00::1"), ip("2001:db8::1")), "outbound");
        assert!(!h.contains(ip("172.32.0.1")));
        assert!(HomeNets::parse("10.0.0.0/33").is_err());
        assert!(HomeNets::parse("nonsense").is_err());
    }

    #[test]
    fn geoip_test_databases_resolve_known_addresses() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/geoip/");
        let g = Geo::open(&[
            format!("{dir}GeoLite2-City-Test.mmdb"),
            format!("{dir}GeoLite2-ASN-Test.mmdb"),
        ])
        .unwrap();
        // Addresses listed in MaxMind's published test data (GeoLite2-City-Test.json, GeoLite2-ASN-Test.json).
        let info = g.lookup("81.2.69.142".parse().unwrap());
        assert_eq!(info.country, Some("GB"));
        let asn = g.lookup("1.128.0.0".parse().unwrap());
        assert_eq!(asn.asn, Some(1221));
        assert_eq!(asn.as_org, Some("Telstra Pty Ltd"));
        assert_eq!(g.lookup("10.0.0.1".parse().unwrap()), GeoInfo::default());
    }
}
