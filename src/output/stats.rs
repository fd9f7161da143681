//! Statistics: per program, version and procedure (optionally per client or
//! server address), calls, replies, errors by status, latency and bytes.
//!
//! [`StatsSink`] is a [`Sink`]: it aggregates exchanges as they complete and
//! prints, at [`Sink::finish`], an aligned text table (slowest first: by mean
//! latency, descending) or a JSON array (schema in `docs/json.md`,
//! [`StatsRowJson`]). The run summary goes to a second writer, as text.
//!
//! What is counted, once per exchange:
//! - a complete exchange: one call, one reply, its status, its latency (from
//!   the first transmission of the call), its bytes;
//! - an unmatched call: one call (and `unanswered`);
//! - an orphan reply: one reply, in the row of its (unknown) procedure;
//! - a duplicate reply (`duplicate_reply`): nothing, it was counted with its
//!   exchange.
//!
//! Every call message is counted exactly once, as a call or as a
//! retransmission, so `calls + retransmissions` of a row is the number of
//! call messages of that procedure (tshark's count): the first transmission
//! is the call; each repeat is a retransmission, including repeats after the
//! call was answered (a slow server: they come back as a `duplicate_reply`
//! exchange, or an unanswered one when the second reply was lost too).
//!
//! NFSv4 COMPOUNDs are split by their main operation (the key's
//! `operation`: `COMPOUND:READ`), as tshark's `nfs.main_opcode` names them.
//! With [`Stats::with_ops`] (`stats --ops`) every operation inside a
//! compound gets its own row instead: one call per operation sent, one
//! reply per operation answered (a result came back), errors by the
//! operation's own status, and the compound's latency for each operation
//! answered; an operation after the one that failed has no result and
//! counts as `unanswered`; bytes count in the row of the main operation
//! only, so the byte columns still add up to the traffic.
//!
//! Latency percentiles come from an `hdrhistogram` of microseconds with 2
//! significant digits (within 1%); min, max and mean are exact. Memory is
//! bounded by `Limits::max_stats_rows`: later keys are merged into one row
//! whose program is `null`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::IpAddr;

use hdrhistogram::Histogram;
use serde::Serialize;

use std::sync::Arc;

use super::{CaptureCounts, Sink};
use crate::event::{Event, Exchange, ExchangeKind};
use crate::filter::status_name;
use crate::pipeline::Summary;
use crate::programs::nfs4::{self, Compound, Shape};
use crate::programs::registry::Registry;

/// How rows are grouped beyond program/version/procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One row per procedure.
    #[default]
    Procedure,
    /// One row per procedure and client address.
    Client,
    /// One row per procedure and server address.
    Server,
    /// One row per procedure and file: its path, or `fh:0x...` (the
    /// handle's hash) where the path is not known.
    Path,
}

/// Output format of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFormat {
    Text,
    Json,
}

/// A row's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatsKey {
    pub program: Option<u32>,
    pub version: Option<u32>,
    pub procedure: Option<u32>,
    /// An NFSv4 COMPOUND's main operation (with `--ops`: each operation).
    pub operation: Option<u32>,
    /// The client or server address, with `--by client|server`.
    pub peer: Option<IpAddr>,
    /// The file, with `--by path`.
    pub path: Option<Arc<str>>,
}

/// Latencies of one row.
#[derive(Debug, Clone)]
pub struct Latency {
    hist: Histogram<u64>,
    count: u64,
    sum_ns: u128,
    min_ns: u64,
    max_ns: u64,
}

/// Significant digits of the latency histograms: 2 keeps percentiles within
/// 1% and a histogram of latencies up to minutes at ~20 KiB.
const HIST_SIGFIGS: u8 = 2;

impl Default for Latency {
    fn default() -> Self {
        Latency {
            hist: Histogram::new(HIST_SIGFIGS).expect("valid sigfigs"),
            count: 0,
            sum_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
        }
    }
}

impl Latency {
    /// Records one latency.
    pub fn record(&mut self, ns: u64) {
        self.count += 1;
        self.sum_ns += ns as u128;
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
        // The histogram auto-resizes, so `record` only fails on values
        // beyond its absolute range (u64::MAX / 2): clamp those.
        let us = ns.div_ceil(1000);
        if self.hist.record(us).is_err() {
            self.hist.saturating_record(us);
        }
    }
    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Exact minimum, mean and maximum in microseconds.
    pub fn min_mean_max_us(&self) -> Option<(f64, f64, f64)> {
        (self.count > 0).then(|| {
            (
                self.min_ns as f64 / 1e3,
                self.sum_ns as f64 / self.count as f64 / 1e3,
                self.max_ns as f64 / 1e3,
            )
        })
    }
    /// A percentile (0..=100) in microseconds, clamped to [min, max].
    pub fn percentile_us(&self, p: f64) -> Option<f64> {
        let (min, _, max) = self.min_mean_max_us()?;
        let v = self.hist.value_at_percentile(p) as f64;
        Some(v.clamp(min, max))
    }
}

/// The counters of one row.
#[derive(Debug, Clone, Default)]
pub struct StatsRow {
    pub calls: u64,
    pub replies: u64,
    pub unanswered: u64,
    pub retransmissions: u64,
    /// Failed exchanges by status name: non-success RPC replies
    /// (`prog_unavail`, `auth_error`...) and program statuses other than OK
    /// (`NFS3ERR_NOENT`...).
    pub errors: BTreeMap<String, u64>,
    pub latency: Latency,
    pub call_bytes: u64,
    pub reply_bytes: u64,
}

impl StatsRow {
    fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Aggregates exchanges; see the module docs.
#[derive(Debug, Clone)]
pub struct Stats {
    registry: Arc<Registry>,
    by: GroupBy,
    max_rows: usize,
    rows: crate::hash::FastMap<StatsKey, StatsRow>,
    /// One row per operation inside compounds (`--ops`).
    ops: bool,
    /// Exchanges merged into the overflow row because the table was full.
    pub overflowed: u64,
}

impl Stats {
    /// A table naming programs with the built-in registry.
    pub fn new(by: GroupBy, max_rows: usize) -> Self {
        Self::with_registry(by, max_rows, Registry::builtin())
    }

    /// A table naming programs and statuses with `registry`.
    pub fn with_registry(by: GroupBy, max_rows: usize, registry: Arc<Registry>) -> Self {
        Stats {
            registry,
            by,
            max_rows: max_rows.max(1),
            rows: crate::hash::map(),
            ops: false,
            overflowed: 0,
        }
    }

    /// Counts every operation inside NFSv4 compounds in its own row
    /// (`--ops`; see the module docs).
    pub fn with_ops(mut self, ops: bool) -> Self {
        self.ops = ops;
        self
    }

    fn row(&mut self, ex: &Exchange, operation: Option<u32>) -> &mut StatsRow {
        let c = ex.call.as_ref();
        let mut key = StatsKey {
            program: c.and_then(|c| c.program),
            version: c.and_then(|c| c.version),
            procedure: c.and_then(|c| c.procedure),
            operation,
            peer: match self.by {
                GroupBy::Procedure | GroupBy::Path => None,
                GroupBy::Client => Some(ex.client.addr),
                GroupBy::Server => Some(ex.server.addr),
            },
            path: match self.by {
                GroupBy::Path => file_key(ex),
                _ => None,
            },
        };
        if !self.rows.contains_key(&key) && self.rows.len() + 1 >= self.max_rows {
            self.overflowed += 1;
            key = StatsKey {
                program: None,
                version: None,
                procedure: None,
                operation: None,
                peer: None,
                path: None,
            };
        }
        self.rows.entry(key).or_default()
    }

    /// Counts one event (only the final ones count; see the module docs).
    pub fn add(&mut self, ev: &Event) {
        let ex = &ev.exchange;
        match ev.kind {
            ExchangeKind::CallSeen | ExchangeKind::Retransmitted => {}
            // The call was answered before and counted with its exchange:
            // only its repeats since then are new call messages.
            ExchangeKind::Complete | ExchangeKind::Unmatched | ExchangeKind::Orphan
                if ex.duplicate_reply =>
            {
                let n = u64::from(ex.retransmit_frames.count);
                if n > 0 {
                    let main = ex.facts.compound.as_ref().and_then(|c| c.main_op());
                    self.row(ex, main).retransmissions += n;
                }
            }
            ExchangeKind::Complete | ExchangeKind::Unmatched | ExchangeKind::Orphan => {
                let compound = ex.facts.compound.clone();
                if let (true, Some(c)) = (self.ops, &compound) {
                    return self.add_ops(ex, c);
                }
                let lat = ex.latency_ns();
                let registry = self.registry.clone();
                let body_error = body_error_name(&registry, ex);
                let row = self.row(ex, compound.and_then(|c| c.main_op()));
                if let Some(c) = &ex.call {
                    row.calls += 1;
                    row.call_bytes += c.meta.bytes;
                    row.retransmissions += u64::from(ex.retransmit_frames.count);
                }
                match &ex.reply {
                    Some(r) => {
                        row.replies += 1;
                        row.reply_bytes += r.meta.bytes;
                        let name = status_name(&r.status);
                        if !matches!(name, "success" | "accepted" | "unknown") {
                            count(&mut row.errors, name);
                        } else if let Some(b) = body_error {
                            count(&mut row.errors, b);
                        }
                        if let Some(ns) = lat {
                            row.latency.record(ns);
                        }
                    }
                    None => row.unanswered += 1,
                }
            }
        }
    }

    /// One exchange of a compound, operation by operation (`--ops`).
    fn add_ops(&mut self, ex: &Exchange, c: &Compound) {
        let lat = ex.latency_ns();
        let registry = self.registry.clone();
        let rpc_error = ex
            .reply
            .map(|r| status_name(&r.status))
            .filter(|n| !matches!(*n, "success" | "accepted" | "unknown"));
        let main = c.main_op();
        let mut main_done = false;
        let ops = c.ops();
        for (i, &op) in ops.iter().enumerate() {
            // The operation's result: `None` when none came back.
            let result = match (&ex.reply, &c.results) {
                (None, _) => None,
                (Some(_), Some(r)) => r.get(i).map(|&(_, st)| st),
                // A reply whose results were not decoded: answered, status
                // unknown.
                (Some(_), None) => Some(None),
            };
            let error = result.flatten().filter(|&v| v != 0).map(|v| {
                c.status
                    .and_then(|(ty, _)| op_status_name(&registry, ex, ty, v))
                    .map_or_else(|| v.to_string(), str::to_string)
            });
            let bytes = !main_done && Some(op) == main;
            main_done |= bytes;
            let row = self.row(ex, Some(op));
            if let Some(call) = &ex.call {
                row.calls += 1;
                if bytes {
                    row.call_bytes += call.meta.bytes;
                }
                if ex.is_retransmission() {
                    row.retransmissions += 1;
                }
            }
            match (&ex.reply, result) {
                (Some(r), _) if rpc_error.is_some() => {
                    row.replies += 1;
                    if bytes {
                        row.reply_bytes += r.meta.bytes;
                    }
                    count(&mut row.errors, rpc_error.unwrap_or("unknown"));
                }
                (Some(r), Some(_)) => {
                    row.replies += 1;
                    if bytes {
                        row.reply_bytes += r.meta.bytes;
                    }
                    if let Some(e) = &error {
                        count(&mut row.errors, e);
                    }
                    if let Some(ns) = lat {
                        row.latency.record(ns);
                    }
                }
                _ => row.unanswered += 1,
            }
        }
    }

    /// The rows, slowest first (mean latency descending; rows without
    /// latency last, by key).
    pub fn rows(&self) -> Vec<(&StatsKey, &StatsRow)> {
        let mut v: Vec<_> = self.rows.iter().collect();
        v.sort_by(|a, b| {
            let ma = a.1.latency.min_mean_max_us().map(|m| m.1);
            let mb = b.1.latency.min_mean_max_us().map(|m| m.1);
            match (ma, mb) {
                (Some(x), Some(y)) => y.total_cmp(&x).then(a.0.cmp(b.0)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.0.cmp(b.0),
            }
        });
        v
    }

    /// The JSON array (one line).
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let rows: Vec<StatsRowJson> = self
            .rows()
            .into_iter()
            .map(|(k, r)| StatsRowJson::new(&self.registry, self.by, k, r))
            .collect();
        serde_json::to_writer(&mut *out, &rows).map_err(io::Error::from)?;
        out.write_all(b"\n")
    }

    /// The aligned text table.
    pub fn write_table(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut head: Vec<&str> = vec!["PROGRAM", "VERS", "PROCEDURE"];
        match self.by {
            GroupBy::Procedure => {}
            GroupBy::Client => head.push("CLIENT"),
            GroupBy::Server => head.push("SERVER"),
            GroupBy::Path => head.push("PATH"),
        }
        let left = head.len();
        head.extend([
            "CALLS",
            "REPLIES",
            "UNANSWERED",
            "ERRORS",
            "MIN_MS",
            "MEAN_MS",
            "P50_MS",
            "P90_MS",
            "P99_MS",
            "MAX_MS",
            "CALL_BYTES",
            "REPLY_BYTES",
        ]);
        let mut table: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
        let mut details = vec![String::new()];
        for (k, r) in self.rows() {
            let mut row = vec![
                opt_name(
                    k.program,
                    k.program.and_then(|p| self.registry.program_name(p)),
                ),
                k.version.map_or("-".into(), |v| v.to_string()),
                row_name(&self.registry, k),
            ];
            match self.by {
                GroupBy::Procedure => {}
                GroupBy::Path => row.push(k.path.as_deref().unwrap_or("-").to_string()),
                _ => row.push(k.peer.map_or("-".into(), |a| a.to_string())),
            }
            let ms = |v: Option<f64>| v.map_or("-".into(), |us| format!("{:.3}", us / 1e3));
            let mmm = r.latency.min_mean_max_us();
            row.extend([
                r.calls.to_string(),
                r.replies.to_string(),
                r.unanswered.to_string(),
                r.errors_total().to_string(),
                ms(mmm.map(|m| m.0)),
                ms(mmm.map(|m| m.1)),
                ms(r.latency.percentile_us(50.0)),
                ms(r.latency.percentile_us(90.0)),
                ms(r.latency.percentile_us(99.0)),
                ms(mmm.map(|m| m.2)),
                r.call_bytes.to_string(),
                r.reply_bytes.to_string(),
            ]);
            table.push(row);
            details.push(
                r.errors
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        let ncols = table[0].len();
        let widths: Vec<usize> = (0..ncols)
            .map(|c| {
                table
                    .iter()
                    .map(|r| r[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for (row, detail) in table.iter().zip(&details) {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("  ");
                }
                let pad = widths[c] - cell.chars().count();
                if c < left {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                } else {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                }
            }
            if !detail.is_empty() {
                line.push_str("  ");
                line.push_str(detail);
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        if self.rows.is_empty() {
            writeln!(out, "(no RPC exchanges)")?;
        }
        Ok(())
    }
}

/// The `--by path` key of an exchange.
fn file_key(ex: &Exchange<'_>) -> Option<Arc<str>> {
    match (&ex.facts.path, ex.facts.fh_hash) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(h)) => Some(format!("fh:{h:#010x}").into()),
        (None, None) => None,
    }
}

fn procedure_name<'r>(registry: &'r Registry, k: &StatsKey) -> Option<&'r str> {
    match (k.program, k.version, k.procedure) {
        (Some(p), Some(v), Some(q)) => registry.procedure_name(p, v, q),
        _ => None,
    }
}

/// The name of a row's operation (`OP_READ`), from the compound's schema.
fn operation_name<'r>(registry: &'r Registry, k: &StatsKey) -> Option<&'r str> {
    let (Some(p), Some(v), Some(q), Some(op)) = (k.program, k.version, k.procedure, k.operation)
    else {
        return None;
    };
    let e = registry.version(p, v)?;
    let shape = Shape::of(e, q)?;
    nfs4::op_name(e.schema(), shape.op_enum(), op)
}

/// The PROCEDURE column: `READ`, or `COMPOUND:READ` for an NFSv4
/// compound's (main) operation.
fn row_name(registry: &Registry, k: &StatsKey) -> String {
    let proc_ = opt_name(k.procedure, procedure_name(registry, k));
    match (k.operation, operation_name(registry, k)) {
        (Some(_), Some(n)) => format!("{proc_}:{}", nfs4::short_name(n)),
        (Some(op), None) => format!("{proc_}:{op}"),
        (None, _) => proc_,
    }
}

/// The name of an operation's status `value` (of the status type `ty`).
fn op_status_name<'r>(
    registry: &'r Registry,
    ex: &Exchange<'_>,
    ty: crate::programs::schema::TypeId,
    value: i32,
) -> Option<&'r str> {
    let c = ex.call.as_ref()?;
    let program = ex.facts.decode_as.or(c.program)?;
    registry.status_name(program, c.version?, ty, value)
}

/// One more of `name` (allocating only for a name not seen before).
fn count(errors: &mut BTreeMap<String, u64>, name: &str) {
    match errors.get_mut(name) {
        Some(n) => *n += 1,
        None => {
            errors.insert(name.to_string(), 1);
        }
    }
}

/// The name of the program status of `ex` when it reports a failure
/// (anything but the program's success value: NFS3_OK, MNT3_OK,
/// NLM4_GRANTED, NFS4_OK, rquota's Q_OK...).
fn body_error_name<'r>(registry: &'r Registry, ex: &Exchange<'_>) -> Option<&'r str> {
    let st = ex.facts.status?;
    let c = ex.call.as_ref()?;
    let (p, v) = (c.program?, c.version?);
    if registry.version(p, v)?.semantics.is_ok(st.value) {
        return None;
    }
    registry.status_name(p, v, st.ty, st.value)
}

fn opt_name(n: Option<u32>, name: Option<&str>) -> String {
    match (n, name) {
        (_, Some(s)) => s.to_string(),
        (Some(n), None) => n.to_string(),
        (None, None) => "-".into(),
    }
}

/// One object of the `stats --format json` array (docs/json.md).
#[derive(Serialize)]
pub struct StatsRowJson<'a> {
    pub program: Option<u32>,
    pub version: Option<u32>,
    pub procedure: Option<u32>,
    pub program_name: Option<&'a str>,
    pub procedure_name: Option<&'a str>,
    /// An NFSv4 COMPOUND's main operation (`OP_READ`); with `--ops`, the
    /// operation; `null` for other procedures.
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// With `--by path`: the file (`null` for exchanges on no file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Option<&'a str>>,
    pub calls: u64,
    pub replies: u64,
    pub unanswered: u64,
    pub retransmissions: u64,
    pub errors: &'a BTreeMap<String, u64>,
    pub latency_us: LatencyJson,
    pub call_bytes: u64,
    pub reply_bytes: u64,
}

/// `latency_us`: every member `null` when no reply was matched.
#[derive(Serialize)]
pub struct LatencyJson {
    pub count: u64,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl<'a> StatsRowJson<'a> {
    fn new(registry: &'a Registry, by: GroupBy, k: &'a StatsKey, r: &'a StatsRow) -> Self {
        let mmm = r.latency.min_mean_max_us();
        let peer = k.peer.map(|a| a.to_string());
        StatsRowJson {
            program: k.program,
            version: k.version,
            procedure: k.procedure,
            program_name: k.program.and_then(|p| registry.program_name(p)),
            procedure_name: procedure_name(registry, k),
            operation: match (k.operation, operation_name(registry, k)) {
                (_, Some(n)) => Some(n.to_string()),
                (Some(op), None) => Some(op.to_string()),
                (None, None) => None,
            },
            client: if by == GroupBy::Client {
                peer.clone()
            } else {
                None
            },
            server: if by == GroupBy::Server { peer } else { None },
            path: (by == GroupBy::Path).then_some(k.path.as_deref()),
            calls: r.calls,
            replies: r.replies,
            unanswered: r.unanswered,
            retransmissions: r.retransmissions,
            errors: &r.errors,
            latency_us: LatencyJson {
                count: r.latency.count(),
                min: mmm.map(|m| m.0),
                mean: mmm.map(|m| m.1),
                p50: r.latency.percentile_us(50.0),
                p90: r.latency.percentile_us(90.0),
                p99: r.latency.percentile_us(99.0),
                max: mmm.map(|m| m.2),
            },
            call_bytes: r.call_bytes,
            reply_bytes: r.reply_bytes,
        }
    }
}

/// ANSI: clear the screen and move the cursor home.
const CLEAR_SCREEN: &[u8] = b"\x1b[2J\x1b[H";

/// The stats printer: aggregates events, prints the table at the end.
pub struct StatsSink<W: Write, E: Write> {
    pub stats: Stats,
    format: StatsFormat,
    out: W,
    summary_out: E,
    counts: Option<CaptureCounts>,
    /// The screen was redrawn: clear it again before the final table.
    redrawn: bool,
}

impl<W: Write, E: Write> StatsSink<W, E> {
    pub fn new(stats: Stats, format: StatsFormat, out: W, summary_out: E) -> Self {
        StatsSink {
            stats,
            format,
            out,
            summary_out,
            counts: None,
            redrawn: false,
        }
    }
    /// Clears the terminal and draws the current table (live refresh), with
    /// the kernel's latest packet counts under it.
    pub fn redraw(&mut self) -> io::Result<()> {
        self.redrawn = true;
        self.out.write_all(CLEAR_SCREEN)?;
        self.stats.write_table(&mut self.out)?;
        if let Some(c) = &self.counts {
            writeln!(
                self.out,
                "capture: {} packets received, {} dropped by kernel, {} dropped by interface",
                c.received, c.dropped, c.if_dropped
            )?;
        }
        self.out.flush()
    }
    pub fn into_inner(self) -> (W, E) {
        (self.out, self.summary_out)
    }
}

impl<W: Write, E: Write> Sink for StatsSink<W, E> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.stats.add(ev);
        Ok(())
    }
    fn capture_counts(&mut self, c: &CaptureCounts) -> io::Result<()> {
        self.counts = Some(*c);
        Ok(())
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if self.redrawn && self.format == StatsFormat::Text {
            self.out.write_all(CLEAR_SCREEN)?;
        }
        match self.format {
            StatsFormat::Text => self.stats.write_table(&mut self.out)?,
            StatsFormat::Json => self.stats.write_json(&mut self.out)?,
        }
        self.out.flush()?;
        super::text::write_summary(&mut self.summary_out, summary, self.counts.as_ref())?;
        if self.stats.overflowed > 0 {
            writeln!(
                self.summary_out,
                "rpcscope: stats table full: {} exchanges counted in the row with no program",
                self.stats.overflowed
            )?;
        }
        Ok(())
    }
}
