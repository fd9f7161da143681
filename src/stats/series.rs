//! Time series: per interval of capture time, calls, errors and a coarse
//! latency histogram (p50/p99 within 10%), in total and per key.
//!
//! Two shapes, both bounded by a number of points:
//! - [`Series::coarsening`] (the report): starts at a fine interval and,
//!   when the capture outgrows `max_points` intervals, doubles the interval
//!   and merges neighbours, so any capture span fits;
//! - [`Series::sliding`] (the `top` view): a fixed interval, keeping only
//!   the latest `max_points` intervals; older points are dropped.
//!
//! Keys are interned up to `max_keys`; the exchanges of later keys count in
//! the totals only ([`Series::keys_dropped`]). Memory is at most
//! `max_points * (max_keys + 1)` cells of ~450 bytes (a cell with no
//! latency holds no histogram). Intervals are aligned on multiples of their
//! width since the epoch, so two runs over adjacent files line up.

use std::collections::BTreeMap;

use super::latency::CoarseHist;
use super::StatsKey;

/// One interval's counts (in total or for one key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    /// Calls and orphan replies counted in the interval (by call time).
    pub calls: u64,
    /// Failed exchanges (see [`super::names::failure`]).
    pub errors: u64,
    /// Latencies of the replies.
    pub latency: CoarseHist,
    /// An exchange was counted here (even one that adds nothing above: a
    /// reply without its call). A key's cells up to the last one counted
    /// are kept, so merging two series needs to know which were.
    counted: bool,
}

impl Cell {
    fn merge(&mut self, o: &Cell) {
        self.calls += o.calls;
        self.errors += o.errors;
        self.latency.merge(&o.latency);
        self.counted |= o.counted;
    }
}

/// One interval.
#[derive(Debug, Clone, Default)]
pub struct Point {
    /// The whole traffic.
    pub total: Cell,
    /// Per key, indexed by the key's id ([`Series::keys`]); shorter when
    /// later keys saw nothing in this interval.
    pub by_key: Vec<Cell>,
}

impl Point {
    /// The cell of key `id` (an empty one when it saw nothing).
    pub fn key(&self, id: usize) -> Option<&Cell> {
        self.by_key.get(id)
    }
    fn merge(&mut self, o: &Point) {
        self.total.merge(&o.total);
        if self.by_key.len() < o.by_key.len() {
            self.by_key.resize(o.by_key.len(), Cell::default());
        }
        for (a, b) in self.by_key.iter_mut().zip(&o.by_key) {
            a.merge(b);
        }
    }
}

/// What happens when the points would exceed their bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Coarsen,
    Slide,
}

/// A bounded time series; see the module docs.
#[derive(Debug, Clone)]
pub struct Series {
    width_ns: u64,
    /// The width it started at.
    start_ns: u64,
    mode: Mode,
    max_points: usize,
    max_keys: usize,
    /// Points by interval index (capture time / width).
    points: BTreeMap<u64, Point>,
    keys: Vec<StatsKey>,
    ids: crate::hash::FastMap<StatsKey, usize>,
    /// Exchanges whose key was not interned (more than `max_keys`).
    pub keys_dropped: u64,
    /// Exchanges older than the oldest point a sliding series keeps.
    pub too_old: u64,
}

impl Series {
    /// A series that starts at `width_ns` intervals and doubles them to stay
    /// within `max_points`.
    pub fn coarsening(width_ns: u64, max_points: usize, max_keys: usize) -> Self {
        Self::new(width_ns, Mode::Coarsen, max_points, max_keys)
    }

    /// A series of `width_ns` intervals that keeps the latest `max_points`.
    pub fn sliding(width_ns: u64, max_points: usize, max_keys: usize) -> Self {
        Self::new(width_ns, Mode::Slide, max_points, max_keys)
    }

    fn new(width_ns: u64, mode: Mode, max_points: usize, max_keys: usize) -> Self {
        Series {
            width_ns: width_ns.max(1),
            start_ns: width_ns.max(1),
            mode,
            max_points: max_points.max(2),
            max_keys,
            points: BTreeMap::new(),
            keys: Vec::new(),
            ids: crate::hash::map(),
            keys_dropped: 0,
            too_old: 0,
        }
    }

    /// An empty series of the same shape and bounds (at the start width
    /// it was made with, which a coarsening series doubles from).
    pub fn empty_like(&self) -> Self {
        Self::new(self.start_ns, self.mode, self.max_points, self.max_keys)
    }

    /// The current interval width in nanoseconds.
    pub fn width_ns(&self) -> u64 {
        self.width_ns
    }

    /// The interned keys; a key's id is its index.
    pub fn keys(&self) -> &[StatsKey] {
        &self.keys
    }

    /// The points in time order: (start of the interval in ns since the
    /// epoch, point). Intervals with no traffic are absent.
    pub fn points(&self) -> impl Iterator<Item = (i64, &Point)> {
        let w = self.width_ns;
        self.points
            .iter()
            .map(move |(i, p)| ((*i as i128 * w as i128 - OFFSET as i128) as i64, p))
    }

    /// The latest point's interval start, if any.
    pub fn last_start(&self) -> Option<i64> {
        self.points().last().map(|(t, _)| t)
    }

    /// Counts one exchange at capture time `ts_ns` (ns since the epoch).
    pub fn add(&mut self, ts_ns: i64, key: &StatsKey, call: bool, error: bool, lat: Option<u64>) {
        let Some(mut idx) = self.index(ts_ns) else {
            self.too_old += 1;
            return;
        };
        if let Some(first) = self.points.keys().next().copied() {
            let last = self.points.keys().next_back().copied().unwrap_or(first);
            let (lo, hi) = (first.min(idx), last.max(idx));
            if hi - lo >= self.max_points as u64 {
                match self.mode {
                    Mode::Coarsen => {
                        self.coarsen_to_fit(lo, hi);
                        idx = self.index(ts_ns).unwrap_or(idx);
                    }
                    Mode::Slide => {
                        if idx < first {
                            self.too_old += 1;
                            return;
                        }
                        let keep_from = idx + 1 - self.max_points as u64;
                        self.points = self.points.split_off(&keep_from);
                    }
                }
            }
        }
        let id = match self.ids.get(key) {
            Some(&id) => Some(id),
            None if self.keys.len() < self.max_keys => {
                let id = self.keys.len();
                self.keys.push(key.clone());
                self.ids.insert(key.clone(), id);
                Some(id)
            }
            None => {
                self.keys_dropped += 1;
                None
            }
        };
        let p = self.points.entry(idx).or_default();
        let bump = |c: &mut Cell| {
            c.counted = true;
            c.calls += u64::from(call);
            c.errors += u64::from(error);
            if let Some(ns) = lat {
                c.latency.record(ns);
            }
        };
        bump(&mut p.total);
        if let Some(id) = id {
            if p.by_key.len() <= id {
                p.by_key.resize(id + 1, Cell::default());
            }
            bump(&mut p.by_key[id]);
        }
    }

    /// The interval index of a time (times before 1970 minus [`OFFSET`]
    /// have none).
    fn index(&self, ts_ns: i64) -> Option<u64> {
        let t = (ts_ns as i128) + OFFSET as i128;
        (t >= 0).then(|| (t as u128 / self.width_ns as u128) as u64)
    }

    /// Doubles the width until `lo..=hi` (indexes at the current width)
    /// spans fewer than `max_points` intervals.
    fn coarsen_to_fit(&mut self, mut lo: u64, mut hi: u64) {
        while hi - lo >= self.max_points as u64 {
            self.double();
            lo /= 2;
            hi /= 2;
        }
    }

    /// Doubles the width, merging neighbours (intervals are aligned on
    /// multiples of the width, so interval `i` becomes `i / 2`).
    fn double(&mut self) {
        self.width_ns = self.width_ns.saturating_mul(2);
        let old = std::mem::take(&mut self.points);
        for (i, p) in old {
            self.points.entry(i / 2).or_default().merge(&p);
        }
    }

    /// [`Series::merge`] when [`Series::can_merge`], else nothing (false).
    #[cfg(test)]
    pub fn try_merge(&mut self, o: &Series) -> bool {
        if !self.can_merge(o) {
            return false;
        }
        self.merge(o.clone());
        true
    }

    /// True when adding `o`, a coarsening series of the exchanges that came
    /// after this one's, gives exactly the series one run over both would
    /// have made: neither is a sliding series, `o` interned every key it
    /// saw, and the keys together fit within `max_keys`. Key ids then go in
    /// order of first sight (this series' keys, then `o`'s new ones in its
    /// order), and the width is the least doubling of the start width at
    /// which every point fits, which is what coarsening as exchanges come
    /// gives too (a span only grows, so every doubling it made was needed
    /// for the whole).
    pub fn can_merge(&self, o: &Series) -> bool {
        let new_keys = o.keys.iter().filter(|k| !self.ids.contains_key(*k)).count();
        self.mode == Mode::Coarsen
            && o.mode == Mode::Coarsen
            && self.start_ns == o.start_ns
            && self.max_points == o.max_points
            && o.keys_dropped == 0
            && o.too_old == 0
            && self.keys.len() + new_keys <= self.max_keys
    }

    /// Adds `o`; exact when [`Series::can_merge`] said so.
    pub fn merge(&mut self, mut o: Series) {
        let ids: Vec<usize> = o
            .keys
            .iter()
            .map(|k| match self.ids.get(k) {
                Some(&id) => id,
                None => {
                    let id = self.keys.len();
                    self.keys.push(k.clone());
                    self.ids.insert(k.clone(), id);
                    id
                }
            })
            .collect();
        while self.width_ns < o.width_ns {
            self.double();
        }
        while o.width_ns < self.width_ns {
            o.double();
        }
        for (i, p) in o.points {
            let mine = self.points.entry(i).or_default();
            mine.total.merge(&p.total);
            for (j, c) in p.by_key.iter().enumerate() {
                let Some(&id) = ids.get(j) else { continue };
                if !c.counted {
                    continue;
                }
                if mine.by_key.len() <= id {
                    mine.by_key.resize(id + 1, Cell::default());
                }
                mine.by_key[id].merge(c);
            }
        }
        if let (Some(&lo), Some(&hi)) = (self.points.keys().next(), self.points.keys().next_back())
        {
            self.coarsen_to_fit(lo, hi);
        }
    }
}

/// Shifts capture times so that times a little before the epoch (a
/// capture with a zero clock) still index: 2^32 s (~136 years). A multiple
/// of every width used (one second doubled up to 2^32 times), so intervals
/// stay aligned on multiples of their width since the epoch.
const OFFSET: i64 = (1 << 32) * 1_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn key(p: u32) -> StatsKey {
        StatsKey {
            procedure: Some(p),
            ..StatsKey::OVERFLOW
        }
    }

    #[test]
    fn counts_land_in_their_interval_and_key() {
        let mut s = Series::coarsening(S as u64, 10, 8);
        s.add(100 * S, &key(1), true, false, Some(1_000_000));
        s.add(100 * S + S / 2, &key(2), true, true, None);
        s.add(101 * S, &key(1), true, false, Some(3_000_000));
        let pts: Vec<_> = s.points().collect();
        assert_eq!(pts.len(), 2);
        assert_eq!(pts[0].0, 100 * S);
        assert_eq!(pts[0].1.total.calls, 2);
        assert_eq!(pts[0].1.total.errors, 1);
        assert_eq!(pts[0].1.key(0).unwrap().calls, 1);
        assert_eq!(pts[0].1.key(1).unwrap().errors, 1);
        assert_eq!(pts[1].0, 101 * S);
        assert!(pts[1].1.key(1).is_none());
        assert_eq!(s.keys(), &[key(1), key(2)]);
    }

    #[test]
    fn a_long_capture_doubles_the_interval_and_keeps_every_count() {
        let mut s = Series::coarsening(S as u64, 8, 8);
        for i in 0..100 {
            s.add(1000 * S + i * S, &key(1), true, i % 10 == 0, Some(1000));
        }
        assert!(s.points().count() <= 8);
        assert_eq!(s.width_ns(), 16 * S as u64);
        let calls: u64 = s.points().map(|(_, p)| p.total.calls).sum();
        let errors: u64 = s.points().map(|(_, p)| p.total.errors).sum();
        assert_eq!((calls, errors), (100, 10));
        // Aligned on the width.
        assert!(s.points().all(|(t, _)| t % (16 * S) == 0));
    }

    #[test]
    fn a_sliding_series_keeps_the_latest_points_only() {
        let mut s = Series::sliding(S as u64, 5, 8);
        for i in 0..20 {
            s.add(i * S, &key(1), true, false, None);
        }
        let starts: Vec<i64> = s.points().map(|(t, _)| t).collect();
        assert_eq!(starts, vec![15 * S, 16 * S, 17 * S, 18 * S, 19 * S]);
        s.add(2 * S, &key(1), true, false, None);
        assert_eq!(s.too_old, 1);
    }

    /// Everything the report reads of a series.
    fn view(s: &Series) -> (u64, Vec<StatsKey>, u64, Vec<(i64, Point)>) {
        let pts = s.points().map(|(t, p)| (t, p.clone())).collect();
        (s.width_ns(), s.keys().to_vec(), s.keys_dropped, pts)
    }

    impl PartialEq for Point {
        fn eq(&self, o: &Point) -> bool {
            self.total == o.total && self.by_key == o.by_key
        }
    }

    #[test]
    fn merged_series_are_the_series_of_both() {
        let mut rng = crate::net::testutil::XorShift::new(2);
        let (mut merged, mut refused) = (0, 0);
        for round in 0..2400 {
            let points = 2 + (rng.next() % 8) as usize;
            let max_keys = 1 + (rng.next() % 8) as usize;
            let len = (rng.next() % 60) as usize;
            let span = 1 + rng.next() % 200;
            let adds: Vec<(i64, u32, bool, bool, Option<u64>)> = (0..len)
                .map(|_| {
                    let r = rng.next();
                    (
                        (1000 + (r % span)) as i64 * S / 2,
                        ((r >> 20) % 6) as u32,
                        !(r >> 30).is_multiple_of(3),
                        (r >> 33).is_multiple_of(5),
                        (r >> 36)
                            .is_multiple_of(2)
                            .then_some((r >> 40) % 50_000_000),
                    )
                })
                .collect();
            let cut = (rng.next() % (len as u64 + 1)) as usize;
            let mut one = Series::coarsening(S as u64, points, max_keys);
            let mut a = Series::coarsening(S as u64, points, max_keys);
            let mut b = Series::coarsening(S as u64, points, max_keys);
            for (i, &(t, k, call, err, lat)) in adds.iter().enumerate() {
                one.add(t, &key(k), call, err, lat);
                let part = if i < cut { &mut a } else { &mut b };
                part.add(t, &key(k), call, err, lat);
            }
            let before = view(&a);
            if a.try_merge(&b) {
                merged += 1;
                assert!(
                    view(&a) == view(&one),
                    "round {round}: {adds:?} cut at {cut}"
                );
            } else {
                refused += 1;
                assert!(
                    view(&a) == before,
                    "round {round}: a refused merge changed nothing"
                );
                assert!(b.keys_dropped > 0 || a.keys.len() + b.keys.len() > max_keys);
            }
        }
        assert!(
            merged > 1000 && refused > 10,
            "{merged} merged, {refused} refused"
        );
    }

    #[test]
    fn keys_past_the_bound_count_in_the_totals_only() {
        let mut s = Series::coarsening(S as u64, 8, 2);
        for p in 0..5 {
            s.add(0, &key(p), true, false, None);
        }
        assert_eq!(s.keys().len(), 2);
        assert_eq!(s.keys_dropped, 3);
        assert_eq!(s.points().next().unwrap().1.total.calls, 5);
    }
}
