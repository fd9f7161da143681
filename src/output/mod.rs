//! Output sinks: the pipeline yields events, each format implements [`Sink`].
//!
//! - [`text::TextSink`]: one line per RPC message, in the spirit of tcpdump;
//!   the summary goes to a second writer (stderr).
//! - [`jsonl::JsonLinesSink`]: one JSON object per exchange and per anomaly
//!   record (the schema in [`schema`], documented in `docs/json.md`), then a
//!   summary object.
//! - [`stats::StatsSink`]: per-procedure counts and latencies, printed at the
//!   end as a table or a JSON array.

pub mod bodies;
pub mod jsonl;
pub mod jsonw;
pub mod schema;
pub mod stats;
pub mod text;

use std::io;

use crate::anomaly::AnomalyRecord;
use crate::event::Event;
use crate::pipeline::Summary;

/// A consumer of pipeline events.
pub trait Sink {
    /// The events that follow come from this input (`-` for stdin).
    fn begin_file(&mut self, _file: &str) -> io::Result<()> {
        Ok(())
    }
    /// One event.
    fn event(&mut self, ev: &Event) -> io::Result<()>;
    /// One anomaly record (where and why); most sinks only count them
    /// (the summary has the counts).
    fn anomaly(&mut self, _a: &AnomalyRecord) -> io::Result<()> {
        Ok(())
    }
    /// The kernel's packet counts of a live capture so far: given whenever
    /// they change while it runs, and once more just before
    /// [`Sink::finish`] (never for files). Each call replaces the last.
    fn capture_counts(&mut self, _counts: &CaptureCounts) -> io::Result<()> {
        Ok(())
    }
    /// End of all input.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
    /// Pushes buffered output out (live capture calls it when packets pause,
    /// so records appear as they happen).
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        (**self).begin_file(file)
    }
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        (**self).event(ev)
    }
    fn anomaly(&mut self, a: &AnomalyRecord) -> io::Result<()> {
        (**self).anomaly(a)
    }
    fn capture_counts(&mut self, counts: &CaptureCounts) -> io::Result<()> {
        (**self).capture_counts(counts)
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        (**self).finish(summary)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
}

/// Packet counts of a live capture, as libpcap reports them (`pcap_stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureCounts {
    /// Packets the kernel received (on Linux: that passed the BPF filter).
    pub received: u64,
    /// Packets dropped because the capture buffer was full.
    pub dropped: u64,
    /// Packets dropped by the interface or its driver (not always known: 0).
    pub if_dropped: u64,
}
