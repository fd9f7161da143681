//! `call`'s output: each reply's results decoded through the procedure's
//! `.x` result type and printed as `rpcscope read` prints bodies (a
//! one-line summary, the `-V` detail tree, the JSON of docs/json.md), or
//! as hex (`--raw`, and for programs without a definition); then the
//! summary of the run.
//!
//! Text: `xid=0x00001000 status=success latency_ms=0.123 SUMMARY`, the
//! detail tree indented below it when asked for; `status=no_reply
//! error="..."` without a latency when no reply came. JSON Lines: one
//! `{"type":"call", ...}` object per call and a `{"type":"summary", ...}`
//! object (docs/server.md lists the members).
//!
//! Contract: only writes to the given output; results are walked within
//! the body limits of [`Limits`], so a hostile server's reply cannot make
//! the output unbounded.

use std::io::{self, Write};
use std::time::Duration;

use crate::limits::Limits;
use crate::output::jsonw::{self, ObjectWriter};
use crate::programs::json::{body_to_json, JsonOptions};
use crate::programs::registry::VersionEntry;
use crate::programs::schema::{Schema, TypeId};
use crate::programs::walk::{walk, BodyBytes, BodyError, Event, Flow, Visitor, WalkLimits};

/// How results are shown.
#[derive(Debug, Clone)]
pub struct View {
    /// The procedure's program version and result type; `None` prints hex.
    def: Option<(VersionEntry, TypeId)>,
    walk: WalkLimits,
    opaque_inline_max: usize,
    string_max: usize,
    /// Bulk data with its bytes (`--data hex`).
    data_hex: bool,
    /// The detail tree under each text line.
    detail: bool,
}

/// Bytes of results shown as hex on a text line before they are cut.
const HEX_SHOWN: usize = 64;

impl View {
    /// A view decoding with `def` (none: hex), within `limits`.
    pub fn new(
        def: Option<(VersionEntry, TypeId)>,
        limits: &Limits,
        data_hex: bool,
        detail: bool,
    ) -> Self {
        View {
            def,
            walk: WalkLimits::from(limits),
            opaque_inline_max: limits.body_opaque_inline,
            string_max: limits.body_string_max,
            data_hex,
            detail,
        }
    }

    /// Appends the results of a SUCCESS reply to a text line: the summary
    /// (each item after a space) and, with `detail`, the tree on the lines
    /// below; hex when there is no definition or they do not decode.
    pub fn text(&self, results: &[u8], out: &mut String) {
        let Some((entry, ty)) = &self.def else {
            out.push_str(" results=");
            out.push_str(&hex_prefix(results, HEX_SHOWN));
            return;
        };
        let (schema, roles) = (entry.schema(), entry.roles());
        let types = std::slice::from_ref(ty);
        let body = BodyBytes::whole(results);
        if let Err(e) = check(schema, types, &body, &self.walk) {
            out.push_str(" results=");
            out.push_str(&hex_prefix(results, HEX_SHOWN));
            out.push_str(&format!(
                " [does not decode: {} at byte {}]",
                e.kind.name(),
                e.offset
            ));
            return;
        }
        let summarize = |out: &mut String| {
            crate::programs::summary::summarize(schema, roles, types, &body, &self.walk, out)
        };
        if !self.detail {
            summarize(out);
            return;
        }
        let mut tree = String::new();
        crate::programs::tree::write_tree(schema, roles, types, &body, &self.walk, 4, &mut tree);
        let tree = tree.trim_end_matches('\n');
        match tree.trim_start() {
            // One value without a label (a number, a string, opaque data):
            // the detail fits the line.
            one if !one.is_empty() && !tree.contains('\n') && !labelled(one) => {
                out.push(' ');
                out.push_str(one);
            }
            _ => {
                summarize(out);
                if !tree.is_empty() {
                    out.push('\n');
                    out.push_str(tree);
                }
            }
        }
    }

    /// Writes the members of a call object that describe its results:
    /// `"result"` (JSON, `null` for none) and, when they were not decoded
    /// whole, `"results_hex"` and `"result_error"`.
    pub fn json(&self, results: &[u8], w: &mut ObjectWriter<'_>) {
        let Some((entry, ty)) = &self.def else {
            w.null("result");
            w.str("results_hex", &hex(results));
            return;
        };
        let opts = JsonOptions {
            roles: entry.roles(),
            data_hex: self.data_hex,
            opaque_inline_max: self.opaque_inline_max,
            string_max: self.string_max,
        };
        let mut text = Vec::new();
        let types = std::slice::from_ref(ty);
        let err = body_to_json(
            entry.schema(),
            types,
            &BodyBytes::whole(results),
            &opts,
            &self.walk,
            &mut text,
        );
        w.opt_raw("result", (!text.is_empty()).then_some(&text[..]));
        if let Some(e) = err {
            w.str("results_hex", &hex(results));
            let o = w.key("result_error");
            let mut eo = ObjectWriter::new(o);
            eo.u64("offset", e.offset);
            eo.str("kind", e.kind.name());
            eo.end();
        }
    }
}

/// True when a tree line starts with a label: `name: `, `name:` or `[i]: `.
fn labelled(line: &str) -> bool {
    let label = match line.split_once(':') {
        Some((l, rest)) if rest.is_empty() || rest.starts_with(' ') => l,
        _ => return false,
    };
    let ident = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let index = |s: &str| {
        s.strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    };
    ident(label) || index(label)
}

/// A visitor that only lets the walk check the bytes.
struct Check;

impl Visitor for Check {
    fn event(&mut self, _: &Schema, _: Event<'_, '_>) -> Flow {
        Flow::Continue
    }
}

/// Whether `body` decodes whole as `types`.
fn check(
    schema: &Schema,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
) -> Result<(), BodyError> {
    walk(schema, types, body, limits, &mut Check).map(|_| ())
}

/// Lowercase hex of `b`.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Hex of the first `max` bytes, then `...(N bytes)` when cut.
pub fn hex_prefix(b: &[u8], max: usize) -> String {
    let mut s = hex(&b[..b.len().min(max)]);
    if b.len() > max {
        s.push_str(&format!("...({} bytes)", b.len()));
    }
    s
}

/// The figures of a finished run.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub replied: u64,
    pub no_reply: u64,
    pub elapsed: Duration,
    /// Latencies of the replied calls, sorted.
    pub latencies: Vec<Duration>,
    /// Reply statuses and `no_reply`, in order of first appearance.
    pub statuses: Vec<(String, u64)>,
}

impl Totals {
    /// Counts one outcome.
    pub fn count(&mut self, status: &str, latency: Option<Duration>) {
        match self.statuses.iter_mut().find(|(s, _)| s == status) {
            Some((_, n)) => *n += 1,
            None => self.statuses.push((status.to_string(), 1)),
        }
        match latency {
            Some(l) => {
                self.replied += 1;
                self.latencies.push(l);
            }
            None => self.no_reply += 1,
        }
    }

    /// The exact `p` quantile (0 < p <= 1) of the sorted latencies;
    /// `None` without replies.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        let n = self.latencies.len();
        if n == 0 {
            return None;
        }
        let i = ((n as f64 * p).ceil() as usize).clamp(1, n) - 1;
        Some(self.latencies[i])
    }

    /// [`Totals::percentile`] in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        self.percentile(p).map(|d| d.as_secs_f64() * 1e3)
    }

    fn calls_per_s(&self) -> f64 {
        (self.replied + self.no_reply) as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// `summary: ...` and `statuses: ...` lines; no latency figures when
    /// nothing replied.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        write!(
            out,
            "summary: calls={} replied={} no_reply={} elapsed_s={:.3} calls_per_s={:.1}",
            self.replied + self.no_reply,
            self.replied,
            self.no_reply,
            self.elapsed.as_secs_f64(),
            self.calls_per_s(),
        )?;
        if let (Some(p50), Some(p90), Some(p99), Some(max)) = (
            self.percentile_ms(0.50),
            self.percentile_ms(0.90),
            self.percentile_ms(0.99),
            self.percentile_ms(1.0),
        ) {
            write!(
                out,
                " latency_ms p50={p50:.3} p90={p90:.3} p99={p99:.3} max={max:.3}"
            )?;
        }
        writeln!(out)?;
        write!(out, "statuses:")?;
        for (s, n) in &self.statuses {
            write!(out, " {s}={n}")?;
        }
        writeln!(out)
    }

    /// The `{"type":"summary", ...}` object; `"latency_ms": null` when
    /// nothing replied.
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut buf = Vec::new();
        let mut w = ObjectWriter::new(&mut buf);
        w.str("type", "summary");
        w.u64("calls", self.replied + self.no_reply);
        w.u64("replied", self.replied);
        w.u64("no_reply", self.no_reply);
        jsonw::decimal(w.key("elapsed_s"), duration_ns(self.elapsed), 1_000_000_000);
        w.raw(
            "calls_per_s",
            format!("{:.1}", self.calls_per_s()).as_bytes(),
        );
        if self.latencies.is_empty() {
            w.null("latency_ms");
        } else {
            let mut l = ObjectWriter::new(w.key("latency_ms"));
            for (name, p) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0)] {
                let d = self.percentile(p).unwrap_or_default();
                jsonw::decimal(l.key(name), duration_ns(d), 1_000_000);
            }
            l.end();
        }
        let mut s = ObjectWriter::new(w.key("statuses"));
        for (name, n) in &self.statuses {
            s.u64(name, *n);
        }
        s.end();
        w.end();
        buf.push(b'\n');
        out.write_all(&buf)
    }
}

/// A duration in nanoseconds, saturating.
pub fn duration_ns(d: Duration) -> i64 {
    d.as_nanos().min(i64::MAX as u128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programs::registry::Registry;
    use crate::rpc::xdr::XdrWriter;

    fn view(program: u32, version: u32, procedure: u32, detail: bool) -> View {
        let r = Registry::builtin();
        let e = r.version(program, version).unwrap().clone();
        let ty = e.procedure(procedure).unwrap().result;
        View::new(Some((e, ty)), &Limits::default(), false, detail)
    }

    fn dump(entries: &[[u32; 4]]) -> Vec<u8> {
        let mut b = Vec::new();
        let mut w = XdrWriter::new(&mut b);
        for e in entries {
            w.put_bool(true);
            for &v in e {
                w.put_u32(v);
            }
        }
        w.put_bool(false);
        b
    }

    #[test]
    fn text_shows_summary_tree_or_hex() {
        let mut s = String::new();
        view(100000, 2, 3, false).text(&[0, 0, 0, 111], &mut s);
        assert_eq!(s, " 111");
        // One unlabelled value: on the line, with or without detail.
        let mut s = String::new();
        view(100000, 2, 3, true).text(&[0, 0, 0, 111], &mut s);
        assert_eq!(s, " 111");
        let echo = [0, 0, 0, 2, 0xab, 0xcd, 0, 0];
        let mut s = String::new();
        view(0x2000_0099, 1, 1, true).text(&echo, &mut s);
        assert_eq!(s, " abcd");
        let mut s = String::new();
        view(0x2000_0099, 1, 1, false).text(&echo, &mut s);
        assert_eq!(s, " <2 bytes>");
        // A labelled line stays below.
        let mut s = String::new();
        let list = [0, 0, 0, 1, 0, 0, 0, 1, b'k', 0, 0, 0];
        view(0x2000_0099, 1, 6, true).text(&list, &mut s);
        assert_eq!(s, "\n    [0]: \"k\"");
        assert!(labelled("prog: 1") && labelled("pml_map:") && labelled("[12]: x"));
        assert!(!labelled("\"a: b\"") && !labelled("12") && !labelled("[]: x") && !labelled("a:b"));
        let body = dump(&[[100000, 2, 6, 111], [100003, 3, 17, 2049]]);
        let mut s = String::new();
        view(100000, 2, 4, true).text(&body, &mut s);
        assert_eq!(
            s,
            "\n    [0]:\n      pml_map:\n        prog: 100000\n        vers: 2\n        prot: 6\n        port: 111\n    [1]:\n      pml_map:\n        prog: 100003\n        vers: 3\n        prot: 17\n        port: 2049"
        );
        // Cut short: hex and where it stops.
        let mut s = String::new();
        view(100000, 2, 4, true).text(&body[..10], &mut s);
        assert_eq!(
            s,
            " results=00000001000186a00000 [does not decode: truncated at byte 8]"
        );
        // No definition: hex, cut after 64 bytes.
        let mut s = String::new();
        View::new(None, &Limits::default(), false, true).text(&[0xab; 65], &mut s);
        assert_eq!(s, format!(" results={}...(65 bytes)", "ab".repeat(64)));
    }

    #[test]
    fn json_members_of_a_call() {
        let mut buf = Vec::new();
        let mut w = ObjectWriter::new(&mut buf);
        view(100000, 2, 4, false).json(&dump(&[[100000, 2, 6, 111]]), &mut w);
        w.end();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#"{"result":[{"pml_map":{"prog":100000,"vers":2,"prot":6,"port":111}}]}"#
        );
        let mut buf = Vec::new();
        let mut w = ObjectWriter::new(&mut buf);
        view(100000, 2, 3, false).json(&[0, 0, 0, 111, 9], &mut w);
        w.end();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#"{"result":111,"results_hex":"0000006f09","result_error":{"offset":4,"kind":"malformed"}}"#
        );
        let mut buf = Vec::new();
        let mut w = ObjectWriter::new(&mut buf);
        view(100000, 2, 0, false).json(&[], &mut w);
        w.end();
        assert_eq!(String::from_utf8(buf).unwrap(), r#"{"result":null}"#);
    }

    #[test]
    fn totals_without_replies_have_no_latency_figures() {
        let mut t = Totals {
            elapsed: Duration::from_millis(2000),
            ..Totals::default()
        };
        t.count("no_reply", None);
        let mut out = Vec::new();
        t.write_text(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "summary: calls=1 replied=0 no_reply=1 elapsed_s=2.000 calls_per_s=0.5\nstatuses: no_reply=1\n"
        );
        let mut out = Vec::new();
        t.write_json(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"type\":\"summary\",\"calls\":1,\"replied\":0,\"no_reply\":1,\"elapsed_s\":2.0,\"calls_per_s\":0.5,\"latency_ms\":null,\"statuses\":{\"no_reply\":1}}\n"
        );
        for ms in [3, 1, 2, 4] {
            t.count("success", Some(Duration::from_millis(ms)));
        }
        t.latencies.sort_unstable();
        assert_eq!(t.percentile_ms(0.5), Some(2.0));
        assert_eq!(t.percentile_ms(1.0), Some(4.0));
        let mut out = Vec::new();
        t.write_text(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("latency_ms p50=2.000 p90=4.000 p99=4.000 max=4.000"),
            "{text}"
        );
        assert!(text.ends_with("statuses: no_reply=1 success=4\n"), "{text}");
        let mut out = Vec::new();
        t.write_json(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("\"latency_ms\":{\"p50\":2.0,\"p90\":4.0,\"p99\":4.0,\"max\":4.0}"),
            "{text}"
        );
    }
}
