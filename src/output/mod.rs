//! Output sinks: the pipeline yields events, each format implements [`Sink`].
//!
//! - [`text::TextSink`]: one line per RPC message, in the spirit of tcpdump;
//!   the summary goes to a second writer (stderr).
//! - [`jsonl::JsonLinesSink`]: one JSON object per exchange and per anomaly
//!   record (the schema in [`schema`], documented in `docs/json.md`), then a
//!   summary object; [`render_pool::PooledJsonSink`] writes the same bytes,
//!   rendering on a pool of threads (`-j N`).
//! - [`stats::StatsSink`]: per-procedure counts and latencies (optionally
//!   per interval), printed at the end as a table, a JSON array or CSV.

pub mod bodies;
pub mod export;
pub mod histogram;
pub mod jsonl;
pub mod jsonw;
pub mod render_pool;
pub mod report;
pub mod schema;
pub mod stats;
pub mod text;
pub mod time;
pub mod top_view;

use std::io;

use crate::anomaly::AnomalyRecord;
use crate::capture::Timestamp;
use crate::event::Event;
use crate::pipeline::Summary;

/// How the names of files decoded as one (`--merge`) are joined into the
/// one name their records carry (`"file":"eth0.pcap+eth1.pcap"`).
pub const MERGED_NAME_SEPARATOR: &str = "+";

/// A consumer of pipeline events.
pub trait Sink {
    /// The events that follow come from this input (`-` for stdin).
    fn begin_file(&mut self, _file: &str) -> io::Result<()> {
        Ok(())
    }
    /// The time of the first frame of the input begun last (before any
    /// filter): what `-t relative` counts from.
    fn first_frame(&mut self, _ts: Timestamp) -> io::Result<()> {
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
    fn first_frame(&mut self, ts: Timestamp) -> io::Result<()> {
        (**self).first_frame(ts)
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

/// Events to two sinks: `a`, and `b` when present (`live --report`: the
/// chosen output and the report). `a`'s errors come first; both always see
/// every call.
pub struct Tee<A, B> {
    pub a: A,
    pub b: Option<B>,
}

impl<A: Sink, B: Sink> Sink for Tee<A, B> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        let r = self.a.begin_file(file);
        let q = self.b.as_mut().map_or(Ok(()), |b| b.begin_file(file));
        r.and(q)
    }
    fn first_frame(&mut self, ts: Timestamp) -> io::Result<()> {
        let r = self.a.first_frame(ts);
        let q = self.b.as_mut().map_or(Ok(()), |b| b.first_frame(ts));
        r.and(q)
    }
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        let r = self.a.event(ev);
        let q = self.b.as_mut().map_or(Ok(()), |b| b.event(ev));
        r.and(q)
    }
    fn anomaly(&mut self, a: &AnomalyRecord) -> io::Result<()> {
        let r = self.a.anomaly(a);
        let q = self.b.as_mut().map_or(Ok(()), |b| b.anomaly(a));
        r.and(q)
    }
    fn capture_counts(&mut self, c: &CaptureCounts) -> io::Result<()> {
        let r = self.a.capture_counts(c);
        let q = self.b.as_mut().map_or(Ok(()), |b| b.capture_counts(c));
        r.and(q)
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let r = self.a.finish(summary);
        let q = self.b.as_mut().map_or(Ok(()), |b| b.finish(summary));
        r.and(q)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.a.flush()
    }
}

/// `-q`: when `quiet`, a sink that passes on everything but the records
/// themselves (events and anomaly records), so only the summary is printed;
/// otherwise the sink itself.
pub struct Quiet<S: Sink> {
    pub inner: S,
    pub quiet: bool,
}

impl<S: Sink> Sink for Quiet<S> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        self.inner.begin_file(file)
    }
    fn first_frame(&mut self, ts: Timestamp) -> io::Result<()> {
        self.inner.first_frame(ts)
    }
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        if self.quiet {
            return Ok(());
        }
        self.inner.event(ev)
    }
    fn anomaly(&mut self, a: &AnomalyRecord) -> io::Result<()> {
        if self.quiet {
            return Ok(());
        }
        self.inner.anomaly(a)
    }
    fn capture_counts(&mut self, counts: &CaptureCounts) -> io::Result<()> {
        self.inner.capture_counts(counts)
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.inner.finish(summary)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
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
