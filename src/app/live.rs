//! `rpcscope live`: capture from an interface, decode as it happens.
//!
//! Two threads. The capture thread ([`LiveFeed`]) only reads libpcap and
//! copies frames into batches, so the kernel ring is drained at memory
//! speed whatever the decoder is doing. This thread (the caller's) takes the
//! batches from a bounded queue, pushes their frames through the same
//! sans-IO [`Pipeline`] as `read`, and hands the events to the same sinks
//! behind the same [`FilteredSink`]. Output is flushed each time the queue
//! is empty (the decoder has caught up), and at least every
//! `FLUSH_EVERY`; when the queue stays empty for a read timeout, time
//! still passes for the pipeline (calls time out). SIGINT/SIGTERM,
//! `--duration` and `--count` are checked between batches and at least
//! every read timeout.
//!
//! The kernel's counts arrive every second: the `--stats` view shows them,
//! and while drops grow a line on stderr says so at once and then at most
//! every [`LIVE_DROP_WARN_SECS`] seconds, so a lossy capture is known while
//! it runs. On stop, pending calls are reported as unmatched
//! ([`Pipeline::finish`]) and the final counts are added to the summary;
//! the exit status is 0 after `--count` or `--duration`, 130/143 after
//! SIGINT/SIGTERM ([`super::signals`]).
//!
//! Setup runs with the privileges rpcscope was started with, in this order:
//! look up the `-Z` user (an unknown one stops here, before anything is
//! opened), open the capture handle, create the `-w` file (so it may live
//! where only root can write; it stays owned by root), install the signal
//! handlers; then drop to the `-Z` user for good and enter the seccomp
//! sandbox ([`crate::sandbox`]), and only then start the capture thread, so
//! that it runs with the same dropped privileges and the same filter (a
//! filter is inherited by the threads created after it).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::{Duration, Instant};

use super::rpc_writer::{ConvKey, RpcFrameWriter};
use super::signals::Stop;
use super::{config, AppError, Outcome};
use crate::capture::live::{LiveCapture, LiveOptions};
use crate::capture::live_feed::{Feed, LiveFeed};
use crate::capture::Timestamp;
use crate::cli::{Format, LiveArgs};
use crate::filter::FilteredSink;
use crate::limits::{Limits, LIVE_DROP_WARN_SECS};
use crate::output::jsonl::JsonLinesSink;
use crate::output::render_pool::PooledJsonSink;
use crate::output::report::ReportSink;
use crate::output::stats::{Stats, StatsFormat, StatsSink};
use crate::output::text::TextSink;
use crate::output::{CaptureCounts, Quiet, Sink, Tee};
use crate::pipeline::{Pipeline, Summary};

/// How often `--stats` redraws its table on a terminal.
const STATS_REFRESH: Duration = Duration::from_secs(2);
/// Longest time output may sit in a buffer while packets keep coming.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// `rpcscope live`.
pub fn live(
    args: &LiveArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    config::live_checks(args)?;
    // A bad expression is a bad command line (status 2), as for files.
    config::bpf(&args.filter)?;
    let registry = config::registry(&args.bodies)?;
    let filter = config::filter(&args.filter, &registry)?;
    let duration = config::duration(args.duration)?;
    let look = config::text_look(&args.display)?;
    let quiet = args.display.quiet;
    let limits = Limits::default();
    let identity = crate::sandbox::plan(args.user.as_deref()).map_err(|e| AppError::Fatal(e.0))?;
    let opts = LiveOptions {
        interface: args.interface.clone(),
        snaplen: args.snaplen,
        buffer_size: args.buffer_size,
        timeout_ms: limits.live_read_timeout_ms,
        bpf: args.filter.bpf.clone(),
    };
    if args.snaplen < crate::limits::MIN_RPC_SNAPLEN {
        writeln!(
            err,
            "rpcscope: warning: --snaplen {} is below the {} bytes an RPC call header needs over Ethernet, IPv4 and TCP: program, version and procedure may be cut",
            args.snaplen,
            crate::limits::MIN_RPC_SNAPLEN
        )?;
    }
    let cap = LiveCapture::open(&opts).map_err(|e| AppError::Fatal(e.0))?;
    // tcpdump's banner, on stderr.
    writeln!(
        err,
        "rpcscope: listening on {}, link-type {}, snapshot length {} bytes",
        args.interface,
        link_type_name(cap.link()),
        args.snaplen
    )?;
    let mut writer = match &args.write {
        None => None,
        Some(path) => {
            let f = File::create(path).map_err(|e| {
                AppError::Fatal(format!("-w: cannot create {}: {e}", path.display()))
            })?;
            let pcapng = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pcapng"));
            Some(if pcapng {
                RpcFrameWriter::pcapng(BufWriter::new(f), args.snaplen, &limits)?
            } else {
                RpcFrameWriter::new(BufWriter::new(f), cap.link(), args.snaplen, &limits)?
            })
        }
    };
    let report_file = args
        .report
        .as_deref()
        .map(config::create_report)
        .transpose()?;
    let stop = Stop::install()
        .map_err(|e| AppError::Fatal(format!("cannot install signal handler: {e}")))?;
    // Every thread of live runs ahead of ordinary work (`--nice`,
    // LIVE_NICE): raised while privileged, before any of them starts, so
    // that each inherits it.
    let nice = args.nice.unwrap_or(crate::limits::LIVE_NICE);
    if nice != 0 && !crate::sandbox::raise_thread_priority(nice) && args.nice.is_some() {
        writeln!(
            err,
            "rpcscope: --nice {nice}: not permitted (needs root or CAP_SYS_NICE); capturing at the usual priority"
        )?;
    }
    crate::sandbox::relinquish(&identity).map_err(|e| AppError::Fatal(e.0))?;
    super::restrict(&args.sandbox, err)?;
    // After the sandbox: the thread inherits the filter.
    let feed = LiveFeed::start(cap, &limits)
        .map_err(|e| AppError::Fatal(format!("cannot start the capture thread: {e}")))?;
    let run = Run {
        args,
        duration,
        stop: &stop,
        limits: &limits,
        options: config::pipeline_options(
            &args.bodies,
            registry,
            args.stats && args.report.is_none(),
        ),
    };
    let report = report_file.map(|f| ReportSink::new(run.options.registry.clone(), &limits, f));
    let tty = io::stdout().is_terminal();
    let view = config::body_view(&args.bodies, run.options.registry.clone(), &limits);
    match (args.stats, args.format) {
        (false, Format::Text) => {
            let text = TextSink::with_bodies(out, &mut *err, view, args.verbose)
                .unanswered_lines(filter.needs_reply())
                .look(look);
            let mut sink = FilteredSink::new(
                Tee {
                    a: Quiet { inner: text, quiet },
                    b: report,
                },
                &filter,
            );
            run.go(feed, &mut sink, writer.as_mut(), |_| Ok(()))
        }
        (false, Format::Json) if config::jobs(args.jobs) > 1 && !quiet => {
            let json = PooledJsonSink::new(out, view, config::jobs(args.jobs) - 1)?;
            let mut sink = FilteredSink::new(Tee { a: json, b: report }, &filter);
            run.go(feed, &mut sink, writer.as_mut(), |_| Ok(()))
        }
        (false, Format::Json) => {
            let json = JsonLinesSink::new(out, view);
            let mut sink = FilteredSink::new(
                Tee {
                    a: Quiet { inner: json, quiet },
                    b: report,
                },
                &filter,
            );
            run.go(feed, &mut sink, writer.as_mut(), |_| Ok(()))
        }
        (false, Format::Csv) => {
            let csv = crate::output::export::csv::CsvWriter::new(out);
            let export = crate::output::export::ExportSink::new(csv, view, &mut *err);
            let mut sink = FilteredSink::new(Tee { a: export, b: report }, &filter);
            run.go(feed, &mut sink, writer.as_mut(), |_| Ok(()))
        }
        (false, Format::Parquet) => unreachable!("live_checks refuses parquet"),
        (true, format) => {
            let format = match format {
                Format::Json => StatsFormat::Json,
                Format::Csv => StatsFormat::Csv,
                _ => StatsFormat::Text,
            };
            let stats = Stats::with_registry(
                config::group_by(args.by),
                limits.max_stats_rows,
                run.options.registry.clone(),
            )
            .with_ops(args.ops)
            .with_sort(config::sort_key(args.sort));
            let printer = StatsSink::new(stats, format, out, &mut *err);
            let mut sink = FilteredSink::new(Tee { a: printer, b: report }, &filter);
            let redraw = tty && format == StatsFormat::Text;
            run.go(feed, &mut sink, writer.as_mut(), |s| {
                if redraw {
                    s.inner_mut().a.redraw()
                } else {
                    Ok(())
                }
            })
        }
    }
    .and_then(|outcome| {
        if let Some(w) = &mut writer {
            w.flush()?;
            if w.dropped > 0 {
                writeln!(
                    err,
                    "rpcscope: -w: {} frames held back before their flow showed RPC were dropped (queue full)",
                    w.dropped
                )?;
            }
        }
        Ok(outcome)
    })
}

/// A link type as tcpdump names it: libpcap's name and description
/// (`EN10MB (Ethernet)`), or the number.
fn link_type_name(link: crate::capture::LinkType) -> String {
    let l = pcap::Linktype(link.0 as i32);
    match (l.get_name(), l.get_description()) {
        (Ok(n), Ok(d)) => format!("{n} ({d})"),
        (Ok(n), Err(_)) => n,
        _ => link.0.to_string(),
    }
}

/// The time now, as capture timestamps count it.
fn wall_clock() -> Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_parts(d.as_secs() as i64, d.subsec_nanos())
}

struct Run<'a> {
    args: &'a LiveArgs,
    duration: Option<Duration>,
    stop: &'a Stop,
    limits: &'a Limits,
    options: crate::pipeline::Options,
}

impl Run<'_> {
    /// The decoding loop. `refresh` is called every [`STATS_REFRESH`].
    fn go<S: Sink>(
        &self,
        feed: LiveFeed,
        sink: &mut FilteredSink<'_, S>,
        mut writer: Option<&mut RpcFrameWriter<BufWriter<File>>>,
        mut refresh: impl FnMut(&mut FilteredSink<'_, S>) -> io::Result<()>,
    ) -> Result<Outcome, AppError> {
        let start = Instant::now();
        let link = feed.link();
        let wait = Duration::from_millis(self.limits.live_read_timeout_ms.max(1).into());
        let mut last_refresh = start;
        let mut last_flush = start;
        let mut drops = DropWarnings::default();
        let mut pipeline = Pipeline::with_options(self.limits, self.options.clone());
        let mut outcome = Outcome::Ok;
        let mut out_err: Option<io::Error> = None;
        let mut marks: Vec<ConvKey> = Vec::new();
        let mut dirty = false;
        let want_marks = writer.is_some();
        sink.begin_file(&self.args.interface)?;
        let mut first = true;
        loop {
            if self.stop.requested()
                || self.duration.is_some_and(|d| start.elapsed() >= d)
                || self.args.count.is_some_and(|n| sink.records() >= n)
            {
                break;
            }
            let next = match feed.try_next() {
                Ok(Some(m)) => Ok(Some(m)),
                Ok(None) => {
                    // Caught up: show what was decoded, let time pass, then
                    // wait for more.
                    let now = wall_clock();
                    marks.clear();
                    pipeline.handle_timeout(now, &mut |ev| {
                        if out_err.is_none() {
                            match sink.offer(&ev) {
                                Ok(true) => {
                                    dirty = true;
                                    if want_marks {
                                        marks.push(ConvKey::of(&ev.exchange));
                                    }
                                }
                                Ok(false) => {}
                                Err(e) => out_err = Some(e),
                            }
                        }
                    });
                    if let Some(w) = writer.as_deref_mut() {
                        for m in &marks {
                            w.mark(*m, now)?;
                        }
                    }
                    if dirty {
                        sink.flush()?;
                        if let Some(w) = writer.as_deref_mut() {
                            w.flush()?;
                        }
                        dirty = false;
                        last_flush = Instant::now();
                    }
                    feed.next(wait)
                }
                Err(e) => Err(e),
            };
            match next {
                Ok(Some(Feed::Frames(batch))) => {
                    for frame in batch.frames(link) {
                        if first {
                            sink.first_frame(frame.ts)?;
                            first = false;
                        }
                        marks.clear();
                        pipeline.handle_frame(&frame, &mut |ev| {
                            if out_err.is_some() {
                                return;
                            }
                            match sink.offer(&ev) {
                                Ok(true) if want_marks => marks.push(ConvKey::of(&ev.exchange)),
                                Ok(_) => {}
                                Err(e) => out_err = Some(e),
                            }
                        });
                        pipeline.drain_anomalies(&mut |a| {
                            if out_err.is_none() {
                                if let Err(e) = sink.anomaly(a) {
                                    out_err = Some(e);
                                }
                            }
                        });
                        if let Some(w) = writer.as_deref_mut() {
                            for m in &marks {
                                w.mark(*m, frame.ts)?;
                            }
                            w.frame(&frame)?;
                        }
                        // `--count` is a bound on records, checked per
                        // frame as before the capture thread existed.
                        if out_err.is_some() || self.args.count.is_some_and(|n| sink.records() >= n)
                        {
                            break;
                        }
                    }
                    dirty |= !batch.is_empty();
                    feed.recycle(batch);
                }
                Ok(Some(Feed::Counts(c, queue_waits))) => {
                    sink.capture_counts(&c)?;
                    if let Some(line) = drops.update(&self.args.interface, &c, queue_waits) {
                        writeln!(io::stderr(), "{line}")?;
                    }
                }
                Ok(Some(Feed::Failed(e))) => {
                    writeln!(io::stderr(), "rpcscope: {}: {e}", self.args.interface)?;
                    outcome = Outcome::InputErrors;
                    break;
                }
                Ok(None) => {}
                Err(_ended) => {
                    // Only after Failed, which breaks first; be safe.
                    outcome = Outcome::InputErrors;
                    break;
                }
            }
            if let Some(e) = out_err.take() {
                let _ = feed.stop();
                return match e.kind() {
                    io::ErrorKind::BrokenPipe => Ok(Outcome::OutputClosed),
                    _ => Err(e.into()),
                };
            }
            if dirty && last_flush.elapsed() >= FLUSH_EVERY {
                sink.flush()?;
                if let Some(w) = writer.as_deref_mut() {
                    w.flush()?;
                }
                dirty = false;
                last_flush = Instant::now();
            }
            if last_refresh.elapsed() >= STATS_REFRESH {
                refresh(sink)?;
                last_refresh = Instant::now();
            }
        }
        // Stop capturing first: the final counts cover what was decoded.
        let counts = feed.stop();
        // After -c N records, no more: calls still waiting are counted in
        // the summary but not printed (as `read -c`).
        let count = self.args.count;
        pipeline.finish(&mut |ev| {
            if out_err.is_none() && count.is_none_or(|n| sink.records() < n) {
                if let Err(e) = sink.offer(&ev) {
                    out_err = Some(e);
                }
            }
        });
        pipeline.drain_anomalies(&mut |a| {
            if out_err.is_none() {
                if let Err(e) = sink.anomaly(a) {
                    out_err = Some(e);
                }
            }
        });
        if let Some(e) = out_err {
            return match e.kind() {
                io::ErrorKind::BrokenPipe => Ok(Outcome::OutputClosed),
                _ => Err(e.into()),
            };
        }
        match counts {
            Ok(c) => sink.capture_counts(&c)?,
            Err(e) => writeln!(io::stderr(), "rpcscope: {e}")?,
        }
        let mut summary = Summary::default();
        summary.add(&pipeline);
        if let Some(sig) = self.stop.signal() {
            outcome = Outcome::Interrupted(sig);
        }
        match sink.finish(&summary) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Outcome::OutputClosed),
            Err(e) => Err(e.into()),
            Ok(()) => Ok(outcome),
        }
    }
}

/// The stderr lines that say the kernel is dropping packets, while it runs:
/// the first drop at once, then at most every [`LIVE_DROP_WARN_SECS`] while
/// the count grows. Each says why, as far as the capture thread can tell: if
/// it found the batch queue full since the last line, the decoder fell
/// behind (the ring filled while the thread waited); if not, the thread
/// itself did not get a CPU in time to drain the ring (a busy machine).
#[derive(Debug, Default)]
struct DropWarnings {
    told: u64,
    /// Queue waits at the last line.
    waits: u64,
    at: Option<Instant>,
}

impl DropWarnings {
    /// The line to print now, if any.
    fn update(&mut self, iface: &str, c: &CaptureCounts, queue_waits: u64) -> Option<String> {
        let dropped = c.dropped + c.if_dropped;
        if dropped <= self.told {
            return None;
        }
        if self
            .at
            .is_some_and(|t| t.elapsed() < Duration::from_secs(LIVE_DROP_WARN_SECS))
        {
            return None;
        }
        let why = if queue_waits > self.waits {
            "the decoder fell behind: a capture filter, --stats, or -j N with a free core helps; \
             a larger --buffer-size absorbs longer bursts"
        } else {
            "the capture thread did not get a CPU in time (a busy machine): \
             a larger --buffer-size helps"
        };
        self.told = dropped;
        self.waits = queue_waits;
        self.at = Some(Instant::now());
        Some(format!(
            "rpcscope: {iface}: the kernel dropped {dropped} of {} packets so far ({why})",
            c.received
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(received: u64, dropped: u64) -> CaptureCounts {
        CaptureCounts {
            received,
            dropped,
            ..Default::default()
        }
    }

    #[test]
    fn drop_lines_say_who_fell_behind_and_are_rate_limited() {
        let mut d = DropWarnings::default();
        assert_eq!(d.update("lo", &counts(100, 0), 0), None, "no drop, no line");
        let line = d.update("lo", &counts(200, 5), 0).unwrap();
        assert!(
            line.starts_with("rpcscope: lo: the kernel dropped 5 of 200 packets so far"),
            "{line}"
        );
        assert!(line.contains("capture thread did not get a CPU"), "{line}");
        // More drops within the rate limit: no line.
        assert_eq!(d.update("lo", &counts(300, 9), 3), None);
        // Past it, with queue waits since the last line: the decoder.
        d.at = Instant::now().checked_sub(Duration::from_secs(LIVE_DROP_WARN_SECS + 1));
        let line = d.update("lo", &counts(400, 12), 3).unwrap();
        assert!(line.contains("dropped 12 of 400"), "{line}");
        assert!(line.contains("the decoder fell behind"), "{line}");
        // Drops stopped growing: quiet.
        d.at = None;
        assert_eq!(d.update("lo", &counts(500, 12), 3), None);
    }
}
