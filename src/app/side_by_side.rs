//! `stats -j N` and `report -j N` over several files: the files are
//! decoded side by side.
//!
//! Every file already has a pipeline of its own (calls in one file are not
//! matched with replies in another), and what these commands print only
//! adds exchanges up, so the files can be counted apart, each into a
//! [`Tally`] of its own, and the tallies added in command-line order: the
//! output is the one a single thread gives (`tests/stats_cli.rs`,
//! `tests/report.rs` compare them). Up to N files are decoded at once, each
//! on a thread running the same [`read_one`] as the one-thread path, behind
//! the same filters. The main thread waits for the files in order, adds
//! each tally and the file's totals ([`Summary`]), reports a file's error
//! at its place, and starts the next file.
//!
//! A tally that cannot be added exactly is counted again: a file's thread
//! stops as soon as its tally can no longer be merged (a statistics table
//! that filled up alone: its overflow row mixes keys the whole table may
//! hold rows for), and the main thread decodes that file again itself,
//! into the whole tally; so does it when adding a finished tally would not
//! be exact ([`Analysis::try_merge`]: which names a bounded top table keeps
//! depends on an order a tally does not keep).
//!
//! Used only where the result cannot depend on the order of the files'
//! exchanges or on another file: not with `--interval` (intervals start at
//! the first frame of the run), `-c` (stops at the N-th record overall),
//! `-w` (needs the frames in order), a BPF filter (compiled once, for one
//! thread) or `--merge` (one pipeline sees every file's frames).
//!
//! Bounds: at most N files are decoded at once, each with a pipeline and a
//! tally within the usual caps (docs/performance.md has the measured
//! peaks); a finished file's tally waits for the files before it.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::ScopedJoinHandle;
use std::time::Duration;

use super::{progress, read_one, FileError, Outcome, ReadOptions};
use crate::event::Event;
use crate::filter::{Filter, FilteredSink};
use crate::limits::Limits;
use crate::output::report::ReportSink;
use crate::output::stats::StatsSink;
use crate::output::Sink;
use crate::pipeline::Summary;
use crate::stats::{Analysis, Stats};

/// How often the progress bar of the file being waited for is moved: often
/// enough to look alive, rarely enough to cost nothing.
const BAR_EVERY: Duration = Duration::from_millis(50);

/// How many files are decoded at once, when they are decoded side by side
/// at all (see the module docs).
pub(super) fn threads(files: usize, opts: &ReadOptions, interval: bool) -> Option<usize> {
    let n = opts.jobs.min(files);
    let alone = opts.write.is_none() && opts.bpf.is_none() && opts.count.is_none();
    (n >= 2 && alone && !interval && !opts.merge).then_some(n)
}

/// What a file is counted into, and how two such counts are added.
pub(super) trait Tally: Sized + Send {
    /// An empty tally with the same settings and bounds.
    fn empty_like(&self) -> Self;
    /// The events that follow come from the file `name`.
    fn begin_file(&mut self, _name: &str) {}
    /// Counts one event; false once the tally cannot be merged exactly
    /// any more (its thread then stops).
    fn add(&mut self, ev: &Event) -> bool;
    /// Adds `o`, the tally of the files after this one's, and returns
    /// true; or changes nothing and returns false when the sum would not
    /// be exact.
    fn merge(&mut self, o: Self) -> bool;
}

impl Tally for Stats {
    fn empty_like(&self) -> Self {
        Stats::empty_like(self)
    }
    fn add(&mut self, ev: &Event) -> bool {
        Stats::add(self, ev);
        self.overflowed == 0
    }
    fn merge(&mut self, o: Self) -> bool {
        // `o` did not overflow (its thread stops when it does): exact.
        Stats::merge(self, o);
        true
    }
}

impl Tally for Analysis {
    fn empty_like(&self) -> Self {
        Analysis::empty_like(self)
    }
    fn begin_file(&mut self, name: &str) {
        Analysis::begin_file(self, name);
    }
    fn add(&mut self, ev: &Event) -> bool {
        Analysis::add(self, ev);
        self.mergeable()
    }
    fn merge(&mut self, o: Self) -> bool {
        self.try_merge(o)
    }
}

/// The sinks that print a tally: the main thread adds the files' tallies
/// to theirs, and counts into them the files it decodes again.
pub(super) trait Printer: Sink {
    type Tally: Tally;
    fn tally(&mut self) -> &mut Self::Tally;
}

impl<W: Write, E: Write> Printer for StatsSink<W, E> {
    type Tally = Stats;
    fn tally(&mut self) -> &mut Stats {
        &mut self.stats
    }
}

impl<W: Write> Printer for ReportSink<W> {
    type Tally = Analysis;
    fn tally(&mut self) -> &mut Analysis {
        &mut self.analysis
    }
}

/// A file's tally as a sink, without output.
struct Counter<T> {
    tally: T,
}

impl<T: Tally> Sink for Counter<T> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        self.tally.begin_file(file);
        Ok(())
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        if !self.tally.add(ev) {
            // Cannot be merged: stop, the main thread counts this file.
            return Err(io::Error::other("cannot be merged"));
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        Ok(())
    }
}

/// How a file's thread ended.
enum Counted<T> {
    /// Its tally and totals; the file's error, if it had one.
    Tally(T, Box<Summary>, Result<(), FileError>),
    /// Its tally cannot be merged: count it again on the main thread.
    Again,
}

fn count<T: Tally>(
    path: &Path,
    limits: &Limits,
    filter: &Filter,
    tally: T,
    mut opts: ReadOptions,
) -> Counted<T> {
    let name = path.to_string_lossy();
    let mut sink = Counter { tally };
    let mut summary = Summary::default();
    let r = {
        let mut filtered = FilteredSink::new(&mut sink as &mut dyn Sink, filter);
        read_one(path, &name, limits, &mut filtered, &mut summary, &mut opts)
    };
    match r {
        Err(FileError::Output(_)) => Counted::Again,
        r => Counted::Tally(sink.tally, Box::new(summary), r),
    }
}

struct Running<'scope, T> {
    path: &'scope Path,
    thread: ScopedJoinHandle<'scope, Counted<T>>,
    position: Arc<AtomicU64>,
}

/// What every file's thread is given.
struct Setup<'env, T> {
    limits: &'env Limits,
    filter: &'env Filter,
    pipeline: crate::pipeline::Options,
    stop: super::signals::Stop,
    tally: T,
}

/// Starts counting `path` on a thread of `scope`.
fn start<'scope, 'env, T: Tally + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    path: &'env Path,
    setup: &Setup<'env, T>,
) -> io::Result<Running<'scope, T>> {
    let position = Arc::new(AtomicU64::new(0));
    let worker = ReadOptions {
        pipeline: setup.pipeline.clone(),
        stop: setup.stop.clone(),
        position: Some(Arc::clone(&position)),
        ..ReadOptions::default()
    };
    let (limits, filter) = (setup.limits, setup.filter);
    let tally = setup.tally.empty_like();
    let thread = std::thread::Builder::new()
        .name("count-file".into())
        .spawn_scoped(scope, move || count(path, limits, filter, tally, worker))?;
    Ok(Running {
        path,
        thread,
        position,
    })
}

/// A file in the queue: decoded on a thread of its own, or to be decoded
/// here.
enum Slot<'scope, T> {
    Apart(Running<'scope, T>),
    Here(&'scope Path),
}

/// Waits for a file's thread (moving its progress bar, if one is drawn)
/// and takes what it counted.
fn wait<T>(file: Running<'_, T>, progress: bool) -> io::Result<Counted<T>> {
    let name = file.path.to_string_lossy();
    let bar = progress
        .then(|| progress::file_bar(file.path, &name))
        .flatten();
    // With a bar, look at the thread's position now and then; without,
    // just wait for it.
    if let Some(b) = bar {
        while !file.thread.is_finished() {
            b.set_position(file.position.load(Ordering::Relaxed));
            std::thread::sleep(BAR_EVERY);
        }
        b.finish_and_clear();
    }
    file.thread
        .join()
        .map_err(|_| io::Error::other(format!("{name}: a decoding thread stopped (a bug)")))
}

/// Counts `files` into `printer`'s tally on up to `threads` threads; as
/// [`super::read_files_with`] otherwise (errors on `err`, then the summary
/// to `printer`).
pub(super) fn read<P: Printer>(
    files: &[&Path],
    threads: usize,
    limits: &Limits,
    filter: &Filter,
    printer: &mut P,
    err: &mut dyn Write,
    opts: &mut ReadOptions,
) -> io::Result<Outcome> {
    let mut summary = Summary::default();
    let mut outcome = Outcome::Ok;
    let setup = Setup {
        limits,
        filter,
        pipeline: opts.pipeline.clone(),
        stop: opts.stop.clone(),
        tally: printer.tally().empty_like(),
    };
    std::thread::scope(|scope| -> io::Result<()> {
        let mut queue = std::collections::VecDeque::with_capacity(threads);
        let mut next = files.iter();
        for &path in next.by_ref().take(threads) {
            queue.push_back(Slot::Apart(start(scope, path, &setup)?));
        }
        // Cleared when a file's tally could not be merged: files like it
        // (the parts of one rotated capture) would be decoded twice.
        let mut apart = true;
        while let Some(slot) = queue.pop_front() {
            let (path, counted) = match slot {
                Slot::Here(path) => (path, None),
                Slot::Apart(file) => (file.path, Some(wait(file, opts.progress)?)),
            };
            let name = path.to_string_lossy();
            let merged = counted.and_then(|counted| match counted {
                Counted::Tally(t, s, r) => printer.tally().merge(t).then(|| {
                    summary.merge(&s);
                    r
                }),
                Counted::Again => None,
            });
            let r = match merged {
                Some(r) => r,
                None => {
                    // Counted here, in order, into the whole tally.
                    apart = false;
                    let mut sink = FilteredSink::new(&mut *printer as &mut dyn Sink, filter);
                    read_one(path, &name, limits, &mut sink, &mut summary, opts)
                }
            };
            match r {
                Ok(()) => {}
                Err(FileError::Input(msg)) => {
                    outcome = super::input_failed(err, &name, &msg, &mut summary)?
                }
                Err(FileError::Output(e)) => return Err(e),
            }
            if opts.stop.requested() {
                break;
            }
            if let Some(&path) = next.next() {
                queue.push_back(match apart {
                    true => Slot::Apart(start(scope, path, &setup)?),
                    false => Slot::Here(path),
                });
            }
        }
        Ok(())
    })?;
    if let Some(sig) = opts.stop.signal() {
        outcome = Outcome::Interrupted(sig);
    }
    printer.finish(&summary)?;
    Ok(outcome)
}
