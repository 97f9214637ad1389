//! Time partitions: one tantivy index per hour or per day of span start time, in a folder named for it
//! (`2026-11-25T13` or `2026-11-25`, UTC). Retention drops whole folders, which costs nothing at query time
//! (per-document deletes would leave tombstones), and a query only opens the partitions its window overlaps.

use serde::Deserialize;
use translators::calendar::{civil_from_days, days_from_civil};

/// How much time one partition covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One partition per UTC hour: retention drops data an hour at a time.
    #[default]
    Hour,
    /// One partition per UTC day: fewer, larger indexes, for long retention.
    Day,
}

impl Granularity {
    /// Length of a partition in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Granularity::Hour => 3600,
            Granularity::Day => 86_400,
        }
    }
}

/// The time range of one partition: `[start, end)` in seconds since the epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionRange {
    /// First second covered.
    pub start: i64,
    /// First second after it.
    pub end: i64,
}

impl PartitionRange {
    /// The partition holding the time `unix_nanos`.
    pub fn containing(unix_nanos: u64, granularity: Granularity) -> Self {
        let len = granularity.seconds();
        let secs = (unix_nanos / 1_000_000_000) as i64;
        let start = secs - secs.rem_euclid(len);
        PartitionRange { start, end: start + len }
    }

    /// The folder name: `YYYY-MM-DDTHH` for an hour, `YYYY-MM-DD` for a day.
    pub fn folder_name(&self) -> String {
        let (y, m, d) = civil_from_days(self.start.div_euclid(86_400));
        if self.end - self.start == 3600 {
            let hour = self.start.rem_euclid(86_400) / 3600;
            format!("{y:04}-{m:02}-{d:02}T{hour:02}")
        } else {
            format!("{y:04}-{m:02}-{d:02}")
        }
    }

    /// Reads a folder name back (either granularity, so changing the setting keeps old partitions readable).
    pub fn parse_folder_name(name: &str) -> Option<Self> {
        let (date, hour) = match name.split_once('T') {
            Some((date, hour)) if hour.len() == 2 => (date, Some(hour.parse::<i64>().ok()?)),
            Some(_) => return None,
            None => (name, None),
        };
        let mut parts = date.splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let (y, m, d) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        let day_start = days_from_civil(y, m, d) * 86_400;
        match hour {
            Some(h) if (0..24).contains(&h) => Some(PartitionRange {
                start: day_start + h * 3600,
                end: day_start + h * 3600 + 3600,
            }),
            Some(_) => None,
            None => Some(PartitionRange { start: day_start, end: day_start + 86_400 }),
        }
    }

    /// True when the partition holds any time of `[from, to]` (ns; `None` is unbounded).
    pub fn overlaps(&self, from: Option<u64>, to: Option<u64>) -> bool {
        let start_ns = (self.start.max(0) as u64).saturating_mul(1_000_000_000);
        let end_ns = self.end_nanos();
        from.is_none_or(|from| end_ns > from) && to.is_none_or(|to| start_ns <= to)
    }

    /// The first nanosecond after the partition.
    pub fn end_nanos(&self) -> u64 {
        (self.end.max(0) as u64).saturating_mul(1_000_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-25T13:15:04Z
    const T: u64 = 1_795_612_504_000_000_000;

    #[test]
    fn names_partitions_by_utc_hour_and_day_and_reads_them_back() {
        let hour = PartitionRange::containing(T, Granularity::Hour);
        assert_eq!(hour.folder_name(), "2026-11-25T13");
        assert_eq!(hour.end - hour.start, 3600);
        assert_eq!(PartitionRange::parse_folder_name("2026-11-25T13"), Some(hour));
        let day = PartitionRange::containing(T, Granularity::Day);
        assert_eq!(day.folder_name(), "2026-11-25");
        assert_eq!(PartitionRange::parse_folder_name("2026-11-25"), Some(day));
        assert!(day.start <= hour.start && hour.end <= day.end);
    }

    #[test]
    fn rejects_folder_names_that_are_not_partitions() {
        for bad in
            ["", "tmp", "2026-13-01", "2026-11-25T24", "2026-11-25T1", "26-11-25", "2026-11-25Tab"]
        {
            assert_eq!(PartitionRange::parse_folder_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn overlap_is_half_open_at_the_end() {
        let hour = PartitionRange::containing(T, Granularity::Hour);
        let start_ns = hour.start as u64 * 1_000_000_000;
        let end_ns = hour.end as u64 * 1_000_000_000;
        assert!(hour.overlaps(Some(start_ns), Some(start_ns)));
        assert!(!hour.overlaps(Some(end_ns), None));
        assert!(hour.overlaps(None, Some(end_ns - 1)));
        assert!(!hour.overlaps(None, Some(start_ns - 1)));
        assert!(hour.overlaps(None, None));
    }
}
