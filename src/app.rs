//! Running commands: the glue between arguments, inputs, the pipeline and
//! the sinks. This is the only library module besides `capture` that does
//! I/O (it opens files and writes output).

use std::io::{self, Write};
use std::path::Path;

use crate::capture::{CaptureFormat, CaptureReader};
use crate::cli::{Format, ReadArgs};
use crate::limits::Limits;
use crate::net::is_supported_link;
use crate::output::jsonl::JsonLinesSink;
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
}

/// `rpcscope read`.
pub fn read(args: &ReadArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Outcome> {
    let limits = Limits::default();
    match args.format {
        Format::Text => {
            let mut sink = TextSink::new(out, Vec::new());
            let r = read_files(&args.files, &limits, &mut sink, err);
            let (_, summary) = sink.into_inner();
            err.write_all(&summary)?;
            r
        }
        Format::Json => read_files(&args.files, &limits, &mut JsonLinesSink::new(out), err),
    }
}

/// Decodes every file into `sink`; per-file errors go to `err` as one line
/// each and the other files are still read.
pub fn read_files(
    files: &[impl AsRef<Path>],
    limits: &Limits,
    sink: &mut dyn Sink,
    err: &mut dyn Write,
) -> io::Result<Outcome> {
    let mut summary = Summary::default();
    let mut outcome = Outcome::Ok;
    for path in files {
        let path = path.as_ref();
        let name = path.to_string_lossy();
        match read_one(path, &name, limits, sink, &mut summary) {
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

fn read_one(
    path: &Path,
    name: &str,
    limits: &Limits,
    sink: &mut dyn Sink,
    summary: &mut Summary,
) -> Result<(), FileError> {
    sink.begin_file(name).map_err(FileError::Output)?;
    let mut reader =
        CaptureReader::open(path, limits).map_err(|e| FileError::Input(e.to_string()))?;
    let mut pipeline = Pipeline::new(limits);
    let mut out_err: Option<io::Error> = None;
    let mut input_err = None;
    let mut first = true;
    let global_link = reader_format_is_global(&reader);
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                if first && global_link && !is_supported_link(frame.link) {
                    return Err(FileError::Input(format!(
                        "unsupported link type {}",
                        frame.link
                    )));
                }
                first = false;
                pipeline.handle_frame(&frame, &mut |ev| emit(sink, &mut out_err, ev));
            }
            Ok(None) => break,
            Err(e) => {
                input_err = Some(e.to_string());
                break;
            }
        }
        if out_err.is_some() {
            break;
        }
    }
    if out_err.is_none() {
        pipeline.finish(&mut |ev| emit(sink, &mut out_err, ev));
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

/// pcap and snoop files have one link type for the whole file.
fn reader_format_is_global(r: &CaptureReader) -> bool {
    !matches!(r.format(), CaptureFormat::Pcapng)
}
