//! The report's sections, in page order. Each writes HTML into a string;
//! numbers come from the [`Analysis`] (and the run [`Summary`]) only.

use std::fmt::Write as _;

use super::charts::{self, Line, LINE_COLORS};
use super::html::{self, esc, num, text, Cell};
use crate::output::export::civil::Utc;
use crate::output::stats::StatsRowJson;
use crate::output::CaptureCounts;
use crate::pipeline::Summary;
use crate::stats::names::{program_label, row_name};
use crate::stats::{Analysis, GroupBy, Notable, Rank, StatsKey, TopEntry, TopTable};

/// Histograms drawn (the busiest rows with replies).
const HISTOGRAMS: usize = 24;
/// Procedures with their own charts over time.
const BUSIEST: usize = 4;
/// Rows of each top table.
const TOP_ROWS: usize = 15;

fn label(a: &Analysis, k: &StatsKey) -> String {
    let reg = a.registry();
    format!(
        "{} v{} {}",
        program_label(reg, k.program),
        k.version.map_or("-".into(), |v| v.to_string()),
        row_name(reg, k)
    )
}

/// Capture span, counts of the run, top programs.
pub fn overview(out: &mut String, a: &Analysis, s: &Summary, counts: Option<&CaptureCounts>) {
    let _ = write!(
        out,
        "<h1>rpcscope report</h1><p class=\"meta\">{} &middot; rpcscope {}</p>\n\
         <nav><a href=\"#overview\">overview</a><a href=\"#procedures\">procedures</a>\
         <a href=\"#time\">over time</a><a href=\"#top\">top</a><a href=\"#slowest\">slowest</a>\
         <a href=\"#errors\">errors</a><a href=\"#anomalies\">anomalies</a></nav>\n",
        esc(&a.inputs.iter().map(|i| &**i).collect::<Vec<_>>().join(", ")),
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("<section id=\"overview\"><h2>Overview</h2><table class=\"kv\">\n");
    let time =
        |t: Option<crate::capture::Timestamp>| t.map_or("-".into(), |t| Utc::of(t).iso8601());
    let errors: u64 = a.table.iter().map(|(_, r)| r.errors_total()).sum();
    let t = &s.track;
    let mut kv: Vec<(&str, &str, String)> = vec![
        ("first", "first message", time(a.first)),
        ("last", "last message", time(a.last)),
        (
            "span_s",
            "span (s)",
            format!("{:.6}", a.span_ns() as f64 / 1e9),
        ),
        ("files", "files", s.files.to_string()),
        ("frames", "frames", s.frames.to_string()),
        ("calls", "calls (messages)", t.calls.to_string()),
        ("replies", "replies (messages)", t.replies.to_string()),
        ("exchanges", "exchanges", t.exchanges.to_string()),
        ("errors", "failed exchanges", errors.to_string()),
        (
            "unmatched_calls",
            "unanswered calls",
            t.unmatched_calls.to_string(),
        ),
        (
            "orphan_replies",
            "replies without call",
            t.orphan_replies.to_string(),
        ),
        (
            "retransmissions",
            "retransmissions",
            t.retransmissions.to_string(),
        ),
        (
            "duplicate_replies",
            "duplicate replies",
            t.duplicate_replies.to_string(),
        ),
        ("anomalies", "anomalies", s.anomalies.total().to_string()),
    ];
    if let Some(c) = counts {
        kv.push((
            "packets_received",
            "packets received (live)",
            c.received.to_string(),
        ));
        kv.push((
            "packets_dropped",
            "packets dropped by the kernel",
            c.dropped.to_string(),
        ));
    }
    for (field, name, v) in kv {
        let _ = writeln!(
            out,
            "<tr data-field=\"{field}\"><th>{name}</th><td data-v=\"{v}\">{v}</td></tr>",
            v = esc(&v)
        );
    }
    out.push_str("</table>\n<h3>Programs</h3>\n");
    let mut progs: std::collections::BTreeMap<Option<u32>, (u64, u64, u64)> = Default::default();
    for (k, r) in a.table.iter() {
        let e = progs.entry(k.program).or_default();
        e.0 += r.calls;
        e.1 += r.errors_total();
        e.2 += r.call_bytes + r.reply_bytes;
    }
    let mut progs: Vec<_> = progs.into_iter().collect();
    progs.sort_by_key(|p| std::cmp::Reverse(p.1 .0));
    html::table(
        out,
        "",
        &["program", "calls", "errors", "bytes"],
        progs.into_iter().map(|(p, (c, e, b))| {
            let name = program_label(a.registry(), p);
            (
                String::new(),
                vec![
                    text("program", &name),
                    num("calls", c),
                    num("errors", e),
                    num("bytes", b),
                ],
            )
        }),
    );
    out.push_str("</section>\n");
}

fn opt(field: &'static str, v: Option<f64>) -> Cell {
    match v {
        Some(x) => {
            let mut c = num(
                field,
                serde_json::Number::from_f64(x).map_or(x.to_string(), |n| n.to_string()),
            );
            c.text = charts::fmt_us(x);
            c
        }
        None => Cell {
            text: "-".into(),
            v: None,
            class: "",
            field,
        },
    }
}

/// The table (as `stats`), then a histogram per busy row.
pub fn procedures(out: &mut String, a: &Analysis) {
    out.push_str("<section id=\"procedures\"><h2>Procedures</h2>\n");
    let reg = a.registry();
    let rows = a.table.rows();
    let head = [
        "program",
        "vers",
        "procedure",
        "calls",
        "replies",
        "unanswered",
        "retrans",
        "errors",
        "min",
        "mean",
        "p50",
        "p90",
        "p99",
        "max",
        "call bytes",
        "reply bytes",
    ];
    out.push_str("<div class=\"wide\">");
    html::table(
        out,
        "procs",
        &head,
        rows.iter().enumerate().map(|(i, (k, r))| {
            let j = StatsRowJson::new(reg, GroupBy::Procedure, k, r);
            let l = &j.latency_us;
            let errs: Vec<String> = r.errors.iter().map(|(n, c)| format!("{n} {c}")).collect();
            let mut e = num("errors", r.errors_total());
            if !errs.is_empty() {
                e.text = format!("{} ({})", r.errors_total(), errs.join(", "));
            }
            let cells = vec![
                text("program", &program_label(reg, k.program)),
                num("version", k.version.map_or("-".into(), |v| v.to_string())),
                text("procedure", &row_name(reg, k)),
                num("calls", r.calls),
                num("replies", r.replies),
                num("unanswered", r.unanswered),
                num("retransmissions", r.retransmissions),
                e,
                opt("min", l.min),
                opt("mean", l.mean),
                opt("p50", l.p50),
                opt("p90", l.p90),
                opt("p99", l.p99),
                opt("max", l.max),
                num("call_bytes", r.call_bytes),
                num("reply_bytes", r.reply_bytes),
            ];
            (format!(" data-row=\"{i}\""), cells)
        }),
    );
    out.push_str(
        "</div><p class=\"note\">Latencies: min, mean and max exact; percentiles within 1%. \
                  The same numbers as <code>rpcscope stats --format json</code>.</p>\n",
    );
    let mut busy: Vec<_> = rows.iter().filter(|(_, r)| r.latency.count() > 0).collect();
    busy.sort_by_key(|r| std::cmp::Reverse(r.1.latency.count()));
    out.push_str("<h3>Latency histograms</h3><div class=\"grid\">\n");
    for (k, r) in busy.iter().take(HISTOGRAMS) {
        let l = &r.latency;
        let p = |q| l.percentile_us(q).unwrap_or(0.0);
        let used = l.buckets().iter().filter(|&&c| c > 0).count();
        let cap = format!("{} ({} replies)", label(a, k), l.count());
        html::figure(
            out,
            "histogram",
            &cap,
            used,
            charts::histogram(l.buckets(), p(50.0), p(90.0), p(99.0)),
        );
    }
    out.push_str("</div>\n");
    if busy.len() > HISTOGRAMS {
        let _ = writeln!(
            out,
            "<p class=\"note\">{} more rows with replies are in the table only.</p>",
            busy.len() - HISTOGRAMS
        );
    }
    out.push_str("</section>\n");
}

/// p50/p99 and call/error rates per interval: all traffic, then the
/// busiest procedures.
pub fn over_time(out: &mut String, a: &Analysis) {
    let s = &a.series;
    let w = s.width_ns() as f64 / 1e9;
    let _ = writeln!(
        out,
        "<section id=\"time\"><h2>Over time</h2><p class=\"note\">Intervals of {w} s; percentiles \
         per interval within 10%.</p>"
    );
    let Some(t0) = s.points().next().map(|(t, _)| t) else {
        out.push_str("<p class=\"note\">No exchanges.</p></section>\n");
        return;
    };
    let mut calls_by_key = vec![0u64; s.keys().len()];
    for (_, p) in s.points() {
        for (i, c) in p.by_key.iter().enumerate() {
            calls_by_key[i] += c.calls;
        }
    }
    let mut ids: Vec<usize> = (0..calls_by_key.len()).collect();
    ids.sort_by(|x, y| calls_by_key[*y].cmp(&calls_by_key[*x]));
    let mut views: Vec<(String, Option<usize>)> = vec![("all traffic".into(), None)];
    views.extend(
        ids.iter()
            .take(BUSIEST)
            .filter(|&&i| calls_by_key[i] > 0)
            .map(|&i| (label(a, &s.keys()[i]), Some(i))),
    );
    for (name, id) in views {
        let cells: Vec<(f64, &crate::stats::Cell)> = s
            .points()
            .filter_map(|(t, p)| {
                let c = match id {
                    None => Some(&p.total),
                    Some(i) => p.key(i),
                }?;
                Some(((t - t0) as f64 / 1e9, c))
            })
            .collect();
        let pct = |q: f64| -> Vec<(f64, f64)> {
            cells
                .iter()
                .filter_map(|(x, c)| c.latency.percentile_us(q).map(|v| (*x, v)))
                .collect()
        };
        let lat = [
            Line {
                name: "p50",
                color: LINE_COLORS[0],
                points: pct(50.0),
            },
            Line {
                name: "p99",
                color: LINE_COLORS[1],
                points: pct(99.0),
            },
        ];
        let rate = [
            Line {
                name: "calls/s",
                color: LINE_COLORS[2],
                points: cells
                    .iter()
                    .map(|(x, c)| (*x, c.calls as f64 / w))
                    .collect(),
            },
            Line {
                name: "errors/s",
                color: LINE_COLORS[1],
                points: cells
                    .iter()
                    .map(|(x, c)| (*x, c.errors as f64 / w))
                    .collect(),
            },
        ];
        let _ = writeln!(out, "<h3>{}</h3><div class=\"grid\">", esc(&name));
        let n = lat[0].points.len();
        html::figure(
            out,
            "latency-time",
            &format!("{name}: latency p50, p99"),
            n,
            charts::time_lines(&lat, "latency", true),
        );
        html::figure(
            out,
            "rate-time",
            &format!("{name}: calls and errors per second"),
            cells.len(),
            charts::time_lines(&rate, "per second", false),
        );
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

fn top_table<K: Eq + std::hash::Hash + Clone + Ord + crate::stats::top::Weigh>(
    out: &mut String,
    what: &str,
    t: &TopTable<K>,
    name: impl Fn(&K) -> String,
) {
    let _ = writeln!(out, "<h3>{}</h3><div class=\"grid\">", esc(what));
    for (rank, by) in [
        (Rank::Calls, "by calls"),
        (Rank::Bytes, "by bytes"),
        (Rank::TotalTime, "by total time"),
    ] {
        let _ = write!(out, "<div><b>{by}</b>");
        let row = |k: &K, e: &TopEntry| {
            let mut tt = num("total_ms", format!("{:.3}", e.total_ns as f64 / 1e6));
            tt.text = format!("{:.1} ms", e.total_ns as f64 / 1e6);
            let n = name(k);
            let mut c = text("name", &n);
            c.class = "path";
            (
                String::new(),
                vec![
                    c,
                    num("calls", e.calls),
                    num("errors", e.errors),
                    num("bytes", e.bytes()),
                    tt,
                ],
            )
        };
        html::table(
            out,
            "top",
            &["name", "calls", "errors", "bytes", "time"],
            t.top(rank, TOP_ROWS).into_iter().map(|(k, e)| row(k, e)),
        );
        out.push_str("</div>");
    }
    out.push_str("</div>\n");
    if t.other.calls > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">{} calls of names past the table's bound are counted together.</p>",
            t.other.calls
        );
    }
}

/// Top clients, servers and files by calls, bytes and total time.
pub fn top(out: &mut String, a: &Analysis) {
    out.push_str("<section id=\"top\"><h2>Top clients, servers and files</h2>\n");
    top_table(out, "Clients", &a.clients, |k| k.to_string());
    top_table(out, "Servers", &a.servers, |k| k.to_string());
    top_table(
        out,
        "Files (path, or fh:hash where the path is unknown)",
        &a.files,
        |k| k.to_string(),
    );
    out.push_str("</section>\n");
}

fn notable_rows<'n>(
    a: &'n Analysis,
    list: impl IntoIterator<Item = &'n Notable>,
) -> Vec<(String, Vec<Cell>)> {
    list.into_iter()
        .map(|n| {
            let frame = |f: Option<u64>| f.map_or("-".into(), |f| f.to_string());
            let mut lat = match n.latency_ns {
                Some(ns) => num("latency_us", ns as f64 / 1e3),
                None => text("latency_us", "-"),
            };
            if let Some(ns) = n.latency_ns {
                lat.text = charts::fmt_us(ns as f64 / 1e3);
            }
            let mut path = text("path", n.path.as_deref().unwrap_or(""));
            path.class = "path";
            let cells = vec![
                text("file", &short_name(&n.file)),
                num("call_frame", frame(n.call_frame)),
                num("reply_frame", frame(n.reply_frame)),
                text("time", &Utc::of(n.time).iso8601()),
                text("client", &n.client.to_string()),
                text("server", &n.server.to_string()),
                num("xid", format!("0x{:08x}", n.xid)),
                text("procedure", &label(a, &n.key)),
                lat,
                text("status", n.status.as_deref().unwrap_or("")),
                path,
            ];
            (String::new(), cells)
        })
        .collect()
}

const NOTABLE_HEAD: [&str; 11] = [
    "file",
    "call frame",
    "reply frame",
    "time (UTC)",
    "client",
    "server",
    "xid",
    "procedure",
    "latency",
    "status",
    "file path",
];

/// The slowest exchanges and the failed ones, with frame numbers.
pub fn notable(out: &mut String, a: &Analysis) {
    out.push_str("<section id=\"slowest\"><h2>Slowest exchanges</h2>\n");
    html::table(
        out,
        "slowest",
        &NOTABLE_HEAD,
        notable_rows(a, a.slowest.sorted()),
    );
    out.push_str("</section>\n<section id=\"errors\"><h2>Errors</h2>\n");
    let _ = writeln!(
        out,
        "<p data-field=\"error_total\" data-v=\"{}\">{} failed exchanges (RPC-level or program status), in capture order.</p>",
        a.errors.total(),
        a.errors.total()
    );
    html::table(
        out,
        "errors",
        &NOTABLE_HEAD,
        notable_rows(a, a.errors.listed.iter()),
    );
    if a.errors.not_listed > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">{} more not listed (the JSON Lines output has them all).</p>",
            a.errors.not_listed
        );
    }
    out.push_str("</section>\n");
}

/// What could not be decoded, by kind (names as in docs/json.md).
pub fn anomalies(out: &mut String, s: &Summary) {
    out.push_str("<section id=\"anomalies\"><h2>Anomalies</h2>\n");
    if s.anomalies.total() == 0 {
        out.push_str("<p class=\"note\">None.</p>\n");
    } else {
        html::table(
            out,
            "anomalies",
            &["kind", "count"],
            s.anomalies
                .iter()
                .map(|(k, n)| (String::new(), vec![text("kind", k), num("count", n)])),
        );
    }
    out.push_str("</section>\n");
}

/// The `stats --format json` array, embedded for tools and the test.
pub fn stats_json(out: &mut String, a: &Analysis) {
    let mut j = Vec::new();
    let _ = crate::output::stats::write_json(&a.table, &mut j);
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"stats-json\">{}</script>",
        html::script_json(String::from_utf8_lossy(&j).trim_end())
    );
}

/// The base name of an input, for a narrow column; of a merged input
/// (`dir/a.pcap+dir/b.pcap`), the base name of each file.
fn short_name(file: &str) -> String {
    file.split(crate::output::MERGED_NAME_SEPARATOR)
        .map(|part| part.rsplit('/').next().unwrap_or(part))
        .collect::<Vec<_>>()
        .join(crate::output::MERGED_NAME_SEPARATOR)
}
