//! A map with least-recently-used order, used for every bounded table in the
//! network layer (TCP directions, IP reassemblies).
//!
//! Contract: O(1) lookup, insert, remove, touch and pop-oldest (a lookup
//! can return the entry's slot, so that a caller hashes a key once); no allocation
//! once the table has held its peak number of entries (slots are reused).
//! The map never grows on its own: callers check [`Lru::len`] against their
//! bound and pop the oldest entry first, so the bound lives in one place.

use crate::hash::FastMap;
use std::hash::Hash;

const NIL: usize = usize::MAX;

struct Node<K, V> {
    key: K,
    val: V,
    /// Towards the newest entry.
    newer: usize,
    /// Towards the oldest entry.
    older: usize,
}

/// Map from `K` to `V` that remembers the order of use.
pub(crate) struct Lru<K, V> {
    index: FastMap<K, usize>,
    slots: Vec<Option<Node<K, V>>>,
    free: Vec<usize>,
    newest: usize,
    oldest: usize,
}

impl<K: Hash + Eq + Copy, V> Lru<K, V> {
    pub(crate) fn new() -> Self {
        Lru {
            index: crate::hash::map(),
            slots: Vec::new(),
            free: Vec::new(),
            newest: NIL,
            oldest: NIL,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.index.contains_key(key)
    }

    /// The value for `key`, without changing its place in the order.
    pub(crate) fn peek(&self, key: &K) -> Option<&V> {
        let i = *self.index.get(key)?;
        self.slots[i].as_ref().map(|n| &n.val)
    }

    /// The value for `key`, without changing its place in the order.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = *self.index.get(key)?;
        self.slots[i].as_mut().map(|n| &mut n.val)
    }

    /// The slot holding `key`: a handle for [`Lru::at_mut`] and
    /// [`Lru::touch_at`] that saves hashing the key again, valid until the
    /// entry is removed (its slot is then reused).
    pub(crate) fn slot_of(&self, key: &K) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// The value in `slot` (see [`Lru::slot_of`]), without changing its
    /// place in the order.
    pub(crate) fn at_mut(&mut self, slot: usize) -> Option<&mut V> {
        self.slots.get_mut(slot)?.as_mut().map(|n| &mut n.val)
    }

    /// Marks the entry in `slot` as the most recently used one.
    pub(crate) fn touch_at(&mut self, slot: usize) {
        if slot != self.newest && self.slots.get(slot).is_some_and(Option::is_some) {
            self.unlink(slot);
            self.link_newest(slot);
        }
    }

    /// Inserts `key` as the newest entry. The key must not be present (a
    /// present key is replaced and its old value returned).
    pub(crate) fn insert(&mut self, key: K, val: V) -> Option<V> {
        let old = self.remove(&key);
        let node = Node {
            key,
            val,
            newer: NIL,
            older: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(node);
                i
            }
            None => {
                self.slots.push(Some(node));
                self.slots.len() - 1
            }
        };
        self.index.insert(key, i);
        self.link_newest(i);
        old
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.index.remove(key)?;
        self.unlink(i);
        self.free.push(i);
        self.slots[i].take().map(|n| n.val)
    }

    /// The least recently used entry.
    pub(crate) fn oldest(&self) -> Option<(&K, &V)> {
        if self.oldest == NIL {
            return None;
        }
        self.slots[self.oldest].as_ref().map(|n| (&n.key, &n.val))
    }

    pub(crate) fn pop_oldest(&mut self) -> Option<(K, V)> {
        let key = *self.oldest()?.0;
        self.remove(&key).map(|v| (key, v))
    }

    fn unlink(&mut self, i: usize) {
        let (newer, older) = match &self.slots[i] {
            Some(n) => (n.newer, n.older),
            None => return,
        };
        match newer {
            NIL => self.newest = older,
            j => self.node(j).older = older,
        }
        match older {
            NIL => self.oldest = newer,
            j => self.node(j).newer = newer,
        }
    }

    fn link_newest(&mut self, i: usize) {
        let prev = self.newest;
        {
            let n = self.node(i);
            n.newer = NIL;
            n.older = prev;
        }
        match prev {
            NIL => self.oldest = i,
            j => self.node(j).newer = i,
        }
        self.newest = i;
    }

    fn node(&mut self, i: usize) -> &mut Node<K, V> {
        // Slots reachable from the list are always occupied.
        self.slots[i].as_mut().expect("linked LRU slot is occupied")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(l: &mut Lru<u32, u32>) -> Vec<u32> {
        let mut v = Vec::new();
        while let Some((k, _)) = l.pop_oldest() {
            v.push(k);
        }
        v
    }

    #[test]
    fn pops_in_insertion_order_without_touch() {
        let mut l = Lru::new();
        for k in [5, 1, 9, 3] {
            l.insert(k, k * 10);
        }
        assert_eq!(l.len(), 4);
        assert_eq!(l.oldest(), Some((&5, &50)));
        assert_eq!(order(&mut l), vec![5, 1, 9, 3]);
        assert_eq!(l.len(), 0);
        assert!(l.oldest().is_none());
    }

    #[test]
    fn touch_moves_to_newest_and_remove_relinks() {
        let mut l = Lru::new();
        for k in 0..5 {
            l.insert(k, k);
        }
        for k in [0, 2, 2] {
            l.touch_at(l.slot_of(&k).unwrap());
        }
        assert_eq!(l.remove(&3), Some(3));
        assert_eq!(l.remove(&3), None);
        *l.get_mut(&4).unwrap() = 44;
        assert!(l.contains(&4));
        assert_eq!(l.insert(4, 45), Some(44));
        assert_eq!(order(&mut l), vec![1, 0, 2, 4]);
    }

    #[test]
    fn slot_handles_read_and_touch_without_the_key() {
        let mut l = Lru::new();
        for k in 0..4u32 {
            l.insert(k, k * 10);
        }
        let s = l.slot_of(&1).unwrap();
        *l.at_mut(s).unwrap() += 1;
        l.touch_at(s);
        assert_eq!(l.peek(&1), Some(&11));
        assert_eq!(l.slot_of(&9), None);
        // A slot that holds nothing changes nothing.
        l.remove(&2);
        let free = l.free[0];
        assert!(l.at_mut(free).is_none());
        l.touch_at(free);
        l.touch_at(usize::MAX);
        assert_eq!(order(&mut l), vec![0, 3, 1]);
    }

    #[test]
    fn slots_are_reused() {
        let mut l = Lru::new();
        for round in 0..100u32 {
            l.insert(round, round);
            l.insert(round + 1000, round);
            l.remove(&round);
            l.pop_oldest();
        }
        assert!(l.slots.len() <= 2);
    }
}
