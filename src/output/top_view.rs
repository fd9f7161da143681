//! The `top` screen: what [`crate::app`]'s `top` loop draws once a second
//! with ratatui, from an [`Analysis`] of the sliding shape (one-second
//! intervals of capture time, the last `Limits::top_window_points` kept):
//!
//! - a header: the source, how long it has run, the capture time reached,
//!   the kernel's drops (live), and the keys;
//! - per procedure: calls per second over the last [`RATE_SECONDS`] of
//!   capture time, p50 and p99 latency over the window, calls and errors
//!   since the start;
//! - top clients and top files (path or handle hash) by calls.
//!
//! Pure drawing: the caller owns the terminal, the clock and the input.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};
use ratatui::Frame;

use crate::stats::latency::CoarseHist;
use crate::stats::names::{program_label, row_name};
use crate::stats::{Analysis, Rank, StatsKey};

/// Capture seconds the rate is averaged over.
pub const RATE_SECONDS: i64 = 5;
/// The smallest terminal the view fits.
pub const MIN_SIZE: (u16, u16) = (80, 20);

/// What the header says besides the numbers of the analysis.
pub struct Status<'a> {
    /// `lo` or the file name.
    pub source: &'a str,
    /// Wall seconds since the start.
    pub elapsed_s: f64,
    /// Kernel drops (`None` when reading a file).
    pub dropped: Option<u64>,
    /// Packets received, live.
    pub received: Option<u64>,
    /// The input has ended (replay): the view stays until `q`.
    pub ended: bool,
}

/// One procedure line of the view (also used by tests).
#[derive(Debug, Clone, PartialEq)]
pub struct ProcLine {
    pub name: String,
    pub rate: f64,
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub calls: u64,
    pub errors: u64,
}

/// The procedure lines, busiest (by rate, then calls) first.
pub fn proc_lines(a: &Analysis) -> Vec<ProcLine> {
    let s = &a.series;
    let w = s.width_ns() as i64;
    let last = s.last_start().unwrap_or(0);
    let keys = s.keys();
    let mut rate = vec![0u64; keys.len()];
    let mut hist = vec![CoarseHist::default(); keys.len()];
    for (t, p) in s.points() {
        let recent = last - t < RATE_SECONDS * w;
        for (i, c) in p.by_key.iter().enumerate() {
            if recent {
                rate[i] += c.calls;
            }
            hist[i].merge(&c.latency);
        }
    }
    let span = RATE_SECONDS.min(s.points().count() as i64).max(1) as f64 * (w as f64 / 1e9);
    let reg = a.registry();
    let by_key: std::collections::HashMap<&StatsKey, usize> =
        keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let mut v: Vec<ProcLine> = a
        .table
        .iter()
        .map(|(k, r)| {
            let i = by_key.get(k).copied();
            ProcLine {
                name: format!(
                    "{} v{} {}",
                    program_label(reg, k.program),
                    k.version.map_or("-".into(), |v| v.to_string()),
                    row_name(reg, k)
                ),
                rate: i.map_or(0.0, |i| rate[i] as f64 / span),
                p50_us: i.and_then(|i| hist[i].percentile_us(50.0)),
                p99_us: i.and_then(|i| hist[i].percentile_us(99.0)),
                calls: r.calls,
                errors: r.errors_total(),
            }
        })
        .collect();
    v.sort_by(|a, b| {
        b.rate
            .total_cmp(&a.rate)
            .then(b.calls.cmp(&a.calls))
            .then(a.name.cmp(&b.name))
    });
    v
}

fn us(v: Option<f64>) -> String {
    v.map_or("-".into(), |us| {
        if us >= 1e6 {
            format!("{:.2}s", us / 1e6)
        } else if us >= 1e3 {
            format!("{:.2}ms", us / 1e3)
        } else {
            format!("{us:.0}us")
        }
    })
}

/// Draws the whole screen.
pub fn draw(f: &mut Frame<'_>, a: &Analysis, st: &Status<'_>) {
    let area = f.area();
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(2),
            Constraint::Min(6),
            Constraint::Length(12),
        ])
        .split(area);
    header(f, rows[0], a, st);
    procedures(f, rows[1], a);
    let bottom = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(40), Constraint::Percentage(60)])
        .split(rows[2]);
    let clients: Vec<(String, u64, u64)> = a
        .clients
        .top(Rank::Calls, 10)
        .into_iter()
        .map(|(k, e)| (k.to_string(), e.calls, e.errors))
        .collect();
    top_list(f, bottom[0], "Top clients", &clients);
    let files: Vec<(String, u64, u64)> = a
        .files
        .top(Rank::Calls, 10)
        .into_iter()
        .map(|(k, e)| (k.to_string(), e.calls, e.errors))
        .collect();
    top_list(f, bottom[1], "Top files", &files);
}

fn header(f: &mut Frame<'_>, r: Rect, a: &Analysis, st: &Status<'_>) {
    let t = &a.table;
    let calls: u64 = t.iter().map(|(_, r)| r.calls).sum();
    let errors: u64 = t.iter().map(|(_, r)| r.errors_total()).sum();
    let at = a.last.map_or("-".into(), |ts| {
        crate::output::export::civil::Utc::of(ts).iso8601()
    });
    let drops = match (st.dropped, st.received) {
        (Some(d), Some(rx)) => format!("kernel drops {d} of {rx}"),
        _ => "kernel drops n/a (file)".into(),
    };
    let state = if st.ended { "  END OF INPUT" } else { "" };
    let l1 = format!(
        "rpcscope top  {}  running {:.0}s{state}   q: quit",
        st.source, st.elapsed_s
    );
    let l2 = format!("capture time {at}  calls {calls}  errors {errors}  {drops}");
    let p = Paragraph::new(vec![
        Line::styled(l1, Style::default().add_modifier(Modifier::BOLD)),
        Line::raw(l2),
    ]);
    f.render_widget(p, r);
}

fn procedures(f: &mut Frame<'_>, r: Rect, a: &Analysis) {
    let head = Row::new(["PROCEDURE", "CALLS/S", "P50", "P99", "CALLS", "ERRORS"])
        .style(Style::default().add_modifier(Modifier::REVERSED));
    let rows = proc_lines(a).into_iter().map(|l| {
        Row::new([
            l.name,
            format!("{:.1}", l.rate),
            us(l.p50_us),
            us(l.p99_us),
            l.calls.to_string(),
            l.errors.to_string(),
        ])
    });
    let widths = [
        Constraint::Length(40),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(8),
    ];
    let title = format!(
        "Procedures (rate over the last {RATE_SECONDS} s, p50/p99 over the last {} s of capture time)",
        a.series.points().count()
    );
    let t = Table::new(rows, widths)
        .header(head)
        .block(Block::default().borders(Borders::TOP).title(title));
    f.render_widget(t, r);
}

fn top_list(f: &mut Frame<'_>, r: Rect, title: &str, items: &[(String, u64, u64)]) {
    let head = Row::new(["NAME", "CALLS", "ERRORS"])
        .style(Style::default().add_modifier(Modifier::REVERSED));
    let rows = items
        .iter()
        .map(|(n, c, e)| Row::new([n.clone(), c.to_string(), e.to_string()]));
    let widths = [
        Constraint::Min(16),
        Constraint::Length(9),
        Constraint::Length(7),
    ];
    let t = Table::new(rows, widths).header(head).block(
        Block::default()
            .borders(Borders::TOP)
            .title(title.to_string()),
    );
    f.render_widget(t, r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::programs::registry::Registry;
    use crate::stats::SeriesShape;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    #[test]
    fn an_empty_view_draws_its_frame_at_the_smallest_size() {
        let a = Analysis::new(Registry::builtin(), &Limits::default(), SeriesShape::Window);
        let mut t = Terminal::new(TestBackend::new(MIN_SIZE.0, MIN_SIZE.1)).unwrap();
        let st = Status {
            source: "lo",
            elapsed_s: 3.0,
            dropped: Some(2),
            received: Some(10),
            ended: false,
        };
        t.draw(|f| draw(f, &a, &st)).unwrap();
        let text: String = t
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        for want in [
            "rpcscope top  lo  running 3s",
            "calls 0  errors 0  kernel drops 2 of 10",
            "PROCEDURE",
            "Top clients",
        ] {
            assert!(text.contains(want), "{want}");
        }
        assert!(proc_lines(&a).is_empty());
    }
}
