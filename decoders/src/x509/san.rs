//! The subjectAltName extension, split into the lists Zeek logs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use x509_parser::extensions::{GeneralName, SubjectAlternativeName};
use x509_parser::prelude::FromDer as _;

/// The names of one subjectAltName extension, in wire order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SanNames {
    /// dNSName entries.
    pub dns: Vec<String>,
    /// iPAddress entries (4 or 16 octets), canonical text.
    pub ip: Vec<String>,
    /// rfc822Name entries.
    pub email: Vec<String>,
    /// uniformResourceIdentifier entries.
    pub uri: Vec<String>,
}

/// Split the DER value of a subjectAltName extension; None when it does not
/// parse (Zeek then logs no SAN for the certificate).
///
/// Like Zeek (`X509::ParseSAN`): a string is taken up to its first NUL (it
/// becomes a C string), IP addresses of another length than 4 or 16 are
/// skipped, an IPv4-mapped IPv6 address prints as IPv4 (Zeek's `addr`), and
/// other name forms (otherName, directoryName, ...) are ignored.
pub(crate) fn parse_san(value: &[u8]) -> Option<SanNames> {
    let (_, san) = SubjectAlternativeName::from_der(value).ok()?;
    let mut out = SanNames::default();
    for gn in &san.general_names {
        match gn {
            GeneralName::DNSName(s) => out.dns.push(c_string(s.as_bytes())),
            GeneralName::RFC822Name(s) => out.email.push(c_string(s.as_bytes())),
            GeneralName::URI(s) => out.uri.push(c_string(s.as_bytes())),
            GeneralName::IPAddress(b) => {
                if let Some(ip) = ip_text(b) {
                    out.ip.push(ip);
                }
            }
            // Not valid UTF-8: x509-parser keeps the raw bytes under the tag.
            GeneralName::Invalid(tag, bytes) => match tag.0 {
                1 => out.email.push(c_string(bytes)),
                2 => out.dns.push(c_string(bytes)),
                6 => out.uri.push(c_string(bytes)),
                _ => {}
            },
            _ => {}
        }
    }
    Some(out)
}

/// Bytes up to the first NUL, as text (invalid UTF-8 replaced).
fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or_default()).into_owned()
}

fn ip_text(b: &[u8]) -> Option<String> {
    let ip = if let Ok(v4) = <[u8; 4]>::try_from(b) {
        IpAddr::V4(Ipv4Addr::from(v4))
    } else {
        let v6 = Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?);
        match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        }
    };
    Some(ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_text_forms() {
        assert_eq!(ip_text(&[192, 0, 2, 1]).as_deref(), Some("192.0.2.1"));
        let mut v6 = [0u8; 16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[2] = 0x0d;
        v6[3] = 0xb8;
        v6[15] = 1;
        assert_eq!(ip_text(&v6).as_deref(), Some("2001:db8::1"));
        let mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1];
        assert_eq!(ip_text(&mapped).as_deref(), Some("10.0.0.1"));
        assert_eq!(ip_text(&[1, 2, 3]), None);
    }

    #[test]
    fn c_string_stops_at_nul() {
        assert_eq!(c_string(b"a.example\0evil"), "a.example");
    }
}
