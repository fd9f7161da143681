//! A bounded map that remembers insertion order, for the call tables.
//!
//! Pending and answered calls live in a `HashMap`; a `VecDeque` remembers the
//! order they came in so that the oldest can be evicted (table full) or expired
//! (capture-time timeout) without scanning the map. Entries removed from the
//! map leave stale order entries behind; they are skipped when met and the
//! queue is compacted when stale entries outnumber live ones, so both
//! structures stay within a constant factor of the cap.

use std::collections::VecDeque;

use crate::hash::FastMap;
use std::hash::Hash;

use crate::capture::Timestamp;

struct Slot<V> {
    value: V,
    seq: u64,
    since: Timestamp,
}

/// A map of at most `cap` entries, oldest first out.
pub struct AgedMap<K, V> {
    map: FastMap<K, Slot<V>>,
    order: VecDeque<(K, u64)>,
    next_seq: u64,
    cap: usize,
}

impl<K: Hash + Eq + Copy, V> AgedMap<K, V> {
    /// An empty map holding at most `cap` entries (at least 1).
    pub fn new(cap: usize) -> Self {
        AgedMap {
            map: crate::hash::map(),
            order: VecDeque::new(),
            next_seq: 0,
            cap: cap.max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k).map(|s| &s.value)
    }

    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k).map(|s| &mut s.value)
    }

    pub fn contains_key(&self, k: &K) -> bool {
        self.map.contains_key(k)
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        let v = self.map.remove(k).map(|s| s.value);
        self.compact();
        v
    }

    /// Inserts (or replaces, renewing its age). When the map is full, the
    /// oldest entry is removed first and returned.
    pub fn insert(&mut self, k: K, v: V, now: Timestamp) -> Option<(K, V)> {
        let mut evicted = None;
        if self.map.len() >= self.cap && !self.map.contains_key(&k) {
            evicted = self.pop_oldest();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.map.insert(
            k,
            Slot {
                value: v,
                seq,
                since: now,
            },
        );
        self.order.push_back((k, seq));
        self.compact();
        evicted
    }

    /// Marks `k` as the newest entry (least recently used eviction), keeping
    /// its insertion time for [`AgedMap::pop_older_than`].
    pub fn touch(&mut self, k: &K) {
        if let Some(s) = self.map.get_mut(k) {
            s.seq = self.next_seq;
            self.next_seq += 1;
            self.order.push_back((*k, s.seq));
            self.compact();
        }
    }

    /// The keys, in no particular order.
    pub fn keys(&self) -> Vec<K> {
        self.map.keys().copied().collect()
    }

    /// Removes and returns the oldest entry.
    pub fn pop_oldest(&mut self) -> Option<(K, V)> {
        while let Some((k, seq)) = self.order.pop_front() {
            // Not `entry()`: on a stale key it reserves room, which would
            // grow a full table past its cap's allocation.
            if self.map.get(&k).is_some_and(|s| s.seq == seq) {
                return self.map.remove(&k).map(|s| (k, s.value));
            }
        }
        None
    }

    /// Removes and returns the oldest entry if it was inserted at or before
    /// `deadline`.
    pub fn pop_older_than(&mut self, deadline: Timestamp) -> Option<(K, V)> {
        loop {
            let (k, seq) = *self.order.front()?;
            match self.map.get(&k) {
                Some(s) if s.seq == seq => {
                    if s.since > deadline {
                        return None;
                    }
                    self.order.pop_front();
                    return self.map.remove(&k).map(|s| (k, s.value));
                }
                _ => {
                    self.order.pop_front();
                }
            }
        }
    }

    fn compact(&mut self) {
        if self.order.len() > 2 * self.map.len() + 64 {
            let map = &self.map;
            self.order
                .retain(|(k, seq)| map.get(k).is_some_and(|s| s.seq == *seq));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp(s * 1_000_000_000)
    }

    #[test]
    fn evicts_oldest_when_full() {
        let mut m = AgedMap::new(2);
        assert!(m.insert(1, "a", t(0)).is_none());
        assert!(m.insert(2, "b", t(1)).is_none());
        assert_eq!(m.insert(3, "c", t(2)), Some((1, "a")));
        assert_eq!(m.len(), 2);
        assert!(m.get(&1).is_none());
    }

    #[test]
    fn replacing_renews_age() {
        let mut m = AgedMap::new(2);
        m.insert(1, "a", t(0));
        m.insert(2, "b", t(1));
        m.insert(1, "a2", t(2));
        assert_eq!(m.insert(3, "c", t(3)), Some((2, "b")));
        assert_eq!(m.get(&1), Some(&"a2"));
    }

    #[test]
    fn expires_in_order_and_skips_removed() {
        let mut m = AgedMap::new(10);
        m.insert(1, 'a', t(0));
        m.insert(2, 'b', t(5));
        m.insert(3, 'c', t(10));
        m.remove(&1);
        assert_eq!(m.pop_older_than(t(6)), Some((2, 'b')));
        assert_eq!(m.pop_older_than(t(6)), None);
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn touch_makes_an_entry_the_newest() {
        let mut m = AgedMap::new(3);
        m.insert(1, 'a', t(0));
        m.insert(2, 'b', t(1));
        m.insert(3, 'c', t(2));
        m.touch(&1);
        assert_eq!(m.insert(4, 'd', t(3)), Some((2, 'b')));
        for _ in 0..1000 {
            m.touch(&3);
        }
        assert!(m.order.len() <= 2 * m.map.len() + 65);
        assert_eq!(m.pop_oldest(), Some((1, 'a')));
    }

    #[test]
    fn order_queue_stays_bounded_under_churn() {
        let mut m = AgedMap::new(4);
        for i in 0..10_000u32 {
            m.insert(i % 3, i, t(i as i64));
            m.remove(&(i % 3));
        }
        assert!(m.order.len() <= 2 * m.map.len() + 65);
    }
}
