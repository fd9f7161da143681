//! `rpcscope top`: the loop behind the full-screen view of
//! [`crate::output::top_view`]. Frames come from a live capture (`-i`) or
//! a file replayed at capture speed times `--speed` (or `max`); the
//! pipeline feeds an [`Analysis`] of the sliding shape; the screen is
//! redrawn every [`REFRESH`] of wall time, and `q` (or Esc, Ctrl-C) quits.
//! A replay that reaches the end of its file stays on screen until `q`.
//!
//! Checks before anything is drawn: standard input and output must be a
//! terminal, of at least [`MIN_SIZE`]; otherwise a one-line error and exit
//! status 1. The terminal is restored on every way out (ratatui's panic
//! hook covers panics). The decoding runs under the sandbox, with the
//! terminal's few extra system calls (`sandbox::enter_terminal_sandbox`).

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};

use super::{config, AppError, Outcome};
use crate::capture::{CaptureReader, Frame, LinkType, Timestamp};
use crate::cli::TopArgs;
use crate::event::Event;
use crate::filter::FilteredSink;
use crate::limits::Limits;
use crate::output::top_view::{self, Status, MIN_SIZE};
use crate::output::Sink;
use crate::pipeline::{Pipeline, Summary};
use crate::stats::{Analysis, SeriesShape};

/// How often the screen is redrawn.
pub const REFRESH: Duration = Duration::from_secs(1);

/// Feeds events to the analysis.
struct Feed<'a>(&'a mut Analysis);

impl Sink for Feed<'_> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.0.add(ev);
        Ok(())
    }
    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        Ok(())
    }
}

/// `--speed`: a positive factor, or `None` for `max`.
pub fn speed(s: &str) -> Result<Option<f64>, AppError> {
    if s == "max" {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(Some(v)),
        _ => Err(AppError::Usage(format!(
            "--speed: '{s}' must be a positive number or 'max'"
        ))),
    }
}

/// The terminal checks: a terminal on both sides, big enough.
fn check_terminal() -> Result<(), AppError> {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(AppError::Fatal(
            "top needs a terminal (standard input and output are not both a terminal); \
             use `stats` or `live --stats` for printable output"
                .into(),
        ));
    }
    let (w, h) = crossterm::terminal::size()
        .map_err(|e| AppError::Fatal(format!("cannot read the terminal size: {e}")))?;
    if w < MIN_SIZE.0 || h < MIN_SIZE.1 {
        return Err(AppError::Fatal(format!(
            "the terminal is too small ({w}x{h}): top needs at least {}x{}",
            MIN_SIZE.0, MIN_SIZE.1
        )));
    }
    Ok(())
}

/// A replayed file: frames held one ahead, to wait for their time.
struct Replay {
    reader: CaptureReader,
    speed: Option<f64>,
    /// Capture time and wall time of the first frame.
    origin: Option<(Timestamp, Instant)>,
    held: Option<(u64, Timestamp, LinkType, u32, Vec<u8>)>,
    ended: bool,
}

impl Replay {
    /// The wall time the held frame is due at.
    fn due(&self) -> Option<Instant> {
        let (_, ts, ..) = self.held.as_ref()?;
        let (speed, (t0, w0)) = (self.speed?, self.origin?);
        let ns = ts.nanos_since(t0) as f64 / speed;
        Some(w0 + Duration::from_nanos(ns.min(u64::MAX as f64 / 2.0) as u64))
    }
    /// Reads the next frame into `held`.
    fn fill(&mut self) -> Result<(), String> {
        if self.held.is_some() || self.ended {
            return Ok(());
        }
        match self.reader.next_frame() {
            Ok(Some(f)) => {
                self.origin.get_or_insert((f.ts, Instant::now()));
                self.held = Some((f.number, f.ts, f.link, f.orig_len, f.data.to_vec()));
            }
            Ok(None) => self.ended = true,
            Err(e) => {
                self.ended = true;
                return Err(e.to_string());
            }
        }
        Ok(())
    }
}

enum Source {
    File(Box<Replay>),
    #[cfg(feature = "live")]
    Live(crate::capture::live::LiveCapture),
}

/// `rpcscope top`.
pub fn top(args: &TopArgs, err: &mut dyn Write) -> Result<Outcome, AppError> {
    let speed = speed(&args.speed)?;
    let registry = config::registry(&args.bodies)?;
    let filter = config::filter(&args.filter, &registry)?;
    let limits = Limits::default();
    check_terminal()?;
    let (mut source, name) = open(args, speed, &limits)?;
    let options = config::pipeline_options(&args.bodies, registry.clone(), false);
    let mut analysis = Analysis::new(registry, &limits, SeriesShape::Window);
    let mut term = ratatui::try_init()
        .map_err(|e| AppError::Fatal(format!("cannot set up the terminal: {e}")))?;
    // The input reader is made now, before the sandbox (it opens its
    // event queue once).
    let r = event::poll(Duration::ZERO)
        .map_err(|e| AppError::Fatal(format!("cannot read the terminal: {e}")))
        .and_then(|_| {
            if args.sandbox.no_sandbox {
                super::restrict(&args.sandbox, err)
            } else {
                crate::sandbox::enter_terminal_sandbox().map_err(|e| AppError::Fatal(e.0))
            }
        })
        .and_then(|()| {
            run(
                &mut term,
                &mut source,
                &name,
                &filter,
                &limits,
                options,
                &mut analysis,
            )
        });
    ratatui::restore();
    let (input_error, summary) = r?;
    if let Some(e) = input_error {
        writeln!(err, "rpcscope: {name}: {e}")?;
        return Ok(Outcome::InputErrors);
    }
    crate::output::text::write_summary(&mut &mut *err, &summary, None)?;
    Ok(Outcome::Ok)
}

/// Opens the file or the interface (dropping privileges after a live
/// open, as `live` does).
fn open(args: &TopArgs, speed: Option<f64>, limits: &Limits) -> Result<(Source, String), AppError> {
    if let Some(path) = &args.read {
        let reader = CaptureReader::open(path, limits)
            .map_err(|e| AppError::Fatal(format!("{}: {e}", path.display())))?;
        let name = Path::new(path)
            .file_name()
            .map_or(path.display().to_string(), |n| {
                n.to_string_lossy().into_owned()
            });
        let replay = Replay {
            reader,
            speed,
            origin: None,
            held: None,
            ended: false,
        };
        return Ok((Source::File(Box::new(replay)), name));
    }
    let iface = args.interface.clone().unwrap_or_default();
    #[cfg(feature = "live")]
    {
        use crate::capture::live::{LiveCapture, LiveOptions};
        let identity =
            crate::sandbox::plan(args.user.as_deref()).map_err(|e| AppError::Fatal(e.0))?;
        let opts = LiveOptions {
            interface: iface.clone(),
            snaplen: args.snaplen,
            buffer_size: crate::limits::LIVE_BUFFER_BYTES,
            timeout_ms: limits.live_read_timeout_ms,
            bpf: args.filter.bpf.clone(),
        };
        let cap = LiveCapture::open(&opts).map_err(|e| AppError::Fatal(e.0))?;
        crate::sandbox::relinquish(&identity).map_err(|e| AppError::Fatal(e.0))?;
        Ok((Source::Live(cap), iface))
    }
    #[cfg(not(feature = "live"))]
    {
        let _ = (iface, limits);
        Err(AppError::Fatal(
            "top -i needs rpcscope built with the 'live' feature (libpcap)".into(),
        ))
    }
}

type Term = ratatui::DefaultTerminal;

/// The loop: decode what is due, redraw every second, quit on `q`.
/// Returns an input error (shown after the terminal is restored) and the
/// run summary.
fn run(
    term: &mut Term,
    source: &mut Source,
    name: &str,
    filter: &crate::filter::Filter,
    limits: &Limits,
    options: crate::pipeline::Options,
    analysis: &mut Analysis,
) -> Result<(Option<String>, Summary), AppError> {
    let start = Instant::now();
    let mut pipeline = Pipeline::with_options(limits, options);
    analysis.begin_file(name);
    let mut input_error = None;
    let mut next_draw = start;
    // Kernel counts (live only: files have none).
    #[cfg_attr(not(feature = "live"), allow(unused_mut))]
    let mut counts = None;
    let mut finished = false;
    loop {
        let mut feed = Feed(analysis);
        let mut sink = FilteredSink::new(&mut feed, filter);
        let mut emit = |ev: Event<'_>| {
            let _ = sink.offer(&ev);
        };
        // Decode what is due, for at most a tenth of a second.
        let slice = Instant::now() + Duration::from_millis(100);
        let mut wait = Duration::from_millis(50);
        match source {
            Source::File(r) => loop {
                if let Err(e) = r.fill() {
                    input_error = Some(e);
                }
                if r.ended {
                    break;
                }
                if let Some(due) = r.due() {
                    let now = Instant::now();
                    if due > now {
                        wait = wait.min(due - now);
                        break;
                    }
                }
                if let Some((number, ts, link, orig_len, data)) = r.held.take() {
                    let f = Frame {
                        number,
                        ts,
                        link,
                        data: &data,
                        orig_len,
                    };
                    pipeline.handle_frame(&f, &mut emit);
                }
                if Instant::now() >= slice {
                    wait = Duration::ZERO;
                    break;
                }
            },
            #[cfg(feature = "live")]
            Source::Live(cap) => loop {
                match cap.next_frame() {
                    Ok(Some(f)) => pipeline.handle_frame(&f, &mut emit),
                    Ok(None) => break,
                    Err(e) => {
                        input_error = Some(e.to_string());
                        finished = true;
                        break;
                    }
                }
                if Instant::now() >= slice {
                    wait = Duration::ZERO;
                    break;
                }
            },
        }
        let ended = matches!(source, Source::File(r) if r.ended) || finished;
        if ended && !finished {
            pipeline.finish(&mut emit);
            finished = true;
        }
        let now = Instant::now();
        if now >= next_draw {
            #[cfg(feature = "live")]
            if let Source::Live(cap) = source {
                counts = cap.counts().ok();
            }
            let st = Status {
                source: name,
                elapsed_s: start.elapsed().as_secs_f64(),
                dropped: counts.map(|c: crate::output::CaptureCounts| c.dropped),
                received: counts.map(|c| c.received),
                ended,
            };
            term.draw(|f| top_view::draw(f, analysis, &st))
                .map_err(|e| AppError::Fatal(format!("cannot draw: {e}")))?;
            next_draw = now + REFRESH;
        }
        let timeout = if ended {
            next_draw.saturating_duration_since(now)
        } else {
            wait
        };
        if event::poll(timeout).map_err(|e| AppError::Fatal(format!("terminal: {e}")))? {
            if let TermEvent::Key(k) =
                event::read().map_err(|e| AppError::Fatal(format!("terminal: {e}")))?
            {
                let ctrl_c =
                    k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                if k.kind == KeyEventKind::Press
                    && (matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) || ctrl_c)
                {
                    break;
                }
            } else {
                next_draw = Instant::now(); // resized: redraw now
            }
        }
    }
    let mut summary = Summary::default();
    summary.add(&pipeline);
    Ok((input_error, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_is_a_positive_factor_or_max() {
        assert_eq!(speed("max").unwrap(), None);
        assert_eq!(speed("2.5").unwrap(), Some(2.5));
        for bad in ["0", "-1", "nan", "inf", "fast", ""] {
            assert!(matches!(speed(bad), Err(AppError::Usage(_))), "{bad}");
        }
    }
}
