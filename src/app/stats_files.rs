//! `stats -j N` over several files: the files are decoded side by side.
//!
//! Every file already has a pipeline of its own (calls in one file are not
//! matched with replies in another), and the statistics table only adds
//! exchanges up, so the files can be counted apart and their tables added
//! ([`Stats::merge`]) in command-line order: the table printed is the one
//! a single thread gives (`tests/stats_cli.rs` compares them). Up to N files
//! are decoded at once, each on a thread running the same [`read_one`] as
//! the one-thread path into its own table, behind the same filters. The main
//! thread waits for the files in order, adds each table and the file's
//! totals ([`Summary`]), reports a file's error at its place, and starts the
//! next file.
//!
//! A file whose own table filled up (more than `max_stats_rows` keys in
//! that file alone) cannot be added exactly (its overflow row mixes keys the
//! whole table may hold rows for): its thread stops, and the main thread
//! decodes that file again itself, into the whole table.
//!
//! Used only where the result cannot depend on the order of the files'
//! exchanges or on another file: not with `--interval` (intervals start at
//! the first frame of the run), `-c` (stops at the N-th record overall),
//! `-w` (needs the frames in order), a BPF filter (compiled once, for one
//! thread) or `--merge` (one pipeline sees every file's frames).
//!
//! Bounds: at most N files are decoded at once, each with a pipeline and a
//! table within the usual caps (docs/performance.md has the measured
//! peaks); a finished file's table waits for the files before it.

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
use crate::output::stats::StatsSink;
use crate::output::Sink;
use crate::pipeline::Summary;
use crate::stats::Stats;

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

/// A file's table: the statistics sink without its output.
struct Table {
    stats: Stats,
}

impl Sink for Table {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.stats.add(ev);
        if self.stats.overflowed > 0 {
            // Cannot be merged: stop, the main thread counts this file.
            return Err(io::Error::other("table full"));
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        Ok(())
    }
}

/// How a file's thread ended.
enum Counted {
    /// Its table and totals; the file's error, if it had one.
    Table(Stats, Box<Summary>, Result<(), FileError>),
    /// Its table overflowed: count it again on the main thread.
    Again,
}

fn count(
    path: &Path,
    limits: &Limits,
    filter: &Filter,
    table: Stats,
    mut opts: ReadOptions,
) -> Counted {
    let name = path.to_string_lossy();
    let mut sink = Table { stats: table };
    let mut summary = Summary::default();
    let r = {
        let mut filtered = FilteredSink::new(&mut sink as &mut dyn Sink, filter);
        read_one(path, &name, limits, &mut filtered, &mut summary, &mut opts)
    };
    match r {
        Err(FileError::Output(_)) => Counted::Again,
        r => Counted::Table(sink.stats, Box::new(summary), r),
    }
}

struct Running<'scope> {
    path: &'scope Path,
    thread: ScopedJoinHandle<'scope, Counted>,
    position: Arc<AtomicU64>,
}

/// What every file's thread is given.
struct Setup<'env> {
    limits: &'env Limits,
    filter: &'env Filter,
    pipeline: crate::pipeline::Options,
    stop: super::signals::Stop,
    table: Stats,
}

/// Starts counting `path` on a thread of `scope`.
fn start<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    path: &'env Path,
    setup: &Setup<'env>,
) -> io::Result<Running<'scope>> {
    let position = Arc::new(AtomicU64::new(0));
    let worker = ReadOptions {
        pipeline: setup.pipeline.clone(),
        stop: setup.stop.clone(),
        position: Some(Arc::clone(&position)),
        ..ReadOptions::default()
    };
    let (limits, filter) = (setup.limits, setup.filter);
    let table = setup.table.empty_like();
    let thread = std::thread::Builder::new()
        .name("stats-file".into())
        .spawn_scoped(scope, move || count(path, limits, filter, table, worker))?;
    Ok(Running {
        path,
        thread,
        position,
    })
}

/// Counts `files` into `printer`'s table on up to `threads` threads; as
/// [`super::read_files_with`] otherwise (errors on `err`, then the summary
/// to `printer`).
pub(super) fn read<W: Write, E: Write>(
    files: &[&Path],
    threads: usize,
    limits: &Limits,
    filter: &Filter,
    printer: &mut StatsSink<W, E>,
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
        table: printer.stats.empty_like(),
    };
    std::thread::scope(|scope| -> io::Result<()> {
        let mut queue = std::collections::VecDeque::with_capacity(threads);
        let mut next = files.iter();
        for &path in next.by_ref().take(threads) {
            queue.push_back(start(scope, path, &setup)?);
        }
        while let Some(file) = queue.pop_front() {
            let name = file.path.to_string_lossy();
            let bar = opts
                .progress
                .then(|| progress::file_bar(file.path, &name))
                .flatten();
            // With a bar, look at the thread's position now and then;
            // without, just wait for it.
            if let Some(b) = bar {
                while !file.thread.is_finished() {
                    b.set_position(file.position.load(Ordering::Relaxed));
                    std::thread::sleep(BAR_EVERY);
                }
                b.finish_and_clear();
            }
            let counted = file.thread.join().map_err(|_| {
                io::Error::other(format!("{name}: a decoding thread stopped (a bug)"))
            })?;
            let r = match counted {
                Counted::Table(t, s, r) => {
                    printer.stats.merge(t);
                    summary.merge(&s);
                    r
                }
                Counted::Again => {
                    let mut sink = FilteredSink::new(&mut *printer as &mut dyn Sink, filter);
                    read_one(file.path, &name, limits, &mut sink, &mut summary, opts)
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
                queue.push_back(start(scope, path, &setup)?);
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
