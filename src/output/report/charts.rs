//! The report's charts, drawn by `plotters` into SVG text (its SVG backend
//! only: no fonts are read, text is left to the browser). Each function
//! returns one `<svg>` element, or `None` when there is nothing to draw,
//! so the page never shows an empty chart.
//!
//! Contract: pure functions of the numbers they are given (no I/O); a
//! drawing error (which the SVG backend does not produce on finite input)
//! gives `None`, never a panic.

use plotters::prelude::*;

use crate::stats::latency::{log_bucket, log_bucket_label, LOG_BUCKETS, LOG_BUCKET_BOUNDS_US};

/// Chart size in CSS pixels: two side by side fit a laptop screen.
const W: u32 = 560;
const H: u32 = 260;
const FONT: &str = "sans-serif";
const BAR: RGBColor = RGBColor(0x4e, 0x79, 0xa7);
const P50: RGBColor = RGBColor(0x59, 0xa1, 0x4f);
const P90: RGBColor = RGBColor(0xed, 0xc9, 0x48);
const P99: RGBColor = RGBColor(0xe1, 0x57, 0x59);

/// Where latency `us` falls on a histogram's x axis: its bucket's index
/// plus the log position inside the bucket.
fn bucket_x(us: f64) -> f64 {
    let ns = (us * 1e3).max(0.0) as u64;
    let i = log_bucket(ns);
    let lo = if i == 0 {
        0.0
    } else {
        LOG_BUCKET_BOUNDS_US[i - 1] as f64
    };
    let hi = LOG_BUCKET_BOUNDS_US.get(i).map_or(lo * 2.0, |&b| b as f64);
    // Inside the bucket: [0, 1), so the bucket stays the one shown.
    let frac = if i == 0 {
        us / hi.max(1.0)
    } else if us <= lo {
        0.0
    } else {
        (us / lo).ln() / (hi / lo).ln()
    };
    let frac = frac.clamp(0.0, 0.999);
    i as f64 + frac
}

/// A latency histogram on the log buckets (from the first to the last
/// bucket used), with vertical lines at p50, p90 and p99 (microseconds).
pub fn histogram(buckets: &[u64; LOG_BUCKETS], p50: f64, p90: f64, p99: f64) -> Option<String> {
    let first = buckets.iter().position(|&c| c > 0)?;
    let last = buckets.iter().rposition(|&c| c > 0)?;
    let max = *buckets.iter().max()?;
    let (x0, x1) = (first as f64, last as f64 + 1.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x1, 0f64..max as f64 * 1.15)
            .ok()?;
        let label = |x: &f64| {
            let i = x.round() as usize;
            if (x - x.round()).abs() < 1e-9 && i < LOG_BUCKETS {
                log_bucket_label(i)
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(last - first + 2)
            .x_label_formatter(&label)
            .y_label_formatter(&|y: &f64| fmt_num(*y))
            .y_desc("exchanges")
            .label_style((FONT, 13))
            .draw()
            .ok()?;
        chart
            .draw_series((first..=last).map(|i| {
                let x = i as f64;
                Rectangle::new(
                    [(x + 0.06, 0.0), (x + 0.94, buckets[i] as f64)],
                    BAR.filled(),
                )
            }))
            .ok()?;
        for (name, us, color) in [("p50", p50, P50), ("p90", p90, P90), ("p99", p99, P99)] {
            let x = bucket_x(us).clamp(x0, x1);
            let top = max as f64 * 1.12;
            chart
                .draw_series(LineSeries::new([(x, 0.0), (x, top)], color.stroke_width(2)))
                .ok()?
                .label(format!("{name} {}", fmt_us(us)))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    Some(svg)
}

/// One line of a time chart: a name, a color and (seconds from the start,
/// value) points.
pub struct Line<'a> {
    pub name: &'a str,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
}

/// The colors of time chart lines.
pub const LINE_COLORS: [RGBColor; 4] = [P50, P99, BAR, P90];

/// Lines over time: x in seconds from the capture's start, y labelled
/// `y_desc`; a log y axis when `log_y` (latencies span decades).
pub fn time_lines(lines: &[Line<'_>], y_desc: &str, log_y: bool) -> Option<String> {
    let pts = || lines.iter().flat_map(|l| l.points.iter());
    pts().next()?;
    let xmax = pts().map(|p| p.0).fold(0f64, f64::max).max(1.0);
    let ymax = pts().map(|p| p.1).fold(0f64, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut b = ChartBuilder::on(&root);
        b.margin(8).x_label_area_size(30).y_label_area_size(56);
        let x_fmt = |x: &f64| fmt_secs(*x);
        macro_rules! draw {
            ($chart:expr, $y_fmt:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc("time since start")
                    .y_desc(y_desc)
                    .x_label_formatter(&x_fmt)
                    .y_label_formatter(&$y_fmt)
                    .label_style((FONT, 13))
                    .draw()
                    .ok()?;
                for l in lines {
                    let c = l.color;
                    chart
                        .draw_series(LineSeries::new(l.points.iter().copied(), c.stroke_width(2)))
                        .ok()?
                        .label(l.name)
                        .legend(move |(x, y)| {
                            PathElement::new([(x, y), (x + 14, y)], c.stroke_width(2))
                        });
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.3))
                    .label_font((FONT, 13))
                    .position(SeriesLabelPosition::UpperLeft)
                    .draw()
                    .ok()?;
            }};
        }
        if log_y {
            let ymin = pts()
                .map(|p| p.1)
                .filter(|v| *v > 0.0)
                .fold(f64::MAX, f64::min);
            let (lo, hi) = (ymin.min(ymax) / 2.0, ymax * 2.0);
            let chart = b
                .build_cartesian_2d(0f64..xmax, (lo.max(0.1)..hi.max(1.0)).log_scale())
                .ok()?;
            draw!(chart, |y: &f64| fmt_us(*y));
        } else {
            let chart = b
                .build_cartesian_2d(0f64..xmax, 0f64..(ymax * 1.1).max(1.0))
                .ok()?;
            draw!(chart, |y: &f64| fmt_num(*y));
        }
        root.present().ok()?;
    }
    Some(svg)
}

/// `850us`, `12.5ms`, `1.20s`.
pub fn fmt_us(us: f64) -> String {
    if us >= 1e6 {
        format!("{:.2}s", us / 1e6)
    } else if us >= 1e3 {
        let ms = format!("{:.3}", us / 1e3);
        format!("{}ms", ms.trim_end_matches('0').trim_end_matches('.'))
    } else {
        format!("{us:.0}us")
    }
}

fn fmt_num(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn fmt_secs(s: f64) -> String {
    if s >= 3600.0 {
        format!("{:.1}h", s / 3600.0)
    } else if s >= 60.0 {
        format!("{:.1}m", s / 60.0)
    } else {
        format!("{s:.0}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_draws_one_bar_per_used_bucket_and_three_markers() {
        let mut b = [0u64; LOG_BUCKETS];
        b[log_bucket(150_000)] = 10; // 150 us: bucket [100us, 200us)
        b[log_bucket(3_000_000)] = 2; // 3 ms
        let svg = histogram(&b, 150.0, 3000.0, 3000.0).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..50]);
        // Bars: buckets 100us..5ms are drawn (5 of them), two non-empty.
        let bars = svg.matches("<rect").count();
        assert!(bars >= 5, "{bars} rects");
        for p in ["\np50 150us\n", "\np90 3ms\n", "\np99 3ms\n"] {
            assert!(svg.contains(p), "{p} missing");
        }
        assert!(svg.contains("\n100us\n") && svg.contains("\n2ms\n"));
        assert!(histogram(&[0; LOG_BUCKETS], 0.0, 0.0, 0.0).is_none());
    }

    #[test]
    fn bucket_positions_are_monotonic_and_inside_their_bucket() {
        let mut prev = -1.0;
        for us in [0.1, 0.9, 1.0, 1.5, 99.0, 100.0, 150.0, 199.9, 1e6, 2e8] {
            let x = bucket_x(us);
            assert!(x >= prev, "{us}: {x} < {prev}");
            assert_eq!(
                x.floor() as usize,
                log_bucket((us * 1e3) as u64).min(x.floor() as usize)
            );
            prev = x;
        }
        assert!((bucket_x(100.0) - 7.0).abs() < 1e-9);
    }

    #[test]
    fn time_lines_draw_every_line_with_its_legend() {
        let lines = [
            Line {
                name: "p50",
                color: LINE_COLORS[0],
                points: vec![(0.0, 100.0), (1.0, 120.0), (2.0, 90.0)],
            },
            Line {
                name: "p99",
                color: LINE_COLORS[1],
                points: vec![(0.0, 900.0), (1.0, 2500.0), (2.0, 700.0)],
            },
        ];
        let svg = time_lines(&lines, "latency", true).unwrap();
        for color in ["#59A14F", "#E15759"] {
            let line = format!("stroke=\"{color}\" stroke-width=\"2\"");
            assert_eq!(
                svg.matches(&line).count(),
                2,
                "{color}: the line and its legend mark"
            );
        }
        assert!(svg.contains("\np50\n") && svg.contains("\np99\n"));
        assert!(time_lines(&[], "x", false).is_none());
    }

    #[test]
    fn microseconds_print_in_the_unit_that_reads() {
        assert_eq!(fmt_us(850.0), "850us");
        assert_eq!(fmt_us(12_500.0), "12.5ms");
        assert_eq!(fmt_us(3000.0), "3ms");
        assert_eq!(fmt_us(1_200_000.0), "1.20s");
    }
}
