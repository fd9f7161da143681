//! The statistics table: per program, version and procedure (optionally per
//! client or server address, or per file), calls, replies, errors by
//! status, latency and bytes.
//!
//! What is counted, once per exchange:
//! - a complete exchange: one call, one reply, its status, its latency (from
//!   the first transmission of the call), its bytes;
//! - an unmatched call: one call (and `unanswered`);
//! - an orphan reply: one reply, in the row of its (unknown) procedure;
//! - a duplicate reply (`duplicate_reply`): nothing, it was counted with its
//!   exchange (only the call's repeats since then, as retransmissions).
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
//! Memory is bounded by `Limits::max_stats_rows`: later keys are merged into
//! one row whose program is `null` ([`Stats::overflowed`] counts them).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::latency::Latency;
use super::names;
use crate::event::{Event, Exchange, ExchangeKind};
use crate::programs::nfs4::Compound;
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

/// A row's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatsKey {
    pub program: Option<u32>,
    pub version: Option<u32>,
    pub procedure: Option<u32>,
    /// An NFSv4 COMPOUND's main operation (`COMPOUND:READ`), where the
    /// program's semantics name one; `None` for every other procedure.
    pub operation: Option<u32>,
    /// The client or server address, with `--by client|server`.
    pub peer: Option<IpAddr>,
    /// The file, with `--by path`.
    pub path: Option<Arc<str>>,
}

impl StatsKey {
    /// The key of the overflow row (everything `null`).
    pub const OVERFLOW: StatsKey = StatsKey {
        program: None,
        version: None,
        procedure: None,
        operation: None,
        peer: None,
        path: None,
    };

    /// The procedure key of an exchange (no peer, no path): an NFSv4
    /// compound's with its main operation.
    pub fn procedure_of(ex: &Exchange<'_>) -> StatsKey {
        let c = ex.call.as_ref();
        StatsKey {
            program: c.and_then(|c| c.program),
            version: c.and_then(|c| c.version),
            procedure: c.and_then(|c| c.procedure),
            operation: ex.facts.compound.as_ref().and_then(|c| c.main_op()),
            peer: None,
            path: None,
        }
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
    /// All failed exchanges of the row.
    pub fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }
    /// Adds another row's counts (rows shown together).
    pub fn merge(&mut self, o: &StatsRow) {
        self.calls += o.calls;
        self.replies += o.replies;
        self.unanswered += o.unanswered;
        self.retransmissions += o.retransmissions;
        for (k, v) in &o.errors {
            *self.errors.entry(k.clone()).or_insert(0) += v;
        }
        self.latency.merge(&o.latency);
        self.call_bytes += o.call_bytes;
        self.reply_bytes += o.reply_bytes;
    }
}

/// True for the events an aggregate counts: complete exchanges (not a
/// duplicate reply), unmatched calls and orphan replies; see the module
/// docs.
pub fn counts(ev: &Event<'_>) -> bool {
    match ev.kind {
        ExchangeKind::CallSeen | ExchangeKind::Retransmitted => false,
        ExchangeKind::Complete | ExchangeKind::Unmatched | ExchangeKind::Orphan => {
            !ev.exchange.duplicate_reply
        }
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

    /// The registry names come from.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// How rows are grouped.
    pub fn by(&self) -> GroupBy {
        self.by
    }

    /// The key of an exchange's row under this table's grouping.
    pub fn key_of(&self, ex: &Exchange<'_>) -> StatsKey {
        let mut key = StatsKey::procedure_of(ex);
        match self.by {
            GroupBy::Procedure => {}
            GroupBy::Client => key.peer = Some(ex.client.addr),
            GroupBy::Server => key.peer = Some(ex.server.addr),
            GroupBy::Path => key.path = names::file_key(ex),
        }
        key
    }

    fn row(&mut self, ex: &Exchange, operation: Option<Option<u32>>) -> &mut StatsRow {
        let mut key = self.key_of(ex);
        if let Some(op) = operation {
            key.operation = op;
        }
        if !self.rows.contains_key(&key) && self.rows.len() + 1 >= self.max_rows {
            self.overflowed += 1;
            key = StatsKey::OVERFLOW;
        }
        self.rows.entry(key).or_default()
    }

    /// Counts one event (only the final ones count; see the module docs).
    pub fn add(&mut self, ev: &Event) {
        let ex = &ev.exchange;
        if !counts(ev) {
            // The call was answered before and counted with its exchange:
            // only its repeats since then are new call messages.
            let final_ = !matches!(
                ev.kind,
                ExchangeKind::CallSeen | ExchangeKind::Retransmitted
            );
            let n = u64::from(ex.retransmit_frames.count);
            if final_ && ex.duplicate_reply && n > 0 {
                self.row(ex, None).retransmissions += n;
            }
            return;
        }
        if let (true, Some(c)) = (self.ops, ex.facts.compound.clone()) {
            return self.add_ops(ex, &c);
        }
        let lat = ex.latency_ns();
        let registry = self.registry.clone();
        let failure = names::failure(&registry, ex);
        let row = self.row(ex, None);
        if let Some(c) = &ex.call {
            row.calls += 1;
            row.call_bytes += c.meta.bytes;
            row.retransmissions += u64::from(ex.retransmit_frames.count);
        }
        match &ex.reply {
            Some(r) => {
                row.replies += 1;
                row.reply_bytes += r.meta.bytes;
                if let Some(name) = failure {
                    count(&mut row.errors, name);
                }
                if let Some(ns) = lat {
                    row.latency.record(ns);
                }
            }
            None => row.unanswered += 1,
        }
    }

    /// One exchange of a compound, operation by operation (`--ops`).
    fn add_ops(&mut self, ex: &Exchange, c: &Compound) {
        let lat = ex.latency_ns();
        let registry = self.registry.clone();
        let rpc_error = ex
            .reply
            .map(|r| crate::filter::status_name(&r.status))
            .filter(|n| !matches!(*n, "success" | "accepted" | "unknown"));
        let main = c.main_op();
        let mut main_done = false;
        for (i, &op) in c.ops().iter().enumerate() {
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
                    .and_then(|(ty, _)| names::op_status_name(&registry, ex, ty, v))
                    .map_or_else(|| v.to_string(), str::to_string)
            });
            let bytes = !main_done && Some(op) == main;
            main_done |= bytes;
            let row = self.row(ex, Some(Some(op)));
            if let Some(call) = &ex.call {
                row.calls += 1;
                if bytes {
                    row.call_bytes += call.meta.bytes;
                }
                row.retransmissions += u64::from(ex.retransmit_frames.count);
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

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&StatsKey, &StatsRow)> {
        self.rows.iter()
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
}

/// One more of `name` (allocating only for a name not seen before).
pub(crate) fn count(errors: &mut BTreeMap<String, u64>, name: &str) {
    match errors.get_mut(name) {
        Some(n) => *n += 1,
        None => {
            errors.insert(name.to_string(), 1);
        }
    }
}
