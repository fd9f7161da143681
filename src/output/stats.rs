//! The statistics printers: an aligned text table (slowest first: by mean
//! latency, descending), a JSON array (schema in `docs/json.md`,
//! [`StatsRowJson`]) and, with `--histogram`, a log-bucket latency
//! histogram per row ([`super::histogram`]). They read the aggregates of
//! [`crate::stats`] (counted there: see [`crate::stats::table`]).
//!
//! [`StatsSink`] is a [`Sink`]: it aggregates exchanges as they complete and
//! prints at [`Sink::finish`]. The run summary goes to a second writer, as
//! text.
//!
//! Latency percentiles come from an `hdrhistogram` of microseconds with 2
//! significant digits (within 1%); min, max and mean are exact. NFSv4
//! COMPOUNDs have a row per main operation (`COMPOUND:READ`), or with
//! `--ops` per operation ([`crate::stats::table`]).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{CaptureCounts, Sink};
use crate::event::Event;
use crate::pipeline::Summary;
use crate::programs::registry::Registry;
use crate::stats::names::{operation_name, procedure_name, program_label, row_name};
pub use crate::stats::{GroupBy, Latency, Stats, StatsKey, StatsRow};

/// Output format of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFormat {
    Text,
    Json,
}

/// The JSON array (one line).
pub fn write_json(stats: &Stats, out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<StatsRowJson> = stats
        .rows()
        .into_iter()
        .map(|(k, r)| StatsRowJson::new(stats.registry(), stats.by(), k, r))
        .collect();
    serde_json::to_writer(&mut *out, &rows).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// The aligned text table.
pub fn write_table(stats: &Stats, out: &mut dyn Write) -> io::Result<()> {
    let registry = stats.registry();
    let by = stats.by();
    let mut head: Vec<&str> = vec!["PROGRAM", "VERS", "PROCEDURE"];
    match by {
        GroupBy::Procedure => {}
        GroupBy::Client => head.push("CLIENT"),
        GroupBy::Server => head.push("SERVER"),
        GroupBy::Path => head.push("PATH"),
    }
    let left = head.len();
    head.extend([
        "CALLS",
        "REPLIES",
        "UNANSWERED",
        "ERRORS",
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
    let mut details = vec![String::new()];
    for (k, r) in stats.rows() {
        let mut row = vec![
            program_label(registry, k.program),
            k.version.map_or("-".into(), |v| v.to_string()),
            row_name(registry, k),
        ];
        match by {
            GroupBy::Procedure => {}
            GroupBy::Path => row.push(k.path.as_deref().unwrap_or("-").to_string()),
            _ => row.push(k.peer.map_or("-".into(), |a| a.to_string())),
        }
        let ms = |v: Option<f64>| v.map_or("-".into(), |us| format!("{:.3}", us / 1e3));
        let mmm = r.latency.min_mean_max_us();
        row.extend([
            r.calls.to_string(),
            r.replies.to_string(),
            r.unanswered.to_string(),
            r.errors_total().to_string(),
            ms(mmm.map(|m| m.0)),
            ms(mmm.map(|m| m.1)),
            ms(r.latency.percentile_us(50.0)),
            ms(r.latency.percentile_us(90.0)),
            ms(r.latency.percentile_us(99.0)),
            ms(mmm.map(|m| m.2)),
            r.call_bytes.to_string(),
            r.reply_bytes.to_string(),
        ]);
        table.push(row);
        details.push(
            r.errors
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    let ncols = table[0].len();
    let widths: Vec<usize> = (0..ncols)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (row, detail) in table.iter().zip(&details) {
        let mut line = String::new();
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
        if !detail.is_empty() {
            line.push_str("  ");
            line.push_str(detail);
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    if stats.is_empty() {
        writeln!(out, "(no RPC exchanges)")?;
    }
    Ok(())
}

/// One object of the `stats --format json` array (docs/json.md).
#[derive(Serialize)]
pub struct StatsRowJson<'a> {
    pub program: Option<u32>,
    pub version: Option<u32>,
    pub procedure: Option<u32>,
    pub program_name: Option<&'a str>,
    pub procedure_name: Option<&'a str>,
    /// An NFSv4 COMPOUND's main operation (`OP_READ`); with `--ops`, the
    /// operation; `null` for other procedures.
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// With `--by path`: the file (`null` for exchanges on no file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Option<&'a str>>,
    pub calls: u64,
    pub replies: u64,
    pub unanswered: u64,
    pub retransmissions: u64,
    pub errors: &'a BTreeMap<String, u64>,
    pub latency_us: LatencyJson,
    pub call_bytes: u64,
    pub reply_bytes: u64,
}

/// `latency_us`: every member `null` when no reply was matched.
#[derive(Serialize)]
pub struct LatencyJson {
    pub count: u64,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl<'a> StatsRowJson<'a> {
    /// The JSON view of row `k` of a table grouped `by`.
    pub fn new(registry: &'a Registry, by: GroupBy, k: &'a StatsKey, r: &'a StatsRow) -> Self {
        let mmm = r.latency.min_mean_max_us();
        let peer = k.peer.map(|a| a.to_string());
        StatsRowJson {
            program: k.program,
            version: k.version,
            procedure: k.procedure,
            program_name: k.program.and_then(|p| registry.program_name(p)),
            procedure_name: procedure_name(registry, k),
            operation: match (k.operation, operation_name(registry, k)) {
                (_, Some(n)) => Some(n.to_string()),
                (Some(op), None) => Some(op.to_string()),
                (None, None) => None,
            },
            client: if by == GroupBy::Client {
                peer.clone()
            } else {
                None
            },
            server: if by == GroupBy::Server { peer } else { None },
            path: (by == GroupBy::Path).then_some(k.path.as_deref()),
            calls: r.calls,
            replies: r.replies,
            unanswered: r.unanswered,
            retransmissions: r.retransmissions,
            errors: &r.errors,
            latency_us: LatencyJson {
                count: r.latency.count(),
                min: mmm.map(|m| m.0),
                mean: mmm.map(|m| m.1),
                p50: r.latency.percentile_us(50.0),
                p90: r.latency.percentile_us(90.0),
                p99: r.latency.percentile_us(99.0),
                max: mmm.map(|m| m.2),
            },
            call_bytes: r.call_bytes,
            reply_bytes: r.reply_bytes,
        }
    }
}

/// ANSI: clear the screen and move the cursor home.
const CLEAR_SCREEN: &[u8] = b"\x1b[2J\x1b[H";

/// The stats printer: aggregates events, prints the table at the end.
pub struct StatsSink<W: Write, E: Write> {
    pub stats: Stats,
    format: StatsFormat,
    out: W,
    summary_out: E,
    counts: Option<CaptureCounts>,
    /// The screen was redrawn: clear it again before the final table.
    redrawn: bool,
    /// Text: a latency histogram per row after the table.
    histogram: bool,
}

impl<W: Write, E: Write> StatsSink<W, E> {
    pub fn new(stats: Stats, format: StatsFormat, out: W, summary_out: E) -> Self {
        StatsSink {
            stats,
            format,
            out,
            summary_out,
            counts: None,
            redrawn: false,
            histogram: false,
        }
    }
    /// Text: after the table, each row's latency histogram on log buckets
    /// (`stats --histogram`).
    pub fn with_histogram(mut self, on: bool) -> Self {
        self.histogram = on;
        self
    }
    /// Clears the terminal and draws the current table (live refresh), with
    /// the kernel's latest packet counts under it.
    pub fn redraw(&mut self) -> io::Result<()> {
        self.redrawn = true;
        self.out.write_all(CLEAR_SCREEN)?;
        write_table(&self.stats, &mut self.out)?;
        if let Some(c) = &self.counts {
            writeln!(
                self.out,
                "capture: {} packets received, {} dropped by kernel, {} dropped by interface",
                c.received, c.dropped, c.if_dropped
            )?;
        }
        self.out.flush()
    }
    pub fn into_inner(self) -> (W, E) {
        (self.out, self.summary_out)
    }
}

impl<W: Write, E: Write> Sink for StatsSink<W, E> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.stats.add(ev);
        Ok(())
    }
    fn capture_counts(&mut self, c: &CaptureCounts) -> io::Result<()> {
        self.counts = Some(*c);
        Ok(())
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if self.redrawn && self.format == StatsFormat::Text {
            self.out.write_all(CLEAR_SCREEN)?;
        }
        match self.format {
            StatsFormat::Text => {
                write_table(&self.stats, &mut self.out)?;
                if self.histogram {
                    super::histogram::write_histograms(&self.stats, &mut self.out)?;
                }
            }
            StatsFormat::Json => write_json(&self.stats, &mut self.out)?,
        }
        self.out.flush()?;
        super::text::write_summary(&mut self.summary_out, summary, self.counts.as_ref())?;
        if self.stats.overflowed > 0 {
            writeln!(
                self.summary_out,
                "rpcscope: stats table full: {} exchanges counted in the row with no program",
                self.stats.overflowed
            )?;
        }
        Ok(())
    }
}
