//! Top talkers: per client, server or file, calls, errors, bytes and total
//! time, to rank by any of them ("which client, which file", like
//! nfswatch).
//!
//! Bounded by `max_entries` distinct names per table: the exchanges of
//! later names are counted in one "other" entry ([`TopTable::other`]), so
//! totals still add up. Ranking is exact among the names kept.

use std::hash::Hash;

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
    entries: crate::hash::FastMap<K, TopEntry>,
    /// The names past the bound, together.
    pub other: TopEntry,
}

impl<K: Eq + Hash + Clone + Ord> TopTable<K> {
    /// A table of at most `max_entries` names.
    pub fn new(max_entries: usize) -> Self {
        TopTable {
            max_entries,
            entries: crate::hash::map(),
            other: TopEntry::default(),
        }
    }

    /// Adds `d` to `name`'s counters.
    pub fn add(&mut self, name: &K, d: &TopEntry) {
        let room = self.entries.len() < self.max_entries;
        match self.entries.get_mut(name) {
            Some(e) => e.add(d),
            None if room => {
                self.entries.insert(name.clone(), d.clone());
            }
            None => self.other.add(d),
        }
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
