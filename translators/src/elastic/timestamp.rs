//! `@timestamp` text: RFC 3339 / ISO 8601 in UTC or with an offset, to and from nanoseconds since the epoch.

use crate::calendar::{civil_from_days, days_from_civil, days_in_month};

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Reads `YYYY-MM-DD(T| )HH:MM:SS[.fraction](Z|±HH:MM|±HHMM)` into nanoseconds since the epoch.
/// `None` when the text is not such a time or lies before 1970 (OTLP times are unsigned).
pub fn parse(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let number = |from: usize, to: usize| -> Option<i64> {
        let digits = b.get(from..to)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(digits.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut fraction: i128 = 0;
    if matches!(b.get(at), Some(b'.' | b',')) {
        at += 1;
        let digits = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        // Digits beyond nanoseconds cannot be held; they are dropped.
        for (i, digit) in b[at..at + digits].iter().take(9).enumerate() {
            fraction += i128::from(digit - b'0') * 10i128.pow(8 - i as u32);
        }
        at += digits;
    }
    let offset: i64 = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        sign @ (b'+' | b'-') => {
            let rest = &b[at + 1..];
            let (h, m) = match rest.len() {
                5 if rest[2] == b':' => (number(at + 1, at + 3)?, number(at + 4, at + 6)?),
                4 => (number(at + 1, at + 3)?, number(at + 3, at + 5)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'-' {
                -(h * 3600 + m * 60)
            } else {
                h * 3600 + m * 60
            }
        }
        _ => return None,
    };
    let seconds = i128::from(days_from_civil(year, month, day)) * i128::from(SECONDS_PER_DAY)
        + i128::from(hour * 3600 + minute * 60 + second)
        - i128::from(offset);
    u64::try_from(seconds * NANOS_PER_SECOND + fraction).ok()
}

/// `YYYY-MM-DDTHH:MM:SS.fffZ` in UTC, with 3, 6 or 9 fraction digits: the fewest that hold the time exactly
/// (Beats, Logstash and the Elastic loggers write milliseconds; longer only when the time needs it).
pub fn format(nanos: u64) -> String {
    let secs = (nanos / 1_000_000_000) as i64;
    let sub = nanos % 1_000_000_000;
    let (year, month, day) = civil_from_days(secs.div_euclid(SECONDS_PER_DAY));
    let in_day = secs.rem_euclid(SECONDS_PER_DAY);
    let fraction = if sub % 1_000_000 == 0 {
        format!("{:03}", sub / 1_000_000)
    } else if sub % 1_000 == 0 {
        format!("{:06}", sub / 1_000)
    } else {
        format!("{sub:09}")
    };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_utc_and_offsets() {
        let t = parse("2024-05-01T12:00:00.123Z").unwrap();
        assert_eq!(t, 1_714_564_800_123_000_000);
        assert_eq!(format(t), "2024-05-01T12:00:00.123Z");
        assert_eq!(parse("2024-05-01T14:00:00.123+02:00"), Some(t));
        assert_eq!(parse("2024-05-01T14:00:00.123+0200"), Some(t));
        assert_eq!(format(t + 456_789), "2024-05-01T12:00:00.123456789Z");
        assert_eq!(format(t + 456_000), "2024-05-01T12:00:00.123456Z");
        assert_eq!(parse("2024-02-30T00:00:00Z"), None);
        assert_eq!(parse("1969-12-31T23:59:59Z"), None);
        assert_eq!(parse("yesterday"), None);
    }
}
