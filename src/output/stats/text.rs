//! The aligned text table of `stats` (and `live --stats`): one line per
//! row in the table's order, then, when any row has failures, the error
//! breakdown under an `ERRORS` header (one line per row and status).
//!
//! Columns: the row's identity (`PROGRAM`, `VERS`, `PROCEDURE`, and the
//! `--by` columns of [`group_head`]), left-aligned; then `CALLS`,
//! `REPLIES`, `UNANSWERED`, `RETRANSMISSIONS`, `ERRORS`, `TOTAL_MS` (the
//! sum of the latencies), `MIN_MS`, `MEAN_MS`, `P50_MS`, `P90_MS`,
//! `P99_MS`, `MAX_MS` (milliseconds with 3 decimals, `-` with no reply),
//! `CALL_BYTES`, `REPLY_BYTES`, right-aligned.

use std::io::{self, Write};

use crate::capture::Timestamp;
use crate::programs::registry::Registry;
use crate::stats::names::{program_label, row_name};
use crate::stats::{GroupBy, Stats, StatsKey};

/// The headers of the `--by` columns (none for procedures and programs).
pub fn group_head(by: GroupBy) -> &'static [&'static str] {
    match by {
        GroupBy::Procedure | GroupBy::Program => &[],
        GroupBy::Client => &["CLIENT"],
        GroupBy::Server => &["SERVER"],
        GroupBy::Path => &["PATH"],
        GroupBy::Connection => &["TRANSPORT", "CLIENT", "SERVER"],
    }
}

/// The `--by` cells of row `k` (as [`group_head`] names them): an address,
/// a file (`-` for none), or transport, client and server `addr:port`.
pub fn group_cells(by: GroupBy, k: &StatsKey) -> Vec<String> {
    let dash = || "-".to_string();
    match by {
        GroupBy::Procedure | GroupBy::Program => Vec::new(),
        GroupBy::Client | GroupBy::Server => vec![k.peer.map_or_else(dash, |a| a.to_string())],
        GroupBy::Path => vec![k.path.as_deref().map_or_else(dash, str::to_string)],
        GroupBy::Connection => match &k.conn {
            Some(c) => vec![
                c.transport.to_string(),
                c.client.to_string(),
                c.server.to_string(),
            ],
            None => vec![dash(), dash(), dash()],
        },
    }
}

/// The identity headers of a row: program, version, procedure (not with
/// `--by program`) and the `--by` columns.
fn identity_head(by: GroupBy) -> Vec<&'static str> {
    let mut head = vec!["PROGRAM", "VERS"];
    if by != GroupBy::Program {
        head.push("PROCEDURE");
    }
    head.extend(group_head(by));
    head
}

/// The identity cells of row `k` ([`identity_head`]).
pub fn identity_cells(registry: &Registry, by: GroupBy, k: &StatsKey) -> Vec<String> {
    let mut row = vec![
        program_label(registry, k.program),
        k.version.map_or("-".into(), |v| v.to_string()),
    ];
    if by != GroupBy::Program {
        row.push(row_name(registry, k));
    }
    row.extend(group_cells(by, k));
    row
}

/// Microseconds as milliseconds with 3 decimals, `-` for none.
fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |us| format!("{:.3}", us / 1e3))
}

/// The aligned text table, then the error breakdown.
pub fn write_table(stats: &Stats, out: &mut dyn Write) -> io::Result<()> {
    let registry = stats.registry();
    let by = stats.by();
    let mut head = identity_head(by);
    let left = head.len();
    head.extend([
        "CALLS",
        "REPLIES",
        "UNANSWERED",
        "RETRANSMISSIONS",
        "ERRORS",
        "TOTAL_MS",
        "MIN_MS",
        "MEAN_MS",
        "P50_MS",
        "P90_MS",
        "P99_MS",
        "MAX_MS",
        "CALL_BYTES",
        "REPLY_BYTES",
    ]);
    let mut table: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
    let mut errors: Vec<Vec<String>> = Vec::new();
    for (k, r) in stats.rows() {
        let id = identity_cells(registry, by, k);
        for (name, n) in &r.errors {
            let mut e = id.clone();
            e.extend([name.clone(), n.to_string()]);
            errors.push(e);
        }
        let mut row = id;
        let l = &r.latency;
        let mmm = l.min_mean_max_us();
        let total = (l.count() > 0).then(|| l.sum_ns() as f64 / 1e3);
        row.extend([
            r.calls.to_string(),
            r.replies.to_string(),
            r.unanswered.to_string(),
            r.retransmissions.to_string(),
            r.errors_total().to_string(),
            ms(total),
            ms(mmm.map(|m| m.0)),
            ms(mmm.map(|m| m.1)),
            ms(l.percentile_us(50.0)),
            ms(l.percentile_us(90.0)),
            ms(l.percentile_us(99.0)),
            ms(mmm.map(|m| m.2)),
            r.call_bytes.to_string(),
            r.reply_bytes.to_string(),
        ]);
        table.push(row);
    }
    write_aligned(out, &table, left)?;
    if stats.is_empty() {
        writeln!(out, "(no RPC exchanges)")?;
    }
    if !errors.is_empty() {
        let mut head: Vec<String> = identity_head(by).iter().map(|s| s.to_string()).collect();
        head.extend(["STATUS".to_string(), "COUNT".to_string()]);
        let left = head.len() - 1;
        errors.insert(0, head);
        writeln!(out)?;
        writeln!(out, "ERRORS")?;
        write_aligned(out, &errors, left)?;
    }
    Ok(())
}

/// Lines of cells separated by two spaces, each column as wide as its
/// widest cell: the first `left` columns left-aligned, the others right.
fn write_aligned(out: &mut dyn Write, table: &[Vec<String>], left: usize) -> io::Result<()> {
    let ncols = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..ncols)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut line = String::new();
    for row in table {
        line.clear();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = widths[c] - cell.chars().count();
            if c < left {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            } else {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// The header line of one interval's table: `INTERVAL start to end UTC`,
/// dates and times in UTC with microseconds.
pub fn interval_header(start: Timestamp, end: Timestamp) -> String {
    let mut clock = crate::output::time::Clock::with_zone(
        crate::cli::TimeFormat::Date,
        jiff::tz::TimeZone::UTC,
    );
    let mut s = String::from("INTERVAL ");
    clock.write(&mut s, start);
    s.push_str(" to ");
    clock.write(&mut s, end);
    s.push_str(" UTC");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_left_then_right() {
        let t: Vec<Vec<String>> = [["A", "NUM"], ["long", "1"], ["b", "12345"]]
            .iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect();
        let mut out = Vec::new();
        write_aligned(&mut out, &t, 1).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "A       NUM\nlong      1\nb     12345\n"
        );
    }

    #[test]
    fn interval_headers_are_utc_dates() {
        let s = Timestamp(1_795_509_327_382_298_000);
        let e = Timestamp(1_795_509_328_382_298_000);
        assert_eq!(
            interval_header(s, e),
            "INTERVAL 2026-11-24 08:35:27.382298 to 2026-11-24 08:35:28.382298 UTC"
        );
    }
}
