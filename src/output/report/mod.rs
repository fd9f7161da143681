//! `rpcscope report FILE... -o report.html` (and `live --report FILE`): one
//! self-contained HTML page (inline CSS and SVG, a few lines of inline
//! script, a Content-Security-Policy that forbids any fetch) drawn from an
//! [`Analysis`]: an overview, the per-procedure table (the same rows and
//! numbers as `stats --format json`, which the page also embeds as
//! `<script type="application/json" id="stats-json">`), latency histograms
//! with p50/p90/p99, latency and call/error rates over time for the busiest
//! procedures, top clients/servers/files, the slowest exchanges and the
//! errors with their frame numbers, and the anomalies by kind.
//!
//! [`ReportSink`] is a [`Sink`]: it aggregates as events come and writes
//! the page at [`Sink::finish`]. Charts are drawn by `plotters`
//! ([`charts`]); the page text is built in [`html`] and [`sections`].
//! Memory is bounded by the [`Analysis`] (`Limits::report_*`).

pub mod charts;
pub mod html;
pub mod sections;

use std::io::{self, Write};

use super::{CaptureCounts, Sink};
use crate::event::Event;
use crate::limits::Limits;
use crate::pipeline::Summary;
use crate::programs::registry::Registry;
use crate::stats::{Analysis, SeriesShape};

/// The report sink; see the module docs.
pub struct ReportSink<W: Write> {
    pub analysis: Analysis,
    counts: Option<CaptureCounts>,
    out: W,
}

impl<W: Write> ReportSink<W> {
    /// A report written to `out` at the end.
    pub fn new(registry: std::sync::Arc<Registry>, limits: &Limits, out: W) -> Self {
        ReportSink {
            analysis: Analysis::new(registry, limits, SeriesShape::Whole),
            counts: None,
            out,
        }
    }
}

impl<W: Write> Sink for ReportSink<W> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        self.analysis.begin_file(file);
        Ok(())
    }
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.analysis.add(ev);
        Ok(())
    }
    fn capture_counts(&mut self, c: &CaptureCounts) -> io::Result<()> {
        self.counts = Some(*c);
        Ok(())
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let page = render(&self.analysis, summary, self.counts.as_ref());
        self.out.write_all(page.as_bytes())?;
        self.out.flush()
    }
}

/// The whole page.
pub fn render(a: &Analysis, s: &Summary, counts: Option<&CaptureCounts>) -> String {
    let mut out = String::with_capacity(256 * 1024);
    let inputs: Vec<&str> = a.inputs.iter().map(|i| &**i).collect();
    html::head(&mut out, &format!("rpcscope report: {}", inputs.join(", ")));
    sections::overview(&mut out, a, s, counts);
    sections::procedures(&mut out, a);
    sections::over_time(&mut out, a);
    sections::top(&mut out, a);
    sections::notable(&mut out, a);
    sections::anomalies(&mut out, s);
    sections::stats_json(&mut out, a);
    html::foot(&mut out);
    out
}
