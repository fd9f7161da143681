//! `stats --histogram`: each row's latency distribution on the log buckets
//! of [`crate::stats::latency`] (1-2-5 per decade), as a bar per bucket in
//! the terminal, with the buckets holding p50, p90 and p99 marked. Rows
//! come in the table's order; only the buckets from the first to the last
//! one used are drawn. Plain text: bars are Unicode block characters.

use std::io::{self, Write};

use crate::stats::latency::{human_us, log_bucket, LOG_BUCKET_BOUNDS_US};
use crate::stats::names::{program_label, row_name};
use crate::stats::{GroupBy, Stats, StatsRow};

/// Width of the longest bar, in character cells.
const BAR_WIDTH: usize = 40;

/// The histograms of every row with replies, after a blank line each.
pub fn write_histograms(stats: &Stats, out: &mut dyn Write) -> io::Result<()> {
    let registry = stats.registry();
    for (k, r) in stats.rows() {
        if r.latency.count() == 0 {
            continue;
        }
        let mut title = format!(
            "{} {} {}",
            program_label(registry, k.program),
            k.version.map_or("-".into(), |v| v.to_string()),
            row_name(registry, k)
        );
        match stats.by() {
            GroupBy::Procedure => {}
            GroupBy::Path => title += &format!(" {}", k.path.as_deref().unwrap_or("-")),
            _ => title += &format!(" {}", k.peer.map_or("-".into(), |a| a.to_string())),
        }
        writeln!(out)?;
        write_one(&title, r, out)?;
    }
    Ok(())
}

/// `[lo, hi)` of bucket `i` as `100us-200us`.
pub fn bucket_range(i: usize) -> String {
    let lo = match i {
        0 => "0".to_string(),
        _ => human_us(LOG_BUCKET_BOUNDS_US[i - 1]),
    };
    match LOG_BUCKET_BOUNDS_US.get(i) {
        Some(&hi) => format!("{lo}-{}", human_us(hi)),
        None => format!(">={lo}"),
    }
}

/// One row: a title line, then one line per bucket.
fn write_one(title: &str, r: &StatsRow, out: &mut dyn Write) -> io::Result<()> {
    let l = &r.latency;
    let pct: Vec<(&str, Option<f64>)> = [("p50", 50.0), ("p90", 90.0), ("p99", 99.0)]
        .iter()
        .map(|(n, p)| (*n, l.percentile_us(*p)))
        .collect();
    let ms = |v: Option<f64>| v.map_or("-".into(), |us| format!("{:.3} ms", us / 1e3));
    writeln!(
        out,
        "{title}: {} replies, p50 {}, p90 {}, p99 {}",
        l.count(),
        ms(pct[0].1),
        ms(pct[1].1),
        ms(pct[2].1)
    )?;
    let b = l.buckets();
    let (Some(first), Some(last)) = (
        b.iter().position(|&c| c > 0),
        b.iter().rposition(|&c| c > 0),
    ) else {
        return Ok(());
    };
    let max = b.iter().copied().max().unwrap_or(1).max(1);
    let labels: Vec<String> = (first..=last).map(bucket_range).collect();
    let lw = labels.iter().map(|s| s.len()).max().unwrap_or(0);
    let cw = b[first..=last]
        .iter()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(1);
    for (i, label) in (first..=last).zip(&labels) {
        let marks: Vec<&str> = pct
            .iter()
            .filter(|(_, v)| v.is_some_and(|us| log_bucket((us * 1000.0) as u64) == i))
            .map(|(n, _)| *n)
            .collect();
        let line = format!(
            "  {label:>lw$}  {:<BAR_WIDTH$}  {:>cw$}  {}",
            bar(b[i], max),
            b[i],
            marks.join(" ")
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// A bar of `n / max` of [`BAR_WIDTH`] cells, in eighths of a cell; a
/// non-zero count always shows at least an eighth.
fn bar(n: u64, max: u64) -> String {
    const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    let eighths = ((n as u128 * BAR_WIDTH as u128 * 8).div_ceil(max as u128)) as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(EIGHTHS[eighths % 8 - 1]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_bucket() {
        assert_eq!(bar(10, 10).chars().count(), BAR_WIDTH);
        assert_eq!(bar(5, 10), "█".repeat(20));
        assert_eq!(bar(1, 1000), "▏");
        assert_eq!(bar(0, 10), "");
    }

    #[test]
    fn ranges_name_both_ends() {
        assert_eq!(bucket_range(0), "0-1us");
        assert_eq!(bucket_range(8), "200us-500us");
        assert_eq!(bucket_range(9), "500us-1ms");
        assert_eq!(bucket_range(LOG_BUCKET_BOUNDS_US.len()), ">=100s");
    }

    #[test]
    fn a_row_draws_its_used_buckets_and_marks_percentiles() {
        let mut r = StatsRow::default();
        for _ in 0..90 {
            r.latency.record(150_000); // 100-200 us
        }
        for _ in 0..10 {
            r.latency.record(3_000_000); // 2-5 ms
        }
        let mut out = Vec::new();
        write_one("NFS 3 READ", &r, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("NFS 3 READ: 100 replies, p50 0.150 ms"),
            "{text}"
        );
        // 100us-200us .. 2ms-5ms: 5 buckets.
        assert_eq!(lines.len(), 6, "{text}");
        assert!(
            lines[1].contains("100us-200us") && lines[1].ends_with("90  p50 p90"),
            "{text}"
        );
        assert!(
            lines[5].contains("2ms-5ms") && lines[5].ends_with("10  p99"),
            "{text}"
        );
        assert!(lines[2].trim_end().ends_with(" 0"), "{text}");
    }
}
