//! Statistics per interval of capture time (`stats --interval SECONDS`):
//! one [`Stats`] table per interval, each counted exactly as the whole
//! table would be ([`super::table`]).
//!
//! Intervals are `width` long and aligned to the time of the first frame
//! of the input ([`Intervals::first_frame`]): interval `i` runs from
//! `origin + i * width` (included) to `origin + (i + 1) * width`
//! (excluded). An exchange counts in the interval of its call's time (an
//! orphan reply: its reply's time), so its reply may come in a later
//! interval; a retransmission counted after its exchange (a duplicate
//! reply) counts in the interval of the call too. Capture time can go
//! backwards (several files, reordered clocks): an exchange timed before
//! the first frame counts in a negative interval.
//!
//! [`Intervals::iter`] yields every interval from the first to the last
//! that holds something, the first frame's interval included, empty ones
//! too (a regular series to plot).
//!
//! Contract: sans-IO, never panics on any time stamp. Memory is bounded
//! twice: the intervals span at most `max_intervals` (an exchange that
//! would widen it past that is counted in [`Intervals::dropped`], in no
//! interval), and the tables hold at most `max_rows` rows in all, each
//! table's overflow row included (an interval with no room left counts new
//! keys in its overflow row, whose program is `null`; an exchange that
//! would need a new interval when none is left goes to `dropped`).

use std::collections::BTreeMap;

use super::table::{counts, Stats, StatsKey};
use crate::capture::Timestamp;
use crate::event::Event;

/// See the module docs.
#[derive(Debug, Clone)]
pub struct Intervals {
    /// An empty table: the registry, grouping, order and `--ops` of each
    /// interval's table.
    template: Stats,
    width_ns: i64,
    origin: Option<Timestamp>,
    tables: BTreeMap<i64, Stats>,
    /// The first and last interval of the span (the origin's, 0, included).
    lo: i64,
    hi: i64,
    max_intervals: u64,
    max_rows: usize,
    /// Rows of all tables, plus one reserved per table for its overflow
    /// row until it has one.
    used_rows: usize,
    /// Exchanges counted in no interval (see the module docs).
    pub dropped: u64,
}

impl Intervals {
    /// Intervals `width_ns` long (at least 1), each with a table like
    /// `template` (emptied), spanning at most `max_intervals` intervals
    /// and `max_rows` rows in all.
    pub fn new(template: &Stats, width_ns: u64, max_intervals: u64, max_rows: usize) -> Self {
        Intervals {
            template: template.empty_like(),
            width_ns: width_ns.clamp(1, i64::MAX as u64) as i64,
            origin: None,
            tables: BTreeMap::new(),
            lo: 0,
            hi: 0,
            max_intervals: max_intervals.max(1),
            max_rows: max_rows.max(1),
            used_rows: 0,
            dropped: 0,
        }
    }

    /// The time of the first frame of an input: the first one given is the
    /// origin of the intervals.
    pub fn first_frame(&mut self, ts: Timestamp) {
        self.origin.get_or_insert(ts);
    }

    /// The width of the intervals, in nanoseconds.
    pub fn width_ns(&self) -> u64 {
        self.width_ns as u64
    }

    /// The interval of time `ts` (the origin's is 0).
    fn index(&self, origin: Timestamp, ts: Timestamp) -> i64 {
        let d = i128::from(ts.0) - i128::from(origin.0);
        d.div_euclid(i128::from(self.width_ns))
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The rows a table costs: its rows, and one reserved for its overflow
    /// row until it has one.
    fn cost(t: &Stats) -> usize {
        let has_overflow = t.contains(&StatsKey::OVERFLOW);
        t.len() + usize::from(!has_overflow)
    }

    /// Counts one event in the interval of its call's time (events a table
    /// ignores are ignored here too).
    pub fn add(&mut self, ev: &Event) {
        let ex = &ev.exchange;
        let counted = counts(ev)
            || (ev.kind.is_final() && ex.duplicate_reply && ex.retransmit_frames.count > 0);
        if !counted {
            return;
        }
        let ts = match (&ex.call, &ex.reply) {
            (Some(c), _) => c.meta.ts,
            (None, Some(r)) => r.meta.ts,
            (None, None) => ev.ts,
        };
        let origin = *self.origin.get_or_insert(ts);
        let i = self.index(origin, ts);
        let (lo, hi) = (self.lo.min(i), self.hi.max(i));
        if (i128::from(hi) - i128::from(lo)) >= i128::from(self.max_intervals) {
            self.dropped += 1;
            return;
        }
        if !self.tables.contains_key(&i) {
            if self.used_rows >= self.max_rows {
                self.dropped += 1;
                return;
            }
            self.tables.insert(i, self.template.empty_like());
            self.used_rows += 1;
        }
        (self.lo, self.hi) = (lo, hi);
        let room = self.max_rows.saturating_sub(self.used_rows);
        let t = self.tables.get_mut(&i).expect("inserted above");
        let before = Self::cost(t);
        // New keys while there is room; then the table's overflow row
        // (already reserved).
        t.set_max_rows(t.len() + room + 1);
        t.add(ev);
        self.used_rows = self.used_rows - before + Self::cost(t);
    }

    /// Every interval from the first to the last, as (start, end, its table
    /// or `None` when nothing was counted in it); nothing before the first
    /// frame was seen.
    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, Timestamp, Option<&Stats>)> + '_ {
        let origin = self.origin;
        let span = (self.lo..=self.hi).filter(move |_| origin.is_some());
        span.map(move |i| {
            let o = origin.map_or(0, |o| o.0);
            let start = o.saturating_add(i.saturating_mul(self.width_ns));
            let end = start.saturating_add(self.width_ns);
            (Timestamp(start), Timestamp(end), self.tables.get(&i))
        })
    }

    /// The bounds: intervals spanned, rows in all.
    pub fn bounds(&self) -> (u64, usize) {
        (self.max_intervals, self.max_rows)
    }

    /// Exchanges merged into overflow rows because the tables were full.
    pub fn overflowed(&self) -> u64 {
        self.tables.values().map(|t| t.overflowed).sum()
    }

    /// Rows of all tables.
    pub fn rows(&self) -> usize {
        self.tables.values().map(Stats::len).sum()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::event::{CallRec, Exchange, ExchangeKind, MsgMeta, ReplyRec, ReplyStatus};
    use crate::net::{Endpoint, Transport};
    use crate::rpc::AcceptBody;
    use crate::stats::GroupBy;

    const S: i64 = 1_000_000_000;

    /// A complete NFSv3 exchange of `procedure` called at `t` (ns), from
    /// client port `port`, answered `lat` ns later.
    pub(crate) fn ev(t: i64, procedure: u32, port: u16, lat: i64) -> Event<'static> {
        let meta = |frame, ts| MsgMeta {
            frame,
            ts: Timestamp(ts),
            bytes: 100,
            truncated: false,
            gap: false,
        };
        Event {
            kind: ExchangeKind::Complete,
            frame: 2,
            ts: Timestamp(t + lat),
            exchange: Exchange {
                transport: Transport::Tcp,
                client: Endpoint::new("10.0.0.1".parse().unwrap(), port),
                server: Endpoint::new("10.0.0.2".parse().unwrap(), 2049),
                xid: 1,
                call: Some(CallRec {
                    xid: 1,
                    rpcvers: 2,
                    program: Some(100_003),
                    version: Some(3),
                    procedure: Some(procedure),
                    auth: None,
                    meta: meta(1, t),
                }),
                reply: Some(ReplyRec {
                    xid: 1,
                    status: ReplyStatus::Accepted(AcceptBody::Success),
                    meta: meta(2, t + lat),
                }),
                retransmit_frames: Default::default(),
                duplicate_reply: false,
                call_body: None,
                reply_body: None,
                facts: Default::default(),
            },
        }
    }

    fn calls(t: &Stats) -> u64 {
        t.iter().map(|(_, r)| r.calls).sum()
    }

    #[test]
    fn exchanges_count_in_the_interval_of_their_call() {
        let base = Stats::new(GroupBy::Procedure, 512);
        let mut iv = Intervals::new(&base, S as u64, 100, 100);
        iv.first_frame(Timestamp(100 * S));
        iv.add(&ev(100 * S, 1, 800, 1000));
        // Called just before the end of interval 0, answered in interval 1.
        iv.add(&ev(101 * S - 1, 1, 800, S / 2));
        iv.add(&ev(101 * S, 4, 800, 1000));
        // Nothing in 102..104, one in 104.
        iv.add(&ev(104 * S + S / 3, 1, 800, 1000));
        let v: Vec<_> = iv.iter().collect();
        assert_eq!(v.len(), 5, "0..=4, the empty ones too");
        assert_eq!(v[0].0, Timestamp(100 * S));
        assert_eq!(v[0].1, Timestamp(101 * S));
        assert_eq!(v[4].0, Timestamp(104 * S));
        assert_eq!(calls(v[0].2.unwrap()), 2);
        assert_eq!(calls(v[1].2.unwrap()), 1);
        assert!(v[2].2.is_none() && v[3].2.is_none());
        assert_eq!(calls(v[4].2.unwrap()), 1);
        assert_eq!(iv.dropped, 0);
        assert_eq!(iv.rows(), 3);
    }

    #[test]
    fn before_the_first_frame_is_a_negative_interval_and_the_span_is_bounded() {
        let base = Stats::new(GroupBy::Procedure, 512);
        let mut iv = Intervals::new(&base, (S / 2) as u64, 4, 100);
        iv.first_frame(Timestamp(10 * S));
        iv.add(&ev(10 * S - 1, 1, 800, 10));
        let v: Vec<_> = iv.iter().collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].0, Timestamp(10 * S - S / 2));
        assert_eq!(calls(v[0].2.unwrap()), 1);
        assert!(v[1].2.is_none(), "the first frame's interval is kept");
        // -1..=2 is 4 intervals: fits; 3 would make 5.
        iv.add(&ev(11 * S, 1, 800, 10));
        assert_eq!(iv.dropped, 0);
        iv.add(&ev(11 * S + S / 2, 1, 800, 10));
        assert_eq!(iv.dropped, 1);
        iv.add(&ev(i64::MIN, 1, 800, 10));
        iv.add(&ev(i64::MAX - 100, 1, 800, 10));
        assert_eq!(iv.dropped, 3);
        assert_eq!(iv.iter().count(), 4);
    }

    #[test]
    fn rows_are_bounded_over_all_intervals() {
        let base = Stats::new(GroupBy::Connection, 512);
        let mut iv = Intervals::new(&base, S as u64, 100, 6);
        iv.first_frame(Timestamp(0));
        // Interval 0: 3 connections (3 rows, 1 reserved for its overflow).
        for port in 0..3 {
            iv.add(&ev(0, 1, 700 + port, 10));
        }
        assert_eq!(iv.used_rows, 4);
        // Interval 1: room for one row and its overflow row.
        for port in 0..3 {
            iv.add(&ev(S, 1, 900 + port, 10));
        }
        assert_eq!(
            iv.tables[&1].len(),
            2,
            "one connection and the overflow row"
        );
        assert_eq!(iv.tables[&1].overflowed, 2);
        assert_eq!(calls(&iv.tables[&1]), 3, "every call counted");
        // No room for a third interval.
        iv.add(&ev(2 * S, 1, 900, 10));
        assert_eq!(iv.dropped, 1);
        // Interval 0 takes a new key into its (reserved) overflow row.
        iv.add(&ev(0, 1, 703, 10));
        assert_eq!(iv.tables[&0].len(), 4);
        assert_eq!(iv.tables[&0].overflowed, 1);
        // A known key still gets its own row.
        iv.add(&ev(0, 1, 700, 10));
        assert_eq!(iv.tables[&0].len(), 4);
        assert_eq!(calls(&iv.tables[&0]), 5);
        assert_eq!(iv.rows(), 6);
        assert_eq!(iv.used_rows, 6);
        assert_eq!(iv.overflowed(), 3);
    }

    #[test]
    fn nothing_before_the_first_frame() {
        let base = Stats::new(GroupBy::Procedure, 512);
        let iv = Intervals::new(&base, S as u64, 10, 10);
        assert_eq!(iv.iter().count(), 0);
        let mut iv = iv;
        iv.first_frame(Timestamp(5));
        assert_eq!(iv.iter().count(), 1);
    }
}
