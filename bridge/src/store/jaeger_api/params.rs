//! The query parameters of the Jaeger query API, read the way Jaeger's query service (written in Go) reads them:
//! Go's integer and duration syntax, Go's error texts, the first value of a repeated parameter, an empty value
//! counted as absent.

use super::tags_json;
use crate::store::query::{SpanFilter, TagFilter, TraceId, TraceQuery};
use std::collections::BTreeMap;

/// Jaeger's default number of traces when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 100;
/// How far back `/api/traces` looks when neither `start` nor a readable `lookback` is given (Jaeger's default,
/// 2 days).
pub const DEFAULT_TRACE_LOOKBACK_NS: u64 = 2 * 24 * 3600 * 1_000_000_000;
/// How far back `/api/dependencies` looks when `lookback` is absent (Jaeger's default, 1 day).
pub const DEFAULT_DEPENDENCY_LOOKBACK_MS: i64 = 24 * 3600 * 1000;

/// The decoded query string: every value of every parameter, in order.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Wraps the pairs of a query string.
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Params(pairs)
    }

    /// The first value of `name`, `None` when absent or empty (Go's `r.FormValue(name) == ""`).
    pub fn first(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// Every value of `name` (Go's `r.Form[name]`).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What `/api/traces` was asked for: a search, or traces by id (`traceID=` repeated).
#[derive(Debug, PartialEq, Eq)]
pub enum TracesRequest {
    /// A search.
    Search(TraceQuery),
    /// Whole traces by id, in the order asked.
    ByIds(Vec<TraceId>),
}

/// Reads the parameters of `/api/traces` (`service`, `operation`, `tags` JSON, `tag=k:v` repeated, `start`,
/// `end` in µs, `lookback`, `minDuration`, `maxDuration`, `limit`, `traceID` repeated). `now_ns` is the time
/// used for a missing `end` (and `start`). The error text is Jaeger's.
pub fn traces_request(params: &Params, now_ns: u64) -> Result<TracesRequest, String> {
    let end_ns = match params.first("end") {
        Some(v) => micros_to_ns(parse_go_int(v, 64).map_err(|e| param_error("end", &e))?),
        None => now_ns,
    };
    let start_ns = match params.first("start") {
        Some(v) => micros_to_ns(parse_go_int(v, 64).map_err(|e| param_error("start", &e))?),
        // The Jaeger UI always sends `start` (its `lookback` only says how it chose it); scripts often give
        // `end` and `lookback` alone, which Jaeger ignores (it looks back its default 2 days from now): honour
        // a readable `lookback` then, and fall back to Jaeger's default for others (`custom`).
        None => match params.first("lookback").and_then(lookback_ns) {
            Some(back) => end_ns.saturating_sub(back),
            None => end_ns.saturating_sub(DEFAULT_TRACE_LOOKBACK_NS),
        },
    };
    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    for tag in params.all("tag") {
        match tag.split_once(':') {
            Some((key, value)) => {
                tags.insert(key.to_owned(), value.to_owned());
            }
            None => {
                return Err(format!(
                    "malformed 'tag' parameter, expecting key:value, received: {tag}"
                ))
            }
        }
    }
    for json in params.all("tags") {
        let map = tags_json::parse_string_map(json)
            .map_err(|e| format!("malformed 'tags' parameter, cannot unmarshal JSON: {e}"))?;
        tags.extend(map);
    }
    let limit = match params.first("limit") {
        // Jaeger answers this one without naming the parameter.
        Some(v) => parse_go_int(v, 32)?,
        None => DEFAULT_LIMIT as i64,
    };
    let min_duration = duration_param(params, "minDuration")?;
    let max_duration = duration_param(params, "maxDuration")?;
    let mut ids = Vec::new();
    for id in params.all("traceID") {
        ids.push(parse_trace_id(id).map_err(|e| format!("cannot parse traceID param: {e}"))?);
    }
    let service = params.first("service");
    if ids.is_empty() && service.is_none() {
        return Err("parameter 'service' is required".into());
    }
    if min_duration != 0 && max_duration != 0 && max_duration < min_duration {
        return Err("'maxDuration' should be greater than 'minDuration'".into());
    }
    if !ids.is_empty() {
        return Ok(TracesRequest::ByIds(ids));
    }
    let positive = |d: i64| u64::try_from(d).ok().filter(|d| *d > 0);
    let filter = SpanFilter {
        service: service.map(str::to_owned),
        operation: params.first("operation").map(str::to_owned),
        kind: None,
        // Jaeger matches a tag among the span's tags, its process's tags and its logs' fields.
        tags: tags
            .into_iter()
            .map(|(key, value)| TagFilter::Equals { key, value, or_event: true })
            .collect(),
        min_duration: positive(min_duration),
        max_duration: positive(max_duration),
    };
    Ok(TracesRequest::Search(TraceQuery {
        filter,
        start_min: Some(start_ns),
        start_max: Some(end_ns),
        limit: usize::try_from(limit).ok().filter(|l| *l > 0).unwrap_or(DEFAULT_LIMIT),
    }))
}

/// Reads `/api/dependencies`' `endTs` and `lookback` (both ms; `lookback` defaults to a day) into the window
/// `[from, to]` in ns.
pub fn dependencies_window(params: &Params, now_ns: u64) -> Result<(u64, u64), String> {
    let end_ns = match params.first("endTs") {
        Some(v) => millis_to_ns(parse_go_int(v, 64).map_err(|e| param_error("endTs", &e))?),
        None => now_ns,
    };
    let lookback_ms = match params.first("lookback") {
        Some(v) => parse_go_int(v, 64).map_err(|e| param_error("lookback", &e))?,
        None => DEFAULT_DEPENDENCY_LOOKBACK_MS,
    };
    let lookback_ns = u64::try_from(lookback_ms).unwrap_or(0).saturating_mul(1_000_000);
    Ok((end_ns.saturating_sub(lookback_ns), end_ns))
}

/// Jaeger's wrapping of a parameter's parse error.
fn param_error(name: &str, error: &str) -> String {
    format!("unable to parse param '{name}': {error}")
}

fn duration_param(params: &Params, name: &str) -> Result<i64, String> {
    match params.first(name) {
        Some(v) => parse_go_duration(v).map_err(|e| param_error(name, &e)),
        None => Ok(0),
    }
}

/// `lookback` as the Jaeger UI writes it (`1h`, `2d`, `1w`) or as a Go duration, in ns; `None` for others
/// (`custom`).
fn lookback_ns(value: &str) -> Option<u64> {
    // The UI's day and week units, which Go durations lack.
    let days = |n: &str, unit_days: u64| -> Option<u64> {
        n.parse::<u64>().ok().map(|n| n.saturating_mul(unit_days * 24 * 3600 * 1_000_000_000))
    };
    if let Some(n) = value.strip_suffix('d') {
        if let Some(ns) = days(n, 1) {
            return Some(ns);
        }
    }
    if let Some(n) = value.strip_suffix('w') {
        if let Some(ns) = days(n, 7) {
            return Some(ns);
        }
    }
    parse_go_duration(value).ok().and_then(|ns| u64::try_from(ns).ok())
}

fn micros_to_ns(us: i64) -> u64 {
    u64::try_from(us).unwrap_or(0).saturating_mul(1_000)
}

fn millis_to_ns(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000)
}

/// Go's `strconv.Quote`, near enough for error texts: printable text as is, `"` and `\` escaped.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.ParseInt(s, 10, bits)`, with its error text.
pub fn parse_go_int(s: &str, bits: u32) -> Result<i64, String> {
    let fail = |what: &str| format!("strconv.ParseInt: parsing {}: {what}", go_quote(s));
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail("invalid syntax"));
    }
    let max = (1u128 << (bits - 1)) - 1;
    let mut value: u128 = 0;
    for b in digits.bytes() {
        value = value.saturating_mul(10).saturating_add(u128::from(b - b'0'));
    }
    let limit = if negative { max + 1 } else { max };
    if value > limit {
        return Err(fail("value out of range"));
    }
    let value = value as i128;
    Ok(if negative { -value } else { value } as i64)
}

/// Go's `strconv.ParseUint(s, 16, 64)`, with its error text.
fn parse_go_hex_u64(s: &str) -> Result<u64, String> {
    let fail = |what: &str| format!("strconv.ParseUint: parsing {}: {what}", go_quote(s));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(fail("invalid syntax"));
    }
    u64::from_str_radix(s, 16).map_err(|_| fail("value out of range"))
}

/// A trace id as Jaeger reads it (`model.TraceIDFromString`): up to 32 hex digits, either case; the high half
/// is whatever precedes the last 16 digits. Widened to 16 bytes like the store's ids.
pub fn parse_trace_id(s: &str) -> Result<TraceId, String> {
    let (high, low) = if s.len() > 32 {
        return Err(format!("TraceID cannot be longer than 32 hex characters: {s}"));
    } else if s.len() > 16 {
        // Hex digits are ASCII; a non-ASCII byte at the split fails the digit check below.
        let split = s.len() - 16;
        if !s.is_char_boundary(split) {
            return Err(format!("strconv.ParseUint: parsing {}: invalid syntax", go_quote(s)));
        }
        (parse_go_hex_u64(&s[..split])?, parse_go_hex_u64(&s[split..])?)
    } else {
        (0, parse_go_hex_u64(s)?)
    };
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&high.to_be_bytes());
    id[8..].copy_from_slice(&low.to_be_bytes());
    Ok(id)
}

/// Go's `time.ParseDuration` (`1.2ms`, `100ms`, `1h30m`, `-1s`; units ns, us, µs, μs, ms, s, m, h), in ns,
/// with Go's error texts.
pub fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let mut s = orig;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !s.is_empty() {
        let first = s.as_bytes()[0];
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(invalid());
        }
        // The integer part.
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut value: u64 = 0;
        for b in s[..int_len].bytes() {
            if value > (LIMIT - 1) / 10 {
                return Err(invalid());
            }
            value = value * 10 + u64::from(b - b'0');
            if value > LIMIT {
                return Err(invalid());
            }
        }
        s = &s[int_len..];
        // The fraction.
        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut frac_len = 0;
        if let Some(rest) = s.strip_prefix('.') {
            s = rest;
            frac_len = s.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for b in s[..frac_len].bytes() {
                if overflow {
                    continue;
                }
                if fraction > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let next = fraction * 10 + u64::from(b - b'0');
                if next > LIMIT {
                    overflow = true;
                    continue;
                }
                fraction = next;
                scale *= 10.0;
            }
            s = &s[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(invalid());
        }
        // The unit: up to the next digit or dot.
        let unit_len = s.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let unit_text = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_text {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(unit_text),
                    go_quote(orig)
                ))
            }
        };
        if value > LIMIT / unit {
            return Err(invalid());
        }
        value *= unit;
        if fraction > 0 {
            value += (fraction as f64 * (unit as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(invalid());
            }
        }
        total += value;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if negative {
        return Ok((total as i128).wrapping_neg() as i64);
    }
    if total > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(total as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1.2ms"), Ok(1_200_000));
        assert_eq!(parse_go_duration("100ms"), Ok(100_000_000));
        assert_eq!(parse_go_duration("1s"), Ok(1_000_000_000));
        assert_eq!(parse_go_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_go_duration("1.5µs"), Ok(1_500));
        assert_eq!(parse_go_duration(".5s"), Ok(500_000_000));
        assert_eq!(parse_go_duration("-2us"), Ok(-2_000));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(parse_go_duration("fast"), Err("time: invalid duration \"fast\"".into()));
        assert_eq!(parse_go_duration("10"), Err("time: missing unit in duration \"10\"".into()));
        assert_eq!(
            parse_go_duration("10xs"),
            Err("time: unknown unit \"xs\" in duration \"10xs\"".into())
        );
        assert_eq!(parse_go_duration("."), Err("time: invalid duration \".\"".into()));
        assert!(parse_go_duration("9999999999999h").is_err());
    }

    #[test]
    fn go_ints() {
        assert_eq!(parse_go_int("20", 32), Ok(20));
        assert_eq!(parse_go_int("-3", 32), Ok(-3));
        assert_eq!(
            parse_go_int("many", 32),
            Err("strconv.ParseInt: parsing \"many\": invalid syntax".into())
        );
        assert_eq!(
            parse_go_int("3000000000", 32),
            Err("strconv.ParseInt: parsing \"3000000000\": value out of range".into())
        );
    }

    fn request(query: &[(&str, &str)]) -> Result<TracesRequest, String> {
        let pairs = query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        traces_request(&Params::new(pairs), 1_000_000_000_000_000_000)
    }

    #[test]
    fn reads_searches() {
        let Ok(TracesRequest::Search(q)) = request(&[
            ("service", "svc"),
            ("tag", "url:http://x"),
            ("tags", r#"{"a":"1"}"#),
            ("minDuration", ""),
            ("end", "2000"),
            ("lookback", "1ms"),
        ]) else {
            panic!("a search")
        };
        assert_eq!(q.filter.service.as_deref(), Some("svc"));
        let tag =
            |k: &str, v: &str| TagFilter::Equals { key: k.into(), value: v.into(), or_event: true };
        assert_eq!(q.filter.tags, vec![tag("a", "1"), tag("url", "http://x")]);
        assert_eq!(q.filter.min_duration, None);
        assert_eq!((q.start_min, q.start_max), (Some(1_000_000), Some(2_000_000)));
        assert_eq!(q.limit, DEFAULT_LIMIT);
        // `lookback=custom` (the UI's) is not a time: Jaeger's default 2 days.
        let Ok(TracesRequest::Search(q)) =
            request(&[("service", "svc"), ("end", "200000000000"), ("lookback", "custom")])
        else {
            panic!("a search")
        };
        assert_eq!(q.start_min, Some(200_000_000_000_000 - DEFAULT_TRACE_LOOKBACK_NS));
        assert_eq!(
            request(&[("traceID", "ab"), ("traceID", "cd")]).map(|r| match r {
                TracesRequest::ByIds(ids) => ids.len(),
                TracesRequest::Search(_) => 0,
            }),
            Ok(2)
        );
    }

    #[test]
    fn trace_ids() {
        let mut t3 = [0u8; 16];
        t3[8..].copy_from_slice(&[0x6b, 0x22, 0x1d, 0x5b, 0xc9, 0xe6, 0x49, 0x6c]);
        assert_eq!(parse_trace_id("6b221d5bc9e6496c"), Ok(t3));
        assert_eq!(parse_trace_id("00000000000000006b221d5bc9e6496c"), Ok(t3));
        assert_eq!(parse_trace_id("6B221D5BC9E6496C"), Ok(t3));
        let mut short = [0u8; 16];
        short[15] = 0xab;
        assert_eq!(parse_trace_id("ab"), Ok(short));
        assert_eq!(
            parse_trace_id("zzz"),
            Err("strconv.ParseUint: parsing \"zzz\": invalid syntax".into())
        );
        assert_eq!(
            parse_trace_id(&"a".repeat(33)),
            Err(format!("TraceID cannot be longer than 32 hex characters: {}", "a".repeat(33)))
        );
    }
}
