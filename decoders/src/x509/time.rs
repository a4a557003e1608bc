//! Validity times, read the way OpenSSL accepts them.
//!
//! UTCTime `YYMMDDhhmm[ss](Z|±hhmm)` with RFC 5280's pivot (YY < 50 is 20YY)
//! and GeneralizedTime `YYYYMMDDhh[mm[ss[.f*]]](Z|±hhmm|)`, fractions
//! dropped (Zeek logs whole seconds). An offset is applied correctly; Zeek's
//! own `GetTimeFromAsn1` mis-scales offsets and rejects UTCTime without `Z`,
//! Arkime and OpenSSL do not, and we side with them.

use x509_parser::asn1_rs::{Any, Class, Tag};

/// Seconds since the epoch of a UTCTime or GeneralizedTime element; None if malformed.
pub(crate) fn parse(t: &Any<'_>) -> Option<i64> {
    if t.class() != Class::Universal {
        return None;
    }
    let s = t.data;
    let (year, rest) = match t.tag() {
        Tag::UtcTime => {
            let yy = digits(s, 0, 2)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, s.get(2..)?)
        }
        Tag::GeneralizedTime => (digits(s, 0, 4)?, s.get(4..)?),
        _ => return None,
    };
    let month = digits(rest, 0, 2)?;
    let day = digits(rest, 2, 2)?;
    let hour = digits(rest, 4, 2)?;
    let mut pos = 6;
    let mut minute = 0;
    let mut second = 0;
    if let Some(m) = digits(rest, pos, 2) {
        minute = m;
        pos += 2;
        if let Some(sec) = digits(rest, pos, 2) {
            second = sec;
            pos += 2;
            if rest.get(pos) == Some(&b'.') {
                pos += 1;
                while rest.get(pos).is_some_and(u8::is_ascii_digit) {
                    pos += 1;
                }
            }
        }
    }
    let offset_min = match rest.get(pos..)? {
        b"Z" | b"" => 0,
        [sign @ (b'+' | b'-'), tz @ ..] if tz.len() == 4 => {
            let m = digits(tz, 0, 2)? * 60 + digits(tz, 2, 2)?;
            if *sign == b'+' {
                m
            } else {
                -m
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60)
}

/// `n` ASCII digits at `at` as a number.
fn digits(s: &[u8], at: usize, n: usize) -> Option<i64> {
    let d = s.get(at..at.checked_add(n)?)?;
    d.iter().try_fold(0i64, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(tag: Tag, s: &str) -> Option<i64> {
        parse(&Any::from_tag_and_data(tag, s.as_bytes()))
    }

    #[test]
    fn utc_and_generalized_times() {
        assert_eq!(t(Tag::UtcTime, "140409121148Z"), Some(1_397_045_508));
        assert_eq!(t(Tag::UtcTime, "491231235959Z"), Some(2_524_607_999));
        assert_eq!(t(Tag::UtcTime, "500101000000Z"), Some(-631_152_000));
        assert_eq!(t(Tag::UtcTime, "250115120000+0530"), Some(1_736_922_600));
        assert_eq!(t(Tag::UtcTime, "2501151200Z"), Some(1_736_942_400));
        assert_eq!(
            t(Tag::GeneralizedTime, "20260115120000-0800"),
            Some(1_768_507_200)
        );
        assert_eq!(
            t(Tag::GeneralizedTime, "20500101000000.123Z"),
            Some(2_524_608_000)
        );
        assert_eq!(t(Tag::GeneralizedTime, "2050010100Z"), Some(2_524_608_000));
        assert_eq!(t(Tag::UtcTime, "9913010000Z"), None);
        assert_eq!(t(Tag::UtcTime, "14040912114"), None);
        assert_eq!(t(Tag::Integer, "140409121148Z"), None);
    }
}
