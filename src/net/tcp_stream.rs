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
            self.deliver(flow, start, end, data, origin, sink);
            self.drain(flow, sh, sink);
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
        if cap_end > self.next {
            let skip = (self.next - start) as usize;
            sink.emit(NetEvent::TcpData {
                flow,
                offset: self.next,
                data: &data[skip..],
                frame: origin.0,
                ts: origin.1,
            });
            self.next = cap_end;
        }
        self.gap_to(flow, end, GapReason::Snaplen, sink);
    }

    /// Delivers buffered segments that have become in order.
    fn drain(&mut self, flow: FlowKey, sh: &mut Shared, sink: &mut Sink) {
        while self.ooo.front().is_some_and(|p| p.start <= self.next) {
            let Some(p) = self.ooo.pop_front() else { break };
            self.ooo_bytes -= p.data.len();
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
            self.closed = true;
            sink.emit(NetEvent::TcpClose { flow });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
