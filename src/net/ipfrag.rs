//! IPv4 and IPv6 fragment reassembly, in the shape of smoltcp's
//! `iface/fragmentation.rs`: a bounded table of datagrams in flight, each a
//! buffer plus the list of fragments written into it.
//!
//! Guarantees:
//! - Fragments may arrive in any order; identical duplicates are ignored.
//! - A fragment that overlaps earlier data with different bytes, extends past
//!   the datagram's end or past `Limits::max_ip_datagram`, or disagrees about
//!   where the datagram ends makes the whole datagram invalid (RFC 5722):
//!   counted once as `IpFragmentInvalid`; later fragments of it are swallowed
//!   until it times out.
//! - Memory is bounded by `max_ip_reassemblies` datagrams of at most
//!   `max_ip_datagram` bytes and `max_ip_fragments` fragments each. A full
//!   table evicts the oldest datagram; too many fragments drops the datagram;
//!   a datagram older than `ip_reassembly_timeout_ns` of capture time is
//!   dropped. Each drop of an incomplete datagram is one `IpReassemblyDropped`.
//! - A fragment cut by the snapshot length still counts for completeness by
//!   its length on the wire; the completed datagram then carries the
//!   captured bytes from offset 0 up to the first missing byte.
//! - A completed datagram is remembered (a hash per fragment, bounded like
//!   the table and for the same timeout) so that a late copy of one of its
//!   fragments is ignored as a duplicate instead of starting a datagram
//!   that can never complete. A different fragment with the same key starts
//!   a new datagram (IP identification reuse).
//! - Buffers of finished datagrams are reused.

use std::net::IpAddr;

use super::event::NetAnomaly;
use super::ip::FragInfo;
use super::lru::Lru;
use super::stats::Sink;
use crate::capture::Timestamp;
use crate::limits::Limits;

/// Spare buffers kept for reuse (see [`crate::limits::IP_FRAG_POOL`]).
const POOL_MAX: usize = crate::limits::IP_FRAG_POOL;

/// What identifies the fragments of one datagram: (src, dst, proto, id) for
/// IPv4 (RFC 791), (src, dst, id) for IPv6 (RFC 8200; `proto` is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub id: u32,
}

/// One fragment as it arrives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FragIn<'a> {
    pub info: FragInfo,
    /// Protocol of the datagram payload (IPv6: the Fragment header's next
    /// header, which counts from the first fragment).
    pub proto: u8,
    /// Captured bytes of the fragment.
    pub data: &'a [u8],
    /// Length of the fragment on the wire (>= `data.len()`).
    pub len: usize,
}

/// A datagram rebuilt from its fragments.
#[derive(Debug)]
pub(crate) struct Reassembled {
    pub key: FragKey,
    /// Protocol of the payload (for IPv6 the next header of the fragmentable
    /// part, which may be an extension header).
    pub proto: u8,
    /// `buf[..captured]` is the payload as captured.
    pub buf: Vec<u8>,
    pub captured: usize,
    /// Payload length on the wire.
    pub total: usize,
    /// The frame that carried the fragment at offset 0, and when.
    pub first: Option<(u64, Timestamp)>,
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    /// End on the wire.
    end: usize,
    /// End of the captured bytes (<= `end`).
    cap_end: usize,
}

/// A fragment of a completed datagram, for recognising late duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PieceHash {
    start: usize,
    end: usize,
    cap_end: usize,
    hash: u64,
}

struct Completed {
    at: Timestamp,
    pieces: Vec<PieceHash>,
}

struct Datagram {
    created: Timestamp,
    buf: Vec<u8>,
    /// Sorted by `start`.
    pieces: Vec<Piece>,
    total: Option<usize>,
    proto: Option<u8>,
    /// Invalid or dropped: swallow further fragments until timeout.
    dead: bool,
    /// The frame that carried the fragment at offset 0, and when.
    first: Option<(u64, Timestamp)>,
}

/// The reassembly table.
pub(crate) struct Reassembler {
    table: Lru<FragKey, Datagram>,
    completed: Lru<FragKey, Completed>,
    bufs: Vec<Vec<u8>>,
    piece_lists: Vec<Vec<Piece>>,
    max_datagrams: usize,
    max_fragments: usize,
    max_size: usize,
    timeout_ns: u64,
    /// Dropped UDP datagrams whose first fragment was captured, waiting to
    /// be delivered as truncated prefixes (at most `max_datagrams`).
    partials: std::collections::VecDeque<Reassembled>,
}

impl Reassembler {
    pub(crate) fn new(limits: &Limits) -> Self {
        Reassembler {
            table: Lru::new(),
            completed: Lru::new(),
            bufs: Vec::new(),
            piece_lists: Vec::new(),
            max_datagrams: limits.max_ip_reassemblies,
            max_fragments: limits.max_ip_fragments,
            max_size: limits.max_ip_datagram,
            timeout_ns: limits.ip_reassembly_timeout_ns,
            partials: std::collections::VecDeque::new(),
        }
    }

    /// A datagram that was dropped incomplete but whose first fragment was
    /// captured: its captured prefix, to be delivered as truncated. UDP only
    /// (its header and the RPC header are in the first fragment).
    pub(crate) fn take_partial(&mut self) -> Option<Reassembled> {
        self.partials.pop_front()
    }

    /// Datagrams currently being reassembled.
    pub(crate) fn in_flight(&self) -> usize {
        self.table.len()
    }

    /// Drops datagrams older than the timeout at capture time `now`.
    pub(crate) fn expire(&mut self, now: Timestamp, sink: &mut Sink) {
        while let Some((_, d)) = self.table.oldest() {
            if now.nanos_since(d.created) < self.timeout_ns {
                break;
            }
            self.drop_oldest(sink);
        }
        while let Some((_, c)) = self.completed.oldest() {
            if now.nanos_since(c.at) < self.timeout_ns {
                break;
            }
            self.completed.pop_oldest();
        }
    }

    /// End of input: every incomplete datagram is dropped.
    pub(crate) fn finish(&mut self, sink: &mut Sink) {
        while self.table.len() > 0 {
            self.drop_oldest(sink);
        }
    }

    /// Gives back the buffer of a datagram returned by [`Reassembler::push`].
    pub(crate) fn recycle(&mut self, buf: Vec<u8>) {
        self.recycle_parts(buf, Vec::new());
    }

    /// Adds a fragment; returns the datagram if this fragment completed it.
    pub(crate) fn push(
        &mut self,
        now: Timestamp,
        key: FragKey,
        frag: FragIn<'_>,
        sink: &mut Sink,
    ) -> Option<Reassembled> {
        if !self.table.contains(&key) {
            if self.is_late_duplicate(&key, &frag) {
                sink.stats.ip_fragment_duplicates += 1;
                return None;
            }
            if self.max_datagrams == 0 {
                sink.anomaly(NetAnomaly::IpReassemblyDropped);
                return None;
            }
            while self.table.len() >= self.max_datagrams {
                self.drop_oldest(sink);
            }
            let buf = self.bufs.pop().unwrap_or_default();
            let pieces = self.piece_lists.pop().unwrap_or_default();
            let d = Datagram {
                created: now,
                buf,
                pieces,
                total: None,
                proto: None,
                dead: false,
                first: None,
            };
            self.table.insert(key, d);
        }
        let d = self.table.get_mut(&key)?;
        if d.dead {
            return None;
        }
        match add(d, &frag, self.max_size, self.max_fragments) {
            Added::Stored if frag.info.offset == 0 => d.first = Some((sink.frame, sink.ts)),
            Added::Stored => {}
            Added::Duplicate => {
                sink.stats.ip_fragment_duplicates += 1;
                return None;
            }
            Added::Invalid(anomaly) => {
                d.dead = true;
                let (buf, pieces) = (std::mem::take(&mut d.buf), std::mem::take(&mut d.pieces));
                self.recycle_parts(buf, pieces);
                sink.anomaly(anomaly);
                return None;
            }
        }
        let total = d.total?;
        if covered(&d.pieces, |p| p.end) < total {
            return None;
        }
        let captured = covered(&d.pieces, |p| p.cap_end).min(total);
        let d = self.table.remove(&key)?;
        let proto = d.proto.unwrap_or(frag.proto);
        self.remember(now, key, &d);
        self.recycle_parts(Vec::new(), d.pieces);
        Some(Reassembled {
            key,
            proto,
            buf: d.buf,
            captured,
            total,
            first: d.first,
        })
    }

    /// Records the fragments of a completed datagram.
    fn remember(&mut self, now: Timestamp, key: FragKey, d: &Datagram) {
        while self.completed.len() >= self.max_datagrams.max(1) {
            self.completed.pop_oldest();
        }
        let pieces = d
            .pieces
            .iter()
            .map(|p| PieceHash {
                start: p.start,
                end: p.end,
                cap_end: p.cap_end,
                hash: fnv1a(&d.buf[p.start..p.cap_end]),
            })
            .collect();
        self.completed.insert(key, Completed { at: now, pieces });
    }

    fn is_late_duplicate(&self, key: &FragKey, f: &FragIn<'_>) -> bool {
        let Some(c) = self.completed.peek(key) else {
            return false;
        };
        let start = f.info.offset;
        let cap_end = start + f.data.len().min(f.len);
        let want = PieceHash {
            start,
            end: start + f.len,
            cap_end,
            hash: fnv1a(&f.data[..cap_end - start]),
        };
        c.pieces.contains(&want)
    }

    fn drop_oldest(&mut self, sink: &mut Sink) {
        if let Some((key, mut d)) = self.table.pop_oldest() {
            if !d.dead {
                sink.anomaly(NetAnomaly::IpReassemblyDropped);
                let captured = covered(&d.pieces, |p| p.cap_end);
                if d.proto == Some(17) && captured >= 8 && self.partials.len() < self.max_datagrams
                {
                    self.partials.push_back(Reassembled {
                        key,
                        proto: 17,
                        buf: std::mem::take(&mut d.buf),
                        captured,
                        total: d.total.unwrap_or(self.max_size),
                        first: d.first,
                    });
                }
            }
            self.recycle_parts(d.buf, d.pieces);
        }
    }

    fn recycle_parts(&mut self, mut buf: Vec<u8>, mut pieces: Vec<Piece>) {
        if self.bufs.len() < POOL_MAX && buf.capacity() > 0 {
            buf.clear();
            self.bufs.push(buf);
        }
        if self.piece_lists.len() < POOL_MAX && pieces.capacity() > 0 {
            pieces.clear();
            self.piece_lists.push(pieces);
        }
    }
}

enum Added {
    Stored,
    Duplicate,
    Invalid(NetAnomaly),
}

fn add(d: &mut Datagram, f: &FragIn<'_>, max_size: usize, max_fragments: usize) -> Added {
    let start = f.info.offset;
    let end = start + f.len;
    let cap_end = start + f.data.len().min(f.len);
    if end > max_size || (f.len == 0 && f.info.more) {
        return Added::Invalid(NetAnomaly::IpFragmentInvalid);
    }
    if !f.info.more {
        if d.total.is_some_and(|t| t != end) || d.pieces.iter().any(|p| p.end > end) {
            return Added::Invalid(NetAnomaly::IpFragmentInvalid);
        }
        d.total = Some(end);
    } else if d.total.is_some_and(|t| end > t) {
        return Added::Invalid(NetAnomaly::IpFragmentInvalid);
    }
    // Overlaps must carry the same bytes where both were captured.
    let mut duplicate = false;
    for p in d.pieces.iter().filter(|p| p.start < end && start < p.end) {
        let (lo, hi) = (start.max(p.start), cap_end.min(p.cap_end));
        if lo < hi && d.buf[lo..hi] != f.data[lo - start..hi - start] {
            return Added::Invalid(NetAnomaly::IpFragmentInvalid);
        }
        duplicate |= p.start <= start && end <= p.end && cap_end <= p.cap_end;
    }
    if duplicate {
        return Added::Duplicate;
    }
    if d.pieces.len() >= max_fragments {
        return Added::Invalid(NetAnomaly::IpReassemblyDropped);
    }
    if d.buf.len() < cap_end {
        d.buf.resize(cap_end, 0);
    }
    d.buf[start..cap_end].copy_from_slice(&f.data[..cap_end - start]);
    let at = d.pieces.partition_point(|p| p.start <= start);
    d.pieces.insert(
        at,
        Piece {
            start,
            end,
            cap_end,
        },
    );
    if start == 0 {
        d.proto = Some(f.proto);
    }
    Added::Stored
}

/// FNV-1a: a cheap fingerprint to recognise a repeated fragment.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// End of the contiguous run from offset 0, using `end_of` as piece end.
fn covered(pieces: &[Piece], end_of: impl Fn(&Piece) -> usize) -> usize {
    let mut reach = 0;
    for p in pieces {
        if p.start > reach {
            break;
        }
        reach = reach.max(end_of(p));
    }
    reach
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::testutil::{shuffle, XorShift};
    use crate::net::{NetEvent, NetStats};
    use std::net::Ipv4Addr;

    struct Harness {
        r: Reassembler,
        stats: NetStats,
        anomalies: Vec<NetAnomaly>,
    }

    impl Harness {
        fn new(limits: Limits) -> Self {
            Harness {
                r: Reassembler::new(&limits),
                stats: NetStats::default(),
                anomalies: vec![],
            }
        }
        fn push(
            &mut self,
            t: i64,
            id: u32,
            off: usize,
            more: bool,
            data: &[u8],
        ) -> Option<Vec<u8>> {
            self.push_cut(t, id, off, more, data, data.len())
        }
        fn push_cut(
            &mut self,
            t: i64,
            id: u32,
            off: usize,
            more: bool,
            data: &[u8],
            len: usize,
        ) -> Option<Vec<u8>> {
            let key = FragKey {
                src: Ipv4Addr::new(1, 1, 1, 1).into(),
                dst: Ipv4Addr::new(2, 2, 2, 2).into(),
                proto: 17,
                id,
            };
            let anomalies = &mut self.anomalies;
            let mut out = |ev: NetEvent<'_>| {
                if let NetEvent::Anomaly(a) = ev {
                    anomalies.push(a)
                }
            };
            let mut sink = Sink {
                stats: &mut self.stats,
                out: &mut out,
                frame: 0,
                ts: Timestamp(0),
            };
            let f = FragIn {
                info: FragInfo {
                    id,
                    offset: off,
                    more,
                },
                proto: 17,
                data,
                len,
            };
            let now = Timestamp(t);
            self.r.expire(now, &mut sink);
            let done = self.r.push(now, key, f, &mut sink)?;
            assert_eq!(done.total, len_total(&done));
            let v = done.buf[..done.captured].to_vec();
            self.r.recycle(done.buf);
            Some(v)
        }
        fn finish(&mut self) {
            let anomalies = &mut self.anomalies;
            let mut out = |ev: NetEvent<'_>| {
                if let NetEvent::Anomaly(a) = ev {
                    anomalies.push(a)
                }
            };
            self.r.finish(&mut Sink {
                stats: &mut self.stats,
                out: &mut out,
                frame: 0,
                ts: Timestamp(0),
            });
        }
    }

    fn len_total(d: &Reassembled) -> usize {
        d.total
    }

    fn payload(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 256) as u8).collect()
    }

    /// (offset, more, bytes) for `data` cut into `size`-byte fragments.
    fn cut(data: &[u8], size: usize) -> Vec<(usize, bool, Vec<u8>)> {
        data.chunks(size)
            .enumerate()
            .map(|(i, c)| (i * size, (i + 1) * size < data.len(), c.to_vec()))
            .collect()
    }

    #[test]
    fn in_order_reversed_and_shuffled_with_duplicates() {
        let data = payload(5000);
        let mut rng = XorShift::new(7);
        for order in 0..20 {
            let mut frags = cut(&data, 1480);
            match order {
                0 => {}
                1 => frags.reverse(),
                _ => {
                    let dup = frags[rng.below(frags.len())].clone();
                    frags.insert(0, dup);
                    shuffle(&mut frags, &mut rng);
                }
            }
            let mut h = Harness::new(Limits::default());
            let mut done = Vec::new();
            let mut completed_at = 0;
            for (i, (off, more, bytes)) in frags.iter().enumerate() {
                if let Some(got) = h.push(0, 1, *off, *more, bytes) {
                    done.push(got);
                    completed_at = i;
                }
            }
            assert_eq!(done, vec![data.clone()], "order {order}");
            assert!(h.anomalies.is_empty(), "order {order}: {:?}", h.anomalies);
            // A duplicate arriving after completion is recognised.
            assert!(frags.len() - 1 - completed_at <= 1, "order {order}");
            assert_eq!(h.r.in_flight(), 0);
            assert_eq!(h.stats.ip_fragment_duplicates, (frags.len() - 4) as u64);
        }
    }

    #[test]
    fn identical_overlap_with_other_cut_is_accepted() {
        let data = payload(3000);
        let mut h = Harness::new(Limits::default());
        assert!(h.push(0, 9, 0, true, &data[..1600]).is_none());
        assert!(h.push(0, 9, 800, true, &data[800..2400]).is_none());
        assert!(h.push(0, 9, 800, true, &data[800..1600]).is_none()); // contained: duplicate
        assert_eq!(h.stats.ip_fragment_duplicates, 1);
        assert_eq!(
            h.push(0, 9, 2400, false, &data[2400..]).as_deref(),
            Some(&data[..])
        );
        assert!(h.anomalies.is_empty());
    }

    #[test]
    fn conflicting_overlap_invalidates_the_datagram() {
        let data = payload(2000);
        let mut h = Harness::new(Limits::default());
        assert!(h.push(0, 3, 0, true, &data[..1000]).is_none());
        let mut evil = data[800..1600].to_vec();
        evil[10] ^= 0xff;
        assert!(h.push(0, 3, 800, true, &evil).is_none());
        assert_eq!(h.anomalies, vec![NetAnomaly::IpFragmentInvalid]);
        // The rest is swallowed; the datagram never completes.
        assert!(h.push(0, 3, 1000, false, &data[1000..]).is_none());
        h.finish();
        assert_eq!(h.anomalies, vec![NetAnomaly::IpFragmentInvalid]);
    }

    #[test]
    fn inconsistent_ends_are_invalid() {
        let data = payload(100);
        let mut h = Harness::new(Limits::default());
        h.push(0, 1, 40, false, &data[40..]);
        h.push(0, 1, 48, false, &data[48..96]); // second, different end
        let mut h2 = Harness::new(Limits::default());
        h2.push(0, 1, 48, false, &data[48..88]);
        h2.push(0, 1, 80, true, &data[80..]); // beyond the known end
        let mut h3 = Harness::new(Limits::default());
        h3.push(0, 1, 0, true, &[]); // empty non-last fragment
        let mut h4 = Harness::new(Limits::default());
        h4.push(0, 1, 65528, false, &data[..16]); // past 65535
        for (i, h) in [h, h2, h3, h4].into_iter().enumerate() {
            assert_eq!(h.anomalies, vec![NetAnomaly::IpFragmentInvalid], "case {i}");
        }
    }

    #[test]
    fn timeout_in_capture_time() {
        let data = payload(3000);
        let limits = Limits {
            ip_reassembly_timeout_ns: 1000,
            ..Limits::default()
        };
        let mut h = Harness::new(limits);
        assert!(h.push(0, 1, 0, true, &data[..1480]).is_none());
        assert!(h.push(999, 2, 0, true, &data[..1480]).is_none());
        // At t=1000 datagram 1 has expired: its last fragment starts a new,
        // incomplete datagram.
        assert!(h.push(1000, 1, 1480, false, &data[1480..]).is_none());
        assert_eq!(h.anomalies, vec![NetAnomaly::IpReassemblyDropped]);
        // Datagram 2 is still alive at t=1998.
        assert_eq!(
            h.push(1998, 2, 1480, false, &data[1480..]).as_deref(),
            Some(&data[..])
        );
        h.finish();
        assert_eq!(h.anomalies.len(), 2);
    }

    #[test]
    fn full_table_evicts_the_oldest() {
        let data = payload(2000);
        let limits = Limits {
            max_ip_reassemblies: 2,
            ..Limits::default()
        };
        let mut h = Harness::new(limits);
        for id in 0..3 {
            h.push(id as i64, id, 0, true, &data[..1000]);
        }
        assert_eq!(h.anomalies, vec![NetAnomaly::IpReassemblyDropped]);
        assert_eq!(h.r.in_flight(), 2);
        assert!(h.push(5, 0, 1000, false, &data[1000..]).is_none()); // 0 was evicted
        assert_eq!(
            h.push(5, 2, 1000, false, &data[1000..]).as_deref(),
            Some(&data[..])
        );
        let limits = Limits {
            max_ip_reassemblies: 0,
            ..Limits::default()
        };
        let mut h = Harness::new(limits);
        h.push(0, 1, 0, true, &data[..8]);
        assert_eq!(h.anomalies, vec![NetAnomaly::IpReassemblyDropped]);
    }

    #[test]
    fn too_many_fragments_drops_the_datagram() {
        let data = payload(800);
        let limits = Limits {
            max_ip_fragments: 4,
            ..Limits::default()
        };
        let mut h = Harness::new(limits);
        for (off, more, bytes) in cut(&data, 80) {
            assert!(h.push(0, 1, off, more, &bytes).is_none());
        }
        assert_eq!(h.anomalies, vec![NetAnomaly::IpReassemblyDropped]);
        h.finish();
        assert_eq!(h.anomalies.len(), 1, "a dead datagram is not counted twice");
    }

    #[test]
    fn snaplen_cut_fragment_completes_with_captured_prefix() {
        let data = payload(3000);
        let mut h = Harness::new(Limits::default());
        assert!(h.push_cut(0, 1, 0, true, &data[..200], 1480).is_none());
        let got = h.push(0, 1, 1480, false, &data[1480..]).unwrap();
        assert_eq!(got, &data[..200]);
    }

    #[test]
    fn late_duplicate_is_ignored_but_id_reuse_reassembles() {
        let data = payload(3000);
        let other: Vec<u8> = data.iter().map(|b| b ^ 0x55).collect();
        let mut h = Harness::new(Limits::default());
        h.push(0, 1, 0, true, &data[..1480]);
        assert!(h.push(0, 1, 1480, false, &data[1480..]).is_some());
        assert!(h.push(1, 1, 1480, false, &data[1480..]).is_none()); // late copy
        assert_eq!(h.stats.ip_fragment_duplicates, 1);
        assert_eq!(h.r.in_flight(), 0);
        // The same id with other bytes: a new datagram.
        assert!(h.push(2, 1, 1480, false, &other[1480..]).is_none());
        assert_eq!(
            h.push(2, 1, 0, true, &other[..1480]).as_deref(),
            Some(&other[..])
        );
        assert!(h.anomalies.is_empty());
    }

    #[test]
    fn buffers_are_reused() {
        let data = payload(3000);
        let mut h = Harness::new(Limits::default());
        for id in 0..50 {
            h.push(0, id, 1480, false, &data[1480..]);
            assert!(h.push(0, id, 0, true, &data[..1480]).is_some());
        }
        assert_eq!((h.r.bufs.len(), h.r.piece_lists.len()), (1, 1));
    }
}
