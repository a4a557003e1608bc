//! Rendering of RDATA into the strings of Zeek's `dns.log` `answers` column.
//!
//! Each string is what Zeek's `base/protocols/dns/main.zeek` passes to
//! `DNS::do_reply` for that RR type: addresses for A/AAAA, the target name
//! for CNAME/NS/PTR/MX/SRV, the primary server for SOA, `TXT <len> <text>`
//! per character-string, `RRSIG <type covered> <signer>`, `DNSKEY <alg>`,
//! `DS <alg> <digest type>`, `NSEC <owner> <next>`, `<unknown type=N>`, ...
//! Types that Zeek parses but does not log (HINFO, CAA, SVCB, HTTPS, OPT,
//! TSIG, TKEY, NB) render as [`Reply::Silent`]; WKS renders as
//! [`Reply::Empty`] (it counts as an answer but adds no string).
//!
//! Names are lower-cased (Zeek downcases every extracted name) and bytes
//! outside printable ASCII are escaped as `\xNN`, as Zeek's log writers do.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::names::type_name;
use super::parser::{parse_name, read_u16, Name, Rr, Section};
use crate::error::{DecodeError, Result};

/// Class NONE (RFC 2136 section 1.3), used by UPDATE prerequisites and deletes.
const CLASS_NONE: u16 = 254;
/// Class / type ANY (RFC 1035 section 3.2.5).
const ANY: u16 = 255;
/// Opcode UPDATE (RFC 2136 section 1.3).
pub const OPCODE_UPDATE: u8 = 5;

/// What an RR contributes to a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A reply string: listed in `answers` (or `auth`).
    Text(String),
    /// Counts as a reply (sets AA/RA/rtt) but adds no string, like Zeek's WKS.
    Empty,
    /// Not reported at all (Zeek has no `dns.log` handler for the type, or OPT).
    Silent,
}

/// Append `bytes` to `out`, escaping bytes outside printable ASCII as `\xNN`
/// and optionally lower-casing ASCII letters.
pub fn push_escaped(out: &mut String, bytes: &[u8], lower: bool) {
    for &b in bytes {
        if (0x20..0x7f).contains(&b) {
            out.push(char::from(if lower { b.to_ascii_lowercase() } else { b }));
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// Append a name: lower-case labels joined by dots, no trailing dot, the root as "".
pub fn push_name(out: &mut String, name: Name<'_>) -> Result<()> {
    let mut first = true;
    name.for_each_label(|label| {
        if !first {
            out.push('.');
        }
        first = false;
        push_escaped(out, label, true);
    })
}

/// A name as a new string, see [`push_name`].
pub fn name_string(name: Name<'_>) -> Result<String> {
    let mut s = String::new();
    push_name(&mut s, name)?;
    Ok(s)
}

/// Checked reads inside one RR's RDATA.
struct Rdata<'a> {
    msg: &'a [u8],
    pos: usize,
    end: usize,
    rtype: u16,
}

impl<'a> Rdata<'a> {
    fn new(msg: &'a [u8], rr: &Rr<'a>) -> Self {
        Rdata {
            msg,
            pos: rr.rdata_pos,
            end: rr.rdata_pos + rr.rdata.len(),
            rtype: rr.rtype,
        }
    }
    fn bad(&self, reason: &'static str) -> DecodeError {
        DecodeError::DnsBadRdata {
            rtype: self.rtype,
            reason,
        }
    }
    fn need(&self, n: usize) -> Result<()> {
        if self.end.saturating_sub(self.pos) < n {
            Err(self.bad("too short"))
        } else {
            Ok(())
        }
    }
    fn u8(&mut self) -> Result<u8> {
        self.need(1)?;
        let v = *self
            .msg
            .get(self.pos)
            .ok_or_else(|| self.bad("too short"))?;
        self.pos += 1;
        Ok(v)
    }
    fn u16(&mut self) -> Result<u16> {
        self.need(2)?;
        let v = read_u16(self.msg, self.pos, "rdata")?;
        self.pos += 2;
        Ok(v)
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        self.need(n)?;
        let v = self
            .msg
            .get(self.pos..self.pos + n)
            .ok_or_else(|| self.bad("too short"))?;
        self.pos += n;
        Ok(v)
    }
    fn rest(&mut self) -> &'a [u8] {
        let v = self.msg.get(self.pos..self.end).unwrap_or(&[]);
        self.pos = self.end;
        v
    }
    fn remaining(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }
    /// A <character-string> (RFC 1035 section 3.3): a length octet and that many octets.
    fn char_string(&mut self) -> Result<&'a [u8]> {
        let n = self.u8()?;
        self.bytes(usize::from(n))
    }
    /// A (possibly compressed) name whose in-place bytes lie inside RDATA.
    fn name(&mut self) -> Result<Name<'a>> {
        let (name, next) = parse_name(self.msg, self.pos)?;
        if next > self.end {
            return Err(self.bad("name runs past rdlength"));
        }
        self.pos = next;
        Ok(name)
    }
}

/// Render one RR as Zeek would report it.
///
/// `opcode` and `section` select the RFC 2136 UPDATE forms (`pre: ...`,
/// `del: ...`, `add: ...`) that Zeek uses for dynamic-update messages.
///
/// # Errors
/// [`DecodeError::DnsBadRdata`] (or a name error) when the RDATA does not fit
/// its type; the caller reports it and stops reading the message, as Zeek does.
pub fn render_rr(msg: &[u8], rr: &Rr<'_>, opcode: u8, section: Section) -> Result<Reply> {
    if opcode == OPCODE_UPDATE {
        match section {
            Section::Answer => return render_prerequisite(rr).map(Reply::Text),
            Section::Authority => return render_update(msg, rr),
            Section::Additional => {}
        }
    }
    render_plain(msg, rr, false)
}

/// RFC 2136 section 2.4 prerequisite, in Zeek's words.
fn render_prerequisite(rr: &Rr<'_>) -> Result<String> {
    let mut s = String::from("pre: ");
    match (rr.rclass, rr.rtype) {
        (CLASS_NONE, ANY) => s.push_str("NameNotInUse "),
        (ANY, ANY) => s.push_str("NameInUse "),
        (CLASS_NONE, t) => {
            let _ = write!(s, "NoRRSet {} ", type_name(t));
        }
        (_, t) => {
            let _ = write!(s, "RRSetExists {} ", type_name(t));
        }
    }
    push_name(&mut s, rr.name)?;
    Ok(s)
}

/// RFC 2136 section 2.5 update: deletions by class, additions as plain RRs.
fn render_update(msg: &[u8], rr: &Rr<'_>) -> Result<Reply> {
    let mut s = String::from("del: ");
    match (rr.rclass, rr.rtype) {
        (ANY, ANY) => {
            s.push_str("RRSet * ");
            push_name(&mut s, rr.name)?;
        }
        (CLASS_NONE, t) => {
            let _ = write!(s, "RR {} ", type_name(t));
            push_name(&mut s, rr.name)?;
        }
        (ANY, t) => {
            let _ = write!(s, "RRSet {}", type_name(t));
        }
        _ => {
            return Ok(match render_plain(msg, rr, true)? {
                Reply::Text(t) => Reply::Text(format!("add: {t}")),
                other => other,
            })
        }
    }
    Ok(Reply::Text(s))
}

/// Zeek's rendering of a non-UPDATE RR. `update` selects the `A <owner> <addr>`
/// form Zeek uses for address records inside dynamic updates.
fn render_plain(msg: &[u8], rr: &Rr<'_>, update: bool) -> Result<Reply> {
    let mut d = Rdata::new(msg, rr);
    let mut s = String::new();
    match rr.rtype {
        // A
        1 => {
            let b: [u8; 4] = d.bytes(4)?.try_into().map_err(|_| d.bad("A"))?;
            if d.remaining() != 0 {
                return Err(d.bad("A rdlength is not 4"));
            }
            let ip = Ipv4Addr::from(b);
            if update {
                s.push_str("A ");
                push_name(&mut s, rr.name)?;
                s.push(' ');
            }
            let _ = write!(s, "{ip}");
        }
        // AAAA, A6 (Zeek reads both as a 16-octet address)
        28 | 38 => {
            let a: [u8; 16] = d.bytes(16)?.try_into().map_err(|_| d.bad("AAAA"))?;
            if update {
                s.push_str(if rr.rtype == 28 { "AAAA " } else { "A6 " });
                push_name(&mut s, rr.name)?;
                s.push(' ');
            }
            let _ = write!(s, "{}", Ipv6Addr::from(a));
        }
        // NS, CNAME, PTR: the name itself.
        2 | 5 | 12 => push_name(&mut s, d.name()?)?,
        // SOA: Zeek logs the primary name server (MNAME).
        6 => {
            let mname = d.name()?;
            let _rname = d.name()?;
            d.bytes(20)?;
            push_name(&mut s, mname)?;
        }
        // WKS: Zeek reports it with an empty string.
        11 => return Ok(Reply::Empty),
        // MX: the exchange.
        15 => {
            d.u16()?;
            push_name(&mut s, d.name()?)?;
        }
        // TXT, SPF: "TXT <len> <string>" per character-string, space-separated.
        16 | 99 => {
            let tag = if rr.rtype == 16 { "TXT" } else { "SPF" };
            let mut first = true;
            while d.remaining() > 0 {
                let text = d.char_string()?;
                if !first {
                    s.push(' ');
                }
                first = false;
                let _ = write!(s, "{tag} {} ", text.len());
                push_escaped(&mut s, text, false);
            }
        }
        // LOC: "LOC:  <size> <horiz pre> <vert pre>", the raw octets (RFC 1876).
        29 => {
            let _version = d.u8()?;
            let size = d.u8()?;
            let horiz = d.u8()?;
            let vert = d.u8()?;
            let _ = write!(s, "LOC:  {size} {horiz} {vert}");
        }
        // SRV: the target.
        33 => {
            d.bytes(6)?;
            push_name(&mut s, d.name()?)?;
        }
        // NAPTR: "NAPTR <order> <pref> <flags> <service> <regexp> <replacement>".
        35 => {
            let order = d.u16()?;
            let pref = d.u16()?;
            let flags = d.char_string()?;
            let service = d.char_string()?;
            let regexp = d.char_string()?;
            let replacement = name_string(d.name()?)?;
            let _ = write!(s, "NAPTR {order} {pref} ");
            push_escaped(&mut s, flags, false);
            s.push(' ');
            push_escaped(&mut s, service, false);
            s.push(' ');
            push_escaped(&mut s, regexp, false);
            if !replacement.is_empty() {
                if !regexp.is_empty() {
                    s.push(' ');
                }
                s.push_str(&replacement);
            }
        }
        // DS: "DS <algorithm> <digest type>".
        43 => {
            d.u16()?;
            let alg = d.u8()?;
            let digest_type = d.u8()?;
            let _ = write!(s, "DS {alg} {digest_type}");
        }
        // SSHFP: "SSHFP: <fingerprint hex>".
        44 => {
            d.u8()?;
            d.u8()?;
            s.push_str("SSHFP: ");
            for b in d.rest() {
                let _ = write!(s, "{b:02x}");
            }
        }
        // RRSIG: "RRSIG <type covered> <signer>" (the root signer as "<Root>").
        46 => {
            let covered = d.u16()?;
            d.bytes(16)?; // algorithm, labels, original TTL, expiration, inception, key tag
            let signer = d.name()?;
            let _ = write!(s, "RRSIG {covered} ");
            if signer.is_root() {
                s.push_str("<Root>");
            } else {
                push_name(&mut s, signer)?;
            }
        }
        // NSEC: "NSEC <owner> <next owner>".
        47 => {
            let next = d.name()?;
            s.push_str("NSEC ");
            push_name(&mut s, rr.name)?;
            s.push(' ');
            push_name(&mut s, next)?;
        }
        // DNSKEY: "DNSKEY <algorithm>".
        48 => {
            d.u16()?;
            d.u8()?;
            let alg = d.u8()?;
            let _ = write!(s, "DNSKEY {alg}");
        }
        // NSEC3 / NSEC3PARAM: the type name only.
        50 => {
            d.bytes(5)?;
            s.push_str("NSEC3");
        }
        51 => {
            d.bytes(5)?;
            s.push_str("NSEC3PARAM");
        }
        // BIND9's private signing-state type.
        65534 => s.push_str("BIND9 signing signal"),
        // Parsed by Zeek but never written to dns.log: NB (NIMLOC number),
        // HINFO, OPT, SVCB, HTTPS, TKEY, TSIG, CAA.
        13 | 32 | 41 | 64 | 65 | 249 | 250 | 257 => return Ok(Reply::Silent),
        t => {
            let _ = write!(s, "<unknown type={t}>");
        }
    }
    Ok(if s.is_empty() {
        Reply::Empty
    } else {
        Reply::Text(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::parser::parse_rr;

    #[test]
    fn push_escaped_escapes_like_zeek() {
        let mut s = String::new();
        push_escaped(&mut s, b"Ab\xff\x00 z", true);
        assert_eq!(s, "ab\\xff\\x00 z");
        let mut s = String::new();
        push_escaped(&mut s, b"Ab", false);
        assert_eq!(s, "Ab");
    }

    /// An RR owned by the root: header-less message with the RR at offset 0.
    fn rr_msg(rtype: u16, rdata: &[u8]) -> Vec<u8> {
        let mut m = vec![0u8];
        m.extend_from_slice(&rtype.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata);
        m
    }

    fn render(rtype: u16, rdata: &[u8]) -> Result<Reply> {
        let m = rr_msg(rtype, rdata);
        let (rr, _) = parse_rr(&m, 0)?;
        render_rr(&m, &rr, 0, Section::Answer)
    }

    #[test]
    fn render_generic_and_silent_types() {
        assert_eq!(
            render(990, &[1, 2]).unwrap(),
            Reply::Text("<unknown type=990>".into())
        );
        assert_eq!(render(257, &[0, 5, b'i']).unwrap(), Reply::Silent);
        assert_eq!(render(11, &[1, 2, 3, 4, 6]).unwrap(), Reply::Empty);
        // RRSIG signed by the root.
        let mut rrsig = vec![0, 1];
        rrsig.extend_from_slice(&[0; 16]);
        rrsig.push(0);
        assert_eq!(
            render(46, &rrsig).unwrap(),
            Reply::Text("RRSIG 1 <Root>".into())
        );
        assert_eq!(
            render(44, &[1, 1, 0xab, 0x01]).unwrap(),
            Reply::Text("SSHFP: ab01".into())
        );
    }

    #[test]
    fn render_rejects_bad_lengths() {
        assert!(matches!(
            render(1, &[1, 2, 3]),
            Err(DecodeError::DnsBadRdata { rtype: 1, .. })
        ));
        assert!(render(28, &[0; 15]).is_err());
        assert!(render(16, &[5, b'a']).is_err());
        // A name in RDATA that runs past rdlength.
        assert!(render(5, &[3, b'a', b'b']).is_err());
    }
}
