//! `stats --format csv`: a header line, then one line per row in the
//! table's order (RFC 4180: fields quoted only when they hold a comma, a
//! quote or a line break, or are an empty string; a missing value is an
//! empty field). The values are the JSON's ([`super::json`]), unformatted:
//! latencies in microseconds.
//!
//! Columns: with `--interval`, `interval_start` and `interval_end` (seconds
//! since the epoch); `program`, `version`, `procedure`, `program_name`,
//! `procedure_name`, `operation`; the `--by` columns (`client`, `server`,
//! `path`, or `transport`, `client`, `server` for connections); `calls`,
//! `replies`, `unanswered`, `retransmissions`, `errors` (the total),
//! `errors_by_status` (`NFS3ERR_NOENT=3;garbage_args=1`, in name order),
//! `latency_count`, `total_us`, `min_us`, `mean_us`, `p50_us`, `p90_us`,
//! `p99_us`, `max_us`, `call_bytes`, `reply_bytes`.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::json::StatsRowJson;
use crate::output::export::csv::field;
use crate::stats::{GroupBy, Intervals, Stats};

/// The `--by` columns.
fn group_columns(by: GroupBy) -> &'static [&'static str] {
    match by {
        GroupBy::Procedure | GroupBy::Program => &[],
        GroupBy::Client => &["client"],
        GroupBy::Server => &["server"],
        GroupBy::Path => &["path"],
        GroupBy::Connection => &["transport", "client", "server"],
    }
}

/// The header line.
fn header(by: GroupBy, intervals: bool) -> String {
    let mut cols: Vec<&str> = Vec::new();
    if intervals {
        cols.extend(["interval_start", "interval_end"]);
    }
    cols.extend([
        "program",
        "version",
        "procedure",
        "program_name",
        "procedure_name",
        "operation",
    ]);
    cols.extend(group_columns(by));
    cols.extend([
        "calls",
        "replies",
        "unanswered",
        "retransmissions",
        "errors",
        "errors_by_status",
        "latency_count",
        "total_us",
        "min_us",
        "mean_us",
        "p50_us",
        "p90_us",
        "p99_us",
        "max_us",
        "call_bytes",
        "reply_bytes",
    ]);
    cols.join(",")
}

/// Appends `,` and a value (nothing for `None`).
fn opt<T: std::fmt::Display>(line: &mut String, v: Option<T>) {
    line.push(',');
    if let Some(v) = v {
        let _ = write!(line, "{v}");
    }
}

/// Appends `,` and a string field (nothing for `None`).
fn text(line: &mut String, v: Option<&str>) {
    line.push(',');
    if let Some(v) = v {
        field(line, v);
    }
}

/// One line: `prefix` (the interval columns, without a trailing comma;
/// empty without `--interval`), then the row's columns.
fn row_line(line: &mut String, prefix: &str, by: GroupBy, j: &StatsRowJson<'_>) {
    line.clear();
    line.push_str(prefix);
    // The first column has no comma before it: strip the one `opt` adds.
    opt(line, j.program);
    if prefix.is_empty() {
        line.remove(0);
    }
    opt(line, j.version);
    opt(line, j.procedure);
    text(line, j.program_name);
    text(line, j.procedure_name);
    text(line, j.operation.as_deref());
    match by {
        GroupBy::Procedure | GroupBy::Program => {}
        GroupBy::Client => text(line, j.client.as_deref()),
        GroupBy::Server => text(line, j.server.as_deref()),
        GroupBy::Path => text(line, j.path.flatten()),
        GroupBy::Connection => {
            let c = j.connection.as_ref().and_then(Option::as_ref);
            text(line, c.map(|c| c.transport));
            text(line, c.map(|c| c.client.as_str()));
            text(line, c.map(|c| c.server.as_str()));
        }
    }
    let errors_total: u64 = j.errors.values().sum();
    for v in [
        j.calls,
        j.replies,
        j.unanswered,
        j.retransmissions,
        errors_total,
    ] {
        opt(line, Some(v));
    }
    let by_status: Vec<String> = j.errors.iter().map(|(k, v)| format!("{k}={v}")).collect();
    text(
        line,
        Some(&by_status.join(";"))
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str()),
    );
    let l = &j.latency_us;
    opt(line, Some(l.count));
    for v in [l.total, l.min, l.mean, l.p50, l.p90, l.p99, l.max] {
        opt(line, v);
    }
    opt(line, Some(j.call_bytes));
    opt(line, Some(j.reply_bytes));
}

/// The rows of one table, each line starting with `prefix`.
fn write_rows(stats: &Stats, prefix: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut line = String::new();
    for (k, r) in stats.rows() {
        let j = StatsRowJson::new(stats.registry(), stats.by(), k, r);
        row_line(&mut line, prefix, stats.by(), &j);
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The table as CSV.
pub fn write_csv(stats: &Stats, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", header(stats.by(), false))?;
    write_rows(stats, "", out)
}

/// Every interval's rows as CSV (an interval with no rows has no line).
pub fn write_intervals_csv(iv: &Intervals, by: GroupBy, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", header(by, true))?;
    for (start, end, t) in iv.iter() {
        if let Some(t) = t {
            let mut p = Vec::with_capacity(48);
            crate::output::jsonw::decimal(&mut p, start.0, 1_000_000_000);
            p.push(b',');
            crate::output::jsonw::decimal(&mut p, end.0, 1_000_000_000);
            let prefix = String::from_utf8_lossy(&p).into_owned();
            write_rows(t, &prefix, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_name_the_by_columns() {
        assert!(header(GroupBy::Procedure, false)
            .starts_with("program,version,procedure,program_name,procedure_name,operation,calls,"));
        assert!(header(GroupBy::Connection, true).starts_with(
            "interval_start,interval_end,program,version,procedure,program_name,procedure_name,operation,transport,client,server,calls,"
        ));
        assert!(header(GroupBy::Path, false).ends_with(
            ",path,calls,replies,unanswered,retransmissions,errors,errors_by_status,latency_count,total_us,min_us,mean_us,p50_us,p90_us,p99_us,max_us,call_bytes,reply_bytes"
        ));
    }
}
