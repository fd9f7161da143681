//! One direction of a TCP connection as a byte stream: 32-bit sequence
//! numbers become 64-bit stream offsets, retransmitted and overlapping bytes
//! are trimmed, future segments wait in a bounded out-of-order buffer, and
//! every byte the capture lacks becomes a `TcpGap`.
//!
//! Guarantees (per direction, `flow` fixed):
//! - Events cover the stream without overlap or hole: each `TcpData` and
//!   `TcpGap` starts exactly where the previous one ended, from offset 0.
//! - In-order bytes are delivered straight from the caller's slice; only
//!   segments ahead of the next expected byte are copied, bounded by
//!   `max_tcp_ooo_bytes` and `max_tcp_ooo_segments`.
//! - The offset of a segment is taken as the one nearest the next expected
//!   offset (a window of +/- 2 GiB), so sequence wraparound is transparent.
//!
//! Overlaps: the copy delivered first wins. Bytes before the next expected
//! offset are never replaced; of two buffered segments the one starting
//! earlier is delivered first, and a later copy of bytes already buffered is
//! dropped. When the copies disagree, `TcpInconsistent` says where (stream
//! offsets and sequence numbers): buffered copies are compared byte for
//! byte; a delivered copy is compared through fingerprints of the last
//! [`crate::limits::TCP_RECENT_CHUNKS`] chunks delivered, for each of
//! them the new copy covers whole (a retransmission re-sends whole
//! segments; a partial overlap of an older chunk is not checked).
//! `TcpHeld` tells which earliest frame waits in the out-of-order buffer.

use std::collections::VecDeque;

use super::event::{GapReason, NetAnomaly, NetEvent};
use super::flow::FlowKey;
use super::stats::Sink;
use crate::capture::Timestamp;

/// Spare out-of-order buffers kept for reuse (see [`crate::limits::TCP_OOO_POOL`]).
pub(crate) const POOL_MAX: usize = crate::limits::TCP_OOO_POOL;
/// Largest spare buffer kept (see [`crate::limits::TCP_OOO_POOL_BUF_MAX`]).
const POOL_BUF_MAX: usize = crate::limits::TCP_OOO_POOL_BUF_MAX;

/// Bounds and the buffer pool shared by all directions.
pub(crate) struct Shared {
    pub max_ooo_bytes: usize,
    /// Out-of-order bytes over all directions at most
    /// (`Limits::max_tcp_ooo_total`), and how many there are now.
    pub max_ooo_total: usize,
    pub ooo_total: usize,
    pub max_ooo_segments: usize,
    pub pool: Vec<Vec<u8>>,
}

impl Shared {
    fn take_buf(&mut self, data: &[u8]) -> Vec<u8> {
        let mut v = self.pool.pop().unwrap_or_default();
        v.clear();
        v.extend_from_slice(data);
        v
    }

    fn give_buf(&mut self, v: Vec<u8>) {
        if self.pool.len() < POOL_MAX && v.capacity() <= POOL_BUF_MAX {
            self.pool.push(v);
        }
    }
}

/// A fingerprint of delivered bytes: enough to tell a retransmission that
/// carries other bytes, without keeping the bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Chunk {
    start: u64,
    len: u32,
    hash: u64,
}

/// A 64-bit fingerprint: four independent FxHash-style lanes over 32-byte
/// blocks (so it runs at memory speed), then the tail. Not cryptographic:
/// a forged collision only hides a report.
fn fingerprint(data: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let word = |c: &[u8]| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
    let mut lanes = [data.len() as u64, 1, 2, 3];
    let mut blocks = data.chunks_exact(32);
    for b in &mut blocks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane = (lane.rotate_left(5) ^ word(&b[i * 8..])).wrapping_mul(K);
        }
    }
    let mut h = lanes
        .iter()
        .fold(0u64, |h, l| (h.rotate_left(5) ^ l).wrapping_mul(K));
    for &byte in blocks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(byte)).wrapping_mul(K);
    }
    h
}

const RECENT: usize = crate::limits::TCP_RECENT_CHUNKS;

/// A segment waiting for the bytes before it.
struct Pending {
    start: u64,
    /// End on the wire (a snaplen-cut segment captured fewer bytes).
    end: u64,
    data: Vec<u8>,
    /// The frame that captured it, and when.
    frame: u64,
    ts: Timestamp,
}

/// State of one direction.
pub(crate) struct Stream {
    /// Sequence number of stream offset 0.
    base: u32,
    /// Every byte before this offset has been delivered or declared a gap.
    next: u64,
    /// FIN or RST seen: later segments are ignored.
    pub closed: bool,
    /// Offset 0 is certain: the SYN was seen, or a segment with payload.
    /// A direction first seen through a bare ACK (maybe a keepalive, whose
    /// sequence number is one less than the next byte) is not anchored yet.
    anchored: bool,
    pub last_seen: Timestamp,
    /// Sorted by `start`.
    ooo: VecDeque<Pending>,
    ooo_bytes: usize,
    /// Fingerprints of the last chunks delivered (a ring).
    recent: [Chunk; RECENT],
    recent_next: usize,
    /// The earliest frame waiting in `ooo`, as last reported (`TcpHeld`).
    held: Option<(u64, Timestamp)>,
}

impl Stream {
    /// A direction whose offset 0 is sequence number `base`; `anchored`
    /// when that is certain (see [`Stream::rebase`]).
    pub(crate) fn new(base: u32, anchored: bool, now: Timestamp) -> Self {
        Stream {
            base,
            next: 0,
            closed: false,
            anchored,
            last_seen: now,
            ooo: VecDeque::new(),
            ooo_bytes: 0,
            recent: [Chunk::default(); RECENT],
            recent_next: 0,
            held: None,
        }
    }

    /// The sequence number of stream offset `offset`.
    fn seq_of(&self, offset: u64) -> u32 {
        self.base.wrapping_add(offset as u32)
    }

    /// Reports bytes `[start, start + len)` whose copies disagree.
    fn inconsistent(&self, flow: FlowKey, start: u64, len: u64, sink: &mut Sink) {
        sink.emit(NetEvent::TcpInconsistent {
            flow,
            offset: start,
            len,
            seq: self.seq_of(start),
        });
    }

    /// Compares a copy of bytes before `next` (`data` at `start`) with the
    /// fingerprints of the chunks delivered that it covers whole.
    fn check_delivered(&self, flow: FlowKey, start: u64, data: &[u8], sink: &mut Sink) {
        let end = start + data.len() as u64;
        for c in &self.recent {
            let c_end = c.start + u64::from(c.len);
            if c.len == 0 || c.start < start || c_end > end.min(self.next) {
                continue;
            }
            let bytes = &data[(c.start - start) as usize..(c_end - start) as usize];
            if fingerprint(bytes) != c.hash {
                self.inconsistent(flow, c.start, u64::from(c.len), sink);
            }
        }
    }

    /// Notes a chunk delivered.
    fn remember(&mut self, start: u64, data: &[u8]) {
        if data.is_empty() || data.len() > u32::MAX as usize {
            return;
        }
        self.recent[self.recent_next] = Chunk {
            start,
            len: data.len() as u32,
            hash: fingerprint(data),
        };
        self.recent_next = (self.recent_next + 1) % RECENT;
    }

    /// Reports a change of the earliest frame waiting out of order.
    fn update_held(&mut self, flow: FlowKey, sink: &mut Sink) {
        let held = self
            .ooo
            .iter()
            .map(|p| (p.frame, p.ts))
            .min_by_key(|(f, _)| *f);
        if held != self.held {
            self.held = held;
            sink.emit(NetEvent::TcpHeld { flow, held });
        }
    }

    /// Whether offset 0 is certain.
    pub(crate) fn anchored(&self) -> bool {
        self.anchored
    }

    /// Moves offset 0 of a direction that has carried no payload yet to
    /// `seq` (what the peer acknowledges is the next byte it expects).
    pub(crate) fn rebase(&mut self, seq: u32) {
        if !self.anchored {
            self.base = seq;
        }
    }

    /// The next offset to deliver.
    pub(crate) fn next(&self) -> u64 {
        self.next
    }

    /// Stream offset of sequence number `seq`: the value nearest `next`
    /// (negative when before offset 0).
    pub(crate) fn offset_of(&self, seq: u32) -> i64 {
        let here = self.base.wrapping_add(self.next as u32);
        self.next as i64 + seq.wrapping_sub(here) as i32 as i64
    }

    /// Handles `len` payload bytes on the wire starting at stream offset
    /// `start`, of which `data` (a prefix) was captured.
    pub(crate) fn segment(
        &mut self,
        flow: FlowKey,
        start: i64,
        data: &[u8],
        len: usize,
        sh: &mut Shared,
        sink: &mut Sink,
    ) {
        let data = &data[..data.len().min(len)];
        let (start, data, len) = if start < 0 {
            // Bytes before offset 0 (before the SYN or the first segment seen).
            let skip = (start.unsigned_abs() as usize).min(len);
            sink.stats.tcp_bytes_trimmed += skip as u64;
            (0u64, &data[skip.min(data.len())..], len - skip)
        } else {
            (start as u64, data, len)
        };
        if len == 0 {
            return;
        }
        self.anchored = true;
        let end = start + len as u64;
        if start > self.next {
            self.buffer(flow, start, end, data, sh, sink);
        } else {
            let origin = (sink.frame, sink.ts);
            self.check_buffered(flow, start, data, sink);
            self.deliver(flow, start, end, data, origin, sink);
            self.drain(flow, sh, sink);
        }
        if !self.ooo.is_empty() || self.held.is_some() {
            self.update_held(flow, sink);
        }
    }

    /// Compares a copy (`data` at `start`) with the buffered segments it
    /// overlaps, byte for byte.
    fn check_buffered(&self, flow: FlowKey, start: u64, data: &[u8], sink: &mut Sink) {
        let end = start + data.len() as u64;
        for p in &self.ooo {
            let (lo, hi) = (start.max(p.start), end.min(p.start + p.data.len() as u64));
            if lo >= hi {
                continue;
            }
            let a = &data[(lo - start) as usize..(hi - start) as usize];
            let b = &p.data[(lo - p.start) as usize..(hi - p.start) as usize];
            if a != b {
                self.inconsistent(flow, lo, hi - lo, sink);
            }
        }
    }

    /// Delivers a segment that starts at or before `next`.
    fn deliver(
        &mut self,
        flow: FlowKey,
        start: u64,
        end: u64,
        data: &[u8],
        origin: (u64, Timestamp),
        sink: &mut Sink,
    ) {
        debug_assert!(start <= self.next);
        let cap_end = start + data.len() as u64;
        let old = self.next.min(end) - start;
        sink.stats.tcp_bytes_trimmed += old;
        if old > 0 {
            self.check_delivered(flow, start, data, sink);
        }
        if cap_end > self.next {
            let skip = (self.next - start) as usize;
            sink.emit(NetEvent::TcpData {
                flow,
                offset: self.next,
                data: &data[skip..],
                frame: origin.0,
                ts: origin.1,
            });
            self.remember(self.next, &data[skip..]);
            self.next = cap_end;
        }
        self.gap_to(flow, end, GapReason::Snaplen, sink);
    }

    /// Delivers buffered segments that have become in order.
    fn drain(&mut self, flow: FlowKey, sh: &mut Shared, sink: &mut Sink) {
        while self.ooo.front().is_some_and(|p| p.start <= self.next) {
            let Some(p) = self.ooo.pop_front() else { break };
            self.ooo_bytes -= p.data.len();
            sh.ooo_total -= p.data.len();
            self.deliver(flow, p.start, p.end, &p.data, (p.frame, p.ts), sink);
            sh.give_buf(p.data);
        }
    }

    /// Declares `[next, to)` missing, for `reason`.
    fn gap_to(&mut self, flow: FlowKey, to: u64, reason: GapReason, sink: &mut Sink) {
        if to > self.next {
            let len = to - self.next;
            sink.emit(NetEvent::TcpGap {
                flow,
                offset: self.next,
                len,
                reason,
            });
            self.next = to;
        }
    }

    /// Keeps a future segment, making room by declaring the earliest holes
    /// lost when the buffer is full.
    fn buffer(
        &mut self,
        flow: FlowKey,
        start: u64,
        end: u64,
        data: &[u8],
        sh: &mut Shared,
        sink: &mut Sink,
    ) {
        // A retransmission of a segment already waiting.
        let cap_end = start + data.len() as u64;
        self.check_buffered(flow, start, data, sink);
        if self
            .ooo
            .iter()
            .any(|p| p.start <= start && end <= p.end && cap_end <= p.start + p.data.len() as u64)
        {
            sink.stats.tcp_bytes_trimmed += end - start;
            return;
        }
        let mut overflowed = false;
        while self.ooo_bytes + data.len() > sh.max_ooo_bytes
            || sh.ooo_total + data.len() > sh.max_ooo_total
            || self.ooo.len() + 1 > sh.max_ooo_segments
        {
            if !overflowed {
                overflowed = true;
                sink.anomaly(NetAnomaly::TcpOooOverflow);
            }
            let first = self.ooo.front().map_or(start, |p| p.start.min(start));
            self.gap_to(flow, first, GapReason::Lost, sink);
            self.drain(flow, sh, sink);
            if start <= self.next {
                let origin = (sink.frame, sink.ts);
                self.deliver(flow, start, end, data, origin, sink);
                self.drain(flow, sh, sink);
                return;
            }
        }
        sink.stats.tcp_segments_buffered += 1;
        let at = self.ooo.partition_point(|p| p.start <= start);
        let data = sh.take_buf(data);
        self.ooo_bytes += data.len();
        sh.ooo_total += data.len();
        let (frame, ts) = (sink.frame, sink.ts);
        self.ooo.insert(
            at,
            Pending {
                start,
                end,
                data,
                frame,
                ts,
            },
        );
    }

    /// The receiver acknowledged every byte before stream offset `ack`:
    /// bytes before it that the capture lacks are lost.
    pub(crate) fn acked(&mut self, flow: FlowKey, ack: u64, sh: &mut Shared, sink: &mut Sink) {
        while self.next < ack {
            match self.ooo.front() {
                Some(p) if p.start < ack => {
                    let to = p.start;
                    self.gap_to(flow, to, GapReason::Lost, sink);
                    self.drain(flow, sh, sink);
                }
                _ => {
                    self.gap_to(flow, ack, GapReason::Lost, sink);
                    self.drain(flow, sh, sink);
                    break;
                }
            }
        }
        if self.held.is_some() {
            self.update_held(flow, sink);
        }
    }

    /// Delivers everything buffered, declaring the holes between lost.
    pub(crate) fn flush(&mut self, flow: FlowKey, sh: &mut Shared, sink: &mut Sink) {
        while let Some(to) = self.ooo.front().map(|p| p.start) {
            self.gap_to(flow, to, GapReason::Lost, sink);
            self.drain(flow, sh, sink);
        }
    }

    /// A FIN whose sequence number is stream offset `end` (just past the
    /// last byte sent): bytes before it the capture never saw are lost, even
    /// when nothing after the hole was buffered. Then closes.
    pub(crate) fn fin(&mut self, flow: FlowKey, end: i64, sh: &mut Shared, sink: &mut Sink) {
        if !self.closed && self.anchored && end > 0 {
            self.flush(flow, sh, sink);
            self.gap_to(flow, end as u64, GapReason::Lost, sink);
        }
        self.close(flow, sh, sink);
    }

    /// Flushes and emits `TcpClose` unless already closed.
    pub(crate) fn close(&mut self, flow: FlowKey, sh: &mut Shared, sink: &mut Sink) {
        if !self.closed {
            self.flush(flow, sh, sink);
            self.update_held(flow, sink);
            self.closed = true;
            sink.emit(NetEvent::TcpClose { flow });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::net::testutil::{tcp4, Driver, Ev, Flags};

    fn seg(seq: u32, payload: &[u8]) -> Vec<u8> {
        tcp4(1, 2, 700, 2049, seq, Flags::default(), payload)
    }

    fn syn() -> Vec<u8> {
        let f = Flags {
            syn: true,
            ..Flags::default()
        };
        tcp4(1, 2, 700, 2049, 999, f, &[])
    }

    fn inconsistent(evs: &[Ev]) -> Vec<(u64, u64)> {
        evs.iter()
            .filter_map(|e| match e {
                Ev::Inconsistent { offset, len, .. } => Some((*offset, *len)),
                _ => None,
            })
            .collect()
    }

    fn delivered(evs: &[Ev]) -> Vec<u8> {
        evs.iter()
            .flat_map(|e| match e {
                Ev::Data { data, .. } => data.clone(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// Regression (issue 11): retransmitted or overlapping segments whose
    /// bytes disagree were resolved silently. The first copy delivered is
    /// kept, and the disagreement is reported with the stream offsets (the
    /// RPC layer adds the sequence numbers).
    #[test]
    fn retransmission_with_other_bytes_is_reported_and_the_first_copy_kept() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn());
        d.raw(&seg(1000, &[1; 100]));
        d.raw(&seg(1100, &[2; 100]));
        // The same bytes again: a plain retransmission.
        let same = d.raw(&seg(1000, &[1; 100])).to_vec();
        assert_eq!(inconsistent(&same), []);
        // Other bytes for [100, 200): reported, not delivered.
        let other = d.raw(&seg(1100, &[9; 100])).to_vec();
        assert_eq!(inconsistent(&other), [(100, 100)]);
        assert!(delivered(&other).is_empty());
        // A retransmission covering both chunks, the first altered.
        let mut both = vec![7u8; 100];
        both.extend_from_slice(&[2; 100]);
        let evs = d.raw(&seg(1000, &both)).to_vec();
        assert_eq!(inconsistent(&evs), [(0, 100)]);
        let all = delivered(&d.events);
        assert_eq!(&all[..100], &[1; 100][..], "the first copy wins");
        assert_eq!(&all[100..200], &[2; 100][..]);
    }

    /// Two copies waiting out of order are compared byte for byte.
    #[test]
    fn overlapping_buffered_segments_that_disagree_are_reported() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn());
        d.raw(&seg(1100, &[5; 100])); // [100, 200) waits for [0, 100)
        let evs = d.raw(&seg(1150, &[6; 100])).to_vec(); // [150, 250) overlaps
        assert_eq!(inconsistent(&evs), [(150, 50)]);
        // The hole fills: the bytes that waited first win the overlap.
        d.raw(&seg(1000, &[4; 100]));
        let all = delivered(&d.events);
        assert_eq!(all.len(), 250);
        assert_eq!(&all[100..200], &[5; 100][..]);
        assert_eq!(&all[200..], &[6; 50][..]);
        // A copy of waiting bytes that agrees is quiet.
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn());
        d.raw(&seg(1100, &[5; 100]));
        assert_eq!(inconsistent(d.raw(&seg(1100, &[5; 100]))), []);
    }

    #[test]
    fn offsets_past_four_gib_of_sequence_space() {
        let mut st = Stream::new(1000, true, Timestamp(0));
        assert_eq!(st.offset_of(1000), 0);
        assert_eq!(st.offset_of(999), -1);
        assert_eq!(st.offset_of(1000u32.wrapping_sub(5000)), -5000);
        st.next = (3 << 32) + 20; // 12 GiB into the stream
        let here = 1000u32.wrapping_add(20);
        assert_eq!(st.offset_of(here), (3 << 32) + 20);
        assert_eq!(st.offset_of(here.wrapping_add(70_000)), (3 << 32) + 70_020);
        assert_eq!(st.offset_of(here.wrapping_sub(30)), (3 << 32) - 10);
        // The window is +/- 2 GiB around `next`.
        assert_eq!(
            st.offset_of(here.wrapping_add(0x7fff_ffff)),
            (3 << 32) + 20 + 0x7fff_ffff
        );
        assert_eq!(
            st.offset_of(here.wrapping_add(0x8000_0000)),
            (3 << 32) + 20 - 0x8000_0000
        );
    }
}
