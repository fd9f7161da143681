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
                max_ooo_total: limits.max_tcp_ooo_total,
                ooo_total: 0,
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
        // The direction's slot, found once (the ACK rule below works on
        // the other direction and removes no entry).
        let slot = self.ensure_stream(now, seg, sink);
        if let Some(ack) = seg.ack {
            self.ack_rule(flow.reverse(), ack, sink);
        }
        let Some(slot) = slot else {
            return;
        };
        self.streams.touch_at(slot);
        let Some(st) = self.streams.at_mut(slot) else {
            return;
        };
        st.last_seen = now;
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
            let end = start.saturating_add(seg.len as i64);
            st.fin(flow, end, &mut self.shared, sink);
        }
    }

    /// Makes sure the segment's direction has a live stream, starting a new
    /// one on first sight or on a SYN that does not belong to the current
    /// one; returns its slot in the table (none when the table holds none).
    fn ensure_stream(
        &mut self,
        now: Timestamp,
        seg: &Segment<'_>,
        sink: &mut Sink,
    ) -> Option<usize> {
        let flow = seg.flow;
        let base = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        if let Some(slot) = self.streams.slot_of(&flow) {
            let st = self.streams.at_mut(slot)?;
            let same = seg.syn && st.offset_of(base) == 0 && !st.closed;
            if !seg.syn || same {
                return Some(slot);
            }
            // A new connection on the same 4-tuple.
            st.close(flow, &mut self.shared, sink);
            self.streams.remove(&flow);
        }
        if self.max_streams == 0 {
            sink.anomaly(NetAnomaly::TcpStreamEvicted);
            return None;
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
        let anchored = seg.syn || seg.len > 0;
        self.streams.insert(flow, Stream::new(base, anchored, now));
        sink.emit(NetEvent::TcpOpen {
            flow,
            at_syn: seg.syn,
        });
        self.streams.slot_of(&flow)
    }

    /// ACK from the receiver of `flow`: bytes before it were received.
    fn ack_rule(&mut self, flow: FlowKey, ack: u32, sink: &mut Sink) {
        let Some(st) = self.streams.get_mut(&flow) else {
            return;
        };
        if st.closed {
            return;
        }
        if !st.anchored() {
            st.rebase(ack);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::testutil::*;
    use crate::net::GapReason;

    const C: u8 = 1; // client 10.0.0.1:700
    const S: u8 = 2; // server 10.0.0.2:2049

    fn cflow() -> FlowKey {
        flow4(C, 700, S, 2049)
    }

    fn data_seg(seq: u32, payload: &[u8]) -> Vec<u8> {
        tcp4(C, S, 700, 2049, seq, Flags::default(), payload)
    }

    fn syn(seq: u32) -> Vec<u8> {
        tcp4(
            C,
            S,
            700,
            2049,
            seq,
            Flags {
                syn: true,
                ..Flags::default()
            },
            &[],
        )
    }

    fn server_ack(seq: u32, ack: u32) -> Vec<u8> {
        tcp4(
            S,
            C,
            2049,
            700,
            seq,
            Flags {
                ack: Some(ack),
                ..Flags::default()
            },
            &[],
        )
    }

    fn fin(seq: u32, payload: &[u8]) -> Vec<u8> {
        tcp4(
            C,
            S,
            700,
            2049,
            seq,
            Flags {
                fin: true,
                ..Flags::default()
            },
            payload,
        )
    }

    fn stream_bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut r = XorShift::new(seed);
        (0..n).map(|_| r.next() as u8).collect()
    }

    /// The property at the heart of this layer: however a byte stream is cut
    /// into segments, reordered, duplicated and overlapped, the delivered
    /// bytes are the stream, with no gap and no anomaly.
    #[test]
    fn any_segmentation_and_order_yields_the_same_bytes() {
        for seed in 0..300u64 {
            let mut rng = XorShift::new(seed);
            let n = 1 + rng.below(6000);
            let data = stream_bytes(n, seed);
            let isn = match seed % 3 {
                0 => u32::MAX - rng.below(3000) as u32, // wraps inside the stream
                1 => rng.next() as u32,
                _ => 0,
            };
            // A cut into segments of random size.
            let mut segs = Vec::new();
            let mut at = 0;
            while at < n {
                let len = 1 + rng.below(900).min(n - at - 1);
                segs.push((at, len));
                at += len;
            }
            // Retransmissions: duplicates and re-cut overlapping ranges.
            for _ in 0..rng.below(8) {
                segs.push(segs[rng.below(segs.len())]);
                let a = rng.below(n);
                let len = 1 + rng.below((n - a).min(1500));
                segs.push((a, len));
            }
            match seed % 4 {
                0 => {} // in order (with the extra copies at the end)
                1 => shuffle(&mut segs, &mut rng),
                2 => segs.reverse(),
                _ => {
                    // local reordering: swap neighbours
                    for i in 1..segs.len() {
                        if rng.below(3) == 0 {
                            segs.swap(i - 1, i);
                        }
                    }
                }
            }
            let mut d = Driver::new(&Limits::default());
            d.raw(&syn(isn.wrapping_sub(1)));
            // The receiver acknowledges what it has contiguously, as a real
            // one would (what the capture shows it got).
            let mut have = vec![false; n];
            let mut prefix = 0;
            for (a, len) in &segs {
                d.raw(&data_seg(isn.wrapping_add(*a as u32), &data[*a..*a + len]));
                have[*a..*a + len].iter_mut().for_each(|h| *h = true);
                while prefix < n && have[prefix] {
                    prefix += 1;
                }
                if rng.below(3) == 0 {
                    d.raw(&server_ack(77, isn.wrapping_add(prefix as u32)));
                }
            }
            d.raw(&fin(isn.wrapping_add(n as u32), &[]));
            let (bytes, gaps) = d.stream(cflow());
            assert!(gaps.is_empty(), "seed {seed}: {gaps:?}");
            assert_eq!(bytes.len(), n, "seed {seed}");
            assert!(bytes == data, "seed {seed}: bytes differ");
            assert!(d.anomalies().is_empty(), "seed {seed}: {:?}", d.anomalies());
            assert_eq!(
                d.events[0],
                Ev::Open {
                    flow: cflow(),
                    at_syn: true
                }
            );
            assert!(d.events.contains(&Ev::Close { flow: cflow() }));
            let s = d.dec.stats();
            assert_eq!(s.tcp_bytes_delivered, n as u64);
            let sent: usize = segs.iter().map(|s| s.1).sum();
            assert_eq!(s.tcp_bytes_trimmed, (sent - n) as u64, "seed {seed}");
        }
    }

    #[test]
    fn sequence_wraparound() {
        let data = stream_bytes(3000, 1);
        let isn = u32::MAX - 1000;
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn(isn.wrapping_sub(1)));
        for (i, c) in data.chunks(500).enumerate() {
            d.raw(&data_seg(isn.wrapping_add(i as u32 * 500), c));
        }
        let (bytes, gaps) = d.stream(cflow());
        assert_eq!(bytes, data);
        assert!(gaps.is_empty());
    }

    #[test]
    fn capture_starting_mid_stream() {
        let mut d = Driver::new(&Limits::default());
        let ev = d.raw(&data_seg(5000, b"middle")).to_vec();
        assert_eq!(
            ev,
            vec![
                Ev::Open {
                    flow: cflow(),
                    at_syn: false
                },
                Ev::Data {
                    flow: cflow(),
                    offset: 0,
                    data: b"middle".to_vec()
                }
            ]
        );
        // A retransmission straddling the first byte seen is trimmed.
        let ev = d.raw(&data_seg(4996, b"the middle!")).to_vec();
        assert_eq!(
            ev,
            vec![Ev::Data {
                flow: cflow(),
                offset: 6,
                data: b"!".to_vec()
            }]
        );
        assert!(d.raw(&data_seg(4000, b"old")).is_empty());
        assert_eq!(d.dec.stats().tcp_bytes_trimmed, 10 + 3);
    }

    #[test]
    fn pure_ack_first_defines_offset_zero() {
        let mut d = Driver::new(&Limits::default());
        let ack = tcp4(
            C,
            S,
            700,
            2049,
            900,
            Flags {
                ack: Some(1),
                ..Flags::default()
            },
            &[],
        );
        assert_eq!(
            d.raw(&ack),
            &[Ev::Open {
                flow: cflow(),
                at_syn: false
            }]
        );
        assert_eq!(
            d.raw(&data_seg(900, b"x")),
            &[Ev::Data {
                flow: cflow(),
                offset: 0,
                data: b"x".to_vec()
            }]
        );
    }

    #[test]
    fn keepalive_first_is_rebased_by_the_peer_ack() {
        // A keepalive carries sequence number next - 1 and no payload.
        let mut d = Driver::new(&Limits::default());
        let ka = tcp4(
            C,
            S,
            700,
            2049,
            4999,
            Flags {
                ack: Some(1),
                ..Flags::default()
            },
            &[],
        );
        d.raw(&ka);
        d.raw(&server_ack(1, 5000));
        assert_eq!(
            d.raw(&data_seg(5000, b"x")),
            &[Ev::Data {
                flow: cflow(),
                offset: 0,
                data: b"x".to_vec()
            }]
        );
        assert!(d.stream(cflow()).1.is_empty());
    }

    #[test]
    fn ack_beyond_a_hole_declares_it_lost_at_once() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn(99));
        d.raw(&data_seg(100, &[1; 100]));
        assert!(d.raw(&data_seg(300, &[3; 100])).is_empty()); // waits: 200..300 missing
                                                              // The server acknowledges 400: it got bytes the capture missed.
        let ev = d.raw(&server_ack(1, 500)).to_vec();
        assert_eq!(
            ev,
            vec![
                Ev::Open {
                    flow: cflow().reverse(),
                    at_syn: false
                },
                Ev::Gap {
                    flow: cflow(),
                    offset: 100,
                    len: 100,
                    reason: GapReason::Lost
                },
                Ev::Data {
                    flow: cflow(),
                    offset: 200,
                    data: vec![3; 100]
                },
                Ev::Gap {
                    flow: cflow(),
                    offset: 300,
                    len: 100,
                    reason: GapReason::Lost
                },
            ]
        );
        // The late copy of a lost segment is trimmed quietly.
        assert!(d.raw(&data_seg(200, &[2; 100])).is_empty());
        assert!(d.anomalies().is_empty());
        // An ACK of what was delivered (or less) changes nothing.
        assert!(d.raw(&server_ack(1, 500)).is_empty());
        assert!(d.raw(&server_ack(1, 150)).is_empty());
    }

    #[test]
    fn ooo_overflow_declares_the_first_hole() {
        let limits = Limits {
            max_tcp_ooo_segments: 2,
            ..Limits::default()
        };
        let mut d = Driver::new(&limits);
        d.raw(&syn(0));
        d.raw(&data_seg(1, &[0; 10])); // 0..10
        d.raw(&data_seg(21, &[2; 10])); // 20..30 (10..20 missing)
        d.raw(&data_seg(41, &[4; 10])); // 40..50 (30..40 missing)
        let ev = d.raw(&data_seg(61, &[6; 10])).to_vec(); // third pending: overflow
        assert_eq!(
            ev,
            vec![
                Ev::Anomaly(NetAnomaly::TcpOooOverflow),
                Ev::Gap {
                    flow: cflow(),
                    offset: 10,
                    len: 10,
                    reason: GapReason::Lost
                },
                Ev::Data {
                    flow: cflow(),
                    offset: 20,
                    data: vec![2; 10]
                },
            ]
        );
        // Byte bound: a segment bigger than the whole buffer goes through.
        let limits = Limits {
            max_tcp_ooo_bytes: 15,
            ..Limits::default()
        };
        let mut d = Driver::new(&limits);
        d.raw(&syn(0));
        d.raw(&data_seg(11, &[1; 10])); // pending 10..20
        let ev = d.raw(&data_seg(31, &[3; 10])).to_vec();
        assert_eq!(ev[0], Ev::Anomaly(NetAnomaly::TcpOooOverflow));
        let (bytes, gaps) = d.stream(cflow());
        assert_eq!(bytes, vec![1; 10]);
        assert_eq!(gaps, vec![(0, 10, GapReason::Lost)]);
        d.finish();
        let (bytes, gaps) = d.stream(cflow());
        assert_eq!(bytes, [[1; 10], [3; 10]].concat());
        assert_eq!(
            gaps,
            vec![(0, 10, GapReason::Lost), (20, 10, GapReason::Lost)]
        );
    }

    #[test]
    fn snaplen_cut_segments_become_snaplen_gaps() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn(0));
        let seg = data_seg(1, &[7; 1000]);
        let ev = d
            .frame_cut(crate::capture::LinkType::RAW, 5, &seg, 40 + 300)
            .to_vec();
        assert_eq!(
            ev,
            vec![
                Ev::Anomaly(NetAnomaly::TcpTruncatedSegment),
                Ev::Data {
                    flow: cflow(),
                    offset: 0,
                    data: vec![7; 300]
                },
                Ev::Gap {
                    flow: cflow(),
                    offset: 300,
                    len: 700,
                    reason: GapReason::Snaplen
                },
            ]
        );
        // Out of order and cut: the gap comes when it is delivered.
        let later = data_seg(1501, &[9; 500]);
        d.frame_cut(crate::capture::LinkType::RAW, 6, &later, 40 + 100);
        d.raw(&data_seg(1001, &[8; 500]));
        d.raw(&data_seg(2001, &[1; 5]));
        let (bytes, gaps) = d.stream(cflow());
        assert_eq!(
            bytes,
            [vec![7; 300], vec![8; 500], vec![9; 100], vec![1; 5]].concat()
        );
        assert_eq!(
            gaps,
            vec![
                (300, 700, GapReason::Snaplen),
                (1600, 400, GapReason::Snaplen)
            ]
        );
        // Header cut short: malformed.
        let ev = d
            .frame_cut(crate::capture::LinkType::RAW, 7, &later, 30)
            .to_vec();
        assert_eq!(ev, vec![Ev::Anomaly(NetAnomaly::MalformedHeader)]);
    }

    #[test]
    fn fin_closes_and_late_retransmissions_are_quiet() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn(0));
        d.raw(&data_seg(1, b"abc"));
        let ev = d.raw(&fin(4, b"de")).to_vec();
        assert_eq!(
            ev,
            vec![
                Ev::Data {
                    flow: cflow(),
                    offset: 3,
                    data: b"de".to_vec()
                },
                Ev::Close { flow: cflow() }
            ]
        );
        assert!(d.raw(&data_seg(1, b"abc")).is_empty());
        assert!(d.raw(&fin(4, b"de")).is_empty());
        assert_eq!(d.dec.stats().tcp_segments_after_close, 2);
        // A SYN on the same 4-tuple is a new stream.
        let ev = d.raw(&syn(1_000_000)).to_vec();
        assert_eq!(
            ev,
            vec![Ev::Open {
                flow: cflow(),
                at_syn: true
            }]
        );
        assert_eq!(
            d.raw(&data_seg(1_000_001, b"new")),
            &[Ev::Data {
                flow: cflow(),
                offset: 0,
                data: b"new".to_vec()
            }]
        );
        assert!(d.finish().contains(&Ev::Close { flow: cflow() }));
    }

    #[test]
    fn fin_with_a_hole_flushes_with_a_lost_gap() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn(0));
        d.raw(&data_seg(1, b"ab"));
        let ev = d.raw(&fin(5, b"ef")).to_vec();
        assert_eq!(
            ev,
            vec![
                Ev::Gap {
                    flow: cflow(),
                    offset: 2,
                    len: 2,
                    reason: GapReason::Lost
                },
                Ev::Data {
                    flow: cflow(),
                    offset: 4,
                    data: b"ef".to_vec()
                },
                Ev::Close { flow: cflow() }
            ]
        );
    }

    /// Found by the `tcp_reassembly` fuzzer: a bare FIN after a lost last
    /// segment closed the stream without reporting the lost bytes, so the
    /// data and gaps did not cover the stream up to the FIN.
    #[test]
    fn bare_fin_after_a_lost_tail_declares_the_tail_lost() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn(0));
        d.raw(&data_seg(1, b"ab"));
        // "cd" (seq 3..5) never captured; the FIN at seq 5 carries nothing.
        let ev = d.raw(&fin(5, b"")).to_vec();
        assert_eq!(
            ev,
            vec![
                Ev::Gap {
                    flow: cflow(),
                    offset: 2,
                    len: 2,
                    reason: GapReason::Lost
                },
                Ev::Close { flow: cflow() }
            ]
        );
        // A retransmitted FIN changes nothing.
        assert!(d.raw(&fin(5, b"")).is_empty());
    }

    #[test]
    fn rst_closes_both_directions() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn(0));
        d.raw(&tcp4(
            S,
            C,
            2049,
            700,
            50,
            Flags {
                syn: true,
                ack: Some(1),
                ..Flags::default()
            },
            &[],
        ));
        d.raw(&data_seg(1, b"q"));
        let rst = tcp4(
            S,
            C,
            2049,
            700,
            51,
            Flags {
                rst: true,
                ..Flags::default()
            },
            &[],
        );
        let ev = d.raw(&rst).to_vec();
        assert_eq!(
            ev,
            vec![
                Ev::Close {
                    flow: cflow().reverse()
                },
                Ev::Close { flow: cflow() }
            ]
        );
        assert!(d.finish().is_empty());
        // RST on an unknown connection opens nothing.
        let mut d = Driver::new(&Limits::default());
        assert!(d.raw(&rst).is_empty());
    }

    #[test]
    fn full_table_evicts_least_recently_used() {
        let limits = Limits {
            max_tcp_streams: 2,
            ..Limits::default()
        };
        let mut d = Driver::new(&limits);
        let seg = |port: u16, seq: u32| tcp4(C, S, port, 2049, seq, Flags::default(), b"z");
        d.raw(&seg(1, 0));
        d.raw(&seg(2, 0));
        d.raw(&seg(1, 1)); // port 1 used again: port 2 is now the oldest
        d.raw(&seg(1, 10)); // leaves a hole in port 1
        let ev = d.raw(&seg(3, 0)).to_vec();
        let f2 = flow4(C, 2, S, 2049);
        let f3 = flow4(C, 3, S, 2049);
        assert_eq!(
            ev,
            vec![
                Ev::Anomaly(NetAnomaly::TcpStreamEvicted),
                Ev::Close { flow: f2 },
                Ev::Open {
                    flow: f3,
                    at_syn: false
                },
                Ev::Data {
                    flow: f3,
                    offset: 0,
                    data: b"z".to_vec()
                },
            ]
        );
        let ev = d.raw(&seg(4, 0)).to_vec();
        let f1 = flow4(C, 1, S, 2049);
        assert_eq!(
            ev[..3],
            [
                Ev::Anomaly(NetAnomaly::TcpStreamEvicted),
                Ev::Gap {
                    flow: f1,
                    offset: 2,
                    len: 8,
                    reason: GapReason::Lost
                },
                Ev::Data {
                    flow: f1,
                    offset: 10,
                    data: b"z".to_vec()
                },
            ]
        );
        assert_eq!(d.dec.tcp_streams(), 2);
    }

    #[test]
    fn idle_directions_time_out_in_capture_time() {
        let limits = Limits {
            tcp_idle_timeout_ns: 1000,
            ..Limits::default()
        };
        let mut d = Driver::new(&limits);
        let raw = crate::capture::LinkType::RAW;
        d.frame_at(raw, 0, &data_seg(1, b"a"));
        d.frame_at(raw, 500, &server_ack(9, 2));
        let ev = d.frame_at(raw, 1000, &server_ack(9, 2)).to_vec();
        assert_eq!(ev, vec![Ev::Close { flow: cflow() }]);
        // Time going backwards does not expire anything.
        assert!(d.frame_at(raw, 10, &server_ack(9, 2)).is_empty());
        assert_eq!(d.dec.tcp_streams(), 1);
    }

    #[test]
    fn finish_flushes_pending_data_and_closes() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&data_seg(0, b"aa"));
        d.raw(&data_seg(4, b"cc"));
        let ev = d.finish().to_vec();
        assert_eq!(
            ev,
            vec![
                Ev::Gap {
                    flow: cflow(),
                    offset: 2,
                    len: 2,
                    reason: GapReason::Lost
                },
                Ev::Data {
                    flow: cflow(),
                    offset: 4,
                    data: b"cc".to_vec()
                },
                Ev::Close { flow: cflow() }
            ]
        );
        assert!(d.finish().is_empty());
    }

    #[test]
    fn retransmitted_syn_keeps_the_stream_and_new_isn_replaces_it() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&syn(10));
        d.raw(&data_seg(11, b"x"));
        assert!(d.raw(&syn(10)).is_empty());
        let ev = d.raw(&syn(5000)).to_vec();
        assert_eq!(
            ev,
            vec![
                Ev::Close { flow: cflow() },
                Ev::Open {
                    flow: cflow(),
                    at_syn: true
                }
            ]
        );
    }

    #[test]
    fn parse_segment_errors() {
        let a = std::net::IpAddr::V4([1, 1, 1, 1].into());
        assert!(parse_segment(a, a, &[0; 10], 10).is_err());
        let seg = data_seg(0, b"abc");
        let tcp = &seg[20..];
        assert!(parse_segment(a, a, tcp, 10).is_err());
        let s = parse_segment(a, a, tcp, tcp.len()).unwrap();
        assert_eq!((s.data, s.len, s.syn, s.ack), (&b"abc"[..], 3, false, None));
    }
}
