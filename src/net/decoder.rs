//! [`NetDecoder`]: the network layer's entry point, wiring link slicing, IP
//! decoding, fragment reassembly, UDP and TCP stream reassembly together.
//!
//! Sans-IO: frames and their capture timestamps come in, [`NetEvent`]s come
//! out through a callback, in order. Time only moves with frame timestamps
//! (timeouts are checked at the start of each frame).
//!
//! Guarantees: never panics on any input; memory is bounded by the
//! [`Limits`] it was built with; unfragmented UDP and in-order TCP payloads
//! are delivered without copying or allocating.

use std::net::IpAddr;

use super::event::{NetAnomaly, NetEvent};
use super::flow::{Endpoint, FlowKey};
use super::ip::{self, IpPacket};
use super::ipfrag::{FragIn, FragKey, Reassembler};
use super::link::{self, LinkError};
use super::stats::{NetStats, Sink};
use super::tcp::{self, TcpTable};
use crate::capture::{Frame, Timestamp};
use crate::limits::Limits;

/// Decodes frames into UDP datagrams and TCP byte streams.
pub struct NetDecoder {
    frag: Reassembler,
    tcp: TcpTable,
    stats: NetStats,
}

impl NetDecoder {
    /// A decoder bounded by `limits`.
    pub fn new(limits: &Limits) -> Self {
        NetDecoder {
            frag: Reassembler::new(limits),
            tcp: TcpTable::new(limits),
            stats: NetStats::default(),
        }
    }

    /// Decodes one frame; calls `out` for each resulting event, in order.
    pub fn handle_frame(&mut self, frame: &Frame<'_>, out: &mut dyn FnMut(NetEvent<'_>)) {
        let mut sink = Sink {
            stats: &mut self.stats,
            out,
        };
        sink.stats.frames += 1;
        sink.stats.bytes += frame.data.len() as u64;
        let now = frame.ts;
        self.frag.expire(now, &mut sink);
        self.tcp.expire(now, &mut sink);

        let bytes = match link::ip_packet(frame.link, frame.data) {
            Ok(b) => b,
            Err(LinkError::Unsupported) => return sink.anomaly(NetAnomaly::UnsupportedLinkType),
            Err(LinkError::Malformed(_)) => return sink.anomaly(NetAnomaly::MalformedHeader),
            Err(LinkError::NotIp) => return sink.anomaly(NetAnomaly::NotTcpUdp),
        };
        let pkt = match ip::parse(bytes) {
            Ok(p) => p,
            Err(_) => return sink.anomaly(NetAnomaly::MalformedHeader),
        };
        if pkt.is_v6() {
            sink.stats.ipv6 += 1;
        } else {
            sink.stats.ipv4 += 1;
        }
        match pkt.frag {
            None => transport(&mut self.tcp, now, &pkt, &mut sink),
            Some(info) => {
                sink.stats.ip_fragments += 1;
                let key = FragKey {
                    src: pkt.src,
                    dst: pkt.dst,
                    proto: if pkt.is_v6() { 0 } else { pkt.proto },
                    id: info.id,
                };
                let f = FragIn {
                    info,
                    proto: pkt.proto,
                    data: pkt.payload,
                    len: pkt.payload_len,
                };
                let Some(done) = self.frag.push(now, key, f, &mut sink) else {
                    return;
                };
                sink.stats.ip_datagrams_reassembled += 1;
                let data = &done.buf[..done.captured];
                let (proto, skip) = if pkt.is_v6() {
                    match ip::walk_ipv6_exts(done.proto, data, done.total, false) {
                        Ok(e) => (e.proto, e.skip),
                        Err(_) => {
                            sink.anomaly(NetAnomaly::MalformedHeader);
                            self.frag.recycle(done.buf);
                            return;
                        }
                    }
                } else {
                    (done.proto, 0)
                };
                let whole = IpPacket {
                    src: pkt.src,
                    dst: pkt.dst,
                    proto,
                    payload: &data[skip.min(data.len())..],
                    payload_len: done.total - skip,
                    frag: None,
                };
                transport(&mut self.tcp, now, &whole, &mut sink);
                self.frag.recycle(done.buf);
            }
        }
    }

    /// End of input: delivers what is buffered (holes become `TcpGap` Lost),
    /// closes every open direction, drops incomplete IP datagrams (one
    /// `IpReassemblyDropped` each).
    pub fn finish(&mut self, out: &mut dyn FnMut(NetEvent<'_>)) {
        let mut sink = Sink {
            stats: &mut self.stats,
            out,
        };
        self.tcp.finish(&mut sink);
        self.frag.finish(&mut sink);
    }

    /// Counters since the decoder was created.
    pub fn stats(&self) -> &NetStats {
        &self.stats
    }

    /// TCP directions currently tracked.
    pub fn tcp_streams(&self) -> usize {
        self.tcp.len()
    }

    /// IP datagrams currently being reassembled.
    pub fn ip_reassemblies(&self) -> usize {
        self.frag.in_flight()
    }
}

/// Dispatches a whole (unfragmented or reassembled) IP payload.
fn transport(tcp_table: &mut TcpTable, now: Timestamp, pkt: &IpPacket<'_>, sink: &mut Sink) {
    match pkt.proto {
        6 => match tcp::parse_segment(pkt.src, pkt.dst, pkt.payload, pkt.payload_len) {
            Ok(seg) => tcp_table.segment(now, &seg, sink),
            Err(_) => sink.anomaly(NetAnomaly::MalformedHeader),
        },
        17 => udp(pkt.src, pkt.dst, pkt.payload, pkt.payload_len, sink),
        _ => sink.anomaly(NetAnomaly::NotTcpUdp),
    }
}

/// One UDP datagram: `bytes` captured of `claimed` on the wire.
fn udp(src: IpAddr, dst: IpAddr, bytes: &[u8], claimed: usize, sink: &mut Sink) {
    let Some(h) = bytes.get(..8) else {
        return sink.anomaly(NetAnomaly::MalformedHeader);
    };
    let field = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
    let ulen = match field(4) as usize {
        // Jumbogram (RFC 2675) or offload: the IP length is the length.
        0 => claimed,
        n => n,
    };
    if ulen < 8 || ulen > claimed {
        return sink.anomaly(NetAnomaly::MalformedHeader);
    }
    let payload = &bytes[8..ulen.min(bytes.len())];
    let truncated = payload.len() < ulen - 8;
    if truncated {
        sink.anomaly(NetAnomaly::UdpTruncated);
    }
    let flow = FlowKey {
        src: Endpoint::new(src, field(0)),
        dst: Endpoint::new(dst, field(2)),
    };
    sink.emit(NetEvent::Udp {
        flow,
        payload,
        truncated,
    });
}
