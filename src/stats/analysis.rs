//! Everything the report and the `top` view show, aggregated in one pass:
//! the per-procedure [`Stats`] table (the same rows and numbers as
//! `stats`), a time series per procedure, top clients, servers and files,
//! the slowest exchanges and the failed ones. Printers read it; it prints
//! nothing.
//!
//! Every part is bounded (see each type and `Limits::report_*`), so memory
//! does not grow with the capture.

use std::net::IpAddr;
use std::sync::Arc;

use super::names;
use super::notable::{ErrorList, Notable, Slowest};
use super::series::Series;
use super::table::{counts, GroupBy, Stats};
use super::top::{TopEntry, TopTable};
use crate::capture::Timestamp;
use crate::event::Event;
use crate::limits::Limits;
use crate::programs::registry::Registry;

/// How the time series is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesShape {
    /// The report: starts at one second and coarsens to fit
    /// `Limits::report_series_points`.
    Whole,
    /// The `top` view: one-second intervals, the latest
    /// `Limits::top_window_points` kept.
    Window,
}

/// The aggregates; see the module docs.
#[derive(Debug, Clone)]
pub struct Analysis {
    registry: Arc<Registry>,
    /// Per procedure, exactly as `stats` counts.
    pub table: Stats,
    /// Calls, errors and latency per interval, per procedure.
    pub series: Series,
    pub clients: TopTable<IpAddr>,
    pub servers: TopTable<IpAddr>,
    /// Per file: its path, or `fh:0x...` where the path is not known.
    pub files: TopTable<Arc<str>>,
    pub slowest: Slowest,
    pub errors: ErrorList,
    /// Earliest and latest message time seen.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// The inputs, in order.
    pub inputs: Vec<Arc<str>>,
    file: Arc<str>,
}

impl Analysis {
    /// An empty analysis naming things with `registry`.
    pub fn new(registry: Arc<Registry>, limits: &Limits, shape: SeriesShape) -> Self {
        const S: u64 = 1_000_000_000;
        Analysis {
            table: Stats::with_registry(GroupBy::Procedure, limits.report_rows, registry.clone()),
            series: match shape {
                SeriesShape::Whole => {
                    Series::coarsening(S, limits.report_series_points, limits.report_series_keys)
                }
                SeriesShape::Window => {
                    Series::sliding(S, limits.top_window_points, limits.report_series_keys)
                }
            },
            clients: TopTable::with_budget(limits.report_top_entries, limits.report_top_name_bytes),
            servers: TopTable::with_budget(limits.report_top_entries, limits.report_top_name_bytes),
            files: TopTable::with_budget(limits.report_top_entries, limits.report_top_name_bytes),
            slowest: Slowest::new(limits.report_slowest),
            errors: ErrorList::new(limits.report_errors),
            first: None,
            last: None,
            inputs: Vec::new(),
            file: Arc::from(""),
            registry,
        }
    }

    /// The registry names come from.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The events that follow come from `file`.
    pub fn begin_file(&mut self, file: &str) {
        self.file = Arc::from(file);
        self.inputs.push(self.file.clone());
    }

    /// Counts one event (the same events as [`Stats::add`]).
    pub fn add(&mut self, ev: &Event<'_>) {
        // The table sees every event (a duplicate reply still adds the
        // call's late repeats as retransmissions); the rest counts once.
        self.table.add(ev);
        if !counts(ev) {
            return;
        }
        let ex = &ev.exchange;
        let call = ex.call.as_ref();
        let reply = ex.reply.as_ref();
        for ts in [call.map(|c| c.meta.ts), reply.map(|r| r.meta.ts)]
            .into_iter()
            .flatten()
        {
            self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
            self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
        }
        let failure = names::failure(&self.registry, ex);
        let lat = if reply.is_some() {
            ex.latency_ns()
        } else {
            None
        };
        let at = call.map(|c| c.meta.ts).or(reply.map(|r| r.meta.ts));
        let key = self.table.key_of(ex);
        if let Some(at) = at {
            self.series
                .add(at.0, &key, call.is_some(), failure.is_some(), lat);
        }
        let d = TopEntry {
            calls: u64::from(call.is_some()),
            errors: u64::from(failure.is_some()),
            call_bytes: call.map_or(0, |c| c.meta.bytes),
            reply_bytes: reply.map_or(0, |r| r.meta.bytes),
            total_ns: lat.unwrap_or(0).into(),
        };
        self.clients.add(&ex.client.addr, &d);
        self.servers.add(&ex.server.addr, &d);
        if let Some(f) = names::file_key(ex) {
            self.files.add(&f, &d);
        }
        let file = &self.file;
        if let Some(ns) = lat {
            self.slowest.offer(ns, || Notable::of(file, ex, failure));
        }
        if failure.is_some() {
            self.errors.push(|| Notable::of(file, ex, failure));
        }
    }

    /// An empty analysis with the same registry and bounds, for files
    /// counted apart and merged ([`Analysis::try_merge`]).
    pub fn empty_like(&self) -> Self {
        Analysis {
            registry: self.registry.clone(),
            table: self.table.empty_like(),
            series: self.series.empty_like(),
            clients: self.clients.emptied(),
            servers: self.servers.emptied(),
            files: self.files.emptied(),
            slowest: Slowest::new(self.slowest.n()),
            errors: ErrorList::new(self.errors.n()),
            first: None,
            last: None,
            inputs: Vec::new(),
            file: Arc::from(""),
        }
    }

    /// True while this analysis can still be merged exactly into one of
    /// the files before it: its table did not overflow, its series
    /// interned every key and its top tables kept every name (checked as
    /// exchanges come, so a file that cannot be merged stops early and is
    /// counted again in order).
    pub fn mergeable(&self) -> bool {
        self.table.overflowed == 0
            && self.series.keys_dropped == 0
            && self.clients.kept_all()
            && self.servers.kept_all()
            && self.files.kept_all()
    }

    /// Adds `o`, the analysis of the files read after this one's, and
    /// returns true, when the result is exactly the analysis one run over
    /// all of them makes (every part merges exactly: the table, the series,
    /// the top tables, the slowest and failed exchanges). Otherwise changes
    /// nothing and returns false: the caller then counts `o`'s files again,
    /// in order.
    pub fn try_merge(&mut self, o: Analysis) -> bool {
        let exact = o.mergeable()
            && self.series.can_merge(&o.series)
            && self.clients.can_merge(&o.clients)
            && self.servers.can_merge(&o.servers)
            && self.files.can_merge(&o.files);
        if !exact {
            return false;
        }
        self.table.merge(o.table);
        self.series.merge(o.series);
        self.clients.merge(o.clients);
        self.servers.merge(o.servers);
        self.files.merge(o.files);
        self.slowest.merge(o.slowest);
        self.errors.merge(o.errors);
        self.first = match (self.first, o.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, o.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.inputs.extend(o.inputs);
        if let Some(f) = self.inputs.last() {
            self.file = f.clone();
        }
        true
    }

    /// The capture span in nanoseconds (first to last message).
    pub fn span_ns(&self) -> u64 {
        match (self.first, self.last) {
            (Some(f), Some(l)) => l.nanos_since(f),
            _ => 0,
        }
    }
}
