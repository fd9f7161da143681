//! The JSON of `stats --format json` (schema in docs/json.md): one array
//! of row objects ([`StatsRowJson`]) in the table's order, or with
//! `--interval` one array of interval objects
//! ([`write_intervals_json`]: `{"start", "end", "rows"}`), each with its
//! rows.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::programs::registry::Registry;
use crate::stats::names::{operation_name, procedure_name};
use crate::stats::{GroupBy, Intervals, Stats, StatsKey, StatsRow};

/// The rows of `stats` in its order.
fn rows(stats: &Stats) -> Vec<StatsRowJson<'_>> {
    stats
        .rows()
        .into_iter()
        .map(|(k, r)| StatsRowJson::new(stats.registry(), stats.by(), k, r))
        .collect()
}

/// The JSON array (one line).
pub fn write_json(stats: &Stats, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &rows(stats)).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// The JSON array of intervals (one line): `{"start", "end", "rows"}` per
/// interval, the times in epoch seconds written exactly as the capture's
/// nanoseconds allow (no float artefacts, as `call_time`).
pub fn write_intervals_json(iv: &Intervals, out: &mut dyn Write) -> io::Result<()> {
    let mut line = Vec::with_capacity(4096);
    line.push(b'[');
    for (i, (start, end, t)) in iv.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        line.extend_from_slice(br#"{"start":"#);
        crate::output::jsonw::decimal(&mut line, start.0, 1_000_000_000);
        line.extend_from_slice(br#","end":"#);
        crate::output::jsonw::decimal(&mut line, end.0, 1_000_000_000);
        line.extend_from_slice(br#","rows":"#);
        let rows = t.map(rows).unwrap_or_default();
        serde_json::to_writer(&mut line, &rows).map_err(io::Error::from)?;
        line.push(b'}');
    }
    line.extend_from_slice(b"]\n");
    out.write_all(&line)
}

/// One object of the `stats --format json` array (docs/json.md).
#[derive(Serialize)]
pub struct StatsRowJson<'a> {
    pub program: Option<u32>,
    pub version: Option<u32>,
    /// `null` with `--by program`.
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
    /// With `--by connection`: the connection (`null` in the overflow
    /// row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<Option<ConnJson>>,
    pub calls: u64,
    pub replies: u64,
    pub unanswered: u64,
    pub retransmissions: u64,
    pub errors: &'a BTreeMap<String, u64>,
    pub latency_us: LatencyJson,
    pub call_bytes: u64,
    pub reply_bytes: u64,
}

/// `connection` (`--by connection`): as the `transport`, `client` and
/// `server` of exchange objects.
#[derive(Serialize)]
pub struct ConnJson {
    pub transport: &'static str,
    /// `addr:port` (`[addr]:port` for IPv6).
    pub client: String,
    pub server: String,
}

/// `latency_us`: every member but `count` `null` when no reply was
/// matched.
#[derive(Serialize)]
pub struct LatencyJson {
    pub count: u64,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
    /// The sum of the latencies (tshark's "Sum SRT").
    pub total: Option<f64>,
}

impl<'a> StatsRowJson<'a> {
    /// The JSON view of row `k` of a table grouped `by`.
    pub fn new(registry: &'a Registry, by: GroupBy, k: &'a StatsKey, r: &'a StatsRow) -> Self {
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
            connection: (by == GroupBy::Connection).then(|| {
                k.conn.map(|c| ConnJson {
                    transport: c.transport.as_str(),
                    client: c.client.to_string(),
                    server: c.server.to_string(),
                })
            }),
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
                total: (r.latency.count() > 0).then(|| r.latency.sum_ns() as f64 / 1e3),
            },
            call_bytes: r.call_bytes,
            reply_bytes: r.reply_bytes,
        }
    }
}
