//! JA4H, the HTTP client fingerprint of FoxIO's JA4+ suite.
//!
//! JA4H is under the FoxIO License 1.1 (non-commercial / internal use):
//! it is computed only with the cargo feature `ja4plus`. Layout
//! (`ja4h_a_b_c_d`, specification in FoxIO-LLC/ja4 `technical_details/JA4H.md`):
//! - a: method (2 letters, lower case), version (`11`, `10`, `20`), `c`/`n`
//!   cookie present, `r`/`n` referer present, header count without Cookie
//!   and Referer (2 digits, at most 99), first 4 characters of
//!   Accept-Language (lower case, `-` and `;` removed, `0`-padded);
//! - b: first 12 hex of SHA-256 of the header names in wire order (original
//!   case, Cookie and Referer left out), joined with `,`;
//! - c: the same over the sorted cookie names; d: over the sorted
//!   `name=value` cookie pairs (`000000000000` without cookies).

use sha2::{Digest, Sha256};

/// JA4H of a request with `method`, `version` (`1.1`) and header fields in wire order.
pub fn ja4h(method: &str, version: Option<&str>, headers: &[(String, String)]) -> String {
    let is = |n: &str, want: &str| n.eq_ignore_ascii_case(want);
    let m: String = method
        .chars()
        .take(2)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let v: String = version
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .take(2)
        .collect();
    let v = if v.len() == 1 { format!("{v}0") } else { v };
    let cookie = headers.iter().any(|(n, _)| is(n, "cookie"));
    let referer = headers.iter().any(|(n, _)| is(n, "referer"));
    let names: Vec<&str> = headers
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !is(n, "cookie") && !is(n, "referer"))
        .collect();
    let lang: String = headers
        .iter()
        .find(|(n, _)| is(n, "accept-language"))
        .map(|(_, v)| {
            v.to_ascii_lowercase()
                .replace('-', "")
                .replace(';', ",")
                .split(',')
                .next()
                .unwrap_or("")
                .chars()
                .take(4)
                .collect()
        })
        .unwrap_or_default();
    let a = format!(
        "{m}{v}{}{}{:02}{lang:0<4}",
        if cookie { 'c' } else { 'n' },
        if referer { 'r' } else { 'n' },
        names.len().min(99),
    );
    let b = hash12(&names.join(","));
    let mut pairs: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| is(n, "cookie"))
        .flat_map(|(_, v)| v.split(';'))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let (c, d) = if pairs.is_empty() {
        ("000000000000".to_string(), "000000000000".to_string())
    } else {
        let mut cookie_names: Vec<&str> = pairs
            .iter()
            .map(|p| p.split_once('=').map_or(*p, |(n, _)| n))
            .collect();
        cookie_names.sort_unstable();
        pairs.sort_unstable();
        (hash12(&cookie_names.join(",")), hash12(&pairs.join(",")))
    };
    format!("{a}_{b}_{c}_{d}")
}

/// First 12 hex characters of SHA-256, or 12 zeros for an empty input.
fn hash12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".to_string();
    }
    let d = Sha256::digest(s.as_bytes());
    crate::files::hex(&d).chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ja4h_shape_without_cookies() {
        let j = ja4h("GET", Some("1.0"), &h(&[("User-Agent", "")]));
        // ja4 peer, arkime http-empty-useragent.pcap.
        assert_eq!(j, "ge10nn010000_b8bcd45ac095_000000000000_000000000000");
    }
}
