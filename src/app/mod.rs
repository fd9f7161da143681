//! Running commands: the glue between arguments, inputs, the pipeline and
//! the sinks. With `capture`, this is the only library module that does I/O
//! (it opens files and devices, writes output, draws progress bars).
//!
//! The file commands and `live` restrict the process once their setup is
//! done (inputs and outputs open): `live` drops root to `-Z USER`, and all
//! of them enter the seccomp sandbox ([`crate::sandbox`], docs/security.md).
//!
//! Each command has two stages: [`config`] turns the clap structs into
//! validated values (a [`Filter`](crate::filter::Filter), a [`BpfFilter`], sinks) or a one-line
//! [`AppError::Usage`]; then the command runs the sans-IO [`Pipeline`] over
//! its frames and hands the events to the sinks.

pub mod config;
pub mod docs;
mod export;
#[cfg(feature = "live")]
pub mod live;
mod merge;
mod net_ahead;
mod progress;
mod rpc_writer;
mod side_by_side;
pub mod signals;
mod source;
pub mod top;

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use crate::capture::CaptureFormat;
use crate::cli::{Format, InputArgs, ReadArgs, SandboxArgs, StatsArgs, TableFormat};
use crate::filter::{BpfFilter, Filter, FilteredSink};
use crate::limits::Limits;
use crate::net::is_supported_link;
use crate::output::jsonl::JsonLinesSink;
use crate::output::stats::{Stats, StatsFormat, StatsSink};
use crate::output::text::TextSink;
use crate::output::{self, Sink};
use crate::pipeline::{Pipeline, Summary};

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was read.
    Ok,
    /// Some input could not be read (errors were reported on stderr).
    InputErrors,
    /// The output was closed early (e.g. `| head`): not an error.
    OutputClosed,
    /// SIGINT or SIGTERM (the number) stopped the command after a clean
    /// stop: output flushed, unanswered calls reported, summary printed.
    Interrupted(i32),
}

impl Outcome {
    /// The process exit status (the table in `cli::EXIT_STATUS_HELP`).
    pub fn exit_status(self) -> u8 {
        match self {
            Outcome::Ok | Outcome::OutputClosed => 0,
            Outcome::InputErrors => 1,
            Outcome::Interrupted(sig) => signals::exit_status(sig),
        }
    }
}

/// Why a command could not run.
#[derive(Debug)]
pub enum AppError {
    /// A bad option value (exit status 2).
    Usage(String),
    /// The command could not start or go on, e.g. no privilege to capture
    /// (exit status 1).
    Fatal(String),
    /// Writing the output failed.
    Io(io::Error),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Usage(m) | AppError::Fatal(m) => f.write_str(m),
            AppError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for AppError {
    fn from(e: io::Error) -> Self {
        AppError::Io(e)
    }
}

impl From<crate::filter::FilterError> for AppError {
    fn from(e: crate::filter::FilterError) -> Self {
        AppError::Usage(e.0)
    }
}

/// How files are read beyond the defaults.
#[derive(Debug, Default)]
pub struct ReadOptions {
    /// Frames that fail this BPF filter are not decoded.
    pub bpf: Option<BpfFilter>,
    /// Draw a progress bar on stderr (see `progress::wanted`).
    pub progress: bool,
    /// What the pipeline decodes beyond headers.
    pub pipeline: crate::pipeline::Options,
    /// Raised by SIGINT/SIGTERM: stop reading, finish cleanly.
    pub stop: signals::Stop,
    /// `-c`: stop after this many exchange records passed the filters.
    pub count: Option<u64>,
    /// `-w`: the frames of the flows of the exchanges that pass the filters.
    pub write: Option<rpc_writer::FileFrameWriter>,
    /// `-j` of `stats` and `report`: several files are counted side by side on up to
    /// this many threads (0 and 1: one after the other); see
    /// `side_by_side`.
    pub jobs: usize,
    /// Where the reader is in the file, in bytes (a file decoded on another
    /// thread: the main thread draws its progress bar).
    pub position: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// `--merge`: several files are decoded as one capture, their frames
    /// in time order (`merge`).
    pub merge: bool,
    /// A file's network layer may run on a thread of its own
    /// (`net_ahead`): `-j` gives this decoder a second core.
    pub net_thread: bool,
}

impl ReadOptions {
    /// `-c` and `-w` of `a` (the `-w` file is created now, before the
    /// sandbox); `-c 0` is refused.
    fn with_input(mut self, a: &InputArgs, limits: &Limits) -> Result<Self, AppError> {
        if a.count == Some(0) {
            return Err(AppError::Usage("--count: must be at least 1".into()));
        }
        self.count = a.count;
        self.merge = a.merge;
        if let Some(path) = &a.write {
            self.write =
                Some(rpc_writer::FileFrameWriter::create(path, limits).map_err(AppError::Fatal)?);
        }
        Ok(self)
    }

    /// True once `-c` records went out.
    fn count_reached(&self, records: u64) -> bool {
        self.count.is_some_and(|n| records >= n)
    }
}

/// The files of `a`; none is a usage error (as clap's own).
fn input_files(a: &InputArgs) -> Result<Vec<std::path::PathBuf>, AppError> {
    let files = a.all_files();
    if files.is_empty() {
        return Err(AppError::Usage(
            "no capture file given: FILE... or -r FILE (`-` for standard input)".into(),
        ));
    }
    Ok(files)
}

/// Reports what `-w` wrote (when it could not write everything) on `err`.
fn finish_write(opts: &mut ReadOptions, err: &mut dyn Write) -> Result<(), AppError> {
    let Some(w) = &mut opts.write else {
        return Ok(());
    };
    let (_, dropped) = w.finish()?;
    if dropped > 0 {
        writeln!(
            err,
            "rpcscope: -w: {dropped} frames held back before their flow showed RPC were dropped (queue full)"
        )?;
    }
    if w.other_link > 0 {
        writeln!(
            err,
            "rpcscope: -w: {} frames of another link type than the first frame's were not written",
            w.other_link
        )?;
    }
    Ok(())
}

/// The config step shared by the file commands: validated filters and
/// reading options. `table`: the output is a statistics table (which a
/// progress bar does not disturb even on a terminal).
fn file_options(
    a: &crate::cli::FilterArgs,
    table: bool,
    registry: &crate::programs::registry::Registry,
) -> Result<(crate::filter::Filter, ReadOptions), AppError> {
    let filter = config::filter(a, registry)?;
    let opts = ReadOptions {
        bpf: config::bpf(a)?,
        progress: progress::wanted(table),
        pipeline: Default::default(),
        stop: signals::Stop::install()
            .map_err(|e| AppError::Fatal(format!("cannot install signal handler: {e}")))?,
        count: None,
        write: None,
        jobs: 1,
        position: None,
        merge: false,
        net_thread: false,
    };
    Ok((filter, opts))
}

/// Enters the seccomp sandbox now that setup is over (`--no-sandbox`:
/// warns instead). From here on the process can only do what decoding
/// needs (`sandbox` module); it cannot be undone.
pub fn restrict(a: &SandboxArgs, err: &mut dyn Write) -> Result<(), AppError> {
    if a.no_sandbox {
        writeln!(
            err,
            "rpcscope: warning: --no-sandbox: decoding hostile input without the system-call sandbox"
        )?;
        return Ok(());
    }
    crate::sandbox::enter_sandbox().map_err(|e| AppError::Fatal(e.0))
}

/// `rpcscope read`. Enters the sandbox (see [`restrict`]) once the options
/// are checked and the output is open: call it only from a process that is
/// done with everything else (the binary's `main`).
pub fn read(
    args: &ReadArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    let files = input_files(&args.input)?;
    let registry = config::registry(&args.bodies)?;
    let limits = Limits::default();
    let (filter, opts) = file_options(&args.filter, false, &registry)?;
    let mut opts = opts.with_input(&args.input, &limits)?;
    opts.pipeline = config::pipeline_options(&args.bodies, registry.clone(), false);
    let look = config::text_look(&args.display)?;
    let target = export::Target::open(args)?;
    match &target {
        export::Target::Dir(dir) if !args.sandbox.no_sandbox => {
            crate::sandbox::enter_export_sandbox(dir).map_err(|e| AppError::Fatal(e.0))?
        }
        _ => restrict(&args.sandbox, err)?,
    }
    let view = config::body_view(&args.bodies, registry, &limits);
    let mut file_out;
    let out: &mut dyn Write = match target {
        export::Target::File(f) => {
            file_out = f;
            &mut file_out
        }
        export::Target::Stdout => out,
        export::Target::Dir(dir) => {
            return export::parquet(args, &files, &dir, &limits, view, &filter, &mut opts, err)
        }
    };
    let quiet = args.display.quiet;
    let jobs = config::jobs(args.jobs);
    // A second core: the render pool's for JSON, else the network layer's.
    let pooled = matches!(args.format, Format::Json) && !quiet;
    opts.net_thread = jobs >= 2 && !pooled;
    let r = match args.format {
        Format::Text => {
            let mut text = TextSink::with_bodies(&mut *out, Vec::new(), view, args.verbose)
                .unanswered_lines(filter.needs_reply())
                .look(look);
            let mut q = output::Quiet {
                inner: &mut text,
                quiet,
            };
            let mut sink = FilteredSink::new(&mut q as &mut dyn Sink, &filter);
            let r = read_files_with(&files, &limits, &mut sink, err, &mut opts);
            let (_, summary) = text.into_inner();
            err.write_all(&summary)?;
            r
        }
        Format::Json if jobs > 1 && !quiet => {
            let mut json =
                crate::output::render_pool::PooledJsonSink::new(&mut *out, view, jobs - 1)?;
            let mut sink = FilteredSink::new(&mut json as &mut dyn Sink, &filter);
            read_files_with(&files, &limits, &mut sink, err, &mut opts)
        }
        Format::Json => {
            let mut json = JsonLinesSink::new(&mut *out, view);
            let mut q = output::Quiet {
                inner: &mut json,
                quiet,
            };
            let mut sink = FilteredSink::new(&mut q as &mut dyn Sink, &filter);
            read_files_with(&files, &limits, &mut sink, err, &mut opts)
        }
        Format::Csv => {
            let csv = crate::output::export::csv::CsvWriter::new(&mut *out);
            let mut summary = Vec::new();
            let mut export = crate::output::export::ExportSink::new(csv, view, &mut summary);
            let mut sink = FilteredSink::new(&mut export as &mut dyn Sink, &filter);
            let r = read_files_with(&files, &limits, &mut sink, err, &mut opts);
            drop(export);
            err.write_all(&summary)?;
            r
        }
        Format::Parquet => unreachable!("Target::open gives parquet a directory"),
    };
    finish_write(&mut opts, err)?;
    out.flush()?;
    Ok(r?)
}

/// `rpcscope stats`. Enters the sandbox like [`read`].
pub fn stats(
    args: &StatsArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    let files = input_files(&args.input)?;
    let registry = config::registry(&args.bodies)?;
    config::ops_with_by(args.ops, args.by)?;
    let interval = config::interval(args.interval)?;
    let (filter, opts) = file_options(&args.filter, true, &registry)?;
    let mut opts = opts.with_input(&args.input, &Limits::default())?;
    // Paths need every body; the rest of the table only statuses.
    let statuses_only = args.by != Some(crate::cli::By::Path);
    opts.pipeline = config::pipeline_options(&args.bodies, registry, statuses_only);
    opts.jobs = config::jobs(args.jobs);
    restrict(&args.sandbox, err)?;
    let limits = Limits::default();
    let format = match args.format {
        TableFormat::Text => StatsFormat::Text,
        TableFormat::Json => StatsFormat::Json,
        TableFormat::Csv => StatsFormat::Csv,
    };
    let mut summary = Vec::new();
    let stats = Stats::with_registry(
        config::group_by(args.by),
        limits.max_stats_rows,
        opts.pipeline.registry.clone(),
    )
    .with_ops(args.ops)
    .with_sort(config::sort_key(args.sort));
    // -q: the table goes nowhere, the run summary still to stderr.
    let mut nowhere = io::sink();
    let out: &mut dyn Write = if args.quiet { &mut nowhere } else { out };
    let mut printer = StatsSink::new(stats, format, out, &mut summary)
        .with_histogram(args.histogram)
        .with_intervals(interval, &limits);
    let paths: Vec<&Path> = files.iter().map(|f| f.as_ref()).collect();
    let apart = side_by_side::threads(paths.len(), &opts, interval.is_some());
    // Files one after the other: each may have a second core.
    opts.net_thread = apart.is_none() && opts.jobs >= 2;
    let r = match apart {
        Some(n) => {
            match side_by_side::read(&paths, n, &limits, &filter, &mut printer, err, &mut opts) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Outcome::OutputClosed),
                r => r,
            }
        }
        None => read_files_with(
            &files,
            &limits,
            &mut FilteredSink::new(&mut printer as &mut dyn Sink, &filter),
            err,
            &mut opts,
        ),
    };
    drop(printer);
    err.write_all(&summary)?;
    finish_write(&mut opts, err)?;
    Ok(r?)
}

/// `rpcscope report`: the HTML page of [`crate::output::report`], written
/// to `-o` (opened before the sandbox). Enters the sandbox like [`read`].
pub fn report(args: &crate::cli::ReportArgs, err: &mut dyn Write) -> Result<Outcome, AppError> {
    let registry = config::registry(&args.bodies)?;
    let (filter, mut opts) = file_options(&args.filter, true, &registry)?;
    opts.pipeline = config::pipeline_options(&args.bodies, registry.clone(), false);
    opts.merge = args.merge;
    opts.jobs = config::jobs(args.jobs);
    let file = config::create_report(&args.output)?;
    restrict(&args.sandbox, err)?;
    let limits = Limits::default();
    let mut report = crate::output::report::ReportSink::new(registry, &limits, file);
    let paths: Vec<&Path> = args.files.iter().map(|f| f.as_ref()).collect();
    let r = match side_by_side::threads(paths.len(), &opts, false) {
        Some(n) => side_by_side::read(&paths, n, &limits, &filter, &mut report, err, &mut opts),
        None => read_files_with(
            &args.files,
            &limits,
            &mut FilteredSink::new(&mut report, &filter),
            err,
            &mut opts,
        ),
    };
    let s = &report.analysis;
    writeln!(
        err,
        "rpcscope: report of {} exchanges in {} procedures written to {}",
        s.table.iter().map(|(_, r)| r.calls).sum::<u64>(),
        s.table.len(),
        args.output.display()
    )?;
    Ok(r?)
}

/// Decodes every file into `sink`; per-file errors go to `err` as one line
/// each and the other files are still read.
pub fn read_files(
    files: &[impl AsRef<Path>],
    limits: &Limits,
    sink: &mut dyn Sink,
    err: &mut dyn Write,
) -> io::Result<Outcome> {
    let all = Filter::default();
    let mut sink = FilteredSink::new(sink, &all);
    read_files_with(files, limits, &mut sink, err, &mut ReadOptions::default())
}

/// [`read_files`] behind a filter, with the options of `opts` (BPF filter,
/// progress bar, `-c`, `-w`).
pub fn read_files_with(
    files: &[impl AsRef<Path>],
    limits: &Limits,
    sink: &mut FilteredSink<'_, &mut dyn Sink>,
    err: &mut dyn Write,
    opts: &mut ReadOptions,
) -> io::Result<Outcome> {
    let mut summary = Summary::default();
    let mut outcome = Outcome::Ok;
    if opts.merge && files.len() > 1 {
        match read_merged(files, limits, sink, err, &mut summary, opts) {
            Ok(o) => outcome = o,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Outcome::OutputClosed),
            Err(e) => return Err(e),
        }
    } else {
        for path in files {
            if opts.stop.requested() || opts.count_reached(sink.records()) {
                break;
            }
            let path = path.as_ref();
            let name = path.to_string_lossy();
            match read_one(path, &name, limits, sink, &mut summary, opts) {
                Ok(()) => {}
                Err(FileError::Input(msg)) => {
                    outcome = input_failed(err, &name, &msg, &mut summary)?
                }
                Err(FileError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                    return Ok(Outcome::OutputClosed)
                }
                Err(FileError::Output(e)) => return Err(e),
            }
        }
    }
    if let Some(sig) = opts.stop.signal() {
        outcome = Outcome::Interrupted(sig);
    }
    match sink.finish(&summary) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Outcome::OutputClosed),
        Err(e) => Err(e),
        Ok(()) => Ok(outcome),
    }
}

/// A file that cannot be read (or stopped being readable): one line on
/// `err`, counted in the summary; the other files are still read.
fn input_failed(
    err: &mut dyn Write,
    name: &str,
    msg: &str,
    summary: &mut Summary,
) -> io::Result<Outcome> {
    writeln!(err, "rpcscope: {name}: {msg}")?;
    summary.files_failed += 1;
    Ok(Outcome::InputErrors)
}

enum FileError {
    /// The input is unreadable or malformed: reported, other files go on.
    Input(String),
    /// Writing the output failed.
    Output(io::Error),
}

/// How often (in frames) the progress bar is updated.
const PROGRESS_EVERY: u64 = 1024;

fn read_one(
    path: &Path,
    name: &str,
    limits: &Limits,
    sink: &mut FilteredSink<'_, &mut dyn Sink>,
    summary: &mut Summary,
    opts: &mut ReadOptions,
) -> Result<(), FileError> {
    sink.begin_file(name).map_err(FileError::Output)?;
    let mut reader = source::Source::open(path, limits).map_err(FileError::Input)?;
    let bar = opts
        .progress
        .then(|| progress::file_bar(path, name))
        .flatten();
    if net_ahead::usable(path, opts) {
        return net_ahead::decode(&mut reader, bar, limits, sink, summary, opts);
    }
    decode(&mut reader, bar, limits, sink, summary, opts)
}

/// `--merge`: the files decoded as one capture, frames in time order (see
/// `merge`); the inputs that fail are reported on `err` one by one, the
/// others go on.
fn read_merged(
    files: &[impl AsRef<Path>],
    limits: &Limits,
    sink: &mut FilteredSink<'_, &mut dyn Sink>,
    err: &mut dyn Write,
    summary: &mut Summary,
    opts: &mut ReadOptions,
) -> io::Result<Outcome> {
    let named: Vec<(&Path, String)> = files
        .iter()
        .map(|p| (p.as_ref(), p.as_ref().to_string_lossy().into_owned()))
        .collect();
    let name = named
        .iter()
        .map(|(_, n)| n.as_str())
        .collect::<Vec<_>>()
        .join(output::MERGED_NAME_SEPARATOR);
    sink.begin_file(&name)?;
    let (mut merged, unopened) = merge::Merged::open(&named, limits);
    let mut outcome = Outcome::Ok;
    for (name, why) in unopened {
        outcome = input_failed(err, &name, &why, summary)?;
    }
    if merged.inputs() == 0 {
        return Ok(outcome);
    }
    let paths: Vec<&Path> = named.iter().map(|(p, _)| *p).collect();
    let bar = opts
        .progress
        .then(|| progress::files_bar(&paths, &format!("{} files merged", paths.len())))
        .flatten();
    let r = decode(&mut merged, bar, limits, sink, summary, opts);
    // One pipeline, but every input opened counts as a file read (as each
    // would without --merge, those that failed part-way included).
    summary.files += merged.inputs() as u64 - 1;
    for (name, why) in merged.take_failed() {
        outcome = input_failed(err, &name, &why, summary)?;
    }
    match r {
        Ok(()) => Ok(outcome),
        // What fails the merged input as a whole (a BPF filter that cannot
        // run on a link type).
        Err(FileError::Input(why)) => input_failed(err, &name, &why, summary),
        Err(FileError::Output(e)) => Err(e),
    }
}

/// Decodes the frames of `reader` into `sink` with one pipeline, whose
/// counters go to `summary`.
fn decode(
    reader: &mut dyn source::Frames,
    bar: Option<indicatif::ProgressBar>,
    limits: &Limits,
    sink: &mut FilteredSink<'_, &mut dyn Sink>,
    summary: &mut Summary,
    opts: &mut ReadOptions,
) -> Result<(), FileError> {
    let mut pipeline = Pipeline::with_options(limits, opts.pipeline.clone());
    let mut out_err: Option<io::Error> = None;
    let mut input_err = None;
    let mut first = true;
    let mut marks = Vec::new();
    let global_link = reader.link_is_global();
    let stop = opts.stop.clone();
    loop {
        if stop.requested() {
            break;
        }
        let bytes = reader.bytes_read();
        // Standard input: flush what was decoded before waiting for more.
        let mut idle = || {
            if out_err.is_none() {
                if let Err(e) = sink.flush() {
                    out_err = Some(e);
                }
            }
        };
        match reader.next(&stop, &mut idle) {
            Ok(source::Next::Frame(frame)) => {
                if first && global_link && !is_supported_link(frame.link) {
                    return Err(FileError::Input(format!(
                        "unsupported link type {}",
                        frame.link
                    )));
                }
                if first {
                    sink.first_frame(frame.ts).map_err(FileError::Output)?;
                }
                first = false;
                if frame.number % PROGRESS_EVERY == 0 {
                    if let Some(b) = &bar {
                        b.set_position(bytes);
                    }
                    if let Some(p) = &opts.position {
                        p.store(bytes, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                if let Some(bpf) = &mut opts.bpf {
                    match bpf.matches(&frame) {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(e) => {
                            input_err = Some(e.0);
                            break;
                        }
                    }
                }
                marks.clear();
                let count = opts.count;
                pipeline.handle_frame(&frame, &mut |ev| {
                    emit(sink, count, &mut out_err, &mut marks, ev)
                });
                drain_anomalies(&mut pipeline, sink, &mut out_err);
                if let Some(w) = &mut opts.write {
                    if let Err(e) = w.frame(&frame, &marks) {
                        out_err = Some(e);
                    }
                }
                if opts.count_reached(sink.records()) {
                    break;
                }
            }
            Ok(source::Next::End | source::Next::Stopped) => break,
            Err(e) => {
                input_err = Some(e);
                break;
            }
        }
        if out_err.is_some() {
            break;
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if out_err.is_none() {
        marks.clear();
        let count = opts.count;
        let mut last = None;
        pipeline.finish(&mut |ev| {
            last = Some(ev.ts);
            emit(sink, count, &mut out_err, &mut marks, ev)
        });
        drain_anomalies(&mut pipeline, sink, &mut out_err);
        if let (Some(w), Some(ts)) = (&mut opts.write, last) {
            if let Err(e) = w.mark(&marks, ts) {
                out_err.get_or_insert(e);
            }
        }
    }
    file_end(&pipeline, summary, out_err, input_err)
}

/// How a decoded file ends: its totals join the summary, and the first
/// output error, else the input error, fails it.
fn file_end(
    pipeline: &Pipeline,
    summary: &mut Summary,
    out_err: Option<io::Error>,
    input_err: Option<String>,
) -> Result<(), FileError> {
    summary.add(pipeline);
    if let Some(e) = out_err {
        return Err(FileError::Output(e));
    }
    match input_err {
        Some(msg) => Err(FileError::Input(msg)),
        None => Ok(()),
    }
}

/// Offers an event to the sink (none once `-c` records went out), keeping
/// the first output error and the conversations of the events that passed
/// the filters (for `-w`).
fn emit(
    sink: &mut FilteredSink<'_, &mut dyn Sink>,
    count: Option<u64>,
    err: &mut Option<io::Error>,
    marks: &mut Vec<rpc_writer::ConvKey>,
    ev: crate::event::Event,
) {
    if err.is_some() || count.is_some_and(|n| sink.records() >= n) {
        return;
    }
    match sink.offer(&ev) {
        Ok(true) => marks.push(rpc_writer::ConvKey::of(&ev.exchange)),
        Ok(false) => {}
        Err(e) => *err = Some(e),
    }
}

/// Hands the pipeline's anomaly records to the sink, keeping the first
/// output error.
fn drain_anomalies(
    pipeline: &mut Pipeline,
    sink: &mut FilteredSink<'_, &mut dyn Sink>,
    err: &mut Option<io::Error>,
) {
    pipeline.drain_anomalies(&mut |a| {
        if err.is_none() {
            if let Err(e) = sink.anomaly(a) {
                *err = Some(e);
            }
        }
    });
}

/// pcap and snoop files have one link type for the whole file.
fn reader_format_is_global(format: Option<CaptureFormat>) -> bool {
    !matches!(format, Some(CaptureFormat::Pcapng))
}

/// `rpcscope interfaces`.
#[cfg(feature = "live")]
pub fn interfaces(out: &mut dyn Write) -> Result<Outcome, AppError> {
    let devs = crate::capture::live::list_devices().map_err(|e| AppError::Fatal(e.0))?;
    for d in devs {
        write!(out, "{}", d.name)?;
        let mut flags = Vec::new();
        if d.up {
            flags.push("up");
        }
        if d.loopback {
            flags.push("loopback");
        }
        if !flags.is_empty() {
            write!(out, " [{}]", flags.join(","))?;
        }
        if let Some(desc) = &d.description {
            write!(out, " ({desc})")?;
        }
        for a in &d.addresses {
            write!(out, " {a}")?;
        }
        writeln!(out)?;
    }
    Ok(Outcome::Ok)
}

/// Without the `live` feature there is no libpcap to ask.
#[cfg(not(feature = "live"))]
pub fn interfaces(_out: &mut dyn Write) -> Result<Outcome, AppError> {
    Err(AppError::Fatal(
        "listing interfaces needs rpcscope built with the 'live' feature (libpcap)".into(),
    ))
}

/// Without the `live` feature there is no live capture.
#[cfg(not(feature = "live"))]
pub fn live(
    args: &crate::cli::LiveArgs,
    _out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    config::live_checks(args)?;
    Err(AppError::Fatal(
        "live capture needs rpcscope built with the 'live' feature (libpcap)".into(),
    ))
}

#[cfg(feature = "live")]
pub use live::live;
