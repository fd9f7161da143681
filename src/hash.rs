//! The hash maps of the per-message tables (pending and answered calls,
//! flows, paths, statistics rows).
//!
//! std's default SipHash-1-3 cost a third of the decoder's time on small
//! keys. `foldhash` is several times faster and, like SipHash, seeded at
//! random per process, so a hostile capture cannot precompute keys that
//! collide (hash flooding) in the tables it fills.

use std::collections::{HashMap, HashSet};

/// The hasher state of [`FastMap`]: randomly seeded per map.
pub type FastState = foldhash::fast::RandomState;

/// A `HashMap` with the fast, seeded hasher.
pub type FastMap<K, V> = HashMap<K, V, FastState>;

/// A `HashSet` with the fast, seeded hasher.
pub type FastSet<K> = HashSet<K, FastState>;

/// An empty [`FastMap`].
pub fn map<K, V>() -> FastMap<K, V> {
    HashMap::with_hasher(FastState::default())
}
