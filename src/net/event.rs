//! What the network layer hands to the RPC layer.

use super::flow::FlowKey;

/// Why bytes of a TCP stream are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapReason {
    /// The segment was on the wire but the capture kept only its first bytes
    /// (snapshot length).
    Snaplen,
    /// The segment was never captured (capture loss), or the out-of-order
    /// buffer gave up waiting for it.
    Lost,
}

/// One output of [`super::NetDecoder`]. Byte slices borrow either the frame or
/// the decoder's own reassembly buffers and are valid only during the callback
/// ([`StoredNetEvent`] keeps one past it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetEvent<'a> {
    /// A whole UDP datagram (after IP reassembly). `truncated` when the
    /// capture kept fewer bytes than the UDP length claims; `payload` then
    /// holds what was captured.
    Udp {
        flow: FlowKey,
        payload: &'a [u8],
        /// The payload's length on the wire (from the UDP header).
        len: u64,
        truncated: bool,
        /// The frame the datagram is reported at: the one that completed it,
        /// or, when the snapshot length cut it, the one that carried its
        /// first fragment.
        frame: u64,
        /// That frame's capture time.
        ts: crate::capture::Timestamp,
    },
    /// The first event of a TCP direction. `at_syn` is true when the SYN was
    /// seen, so stream offset 0 is the first byte the sender ever sent (an RPC
    /// record boundary); false when the capture starts mid-stream.
    TcpOpen { flow: FlowKey, at_syn: bool },
    /// The next in-order bytes of a TCP direction, retransmissions and
    /// overlaps already trimmed. `offset` is the stream offset of `data[0]`
    /// counted from the first byte the decoder saw (or from SYN + 1).
    TcpData {
        flow: FlowKey,
        offset: u64,
        data: &'a [u8],
        /// The frame that captured these bytes: the current one, or an
        /// earlier one when they waited in the out-of-order buffer.
        frame: u64,
        /// That frame's capture time.
        ts: crate::capture::Timestamp,
    },
    /// `len` bytes of the direction that will never be delivered; the next
    /// `TcpData` starts right after them.
    TcpGap {
        flow: FlowKey,
        offset: u64,
        len: u64,
        reason: GapReason,
    },
    /// The earliest frame (and its time) whose bytes wait in the
    /// direction's out-of-order buffer changed (`None`: nothing waits).
    /// Those bytes will be delivered with that frame, so a message in them
    /// is reported at it: the RPC layer keeps capture order with this.
    TcpHeld {
        flow: FlowKey,
        held: Option<(u64, crate::capture::Timestamp)>,
    },
    /// A retransmitted or overlapping segment disagrees with bytes already
    /// delivered (or waiting) at stream offsets `[offset, offset + len)`,
    /// sequence numbers from `seq`. The first copy is kept.
    TcpInconsistent {
        flow: FlowKey,
        offset: u64,
        len: u64,
        seq: u32,
    },
    /// The direction ended (FIN or RST seen, idle timeout, eviction, or end
    /// of input). Buffered data has been delivered before it.
    TcpClose { flow: FlowKey },
    /// Something in the frame could not be decoded; decoding goes on.
    Anomaly(NetAnomaly),
}

/// A [`NetEvent`] kept past its callback: its bytes (a datagram's payload,
/// a stream's data) copied to the end of an arena the caller owns, the
/// rest as it was. [`StoredNetEvent::get`] gives the same event back.
#[derive(Debug, Clone)]
pub struct StoredNetEvent {
    /// The event with its byte slice emptied.
    shape: NetEvent<'static>,
    /// Where its bytes are in the arena.
    bytes: std::ops::Range<usize>,
}

impl StoredNetEvent {
    /// Keeps `ev`, appending its bytes to `arena`.
    pub fn store(ev: &NetEvent<'_>, arena: &mut Vec<u8>) -> Self {
        let start = arena.len();
        let shape = match *ev {
            NetEvent::Udp {
                flow,
                payload,
                len,
                truncated,
                frame,
                ts,
            } => {
                arena.extend_from_slice(payload);
                NetEvent::Udp {
                    flow,
                    payload: &[],
                    len,
                    truncated,
                    frame,
                    ts,
                }
            }
            NetEvent::TcpData {
                flow,
                offset,
                data,
                frame,
                ts,
            } => {
                arena.extend_from_slice(data);
                NetEvent::TcpData {
                    flow,
                    offset,
                    data: &[],
                    frame,
                    ts,
                }
            }
            NetEvent::TcpOpen { flow, at_syn } => NetEvent::TcpOpen { flow, at_syn },
            NetEvent::TcpGap {
                flow,
                offset,
                len,
                reason,
            } => NetEvent::TcpGap {
                flow,
                offset,
                len,
                reason,
            },
            NetEvent::TcpHeld { flow, held } => NetEvent::TcpHeld { flow, held },
            NetEvent::TcpInconsistent {
                flow,
                offset,
                len,
                seq,
            } => NetEvent::TcpInconsistent {
                flow,
                offset,
                len,
                seq,
            },
            NetEvent::TcpClose { flow } => NetEvent::TcpClose { flow },
            NetEvent::Anomaly(a) => NetEvent::Anomaly(a),
        };
        StoredNetEvent {
            shape,
            bytes: start..arena.len(),
        }
    }

    /// The event kept, its bytes read from `arena` (the one it was stored
    /// in; a range past its end gives empty bytes, never a panic).
    pub fn get<'a>(&self, arena: &'a [u8]) -> NetEvent<'a> {
        let bytes = arena.get(self.bytes.clone()).unwrap_or(&[]);
        match self.shape {
            NetEvent::Udp {
                flow,
                len,
                truncated,
                frame,
                ts,
                ..
            } => NetEvent::Udp {
                flow,
                payload: bytes,
                len,
                truncated,
                frame,
                ts,
            },
            NetEvent::TcpData {
                flow,
                offset,
                frame,
                ts,
                ..
            } => NetEvent::TcpData {
                flow,
                offset,
                data: bytes,
                frame,
                ts,
            },
            other => other,
        }
    }
}

/// A counted network-layer anomaly. `name()` is the key used in summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetAnomaly {
    /// The link type of a frame is not one we decode.
    UnsupportedLinkType,
    /// Link, IP, UDP or TCP header malformed or cut before its end.
    MalformedHeader,
    /// IP payload other than TCP/UDP (ICMP, ...), or non-IP frames; not an
    /// error, counted for completeness.
    NotTcpUdp,
    /// An IP fragment overlapped a previous one with different bytes, or was
    /// otherwise inconsistent.
    IpFragmentInvalid,
    /// An incomplete IP datagram was dropped (timeout, table full, too many
    /// fragments, or end of input).
    IpReassemblyDropped,
    /// A TCP direction was forgotten to make room (table full).
    TcpStreamEvicted,
    /// Out-of-order buffer full: a hole was declared a gap.
    TcpOooOverflow,
    /// A TCP segment was truncated by the snapshot length.
    TcpTruncatedSegment,
    /// A UDP datagram was truncated by the snapshot length.
    UdpTruncated,
}

impl NetAnomaly {
    /// Every kind, in declaration order (`ALL[k as usize] == k`).
    pub const ALL: [NetAnomaly; 9] = [
        NetAnomaly::UnsupportedLinkType,
        NetAnomaly::MalformedHeader,
        NetAnomaly::NotTcpUdp,
        NetAnomaly::IpFragmentInvalid,
        NetAnomaly::IpReassemblyDropped,
        NetAnomaly::TcpStreamEvicted,
        NetAnomaly::TcpOooOverflow,
        NetAnomaly::TcpTruncatedSegment,
        NetAnomaly::UdpTruncated,
    ];

    /// The key used in summaries (snake case).
    pub fn name(self) -> &'static str {
        match self {
            NetAnomaly::UnsupportedLinkType => "unsupported_link_type",
            NetAnomaly::MalformedHeader => "malformed_header",
            NetAnomaly::NotTcpUdp => "not_tcp_udp",
            NetAnomaly::IpFragmentInvalid => "ip_fragment_invalid",
            NetAnomaly::IpReassemblyDropped => "ip_reassembly_dropped",
            NetAnomaly::TcpStreamEvicted => "tcp_stream_evicted",
            NetAnomaly::TcpOooOverflow => "tcp_ooo_overflow",
            NetAnomaly::TcpTruncatedSegment => "tcp_truncated_segment",
            NetAnomaly::UdpTruncated => "udp_truncated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::net::Endpoint;

    #[test]
    fn stored_events_come_back_the_same() {
        let a = Endpoint::new([10, 0, 0, 1].into(), 700);
        let b = Endpoint::new([10, 0, 0, 2].into(), 2049);
        let flow = FlowKey { src: a, dst: b };
        let ts = Timestamp(5);
        let events = [
            NetEvent::Udp {
                flow,
                payload: b"datagram",
                len: 9,
                truncated: true,
                frame: 3,
                ts,
            },
            NetEvent::TcpOpen { flow, at_syn: true },
            NetEvent::TcpData {
                flow,
                offset: 40,
                data: b"stream bytes",
                frame: 4,
                ts,
            },
            NetEvent::TcpData {
                flow,
                offset: 52,
                data: b"",
                frame: 4,
                ts,
            },
            NetEvent::TcpGap {
                flow,
                offset: 52,
                len: 7,
                reason: GapReason::Lost,
            },
            NetEvent::TcpHeld {
                flow,
                held: Some((9, ts)),
            },
            NetEvent::TcpInconsistent {
                flow,
                offset: 1,
                len: 2,
                seq: 3,
            },
            NetEvent::TcpClose { flow },
            NetEvent::Anomaly(NetAnomaly::UdpTruncated),
        ];
        let mut arena = b"before".to_vec();
        let stored: Vec<_> = events
            .iter()
            .map(|e| StoredNetEvent::store(e, &mut arena))
            .collect();
        assert_eq!(arena, b"beforedatagramstream bytes");
        for (e, s) in events.iter().zip(&stored) {
            assert_eq!(&s.get(&arena), e);
        }
        // A shorter arena gives empty bytes, not a panic.
        assert_eq!(
            stored[0].get(b"xx"),
            NetEvent::Udp {
                flow,
                payload: b"",
                len: 9,
                truncated: true,
                frame: 3,
                ts,
            }
        );
    }
}
