//! Text output: one line per RPC message, like tcpdump.
//!
//! ```text
//! 10:21:04.123456 tcp 10.0.0.1:800 > 10.0.0.2:2049 xid 0x1a2b3c4d call nfs v3 GETATTR auth sys uid 0 gid 0
//! 10:21:04.123700 tcp 10.0.0.2:2049 > 10.0.0.1:800 xid 0x1a2b3c4d reply nfs v3 GETATTR accepted success 0.244 ms
//! ```
//! Times are UTC time of day. The summary goes to a second writer (stderr).
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

use super::bodies::BodyView;
use super::schema::status_fields;
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
        }
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
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        let ex = &ev.exchange;
        let w = &mut self.out;
        let unanswered =
            ev.kind == ExchangeKind::Unmatched && self.unanswered && !ex.duplicate_reply;
        match ev.kind {
            ExchangeKind::CallSeen | ExchangeKind::Retransmitted | ExchangeKind::Unmatched
                if ev.kind != ExchangeKind::Unmatched || unanswered =>
            {
                let Some(c) = &ex.call else { return Ok(()) };
                write!(
                    w,
                    "{} {} {} > {} xid {:#010x} call",
                    time_of_day(ev.ts),
                    ex.transport,
                    ex.client,
                    ex.server,
                    ex.xid
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
                    write!(
                        w,
                        " (retransmission #{} of frame {})",
                        ex.retransmit_frames.count, c.meta.frame
                    )?;
                }
                if c.meta.truncated || c.meta.gap {
                    write!(w, " [truncated]")?;
                }
                if unanswered {
                    write!(w, " (no reply)")?;
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
                write!(
                    w,
                    "{} {} {} > {} xid {:#010x} reply",
                    time_of_day(r.meta.ts),
                    ex.transport,
                    ex.server,
                    ex.client,
                    ex.xid
                )?;
                if let Some(c) = &ex.call {
                    write_proc(w, c, ex.facts.decode_as, self.bodies.registry())?;
                }
                self.summary.clear();
                if self.bodies.reply_summary(ex, &mut self.summary) {
                    w.write_all(self.summary.as_bytes())?;
                }
                let st = status_fields(&r.status);
                write!(w, " {}", st.reply_stat.unwrap_or("(status cut)"))?;
                if let Some(s) = st.accept_stat.or(st.reject_stat) {
                    write!(w, " {s}")?;
                }
                if let Some(a) = st.auth_stat {
                    match a.0.name() {
                        Some(n) => write!(w, " {n}")?,
                        None => write!(w, " auth_stat {}", a.0 .0)?,
                    }
                }
                if let Some(m) = st.mismatch {
                    write!(w, " low {} high {}", m.low, m.high)?;
                }
                write!(w, " {} bytes", r.meta.bytes)?;
                match ex.latency_ns() {
                    Some(ns) if !ex.duplicate_reply => write!(w, " {:.3} ms", ns as f64 / 1e6)?,
                    _ => {}
                }
                if ex.duplicate_reply {
                    write!(w, " (duplicate reply)")?;
                } else if ex.call.is_none() {
                    write!(w, " (no call seen)")?;
                }
                if r.meta.truncated || r.meta.gap {
                    write!(w, " [truncated]")?;
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

/// The text summary lines (stderr): totals, kernel counts of a live
/// capture, anomalies.
pub fn write_summary(
    e: &mut impl Write,
    s: &Summary,
    counts: Option<&CaptureCounts>,
) -> io::Result<()> {
    let t = &s.track;
    writeln!(
        e,
        "rpcscope: {} frames in {} file(s): {} calls, {} replies, {} exchanges, {} unanswered calls, {} replies without call, {} retransmissions, {} duplicate replies",
        s.frames, s.files, t.calls, t.replies, t.exchanges, t.unmatched_calls, t.orphan_replies, t.retransmissions, t.duplicate_replies
    )?;
    if let Some(c) = counts {
        writeln!(
            e,
            "rpcscope: capture: {} packets received by filter, {} dropped by kernel, {} dropped by interface",
            c.received, c.dropped, c.if_dropped
        )?;
    }
    if s.anomalies.total() > 0 {
        write!(e, "rpcscope: anomalies:")?;
        for (k, v) in s.anomalies.iter() {
            write!(e, " {k}={v}")?;
        }
        writeln!(e)?;
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
