//! Parsing of human sizes (`1G`, `50M`) and counts (`500k`).

use super::error::{GenError, Result};

/// Parses a byte size: a number with an optional binary suffix `K`, `M`, `G`, `T`
/// (powers of 1024, optionally followed by `i`, `iB` or `B`), so `1G` is 1 GiB.
///
/// # Errors
/// [`GenError::BadArg`] when the text is not a number with a known suffix or overflows u64.
pub fn parse_size(flag: &'static str, s: &str) -> Result<u64> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let t = t.strip_suffix('i').unwrap_or(t);
    scaled(flag, s, t, 1024)
}

/// Parses a count: a number with an optional decimal suffix `k`, `m`, `g` (powers of 1000),
/// so `500k` is 500 000.
///
/// # Errors
/// [`GenError::BadArg`] when the text is not a number with a known suffix or overflows u64.
pub fn parse_count(flag: &'static str, s: &str) -> Result<u64> {
    scaled(flag, s, s.trim(), 1000)
}

fn scaled(flag: &'static str, orig: &str, t: &str, base: u64) -> Result<u64> {
    let bad = |why| GenError::BadArg {
        flag,
        value: orig.to_string(),
        why,
    };
    let (num, mult) = match t.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => {
            let pow = match c.to_ascii_lowercase() {
                'k' => 1,
                'm' => 2,
                'g' => 3,
                't' => 4,
                _ => return Err(bad("unknown suffix; use k, M, G or T")),
            };
            (&t[..t.len() - 1], base.pow(pow))
        }
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| bad("expected a whole number"))?;
    n.checked_mul(mult).ok_or_else(|| bad("too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_binary_suffixes() {
        assert_eq!(parse_size("--bytes", "1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("--bytes", "50M").unwrap(), 50 << 20);
        assert_eq!(parse_size("--bytes", "2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("--bytes", "123").unwrap(), 123);
        assert!(parse_size("--bytes", "1X").is_err());
        assert!(parse_size("--bytes", "").is_err());
        assert!(parse_size("--bytes", "99999999999T").is_err());
    }

    #[test]
    fn counts_decimal_suffixes() {
        assert_eq!(parse_count("--flows", "500k").unwrap(), 500_000);
        assert_eq!(parse_count("--flows", "2M").unwrap(), 2_000_000);
        assert_eq!(parse_count("--flows", "20000").unwrap(), 20_000);
    }
}
