//! The statistics printers: an aligned text table with the error
//! breakdown after it ([`text`]), a JSON array (schema in `docs/json.md`,
//! [`json`]), CSV ([`csv`]) and, with `--histogram`, a log-bucket latency
//! histogram per row ([`super::histogram`]). They read the aggregates of
//! [`crate::stats`] (counted there: see [`crate::stats::table`]), in the
//! table's order (`--sort`, [`crate::stats::SortKey`]; by default the total
//! latency, descending).
//!
//! [`StatsSink`] is a [`Sink`]: it aggregates exchanges as they complete and
//! prints at [`Sink::finish`], one table, or with `--interval` one table per
//! interval ([`crate::stats::Intervals`]). The run summary goes to a second
//! writer, as text.
//!
//! Latency percentiles come from an `hdrhistogram` of microseconds with 2
//! significant digits (within 1%); min, max, mean and total are exact.
//! NFSv4 COMPOUNDs have a row per main operation (`COMPOUND:READ`), or with
//! `--ops` per operation ([`crate::stats::table`]).

pub mod csv;
pub mod json;
pub mod text;

use std::io::{self, Write};

use super::{CaptureCounts, Sink};
use crate::capture::Timestamp;
use crate::event::Event;
use crate::pipeline::Summary;
pub use crate::stats::{GroupBy, Intervals, Latency, SortKey, Stats, StatsKey, StatsRow};
pub use json::{write_json, LatencyJson, StatsRowJson};
pub use text::write_table;

/// Output format of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFormat {
    Text,
    Json,
    Csv,
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
    /// `--interval`: a table per interval instead of `stats`.
    intervals: Option<Intervals>,
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
            intervals: None,
        }
    }
    /// A table per interval of `width_ns` of capture time (`stats
    /// --interval`), like `stats` and within the bounds of `limits`.
    pub fn with_intervals(mut self, width_ns: Option<u64>, limits: &crate::limits::Limits) -> Self {
        self.intervals = width_ns.map(|w| {
            Intervals::new(
                &self.stats,
                w,
                limits.max_stats_intervals,
                limits.max_interval_rows,
            )
        });
        self
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
    fn first_frame(&mut self, ts: Timestamp) -> io::Result<()> {
        if let Some(iv) = &mut self.intervals {
            iv.first_frame(ts);
        }
        Ok(())
    }
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match &mut self.intervals {
            Some(iv) => iv.add(ev),
            None => self.stats.add(ev),
        }
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
        match (&self.intervals, self.format) {
            (None, StatsFormat::Text) => {
                write_table(&self.stats, &mut self.out)?;
                if self.histogram {
                    super::histogram::write_histograms(&self.stats, &mut self.out)?;
                }
            }
            (None, StatsFormat::Json) => write_json(&self.stats, &mut self.out)?,
            (None, StatsFormat::Csv) => csv::write_csv(&self.stats, &mut self.out)?,
            (Some(iv), StatsFormat::Text) => {
                let empty = self.stats.empty_like();
                for (i, (start, end, t)) in iv.iter().enumerate() {
                    if i > 0 {
                        writeln!(self.out)?;
                    }
                    writeln!(self.out, "{}", text::interval_header(start, end))?;
                    let t = t.unwrap_or(&empty);
                    write_table(t, &mut self.out)?;
                    if self.histogram {
                        super::histogram::write_histograms(t, &mut self.out)?;
                    }
                }
                if iv.iter().next().is_none() {
                    writeln!(self.out, "(no RPC exchanges)")?;
                }
            }
            (Some(iv), StatsFormat::Json) => json::write_intervals_json(iv, &mut self.out)?,
            (Some(iv), StatsFormat::Csv) => {
                csv::write_intervals_csv(iv, self.stats.by(), &mut self.out)?
            }
        }
        self.out.flush()?;
        super::text::write_summary(&mut self.summary_out, summary, self.counts.as_ref())?;
        let overflowed = match &self.intervals {
            Some(iv) => iv.overflowed(),
            None => self.stats.overflowed,
        };
        if overflowed > 0 {
            writeln!(
                self.summary_out,
                "rpcscope: stats table full: {overflowed} exchanges counted in the row with no program"
            )?;
        }
        if let Some(iv) = self.intervals.as_ref().filter(|iv| iv.dropped > 0) {
            let (intervals, rows) = iv.bounds();
            writeln!(
                self.summary_out,
                "rpcscope: --interval: {} exchanges counted in no interval (at most {intervals} intervals, {rows} rows in all): use a longer interval",
                iv.dropped
            )?;
        }
        Ok(())
    }
}
