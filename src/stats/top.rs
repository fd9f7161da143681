//! Top talkers: per client, server or file, calls, errors, bytes and total
//! time, to rank by any of them ("which client, which file", like
//! nfswatch).
//!
//! Bounded by `max_entries` distinct names per table and `max_bytes` of
//! what the names hold on the heap (paths): from the first name that does
//! not fit on, the exchanges of new names are counted in one "other" entry
//! ([`TopTable::other`]), so totals still add up. Ranking is exact among
//! the names kept.

use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;

/// What a name holds on the heap, counted against a table's `max_bytes`.
pub trait Weigh {
    fn heap_bytes(&self) -> usize;
}

impl Weigh for IpAddr {
    fn heap_bytes(&self) -> usize {
        0
    }
}

impl Weigh for Arc<str> {
    /// The text and the allocation's header (two counts, malloc's word).
    fn heap_bytes(&self) -> usize {
        self.len() + 24
    }
}

#[cfg(test)]
impl Weigh for String {
    fn heap_bytes(&self) -> usize {
        self.len()
    }
}

#[cfg(test)]
impl Weigh for u64 {
    fn heap_bytes(&self) -> usize {
        0
    }
}

/// The counters of one name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopEntry {
    pub calls: u64,
    pub errors: u64,
    pub call_bytes: u64,
    pub reply_bytes: u64,
    /// Sum of the latencies of its exchanges, in nanoseconds.
    pub total_ns: u128,
}

impl TopEntry {
    /// Bytes both ways.
    pub fn bytes(&self) -> u64 {
        self.call_bytes + self.reply_bytes
    }
    fn add(&mut self, d: &TopEntry) {
        self.calls += d.calls;
        self.errors += d.errors;
        self.call_bytes += d.call_bytes;
        self.reply_bytes += d.reply_bytes;
        self.total_ns += d.total_ns;
    }
}

/// What to rank by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    Calls,
    Bytes,
    TotalTime,
    Errors,
}

/// One bounded table of names; see the module docs.
#[derive(Debug, Clone)]
pub struct TopTable<K: Eq + Hash> {
    max_entries: usize,
    max_bytes: usize,
    /// What the kept names hold on the heap ([`Weigh`]).
    bytes: usize,
    /// A new name did not fit: every later new name goes to `other` too,
    /// so what is kept does not depend on the sizes of later names.
    closed: bool,
    entries: crate::hash::FastMap<K, TopEntry>,
    /// The names past the bound, together.
    pub other: TopEntry,
}

impl<K: Eq + Hash + Clone + Ord + Weigh> TopTable<K> {
    /// A table of at most `max_entries` names, whatever their sizes.
    pub fn new(max_entries: usize) -> Self {
        Self::with_budget(max_entries, usize::MAX)
    }

    /// A table of at most `max_entries` names holding at most `max_bytes`
    /// on the heap together.
    pub fn with_budget(max_entries: usize, max_bytes: usize) -> Self {
        TopTable {
            max_entries,
            max_bytes,
            bytes: 0,
            closed: false,
            entries: crate::hash::map(),
            other: TopEntry::default(),
        }
    }

    /// An empty table with the same bounds.
    pub fn emptied(&self) -> Self {
        Self::with_budget(self.max_entries, self.max_bytes)
    }

    /// Adds `d` to `name`'s counters.
    pub fn add(&mut self, name: &K, d: &TopEntry) {
        if let Some(e) = self.entries.get_mut(name) {
            e.add(d);
            return;
        }
        let w = name.heap_bytes();
        if !self.closed
            && self.entries.len() < self.max_entries
            && self.bytes.saturating_add(w) <= self.max_bytes
        {
            self.bytes += w;
            self.entries.insert(name.clone(), d.clone());
        } else {
            self.closed = true;
            self.other.add(d);
        }
    }

    /// [`TopTable::merge`] when [`TopTable::can_merge`], else nothing
    /// (false).
    #[cfg(test)]
    pub fn try_merge(&mut self, o: &TopTable<K>) -> bool {
        if !self.can_merge(o) {
            return false;
        }
        self.merge(o.clone());
        true
    }

    /// True when adding `o`, a table of the exchanges that came after this
    /// one's, gives exactly what one table fed both would hold: `o` kept
    /// every name it saw and either all names fit, or this table was
    /// already full (its later names all go to "other"). When the bound
    /// falls among `o`'s new names, which of them would have been kept
    /// depends on an order `o` does not keep.
    pub fn can_merge(&self, o: &TopTable<K>) -> bool {
        let (mut new, mut new_bytes) = (0usize, 0usize);
        for k in o.entries.keys().filter(|k| !self.entries.contains_key(*k)) {
            new += 1;
            new_bytes = new_bytes.saturating_add(k.heap_bytes());
        }
        let full = self.closed || self.entries.len() >= self.max_entries;
        let fits = self.entries.len() + new <= self.max_entries
            && self.bytes.saturating_add(new_bytes) <= self.max_bytes;
        o.kept_all() && (new == 0 || full || fits)
    }

    /// Adds `o`; exact when [`TopTable::can_merge`] said so.
    pub fn merge(&mut self, o: TopTable<K>) {
        for (k, d) in &o.entries {
            self.add(k, d);
        }
    }

    /// True while every name counted has its own entry (none went to
    /// "other").
    pub fn kept_all(&self) -> bool {
        !self.closed
    }

    /// What the kept names hold on the heap, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Distinct names kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `n` first names by `rank`, descending (ties by name).
    pub fn top(&self, rank: Rank, n: usize) -> Vec<(&K, &TopEntry)> {
        let score = |e: &TopEntry| -> u128 {
            match rank {
                Rank::Calls => e.calls.into(),
                Rank::Bytes => e.bytes().into(),
                Rank::TotalTime => e.total_ns,
                Rank::Errors => e.errors.into(),
            }
        };
        let mut v: Vec<_> = self.entries.iter().collect();
        v.sort_by(|a, b| score(b.1).cmp(&score(a.1)).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(n: u64, ns: u128) -> TopEntry {
        TopEntry {
            calls: n,
            call_bytes: 100 * n,
            total_ns: ns,
            ..TopEntry::default()
        }
    }

    #[test]
    fn merged_tables_are_the_table_of_both_or_refused() {
        let mut rng = crate::net::testutil::XorShift::new(3);
        let mut next = || rng.next();
        let (mut merged, mut refused) = (0, 0);
        for _ in 0..2000 {
            let max = 1 + (next() % 5) as usize;
            let len = (next() % 20) as usize;
            let names: Vec<u64> = (0..len).map(|_| next() % 8).collect();
            let cut = (next() % (len as u64 + 1)) as usize;
            let (mut one, mut a, mut b) =
                (TopTable::new(max), TopTable::new(max), TopTable::new(max));
            for (i, n) in names.iter().enumerate() {
                let d = calls(1 + *n, *n as u128);
                one.add(n, &d);
                if i < cut {
                    a.add(n, &d)
                } else {
                    b.add(n, &d)
                }
            }
            let before = (a.entries.clone(), a.other.clone());
            if a.try_merge(&b) {
                merged += 1;
                assert_eq!(a.entries, one.entries, "{names:?} cut at {cut}, max {max}");
                assert_eq!(a.other, one.other);
            } else {
                refused += 1;
                assert_eq!((a.entries.clone(), a.other.clone()), before);
            }
        }
        assert!(
            merged > 1000 && refused > 10,
            "{merged} merged, {refused} refused"
        );
    }

    /// The same with names of different sizes and a byte budget: once one
    /// name does not fit, later new names go to "other" even when they
    /// would, so a merge is exact or refused here too.
    #[test]
    fn merged_tables_with_a_byte_budget_are_the_table_of_both_or_refused() {
        let mut rng = crate::net::testutil::XorShift::new(11);
        let (mut merged, mut refused) = (0, 0);
        for _ in 0..3000 {
            let max = 1 + rng.below(8);
            let budget = rng.below(120);
            let len = rng.below(20);
            let names: Vec<String> = (0..len)
                .map(|_| {
                    let n = rng.below(10);
                    ((b'a' + n as u8) as char)
                        .to_string()
                        .repeat(1 + n * 7 % 40)
                })
                .collect();
            let cut = rng.below(len + 1);
            let table = || TopTable::with_budget(max, budget);
            let (mut one, mut a, mut b) = (table(), table(), table());
            for (i, n) in names.iter().enumerate() {
                let d = calls(1 + i as u64, i as u128);
                one.add(n, &d);
                if i < cut {
                    a.add(n, &d)
                } else {
                    b.add(n, &d)
                }
                assert!(one.bytes() <= budget && one.len() <= max);
            }
            let before = (a.entries.clone(), a.other.clone());
            if a.try_merge(&b) {
                merged += 1;
                assert_eq!(a.entries, one.entries, "{names:?} cut at {cut}, max {max}");
                assert_eq!(a.other, one.other);
                assert_eq!(a.bytes(), one.bytes());
            } else {
                refused += 1;
                assert_eq!((a.entries.clone(), a.other.clone()), before);
            }
        }
        assert!(
            merged > 1000 && refused > 100,
            "{merged} merged, {refused} refused"
        );
    }

    #[test]
    fn a_name_past_the_byte_budget_closes_the_table() {
        let mut t: TopTable<String> = TopTable::with_budget(10, 10);
        let name = |n: usize, c: char| c.to_string().repeat(n);
        t.add(&name(6, 'a'), &calls(1, 1));
        t.add(&name(6, 'b'), &calls(2, 1)); // 12 > 10: refused
        t.add(&name(1, 'c'), &calls(3, 1)); // would fit, but the table is closed
        t.add(&name(6, 'a'), &calls(1, 1)); // known names still count
        assert_eq!(t.len(), 1);
        assert_eq!(t.bytes(), 6);
        assert_eq!(t.other, calls(5, 2));
        assert_eq!(t.top(Rank::Calls, 5)[0].1.calls, 2);
    }

    #[test]
    fn ranks_by_each_measure_and_bounds_names() {
        let mut t: TopTable<String> = TopTable::new(2);
        t.add(&"a".into(), &calls(5, 10));
        t.add(&"b".into(), &calls(1, 1000));
        t.add(&"a".into(), &calls(1, 0));
        t.add(&"c".into(), &calls(7, 7));
        assert_eq!(t.len(), 2);
        assert_eq!(t.other, calls(7, 7));
        let by_calls: Vec<_> = t.top(Rank::Calls, 5).iter().map(|e| e.0.clone()).collect();
        assert_eq!(by_calls, ["a", "b"]);
        let by_time: Vec<_> = t
            .top(Rank::TotalTime, 1)
            .iter()
            .map(|e| e.0.clone())
            .collect();
        assert_eq!(by_time, ["b"]);
        assert_eq!(t.top(Rank::Bytes, 1)[0].1.bytes(), 600);
    }
}
