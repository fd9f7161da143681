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
#[cfg(feature = "live")]
pub mod live;
mod progress;
#[cfg(feature = "live")]
mod rpc_writer;
pub mod signals;
mod source;

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use crate::capture::CaptureFormat;
use crate::cli::{Format, ReadArgs, SandboxArgs, StatsArgs, TableFormat};
use crate::filter::{BpfFilter, FilteredSink};
use crate::limits::Limits;
use crate::net::is_supported_link;
use crate::output::jsonl::JsonLinesSink;
use crate::output::stats::{Stats, StatsFormat, StatsSink};
use crate::output::text::TextSink;
use crate::output::Sink;
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
/// are checked: call it only from a process that is done with everything
/// else (the binary's `main`).
pub fn read(
    args: &ReadArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    let registry = config::registry(&args.bodies)?;
    let (filter, mut opts) = file_options(&args.filter, false, &registry)?;
    opts.pipeline = config::pipeline_options(&args.bodies, registry.clone(), false);
    restrict(&args.sandbox, err)?;
    let limits = Limits::default();
    let view = config::body_view(&args.bodies, registry, &limits);
    let r = match args.format {
        Format::Text => {
            let mut text = TextSink::with_bodies(out, Vec::new(), view, args.verbose)
                .unanswered_lines(filter.needs_reply());
            let mut sink = FilteredSink::new(&mut text, &filter);
            let r = read_files_with(&args.files, &limits, &mut sink, err, &mut opts);
            let (_, summary) = text.into_inner();
            err.write_all(&summary)?;
            r
        }
        Format::Json => {
            let mut json = JsonLinesSink::new(out, view);
            let mut sink = FilteredSink::new(&mut json, &filter);
            read_files_with(&args.files, &limits, &mut sink, err, &mut opts)
        }
    };
    Ok(r?)
}

/// `rpcscope stats`. Enters the sandbox like [`read`].
pub fn stats(
    args: &StatsArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    let registry = config::registry(&args.bodies)?;
    let (filter, mut opts) = file_options(&args.filter, true, &registry)?;
    // Paths need every body; the rest of the table only statuses.
    let statuses_only = args.by != Some(crate::cli::By::Path);
    opts.pipeline = config::pipeline_options(&args.bodies, registry, statuses_only);
    restrict(&args.sandbox, err)?;
    let limits = Limits::default();
    let format = match args.format {
        TableFormat::Text => StatsFormat::Text,
        TableFormat::Json => StatsFormat::Json,
    };
    let mut summary = Vec::new();
    let stats = Stats::with_registry(
        config::group_by(args.by),
        limits.max_stats_rows,
        opts.pipeline.registry.clone(),
    )
    .with_ops(args.ops);
    let mut printer = StatsSink::new(stats, format, out, &mut summary);
    let r = read_files_with(
        &args.files,
        &limits,
        &mut FilteredSink::new(&mut printer, &filter),
        err,
        &mut opts,
    );
    drop(printer);
    err.write_all(&summary)?;
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
    read_files_with(files, limits, sink, err, &mut ReadOptions::default())
}

/// [`read_files`] with a BPF filter and progress bar.
pub fn read_files_with(
    files: &[impl AsRef<Path>],
    limits: &Limits,
    sink: &mut dyn Sink,
    err: &mut dyn Write,
    opts: &mut ReadOptions,
) -> io::Result<Outcome> {
    let mut summary = Summary::default();
    let mut outcome = Outcome::Ok;
    for path in files {
        if opts.stop.requested() {
            break;
        }
        let path = path.as_ref();
        let name = path.to_string_lossy();
        match read_one(path, &name, limits, sink, &mut summary, opts) {
            Ok(()) => {}
            Err(FileError::Input(msg)) => {
                writeln!(err, "rpcscope: {name}: {msg}")?;
                summary.files_failed += 1;
                outcome = Outcome::InputErrors;
            }
            Err(FileError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                return Ok(Outcome::OutputClosed)
            }
            Err(FileError::Output(e)) => return Err(e),
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
    sink: &mut dyn Sink,
    summary: &mut Summary,
    opts: &mut ReadOptions,
) -> Result<(), FileError> {
    sink.begin_file(name).map_err(FileError::Output)?;
    let mut reader = source::Source::open(path, limits).map_err(FileError::Input)?;
    let bar = opts
        .progress
        .then(|| progress::file_bar(path, name))
        .flatten();
    let mut pipeline = Pipeline::with_options(limits, opts.pipeline.clone());
    let mut out_err: Option<io::Error> = None;
    let mut input_err = None;
    let mut first = true;
    let global_link = reader_format_is_global(reader.format());
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
                first = false;
                if let Some(b) = &bar {
                    if frame.number % PROGRESS_EVERY == 0 {
                        b.set_position(bytes);
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
                pipeline.handle_frame(&frame, &mut |ev| emit(sink, &mut out_err, ev));
                drain_anomalies(&mut pipeline, sink, &mut out_err);
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
        pipeline.finish(&mut |ev| emit(sink, &mut out_err, ev));
        drain_anomalies(&mut pipeline, sink, &mut out_err);
    }
    summary.add(&pipeline);
    if let Some(e) = out_err {
        return Err(FileError::Output(e));
    }
    match input_err {
        Some(msg) => Err(FileError::Input(msg)),
        None => Ok(()),
    }
}

/// Hands an event to the sink, keeping the first output error.
fn emit(sink: &mut dyn Sink, err: &mut Option<io::Error>, ev: crate::event::Event) {
    if err.is_none() {
        if let Err(e) = sink.event(&ev) {
            *err = Some(e);
        }
    }
}

/// Hands the pipeline's anomaly records to the sink, keeping the first
/// output error.
fn drain_anomalies(pipeline: &mut Pipeline, sink: &mut dyn Sink, err: &mut Option<io::Error>) {
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
