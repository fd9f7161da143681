//! Text output: one line per RPC message, like tcpdump.
//!
//! ```text
//! 10:21:04.123456 tcp 10.0.0.1:800 > 10.0.0.2:2049 xid 0x1a2b3c4d call nfs v3 GETATTR auth sys uid 0 gid 0
//! 10:21:04.123700 tcp 10.0.0.2:2049 > 10.0.0.1:800 xid 0x1a2b3c4d reply nfs v3 GETATTR accepted success 0.244 ms
//! ```
//! Times are UTC time of day unless `-t` says otherwise ([`super::time`]);
//! `-#` starts each line with its frame number. The summary goes to a
//! second writer (stderr).
//!
//! With colour on ([`Look::color`]; `--color`, `NO_COLOR`), a failed
//! status (RPC or program status), `(no reply)`, anomalies (`[truncated]`,
//! duplicate replies, replies without call, retransmissions) and latencies
//! of at least `--slow` are highlighted with anstyle styles; text from the
//! capture is never styled, and is escaped as ever.
//!
//! Where the program's body is decoded, a short summary follows the
//! procedure name (`LOOKUP fh 0x04415d87 "dir"`; a reply starts with its
//! status: `LOOKUP NFS3ERR_NOENT`), and with `-V` the whole decoded body
//! follows the line, indented, one field per line.
//!
//! Lines follow capture order: each message is printed when it is seen,
//! the reply line carrying the latency. With a filter that needs the reply
//! (`--status`, `--min-latency`) a call is only printed once its exchange is
//! decided (just before its reply line); a call that gets no reply is then
//! printed when it is given up, marked `(no reply)`
//! ([`TextSink::unanswered_lines`]).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::bodies::BodyView;
use super::schema::status_fields;
use super::time::Clock;
use super::{CaptureCounts, Sink};
use crate::capture::Timestamp;
use crate::event::{AuthSummary, CallRec, Event, ExchangeKind};
use crate::pipeline::Summary;
use crate::programs::registry::Registry;

/// Writes text lines to `W` and the summary to `E`.
pub struct TextSink<W: Write, E: Write> {
    out: W,
    summary_out: E,
    counts: Option<CaptureCounts>,
    bodies: BodyView,
    verbose: bool,
    /// The body summary being built (reused).
    summary: String,
    unanswered: bool,
    look: Look,
    /// The time stamp being built (reused).
    stamp: String,
}

/// How lines look: time format, frame numbers, colour, slow threshold.
#[derive(Debug, Clone, Default)]
pub struct Look {
    /// `-t`.
    pub clock: Clock,
    /// `-#`: a frame-number column first.
    pub number: bool,
    /// Highlight failures, unanswered calls, anomalies, slow calls.
    pub color: bool,
    /// `--slow`: latencies from this many nanoseconds on are highlighted.
    pub slow_ns: Option<u64>,
}

/// A failed RPC or program status.
const FAIL: Style = AnsiColor::Red.on_default().bold();
/// A call that got no reply.
const UNANSWERED: Style = AnsiColor::Yellow.on_default().bold();
/// Something odd about the message (cut, duplicate, retransmitted, alone).
const ANOMALY: Style = AnsiColor::Magenta.on_default();
/// A latency of at least `--slow`.
const SLOW: Style = AnsiColor::Yellow.on_default().bold();

/// Writes `text` in `style` when `on`, plain otherwise.
fn paint(
    w: &mut impl Write,
    on: bool,
    style: Style,
    text: impl std::fmt::Display,
) -> io::Result<()> {
    if on {
        write!(w, "{}{text}{}", style.render(), style.render_reset())
    } else {
        write!(w, "{text}")
    }
}

/// True when the program status of a reply reports a failure (anything
/// but the program's success value).
fn body_failed(registry: &Registry, ex: &crate::event::Exchange<'_>) -> bool {
    let (Some(st), Some(c)) = (ex.facts.status, ex.call.as_ref()) else {
        return false;
    };
    match c
        .program
        .zip(c.version)
        .and_then(|(p, v)| registry.version(p, v))
    {
        Some(e) => !e.semantics.is_ok(st.value),
        None => false,
    }
}

impl<W: Write, E: Write> TextSink<W, E> {
    /// A sink with the built-in programs.
    pub fn new(out: W, summary_out: E) -> Self {
        let bodies = BodyView::new(
            Registry::builtin(),
            &crate::limits::Limits::default(),
            false,
        );
        Self::with_bodies(out, summary_out, bodies, false)
    }

    /// A sink naming programs and summarising bodies with `bodies`;
    /// `verbose`: print each decoded body in full (`-V`).
    pub fn with_bodies(out: W, summary_out: E, bodies: BodyView, verbose: bool) -> Self {
        TextSink {
            out,
            summary_out,
            counts: None,
            bodies,
            verbose,
            summary: String::new(),
            unanswered: false,
            look: Look::default(),
            stamp: String::new(),
        }
    }
    /// Time format, frame numbers and colour (`-t`, `-#`, `--color`, `--slow`).
    pub fn look(mut self, look: Look) -> Self {
        self.look = look;
        self
    }
    /// Writes the frame-number column (with `-#`) and the time of a line.
    fn stamp(&mut self, frame: u64, ts: Timestamp) -> io::Result<()> {
        if self.look.number {
            write!(self.out, "{frame:>5} ")?;
        }
        self.stamp.clear();
        self.look.clock.write(&mut self.stamp, ts);
        self.out.write_all(self.stamp.as_bytes())
    }
    /// Also print a line for each call that got no reply, when it is given
    /// up (timeout, eviction, end of input), marked `(no reply)`. For
    /// filters that hold call lines back until the reply decides: without
    /// it, `--status unanswered` would print nothing.
    pub fn unanswered_lines(mut self, on: bool) -> Self {
        self.unanswered = on;
        self
    }
    pub fn into_inner(self) -> (W, E) {
        (self.out, self.summary_out)
    }
}

/// `HH:MM:SS.uuuuuu` (UTC).
pub fn time_of_day(ts: Timestamp) -> impl std::fmt::Display {
    struct T(i64);
    impl std::fmt::Display for T {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let secs = self.0.div_euclid(1_000_000_000);
            let micros = self.0.rem_euclid(1_000_000_000) / 1000;
            let day = secs.rem_euclid(86_400);
            write!(
                f,
                "{:02}:{:02}:{:02}.{:06}",
                day / 3600,
                day / 60 % 60,
                day % 60,
                micros
            )
        }
    }
    T(ts.0)
}

/// The program, version and procedure of a call, named as in JSON: a
/// learned callback number (`decode_as`) by the callback program's names.
fn write_proc(
    w: &mut impl Write,
    c: &CallRec,
    decode_as: Option<u32>,
    registry: &Registry,
) -> io::Result<()> {
    let named = decode_as.or(c.program);
    match c.program {
        Some(p) => match registry
            .program_name(p)
            .or_else(|| named.and_then(|n| registry.program_name(n)))
        {
            Some(n) => write!(w, " {n}")?,
            None => write!(w, " prog {p}")?,
        },
        None => return write!(w, " (header cut)"),
    }
    if let Some(v) = c.version {
        write!(w, " v{v}")?;
    }
    if let Some(q) = c.procedure {
        match named
            .zip(c.version)
            .and_then(|(p, v)| registry.procedure_name(p, v, q))
        {
            Some(n) => write!(w, " {n}")?,
            None => write!(w, " proc {q}")?,
        }
    }
    Ok(())
}

fn write_auth(w: &mut impl Write, a: &AuthSummary) -> io::Result<()> {
    match a {
        AuthSummary::None => Ok(()),
        AuthSummary::Sys {
            uid,
            gid,
            machine_name,
            ..
        } => {
            write!(
                w,
                " auth sys {} uid {uid} gid {gid}",
                Printable(&String::from_utf8_lossy(machine_name.as_bytes()))
            )
        }
        AuthSummary::Short { .. } => write!(w, " auth short"),
        AuthSummary::Dh { .. } => write!(w, " auth dh"),
        AuthSummary::Gss {
            gss_proc,
            seq_num,
            service,
            ..
        } => {
            write!(
                w,
                " auth rpcsec_gss proc {gss_proc} seq {seq_num} svc {service}"
            )
        }
        AuthSummary::Tls => write!(w, " auth tls"),
        AuthSummary::Other { flavor, len } => write!(w, " auth flavor {} len {len}", flavor.0),
    }
}

impl<W: Write, E: Write> Sink for TextSink<W, E> {
    fn first_frame(&mut self, ts: Timestamp) -> io::Result<()> {
        self.look.clock.first_frame(ts);
        Ok(())
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        let ex = &ev.exchange;
        let unanswered =
            ev.kind == ExchangeKind::Unmatched && self.unanswered && !ex.duplicate_reply;
        match ev.kind {
            ExchangeKind::CallSeen | ExchangeKind::Retransmitted | ExchangeKind::Unmatched
                if ev.kind != ExchangeKind::Unmatched || unanswered =>
            {
                let Some(c) = &ex.call else { return Ok(()) };
                let frame = if ev.kind == ExchangeKind::Retransmitted {
                    ev.frame
                } else {
                    c.meta.frame
                };
                self.stamp(frame, ev.ts)?;
                let color = self.look.color;
                let w = &mut self.out;
                write!(
                    w,
                    " {} {} > {} xid {:#010x} call",
                    ex.transport, ex.client, ex.server, ex.xid
                )?;
                write_proc(w, c, ex.facts.decode_as, self.bodies.registry())?;
                self.summary.clear();
                if self.bodies.call_summary(ex, &mut self.summary) {
                    w.write_all(self.summary.as_bytes())?;
                }
                if let Some(a) = &c.auth {
                    write_auth(w, a)?;
                }
                write!(w, " {} bytes", c.meta.bytes)?;
                if ev.kind == ExchangeKind::Retransmitted {
                    write!(w, " ")?;
                    paint(
                        w,
                        color,
                        ANOMALY,
                        format_args!(
                            "(retransmission #{} of frame {})",
                            ex.retransmit_frames.count, c.meta.frame
                        ),
                    )?;
                }
                if c.meta.truncated || c.meta.gap {
                    write!(w, " ")?;
                    paint(w, color, ANOMALY, "[truncated]")?;
                }
                if unanswered {
                    write!(w, " ")?;
                    paint(w, color, UNANSWERED, "(no reply)")?;
                }
                writeln!(w)?;
                if self.verbose {
                    self.summary.clear();
                    self.bodies.tree(ex, false, &mut self.summary);
                    w.write_all(self.summary.as_bytes())?;
                }
                Ok(())
            }
            ExchangeKind::Complete | ExchangeKind::Orphan => {
                let Some(r) = &ex.reply else { return Ok(()) };
                self.stamp(r.meta.frame, r.meta.ts)?;
                let color = self.look.color;
                let slow_ns = self.look.slow_ns;
                let w = &mut self.out;
                write!(
                    w,
                    " {} {} > {} xid {:#010x} reply",
                    ex.transport, ex.server, ex.client, ex.xid
                )?;
                if let Some(c) = &ex.call {
                    write_proc(w, c, ex.facts.decode_as, self.bodies.registry())?;
                }
                self.summary.clear();
                if self.bodies.reply_summary(ex, &mut self.summary) {
                    let failed = color && body_failed(self.bodies.registry(), ex);
                    // The summary starts with a space, then the status.
                    match self.summary.strip_prefix(' ') {
                        Some(rest) if failed => {
                            let (status, tail) =
                                rest.split_at(rest.find(' ').unwrap_or(rest.len()));
                            write!(w, " ")?;
                            paint(w, true, FAIL, status)?;
                            w.write_all(tail.as_bytes())?;
                        }
                        _ => w.write_all(self.summary.as_bytes())?,
                    }
                }
                let st = status_fields(&r.status);
                let ok = st.accept_stat == Some("success");
                let mut status = String::new();
                status.push_str(st.reply_stat.unwrap_or("(status cut)"));
                if let Some(s) = st.accept_stat.or(st.reject_stat) {
                    status.push(' ');
                    status.push_str(s);
                }
                if let Some(a) = st.auth_stat {
                    match a.0.name() {
                        Some(n) => {
                            status.push(' ');
                            status.push_str(n);
                        }
                        None => status.push_str(&format!(" auth_stat {}", a.0 .0)),
                    }
                }
                if let Some(m) = st.mismatch {
                    status.push_str(&format!(" low {} high {}", m.low, m.high));
                }
                write!(w, " ")?;
                paint(w, color && !ok, FAIL, &status)?;
                write!(w, " {} bytes", r.meta.bytes)?;
                match ex.latency_ns() {
                    Some(ns) if !ex.duplicate_reply => {
                        let slow = slow_ns.is_some_and(|s| ns >= s);
                        write!(w, " ")?;
                        paint(
                            w,
                            color && slow,
                            SLOW,
                            format_args!("{:.3} ms", ns as f64 / 1e6),
                        )?;
                    }
                    _ => {}
                }
                if ex.duplicate_reply {
                    write!(w, " ")?;
                    paint(w, color, ANOMALY, "(duplicate reply)")?;
                } else if ex.call.is_none() {
                    write!(w, " ")?;
                    paint(w, color, ANOMALY, "(no call seen)")?;
                }
                if r.meta.truncated || r.meta.gap {
                    write!(w, " ")?;
                    paint(w, color, ANOMALY, "[truncated]")?;
                }
                writeln!(w)?;
                if self.verbose {
                    self.summary.clear();
                    self.bodies.tree(ex, true, &mut self.summary);
                    w.write_all(self.summary.as_bytes())?;
                }
                Ok(())
            }
            ExchangeKind::CallSeen | ExchangeKind::Retransmitted | ExchangeKind::Unmatched => {
                Ok(())
            }
        }
    }

    fn capture_counts(&mut self, c: &CaptureCounts) -> io::Result<()> {
        self.counts = Some(*c);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        self.out.flush()?;
        write_summary(&mut self.summary_out, s, self.counts.as_ref())
    }
}

/// The widest summary line: longer ones wrap, each line starting with
/// `rpcscope: ` (so each still reads alone and greps alike).
pub const SUMMARY_WIDTH: usize = 100;

/// `1 call`, `2 calls`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Writes `head` then `items` joined by `sep`, wrapped at
/// [`SUMMARY_WIDTH`] columns, each line starting with `rpcscope: `.
fn wrapped(e: &mut impl Write, head: &str, items: &[String], sep: &str) -> io::Result<()> {
    const PREFIX: &str = "rpcscope: ";
    let mut line = format!("{PREFIX}{head}");
    for (i, item) in items.iter().enumerate() {
        let last = i + 1 == items.len();
        let piece = if last {
            item.clone()
        } else {
            format!("{item}{}", sep.trim_end())
        };
        if line.len() + 1 + piece.len() > SUMMARY_WIDTH && line.len() > PREFIX.len() + head.len() {
            writeln!(e, "{line}")?;
            line = format!("{PREFIX}{piece}");
        } else {
            line.push(' ');
            line.push_str(&piece);
        }
    }
    writeln!(e, "{line}")
}

/// The text summary lines (stderr): totals (singular or plural, files
/// that could not be read counted as in JSON's `files_failed`), kernel
/// counts of a live capture, anomalies; no line wider than
/// [`SUMMARY_WIDTH`] unless one item alone is.
pub fn write_summary(
    e: &mut impl Write,
    s: &Summary,
    counts: Option<&CaptureCounts>,
) -> io::Result<()> {
    let t = &s.track;
    let mut head = format!(
        "{} in {}",
        count(s.frames, "frame", "frames"),
        count(s.files, "file", "files")
    );
    if s.files_failed > 0 {
        head.push_str(&format!(" ({} could not be read)", s.files_failed));
    }
    head.push(':');
    let items = [
        count(t.calls, "call", "calls"),
        count(t.replies, "reply", "replies"),
        count(t.exchanges, "exchange", "exchanges"),
        count(t.unmatched_calls, "unanswered call", "unanswered calls"),
        count(
            t.orphan_replies,
            "reply without call",
            "replies without call",
        ),
        count(t.retransmissions, "retransmission", "retransmissions"),
        count(t.duplicate_replies, "duplicate reply", "duplicate replies"),
    ];
    wrapped(e, &head, &items, ", ")?;
    if let Some(c) = counts {
        writeln!(
            e,
            "rpcscope: capture: {} received by filter, {} dropped by kernel, {} dropped by interface",
            count(c.received, "packet", "packets"),
            c.dropped,
            c.if_dropped
        )?;
    }
    if s.anomalies.total() > 0 {
        let items: Vec<String> = s
            .anomalies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        wrapped(e, "anomalies:", &items, " ")?;
    }
    e.flush()
}

/// A string from the capture, shown with control characters escaped
/// (`\u{1b}`), so a hostile capture cannot move the cursor, retitle the
/// terminal or hide lines (terminal escape injection), as tcpdump escapes
/// what it prints.
struct Printable<'a>(&'a str);

impl std::fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod printable_tests {
    use super::Printable;

    #[test]
    fn control_characters_from_captures_are_escaped() {
        // ESC ] 0 ; title BEL (retitle), CR (overwrite the line), DEL.
        let hostile = "host\u{1b}]0;pwned\u{7}\r\u{7f}é";
        assert_eq!(
            Printable(hostile).to_string(),
            "host\\u{1b}]0;pwned\\u{7}\\u{d}\\u{7f}é"
        );
        assert_eq!(Printable("nfs-client-01").to_string(), "nfs-client-01");
    }
}
