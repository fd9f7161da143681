//! The statistics table: per program, version and procedure (optionally per
//! client or server address, connection or file; or per program and
//! version only), calls, replies, errors by status, latency and bytes.
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
//! Rows come out in a [`SortKey`] order (the total latency by default),
//! descending, ties broken by the key, so the order is the same every run.
//!
//! Memory is bounded by `Limits::max_stats_rows`: later keys are merged into
//! one row whose program is `null` ([`Stats::overflowed`] counts them).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::latency::Latency;
use super::names;
use crate::event::{Event, Exchange};
use crate::net::{Endpoint, Transport};
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
    /// One row per procedure and connection: transport, client address and
    /// port, server address and port.
    Connection,
    /// One row per program and version: every procedure merged (the key's
    /// `procedure` and `operation` are `None`).
    Program,
}

/// The order of rows: by this value, descending (biggest first), then by
/// key ([`StatsKey`]'s order), so that equal rows always come in the same
/// order. Rows with no latency have none of the latency values and come
/// after the rows that have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The sum of the latencies (the total time spent waiting: tshark's
    /// "Sum SRT").
    #[default]
    Total,
    /// Calls.
    Calls,
    /// Failed exchanges ([`StatsRow::errors_total`]).
    Errors,
    /// The mean latency.
    Mean,
    /// The 99th percentile of latency.
    P99,
    /// The longest latency.
    Max,
}

/// A connection of a `--by connection` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Conn {
    pub transport: Transport,
    /// The caller's address and port.
    pub client: Endpoint,
    /// The callee's address and port.
    pub server: Endpoint,
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
    /// The connection, with `--by connection`.
    pub conn: Option<Conn>,
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
        conn: None,
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
            conn: None,
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
    /// Exchanges (and retransmissions) counted in the row: what a table
    /// counts as `overflowed` if the row is merged into the overflow row
    /// ([`Stats::merge`]).
    pub touches: u64,
}

impl StatsRow {
    /// All failed exchanges of the row.
    pub fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }
    /// The value rows are ordered by under `sort` (`None`: a latency value
    /// of a row with no reply).
    pub fn sort_value(&self, sort: SortKey) -> Option<f64> {
        let l = &self.latency;
        match sort {
            SortKey::Total => (l.count() > 0).then(|| l.sum_ns() as f64),
            SortKey::Calls => Some(self.calls as f64),
            SortKey::Errors => Some(self.errors_total() as f64),
            SortKey::Mean => l.min_mean_max_us().map(|m| m.1),
            SortKey::P99 => l.percentile_us(99.0),
            SortKey::Max => l.min_mean_max_us().map(|m| m.2),
        }
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
        self.touches += o.touches;
    }
}

/// True for the events an aggregate counts: complete exchanges (not a
/// duplicate reply), unmatched calls and orphan replies; see the module
/// docs.
pub fn counts(ev: &Event<'_>) -> bool {
    ev.kind.is_final() && !ev.exchange.duplicate_reply
}

/// Aggregates exchanges; see the module docs.
#[derive(Debug, Clone)]
pub struct Stats {
    registry: Arc<Registry>,
    by: GroupBy,
    sort: SortKey,
    max_rows: usize,
    rows: crate::hash::FastMap<StatsKey, StatsRow>,
    /// The keys of `rows` but the overflow row's, in the order they were
    /// first seen (at most `max_rows`): [`Stats::merge`] replays it.
    order: Vec<StatsKey>,
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
            sort: SortKey::default(),
            max_rows: max_rows.max(1),
            rows: crate::hash::map(),
            order: Vec::new(),
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

    /// Orders the rows by `sort` (see [`SortKey`]).
    pub fn with_sort(mut self, sort: SortKey) -> Self {
        self.sort = sort;
        self
    }

    /// The order of the rows.
    pub fn sort(&self) -> SortKey {
        self.sort
    }

    /// An empty table with the same registry, grouping, order, `--ops` and
    /// row bound.
    pub fn empty_like(&self) -> Self {
        Stats {
            registry: self.registry.clone(),
            by: self.by,
            sort: self.sort,
            max_rows: self.max_rows,
            rows: crate::hash::map(),
            order: Vec::new(),
            ops: self.ops,
            overflowed: 0,
        }
    }

    /// Changes the row bound (see [`super::intervals`]: a budget shared by
    /// several tables).
    pub(crate) fn set_max_rows(&mut self, max_rows: usize) {
        self.max_rows = max_rows.max(1);
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
            GroupBy::Connection => {
                key.conn = Some(Conn {
                    transport: ex.transport,
                    client: ex.client,
                    server: ex.server,
                })
            }
            GroupBy::Program => {
                key.procedure = None;
                key.operation = None;
            }
        }
        key
    }

    fn row(&mut self, ex: &Exchange, operation: Option<Option<u32>>) -> &mut StatsRow {
        let mut key = self.key_of(ex);
        if let (Some(op), false) = (operation, self.by == GroupBy::Program) {
            key.operation = op;
        }
        // One lookup while the table has room (the key hashed once).
        let mut new_key = true;
        if self.is_full() && !self.rows.contains_key(&key) {
            self.overflowed += 1;
            key = StatsKey::OVERFLOW;
            new_key = false;
        }
        let row = match self.rows.entry(key) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                if new_key {
                    self.order.push(v.key().clone());
                }
                v.insert(StatsRow::default())
            }
        };
        row.touches += 1;
        row
    }

    /// No room for a new key: its exchanges go to the overflow row (one
    /// slot is kept for it).
    fn is_full(&self) -> bool {
        self.rows.len() + 1 >= self.max_rows
    }

    /// Adds the table of a later input (a file decoded on another thread,
    /// into an [`Stats::empty_like`] table that did not overflow), with the
    /// result this table would have had if it had counted that input's
    /// exchanges itself: the rows are taken in the order `other` first saw
    /// them, so a full table sends the same keys to the overflow row. (A
    /// table that overflowed cannot be merged exactly: a key it sent to its
    /// overflow row may have a row here. Count that input here instead.)
    pub fn merge(&mut self, mut other: Stats) {
        debug_assert_eq!(other.overflowed, 0, "an overflowed table is merged");
        for key in std::mem::take(&mut other.order) {
            let Some(row) = other.rows.remove(&key) else {
                continue;
            };
            let slot = if self.rows.contains_key(&key) {
                key
            } else if self.is_full() {
                self.overflowed += row.touches;
                StatsKey::OVERFLOW
            } else {
                self.order.push(key.clone());
                key
            };
            self.rows.entry(slot).or_default().merge(&row);
        }
        if let Some(row) = other.rows.remove(&StatsKey::OVERFLOW) {
            self.rows.entry(StatsKey::OVERFLOW).or_default().merge(&row);
        }
        self.overflowed += other.overflowed;
    }

    /// Counts one event (only the final ones count; see the module docs).
    pub fn add(&mut self, ev: &Event) {
        let ex = &ev.exchange;
        if !counts(ev) {
            // The call was answered before and counted with its exchange:
            // only its repeats since then are new call messages.
            let final_ = ev.kind.is_final();
            let n = u64::from(ex.retransmit_frames.count);
            if final_ && ex.duplicate_reply && n > 0 {
                self.row(ex, None).retransmissions += n;
            }
            return;
        }
        if self.ops {
            if let Some(c) = ex.facts.compound.clone() {
                return self.add_ops(ex, &c);
            }
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

    /// True when the table has a row of key `k`.
    pub fn contains(&self, k: &StatsKey) -> bool {
        self.rows.contains_key(k)
    }

    /// The rows in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&StatsKey, &StatsRow)> {
        self.rows.iter()
    }

    /// The rows in the table's order ([`Stats::with_sort`]; by default
    /// the total latency): biggest first, rows without the value (no
    /// latency) last, ties by key.
    pub fn rows(&self) -> Vec<(&StatsKey, &StatsRow)> {
        let mut v: Vec<_> = self.rows.iter().collect();
        let sort = self.sort;
        v.sort_by_cached_key(|(k, r)| {
            (
                std::cmp::Reverse(r.sort_value(sort).map(OrdF64)),
                (*k).clone(),
            )
        });
        v
    }
}

/// A float ordered by [`f64::total_cmp`] (sort keys are never NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrdF64(f64);

impl Eq for OrdF64 {}

impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for OrdF64 {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ExchangeKind;
    use crate::rpc::AcceptBody;
    use crate::stats::intervals::tests::ev;

    const MS: i64 = 1_000_000;

    /// Procedure 1: 3 calls of 1 ms (3 ms in all); procedure 2: one of
    /// 2 ms, failed (GARBAGE_ARGS); procedure 3: one unanswered call;
    /// procedure 4: 2 calls of 1.5 ms (3 ms, as procedure 1).
    fn table(by: GroupBy, sort: SortKey) -> Stats {
        let mut s = Stats::new(by, 512).with_sort(sort);
        for port in [800, 801, 801] {
            s.add(&ev(0, 1, port, MS));
        }
        let mut e = ev(0, 2, 800, 2 * MS);
        e.exchange.reply.as_mut().unwrap().status =
            crate::event::ReplyStatus::Accepted(AcceptBody::GarbageArgs);
        s.add(&e);
        let mut e = ev(0, 3, 800, 0);
        e.kind = ExchangeKind::Unmatched;
        e.exchange.reply = None;
        s.add(&e);
        s.add(&ev(0, 4, 800, 3 * MS / 2));
        s.add(&ev(0, 4, 800, 3 * MS / 2));
        s
    }

    fn procs(s: &Stats) -> Vec<Option<u32>> {
        s.rows().iter().map(|(k, _)| k.procedure).collect()
    }

    /// What a table shows, row by row, and its overflow count.
    fn shown(s: &Stats) -> (Vec<String>, u64) {
        let rows = s
            .rows()
            .iter()
            .map(|(k, r)| {
                let l = &r.latency;
                format!(
                    "{k:?} {} {} {} {} {:?} {} {:?} {:?} {} {}",
                    r.calls,
                    r.replies,
                    r.unanswered,
                    r.retransmissions,
                    r.errors,
                    l.count(),
                    l.min_mean_max_us(),
                    l.percentile_us(99.0),
                    r.call_bytes,
                    r.reply_bytes
                )
            })
            .collect();
        (rows, s.overflowed)
    }

    #[test]
    fn merged_tables_equal_one_table_fed_everything_even_when_full() {
        // 60 exchanges over 12 procedures and 3 clients (by client: up to
        // 36 keys), some failed, some unanswered, in an order where keys
        // keep appearing.
        let mut evs = Vec::new();
        for i in 0..60u32 {
            let procedure = (i * 7) % 12 + 1;
            let port = 800 + (i % 3) as u16;
            let mut e = ev(i as i64 * MS, procedure, port, (i as i64 % 5 + 1) * MS);
            if i % 11 == 0 {
                e.kind = ExchangeKind::Unmatched;
                e.exchange.reply = None;
            } else if i % 7 == 0 {
                e.exchange.reply.as_mut().unwrap().status =
                    crate::event::ReplyStatus::Accepted(AcceptBody::GarbageArgs);
            }
            evs.push(e);
        }
        for max_rows in [2, 3, 5, 8, 20, 512] {
            let one = || Stats::new(GroupBy::Client, max_rows);
            let mut all = one();
            for e in &evs {
                all.add(e);
            }
            // Split in 1, 2 and 3 parts at several places.
            for cuts in [
                vec![],
                vec![1],
                vec![17],
                vec![30],
                vec![5, 40],
                vec![20, 21],
            ] {
                let mut bounds = vec![0];
                bounds.extend(&cuts);
                bounds.push(evs.len());
                let mut merged = one();
                for w in bounds.windows(2) {
                    let mut part = merged.empty_like();
                    for e in &evs[w[0]..w[1]] {
                        part.add(e);
                    }
                    if part.overflowed == 0 {
                        merged.merge(part);
                    } else {
                        // As the callers do: counted again, here.
                        for e in &evs[w[0]..w[1]] {
                            merged.add(e);
                        }
                    }
                }
                assert_eq!(
                    shown(&merged),
                    shown(&all),
                    "max_rows {max_rows}, cuts {cuts:?}"
                );
            }
        }
    }

    #[test]
    fn each_sort_key_orders_biggest_first_ties_by_key() {
        use SortKey::*;
        let p = |v: &[u32]| v.iter().map(|&n| Some(n)).collect::<Vec<_>>();
        let by = GroupBy::Procedure;
        // Total: 1 and 4 tie at 3 ms (key order), 2 has 2 ms, 3 none.
        assert_eq!(procs(&table(by, Total)), p(&[1, 4, 2, 3]));
        assert_eq!(procs(&table(by, Calls)), p(&[1, 4, 2, 3]));
        assert_eq!(procs(&table(by, Errors)), p(&[2, 1, 3, 4]));
        assert_eq!(procs(&table(by, Mean)), p(&[2, 4, 1, 3]));
        assert_eq!(procs(&table(by, Max)), p(&[2, 4, 1, 3]));
        assert_eq!(procs(&table(by, P99)), p(&[2, 4, 1, 3]));
        let t = table(by, Total);
        let row1 = t.rows()[0].1;
        assert_eq!(row1.latency.sum_ns(), 3 * MS as u128);
        assert_eq!(row1.sort_value(Total), Some(3e6));
        assert_eq!(t.rows()[3].1.sort_value(Total), None);
        assert_eq!(t.rows()[3].1.sort_value(Calls), Some(1.0));
    }

    #[test]
    fn by_program_merges_procedures_and_by_connection_splits_them() {
        let t = table(GroupBy::Program, SortKey::Total);
        assert_eq!(t.len(), 1);
        let (k, r) = t.rows()[0];
        assert_eq!(
            (k.program, k.version, k.procedure),
            (Some(100_003), Some(3), None)
        );
        assert_eq!((r.calls, r.replies, r.unanswered), (7, 6, 1));
        assert_eq!(r.errors.get("garbage_args"), Some(&1));
        assert_eq!(r.latency.sum_ns(), 8 * MS as u128);
        let t = table(GroupBy::Connection, SortKey::Calls);
        let rows: Vec<(Option<u32>, u16, u64)> = t
            .rows()
            .iter()
            .map(|(k, r)| (k.procedure, k.conn.unwrap().client.port, r.calls))
            .collect();
        // Procedure 1: port 801 twice, 800 once.
        assert_eq!(
            rows,
            [
                (Some(1), 801, 2),
                (Some(4), 800, 2),
                (Some(1), 800, 1),
                (Some(2), 800, 1),
                (Some(3), 800, 1)
            ]
        );
        let c = t.rows()[0].0.conn.unwrap();
        assert_eq!(c.transport, Transport::Tcp);
        assert_eq!(c.server.to_string(), "10.0.0.2:2049");
    }
}
