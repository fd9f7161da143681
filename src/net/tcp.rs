//! TCP: segment header decoding and the table of directions.
//!
//! Each direction (`FlowKey`) is an independent byte stream
//! ([`super::tcp_stream::Stream`]). This file decides when a direction
//! starts and ends and applies the cross-direction rule: an ACK from one
//! side that covers bytes the capture never saw from the other side declares
//! those bytes lost at once.
//!
//! Guarantees:
//! - The first segment seen of a direction emits `TcpOpen`; offset 0 is
//!   SYN + 1 when it is a SYN (`at_syn`), else its own sequence number.
//! - Every opened direction gets exactly one `TcpClose`: FIN or RST (an RST
//!   closes both directions), idle for `tcp_idle_timeout_ns` of capture time,
//!   eviction when `max_tcp_streams` is reached (least recently used first,
//!   counted `TcpStreamEvicted`), or `finish`.
//! - A closed direction is remembered (so late retransmissions are ignored
//!   quietly) until it is idle or evicted; a SYN on it starts a new stream.
//!   Evicting or expiring a closed direction is silent.
//! - TCP checksums are not checked (offloaded checksums are often wrong in
//!   captures).

use etherparse::TcpHeaderSlice;

use super::event::{NetAnomaly, NetEvent};
use super::flow::{Endpoint, FlowKey};
use super::lru::Lru;
use super::stats::Sink;
use super::tcp_stream::{Shared, Stream};
use crate::capture::Timestamp;
use crate::limits::Limits;
use std::net::IpAddr;

/// A decoded TCP segment, borrowing the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment<'a> {
    pub flow: FlowKey,
    pub seq: u32,
    /// Set when the ACK flag is.
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    /// Captured payload bytes.
    pub data: &'a [u8],
    /// Payload length on the wire (>= `data.len()`).
    pub len: usize,
}

/// Decodes a TCP header. `bytes` are the captured transport bytes, `claimed`
/// their length on the wire.
pub(crate) fn parse_segment(
    src: IpAddr,
    dst: IpAddr,
    bytes: &[u8],
    claimed: usize,
) -> Result<Segment<'_>, &'static str> {
    let h = TcpHeaderSlice::from_slice(bytes).map_err(|_| "TCP header cut short or bad offset")?;
    let hlen = h.slice().len();
    if claimed < hlen {
        return Err("TCP header longer than the IP payload");
    }
    Ok(Segment {
        flow: FlowKey {
            src: Endpoint::new(src, h.source_port()),
            dst: Endpoint::new(dst, h.destination_port()),
        },
        seq: h.sequence_number(),
        ack: h.ack().then(|| h.acknowledgment_number()),
        syn: h.syn(),
        fin: h.fin(),
        rst: h.rst(),
        data: &bytes[hlen..],
        len: claimed - hlen,
    })
}

/// All tracked TCP directions.
pub(crate) struct TcpTable {
    streams: Lru<FlowKey, Stream>,
    shared: Shared,
    max_streams: usize,
    idle_ns: u64,
}

impl TcpTable {
    pub(crate) fn new(limits: &Limits) -> Self {
        TcpTable {
            streams: Lru::new(),
            shared: Shared {
                max_ooo_bytes: limits.max_tcp_ooo_bytes,
                max_ooo_segments: limits.max_tcp_ooo_segments,
                pool: Vec::new(),
            },
            max_streams: limits.max_tcp_streams,
            idle_ns: limits.tcp_idle_timeout_ns,
        }
    }

    /// Directions currently tracked (open or remembered as closed).
    pub(crate) fn len(&self) -> usize {
        self.streams.len()
    }

    /// Handles one segment captured at `now`.
    pub(crate) fn segment(&mut self, now: Timestamp, seg: &Segment<'_>, sink: &mut Sink) {
        sink.stats.tcp_segments += 1;
        if seg.data.len() < seg.len {
            sink.anomaly(NetAnomaly::TcpTruncatedSegment);
        }
        let flow = seg.flow;
        if seg.rst {
            self.rst(seg, sink);
            return;
        }
        self.ensure_stream(now, seg, sink);
        if let Some(ack) = seg.ack {
            self.ack_rule(flow.reverse(), ack, sink);
        }
        let Some(st) = self.streams.get_mut(&flow) else {
            return;
        };
        st.last_seen = now;
        self.streams.touch(&flow);
        let Some(st) = self.streams.get_mut(&flow) else {
            return;
        };
        if st.closed {
            sink.stats.tcp_segments_after_close += 1;
            return;
        }
        // SYN occupies one sequence number: data starts after it.
        let seq = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let start = st.offset_of(seq);
        st.segment(flow, start, seg.data, seg.len, &mut self.shared, sink);
        if seg.fin {
            st.close(flow, &mut self.shared, sink);
        }
    }

    /// Makes sure the segment's direction has a live stream, starting a new
    /// one on first sight or on a SYN that does not belong to the current one.
    fn ensure_stream(&mut self, now: Timestamp, seg: &Segment<'_>, sink: &mut Sink) {
        let flow = seg.flow;
        let base = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        if let Some(st) = self.streams.get_mut(&flow) {
            let same = seg.syn && st.offset_of(base) == 0 && !st.closed;
            if !seg.syn || same {
                return;
            }
            // A new connection on the same 4-tuple.
            st.close(flow, &mut self.shared, sink);
            self.streams.remove(&flow);
        }
        if self.max_streams == 0 {
            sink.anomaly(NetAnomaly::TcpStreamEvicted);
            return;
        }
        while self.streams.len() >= self.max_streams {
            let Some((old, mut st)) = self.streams.pop_oldest() else {
                break;
            };
            if !st.closed {
                sink.anomaly(NetAnomaly::TcpStreamEvicted);
                st.close(old, &mut self.shared, sink);
            }
        }
        self.streams.insert(flow, Stream::new(base, now));
        sink.emit(NetEvent::TcpOpen {
            flow,
            at_syn: seg.syn,
        });
    }

    /// ACK from the receiver of `flow`: bytes before it were received.
    fn ack_rule(&mut self, flow: FlowKey, ack: u32, sink: &mut Sink) {
        let Some(st) = self.streams.get_mut(&flow) else {
            return;
        };
        if st.closed {
            return;
        }
        let ack = st.offset_of(ack);
        if ack > st.next() as i64 {
            st.acked(flow, ack as u64, &mut self.shared, sink);
        }
    }

    /// RST: the connection is gone in both directions.
    fn rst(&mut self, seg: &Segment<'_>, sink: &mut Sink) {
        for flow in [seg.flow, seg.flow.reverse()] {
            if let Some(st) = self.streams.get_mut(&flow) {
                if flow == seg.flow && !st.closed {
                    // Deliver any payload the RST carries (rare, legal).
                    let start = st.offset_of(seg.seq);
                    st.segment(flow, start, seg.data, seg.len, &mut self.shared, sink);
                }
                st.close(flow, &mut self.shared, sink);
            }
        }
    }

    /// Closes and forgets directions idle for the timeout at `now`.
    pub(crate) fn expire(&mut self, now: Timestamp, sink: &mut Sink) {
        while let Some((_, st)) = self.streams.oldest() {
            if now.nanos_since(st.last_seen) < self.idle_ns {
                break;
            }
            let Some((flow, mut st)) = self.streams.pop_oldest() else {
                break;
            };
            st.close(flow, &mut self.shared, sink);
        }
    }

    /// End of input: flushes and closes every direction.
    pub(crate) fn finish(&mut self, sink: &mut Sink) {
        while let Some((flow, mut st)) = self.streams.pop_oldest() {
            st.close(flow, &mut self.shared, sink);
        }
    }
}
