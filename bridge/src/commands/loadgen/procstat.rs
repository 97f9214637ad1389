//! CPU time and memory of a process, from `/proc`, as the Collector's testbed reads them:
//! CPU % = Δ(utime + stime) / Δwall from `/proc/<pid>/stat` (every thread of the process), RSS from
//! `VmRSS` in `/proc/<pid>/status`.

use std::time::Instant;

/// One reading of a process.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When it was taken.
    pub at: Instant,
    /// utime + stime, in seconds.
    pub cpu_seconds: f64,
    /// Resident set size, bytes.
    pub rss_bytes: u64,
}

/// Reads `/proc/<pid>/...`; `None` when the process is gone.
pub fn sample(pid: u32, ticks_per_second: f64) -> Option<Sample> {
    let at = Instant::now();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: fields count from the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14, stime field 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some(Sample { at, cpu_seconds: (utime + stime) / ticks_per_second, rss_bytes: rss_kib * 1024 })
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on every Linux we run on).
pub fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|t: &f64| *t > 0.0)
        .unwrap_or(100.0)
}

/// CPU use between two samples, in % of one core.
pub fn cpu_percent(from: &Sample, to: &Sample) -> f64 {
    let wall = to.at.duration_since(from.at).as_secs_f64();
    if wall <= 0.0 {
        return 0.0;
    }
    100.0 * (to.cpu_seconds - from.cpu_seconds) / wall
}

/// Figures over a window of samples (the first is the start of the window).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Usage {
    /// Mean CPU % of one core over the window.
    pub cpu_percent: f64,
    /// Highest CPU % over any interval of about one second in the window (0 for windows under 0.9 s).
    pub cpu_percent_max: f64,
    /// CPU seconds used in the window.
    pub cpu_seconds: f64,
    /// Mean RSS over the window's samples, MiB.
    pub rss_mib: f64,
    /// Highest RSS sampled, MiB.
    pub rss_max_mib: f64,
}

/// Summarises `samples` (in time order).
pub fn usage(samples: &[Sample]) -> Usage {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return Usage::default();
    };
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    // Over intervals of about a second: two samples a few ms apart would turn one 10 ms clock tick
    // into hundreds of percent.
    let mut cpu_percent_max: f64 = 0.0;
    let mut anchor = first;
    for s in samples {
        if s.at.duration_since(anchor.at).as_secs_f64() >= 0.9 {
            cpu_percent_max = cpu_percent_max.max(cpu_percent(anchor, s));
            anchor = s;
        }
    }
    Usage {
        cpu_percent: cpu_percent(first, last),
        cpu_percent_max,
        cpu_seconds: last.cpu_seconds - first.cpu_seconds,
        rss_mib: samples.iter().map(|s| mib(s.rss_bytes)).sum::<f64>() / samples.len() as f64,
        rss_max_mib: samples.iter().map(|s| mib(s.rss_bytes)).fold(0.0, f64::max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let ticks = ticks_per_second();
        let before = sample(std::process::id(), ticks).expect("own /proc entry");
        // Burn some CPU so the reading moves.
        let mut x = 0u64;
        let start = Instant::now();
        while start.elapsed().as_millis() < 200 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let after = sample(std::process::id(), ticks).expect("own /proc entry");
        assert!(after.cpu_seconds > before.cpu_seconds);
        assert!(after.rss_bytes > 1 << 20);
        let u = usage(&[before, after]);
        assert!(u.cpu_percent > 10.0 && u.cpu_percent < 250.0, "{u:?}");
    }
}
