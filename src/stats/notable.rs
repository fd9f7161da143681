//! Notable exchanges, kept with their frame numbers so they can be found in
//! Wireshark: the slowest ones and the failed ones.
//!
//! Both lists are bounded (`Limits::report_slowest`,
//! `Limits::report_errors`): the slowest keeps the N largest latencies seen,
//! ties going to the first seen (a min-heap, O(log N) per exchange); the
//! error list keeps the first N
//! failures in capture order and counts the rest
//! ([`ErrorList::not_listed`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::capture::Timestamp;
use crate::event::Exchange;
use crate::net::{Endpoint, Transport};

use super::StatsKey;

/// One exchange, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notable {
    /// The input it was read from.
    pub file: Arc<str>,
    pub call_frame: Option<u64>,
    pub reply_frame: Option<u64>,
    /// The call's time, else the reply's.
    pub time: Timestamp,
    pub transport: Transport,
    pub client: Endpoint,
    pub server: Endpoint,
    pub xid: u32,
    pub key: StatsKey,
    pub latency_ns: Option<u64>,
    /// The failure (`NFS3ERR_NOENT`, `prog_unavail`), if it failed.
    pub status: Option<Arc<str>>,
    pub path: Option<Arc<str>>,
}

impl Notable {
    /// The record of `ex` (read from `file`); `status` is its failure.
    pub fn of(file: &Arc<str>, ex: &Exchange<'_>, status: Option<&str>) -> Self {
        let call = ex.call.as_ref();
        let reply = ex.reply.as_ref();
        Notable {
            file: file.clone(),
            call_frame: call.map(|c| c.meta.frame),
            reply_frame: reply.map(|r| r.meta.frame),
            time: call
                .map(|c| c.meta.ts)
                .or(reply.map(|r| r.meta.ts))
                .unwrap_or(Timestamp(0)),
            transport: ex.transport,
            client: ex.client,
            server: ex.server,
            xid: ex.xid,
            key: StatsKey::procedure_of(ex),
            latency_ns: ex.latency_ns(),
            status: status.map(Arc::from),
            path: super::names::file_key(ex),
        }
    }
}

/// The `n` slowest exchanges.
#[derive(Debug, Clone)]
pub struct Slowest {
    n: usize,
    /// Min-heap on (latency, order seen reversed): the root is the one to
    /// drop first, the fastest kept and of those the last seen, so that
    /// what is kept is the `n` slowest with ties going to the first seen
    /// (a function of the exchanges and their order alone, which is what
    /// lets [`Slowest::merge`] be exact).
    heap: BinaryHeap<Reverse<(u64, Reverse<u64>, NotableOrd)>>,
    seen: u64,
}

/// [`Notable`] in a heap: ordered by nothing (the heap orders by latency
/// and arrival first, which are unique).
#[derive(Debug, Clone, PartialEq, Eq)]
struct NotableOrd(Box<Notable>);

impl PartialOrd for NotableOrd {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for NotableOrd {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl Slowest {
    /// Keeps the `n` slowest.
    pub fn new(n: usize) -> Self {
        Slowest {
            n,
            heap: BinaryHeap::new(),
            seen: 0,
        }
    }

    /// How many are kept at most.
    pub fn n(&self) -> usize {
        self.n
    }

    /// True when an exchange of `latency_ns` would be kept: check before
    /// building its record.
    pub fn wants(&self, latency_ns: u64) -> bool {
        self.n > 0
            && (self.heap.len() < self.n
                || self
                    .heap
                    .peek()
                    .is_some_and(|Reverse((l, _, _))| latency_ns > *l))
    }

    /// Offers an exchange.
    pub fn offer(&mut self, latency_ns: u64, rec: impl FnOnce() -> Notable) {
        self.seen += 1;
        if !self.wants(latency_ns) {
            return;
        }
        if self.heap.len() >= self.n {
            self.heap.pop();
        }
        self.heap.push(Reverse((
            latency_ns,
            Reverse(self.seen),
            NotableOrd(Box::new(rec())),
        )));
    }

    /// Adds `o`, the slowest of the exchanges offered after this one's.
    /// What is kept is the `n` first of all exchanges in (slowest, first
    /// seen) order, and those are among the `n` first of either part, so
    /// the result is what one list offered every exchange keeps
    /// (`tests::merged_lists_keep_what_one_list_keeps`).
    pub fn merge(&mut self, o: Slowest) {
        let base = self.seen;
        for Reverse((ns, Reverse(seen), rec)) in o.heap.into_vec() {
            self.heap.push(Reverse((ns, Reverse(base + seen), rec)));
            if self.heap.len() > self.n {
                self.heap.pop();
            }
        }
        self.seen = base + o.seen;
    }

    /// The kept exchanges, slowest first (ties: first seen first).
    pub fn sorted(&self) -> Vec<&Notable> {
        let mut v: Vec<_> = self.heap.iter().map(|Reverse(e)| e).collect();
        // `.1` is the order seen, reversed: first seen first.
        v.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        v.into_iter().map(|e| &*e.2 .0).collect()
    }
}

/// The first `n` failed exchanges, and how many more there were.
#[derive(Debug, Clone)]
pub struct ErrorList {
    n: usize,
    /// In the order they were reported.
    pub listed: Vec<Notable>,
    /// Failures past the bound.
    pub not_listed: u64,
}

impl ErrorList {
    /// Lists the first `n`.
    pub fn new(n: usize) -> Self {
        ErrorList {
            n,
            listed: Vec::new(),
            not_listed: 0,
        }
    }
    /// How many are listed at most.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Adds one failure.
    pub fn push(&mut self, rec: impl FnOnce() -> Notable) {
        if self.listed.len() < self.n {
            self.listed.push(rec());
        } else {
            self.not_listed += 1;
        }
    }
    /// Adds `o`, the failures that came after this list's.
    pub fn merge(&mut self, o: ErrorList) {
        let room = self.n.saturating_sub(self.listed.len());
        let past = o.listed.len().saturating_sub(room) as u64;
        self.listed.extend(o.listed.into_iter().take(room));
        self.not_listed += past + o.not_listed;
    }

    /// All failures seen.
    pub fn total(&self) -> u64 {
        self.listed.len() as u64 + self.not_listed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn rec(xid: u32) -> Notable {
        let ep = Endpoint::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 2049);
        Notable {
            file: Arc::from("f"),
            call_frame: Some(xid as u64),
            reply_frame: None,
            time: Timestamp(0),
            transport: Transport::Tcp,
            client: ep,
            server: ep,
            xid,
            key: StatsKey::OVERFLOW,
            latency_ns: None,
            status: None,
            path: None,
        }
    }

    #[test]
    fn keeps_the_n_slowest_in_order() {
        let mut s = Slowest::new(3);
        for (xid, lat) in [(1, 50), (2, 10), (3, 70), (4, 70), (5, 5), (6, 60)] {
            s.offer(lat, || rec(xid));
        }
        let xids: Vec<u32> = s.sorted().iter().map(|n| n.xid).collect();
        assert_eq!(xids, [3, 4, 6]);
        assert!(!s.wants(60));
        assert!(s.wants(61));
        assert!(Slowest::new(0).sorted().is_empty());
    }

    #[test]
    fn merged_lists_keep_what_one_list_keeps() {
        let mut rng = crate::net::testutil::XorShift::new(1);
        for round in 0..3000 {
            let n = (rng.next() % 6) as usize;
            let len = (rng.next() % 40) as usize;
            let spread = 1 + rng.next() % 12;
            let lats: Vec<u64> = (0..len).map(|_| rng.next() % spread).collect();
            let cut = if len == 0 {
                0
            } else {
                (rng.next() % (len as u64 + 1)) as usize
            };
            let mut one = Slowest::new(n);
            for (i, &l) in lats.iter().enumerate() {
                one.offer(l, || rec(i as u32));
            }
            let (mut a, mut b) = (Slowest::new(n), Slowest::new(n));
            for (i, &l) in lats.iter().enumerate() {
                let part = if i < cut { &mut a } else { &mut b };
                part.offer(l, || rec(i as u32));
            }
            a.merge(b);
            let xids = |s: &Slowest| s.sorted().iter().map(|r| r.xid).collect::<Vec<_>>();
            assert_eq!(
                xids(&a),
                xids(&one),
                "round {round}: {lats:?} cut at {cut}, n {n}"
            );
            assert_eq!(a.seen, one.seen);
            // And once more after the merge, as a third file would.
            a.offer(5, || rec(999));
            one.offer(5, || rec(999));
            assert_eq!(xids(&a), xids(&one), "round {round}: after the merge");
        }
    }

    #[test]
    fn merged_error_lists_are_one_list() {
        for n in 0..5 {
            for cut in 0..7u32 {
                let mut one = ErrorList::new(n);
                let (mut a, mut b) = (ErrorList::new(n), ErrorList::new(n));
                for x in 0..7u32 {
                    one.push(|| rec(x));
                    if x < cut {
                        a.push(|| rec(x))
                    } else {
                        b.push(|| rec(x))
                    }
                }
                a.merge(b);
                assert_eq!(a.listed, one.listed);
                assert_eq!(a.not_listed, one.not_listed);
            }
        }
    }

    #[test]
    fn lists_the_first_errors_and_counts_the_rest() {
        let mut e = ErrorList::new(2);
        for x in 0..5 {
            e.push(|| rec(x));
        }
        assert_eq!(e.listed.iter().map(|n| n.xid).collect::<Vec<_>>(), [0, 1]);
        assert_eq!((e.not_listed, e.total()), (3, 5));
    }
}
