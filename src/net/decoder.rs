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
    /// The last frame seen (events at `finish` are attributed to it).
    last_frame: (u64, Timestamp),
}

impl NetDecoder {
    /// A decoder bounded by `limits`.
    pub fn new(limits: &Limits) -> Self {
        NetDecoder {
            frag: Reassembler::new(limits),
            tcp: TcpTable::new(limits),
            stats: NetStats::default(),
            last_frame: (0, Timestamp(0)),
        }
    }

    /// Decodes one frame; calls `out` for each resulting event, in order.
    pub fn handle_frame(&mut self, frame: &Frame<'_>, out: &mut dyn FnMut(NetEvent<'_>)) {
        self.last_frame = (frame.number, frame.ts);
        let mut sink = Sink {
            stats: &mut self.stats,
            out,
            frame: frame.number,
            ts: frame.ts,
        };
        sink.stats.frames += 1;
        sink.stats.bytes += frame.data.len() as u64;
        let now = frame.ts;
        self.frag.expire(now, &mut sink);
        deliver_partials(&mut self.frag, &mut self.tcp, now, &mut sink);
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
                    src: done.key.src,
                    dst: done.key.dst,
                    proto,
                    payload: &data[skip.min(data.len())..],
                    payload_len: done.total - skip,
                    frag: None,
                };
                // A datagram the snapshot length cut is only decoded as far
                // as its first fragment goes: it belongs to that fragment's
                // frame (where tshark, unable to reassemble it, shows it).
                if done.captured < done.total {
                    if let Some((frame, ts)) = done.first {
                        (sink.frame, sink.ts) = (frame, ts);
                    }
                }
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
            frame: self.last_frame.0,
            ts: self.last_frame.1,
        };
        self.tcp.finish(&mut sink);
        self.frag.finish(&mut sink);
        let now = sink.ts;
        deliver_partials(&mut self.frag, &mut self.tcp, now, &mut sink);
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

/// Delivers the captured prefixes of UDP datagrams dropped incomplete (a
/// fragment never captured): decoded as far as they go, marked truncated,
/// at the frame of their first fragment.
fn deliver_partials(frag: &mut Reassembler, tcp: &mut TcpTable, now: Timestamp, sink: &mut Sink) {
    let here = (sink.frame, sink.ts);
    while let Some(p) = frag.take_partial() {
        (sink.frame, sink.ts) = p.first.unwrap_or(here);
        let whole = IpPacket {
            src: p.key.src,
            dst: p.key.dst,
            proto: p.proto,
            payload: &p.buf[..p.captured.min(p.buf.len())],
            payload_len: p.total,
            frag: None,
        };
        transport(tcp, now, &whole, sink);
        frag.recycle(p.buf);
    }
    (sink.frame, sink.ts) = here;
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
    let (frame, ts) = (sink.frame, sink.ts);
    sink.emit(NetEvent::Udp {
        flow,
        payload,
        len: (ulen - 8) as u64,
        truncated,
        frame,
        ts,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::LinkType;
    use crate::net::testutil::*;
    use crate::net::GapReason;

    fn udp_flow() -> FlowKey {
        flow4(1, 1000, 2, 2049)
    }

    fn udp_ev(payload: &[u8]) -> Ev {
        Ev::Udp {
            flow: udp_flow(),
            payload: payload.to_vec(),
            truncated: false,
        }
    }

    /// The same UDP datagram under every supported link type.
    #[test]
    fn udp_under_every_link_type() {
        let ip = ipv4_udp_packet(b"rpc!");
        let mut frames: Vec<(LinkType, Vec<u8>)> = vec![
            (LinkType::ETHERNET, eth(0x0800, &ip)),
            (
                LinkType::ETHERNET,
                eth_udp4([10, 0, 0, 1], [10, 0, 0, 2], 1000, 2049, b"rpc!"),
            ),
            (LinkType::LINUX_SLL, sll_udp4(b"rpc!")),
            (LinkType::RAW, ip.clone()),
            (LinkType::RAW_12, ip.clone()),
            (LinkType::RAW_14, ip.clone()),
            (LinkType::IPV4, ip.clone()),
        ];
        // 802.1Q, QinQ (802.1ad), 0x9100 stacks
        for tags in [&[0x8100u16][..], &[0x88a8, 0x8100], &[0x9100, 0x8100]] {
            let mut f = MAC_B.to_vec();
            f.extend_from_slice(&MAC_A);
            for t in tags {
                f.extend_from_slice(&t.to_be_bytes());
                f.extend_from_slice(&[0, 42]);
            }
            f.extend_from_slice(&0x0800u16.to_be_bytes());
            f.extend_from_slice(&ip);
            frames.push((LinkType::ETHERNET, f));
        }
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        sll2.extend_from_slice(&ip);
        frames.push((LinkType::LINUX_SLL2, sll2));
        for hdr in [2u32.to_le_bytes(), 2u32.to_be_bytes()] {
            let mut f = hdr.to_vec();
            f.extend_from_slice(&ip);
            frames.push((LinkType::NULL, f));
        }
        let mut f = 2u32.to_be_bytes().to_vec();
        f.extend_from_slice(&ip);
        frames.push((LinkType::LOOP, f));
        for (lt, f) in frames {
            let mut d = Driver::new(&Limits::default());
            assert_eq!(d.frame(lt, &f), &[udp_ev(b"rpc!")], "{lt:?} {f:02x?}");
        }
    }

    #[test]
    fn udp_over_ipv6_raw_null_and_sll2() {
        let ip = ipv6_udp_packet(b"six");
        let flow = FlowKey {
            src: Endpoint::new(V6A.into(), 1000),
            dst: Endpoint::new(V6B.into(), 2049),
        };
        let want = [Ev::Udp {
            flow,
            payload: b"six".to_vec(),
            truncated: false,
        }];
        let mut null = 30u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        let mut sll2 = vec![0x86, 0xdd];
        sll2.extend_from_slice(&[0; 18]);
        sll2.extend_from_slice(&ip);
        for (lt, f) in [
            (LinkType::RAW, ip.clone()),
            (LinkType::IPV6, ip.clone()),
            (LinkType::NULL, null),
            (LinkType::LINUX_SLL2, sll2),
            (LinkType::ETHERNET, eth(0x86dd, &ip)),
        ] {
            let mut d = Driver::new(&Limits::default());
            assert_eq!(d.frame(lt, &f), &want, "{lt:?}");
        }
    }

    #[test]
    fn ethernet_padding_is_ignored() {
        let mut f = eth_udp4([10, 0, 0, 1], [10, 0, 0, 2], 1000, 2049, b"x");
        assert!(f.len() < 60);
        f.resize(60, 0xee);
        let mut d = Driver::new(&Limits::default());
        assert_eq!(d.frame(LinkType::ETHERNET, &f), &[udp_ev(b"x")]);
    }

    #[test]
    fn udp_truncated_by_snaplen_delivers_what_was_captured() {
        let payload: Vec<u8> = (0..200u8).collect();
        let f = eth_udp4([10, 0, 0, 1], [10, 0, 0, 2], 1000, 2049, &payload);
        let mut d = Driver::new(&Limits::default());
        let ev = d
            .frame_cut(LinkType::ETHERNET, 0, &f, 14 + 20 + 8 + 50)
            .to_vec();
        assert_eq!(
            ev,
            vec![
                Ev::Anomaly(NetAnomaly::UdpTruncated),
                Ev::Udp {
                    flow: udp_flow(),
                    payload: payload[..50].to_vec(),
                    truncated: true
                }
            ]
        );
        assert_eq!(d.dec.stats().anomaly(NetAnomaly::UdpTruncated), 1);
    }

    #[test]
    fn malformed_and_other_frames_are_anomalies() {
        let mut d = Driver::new(&Limits::default());
        let ip = ipv4_udp_packet(b"abc");
        let cases: Vec<(LinkType, Vec<u8>, NetAnomaly)> = vec![
            (LinkType(147), ip.clone(), NetAnomaly::UnsupportedLinkType),
            (
                LinkType::ETHERNET,
                vec![1, 2, 3],
                NetAnomaly::MalformedHeader,
            ),
            (
                LinkType::ETHERNET,
                eth(0x0806, &[0; 28]),
                NetAnomaly::NotTcpUdp,
            ),
            (
                LinkType::RAW,
                ip[..12].to_vec(),
                NetAnomaly::MalformedHeader,
            ),
            (
                LinkType::RAW,
                ip[..24].to_vec(),
                NetAnomaly::MalformedHeader,
            ), // UDP header cut
            (
                LinkType::RAW,
                {
                    let mut p = ip.clone();
                    p[9] = 1;
                    p
                },
                NetAnomaly::NotTcpUdp,
            ),
            (
                LinkType::RAW,
                {
                    let mut p = ip.clone();
                    p[25] = 4;
                    p
                },
                NetAnomaly::MalformedHeader,
            ),
            (
                LinkType::RAW,
                {
                    let mut p = ip.clone();
                    p[25] = 200;
                    p
                },
                NetAnomaly::MalformedHeader,
            ),
            (
                LinkType::RAW,
                {
                    let mut p = ip.clone();
                    p[9] = 6;
                    p
                },
                NetAnomaly::MalformedHeader,
            ),
        ];
        for (lt, f, want) in cases {
            assert_eq!(d.frame(lt, &f), &[Ev::Anomaly(want)], "{lt:?} {f:02x?}");
        }
        assert_eq!(d.dec.stats().frames, 9);
        assert_eq!(d.dec.stats().anomalies_total(), 9);
    }

    #[test]
    fn udp_length_zero_uses_ip_length() {
        let mut p = ipv4_udp_packet(b"jumbo");
        p[24] = 0;
        p[25] = 0;
        let mut d = Driver::new(&Limits::default());
        assert_eq!(d.raw(&p), &[udp_ev(b"jumbo")]);
    }

    #[test]
    fn ipv4_fragments_any_order_deliver_once_at_the_completing_frame() {
        let payload: Vec<u8> = (0..4000u32).map(|i| (i % 251) as u8).collect();
        let whole = ipv4_udp_packet(&payload);
        let frags = fragment_v4(&whole, 0x4242, 1480);
        assert_eq!(frags.len(), 3);
        let mut rng = XorShift::new(11);
        for round in 0..10 {
            let mut order: Vec<usize> = (0..frags.len()).collect();
            if round == 1 {
                order.reverse();
            } else if round > 1 {
                order.push(rng.below(frags.len())); // a duplicate...
                shuffle(&mut order, &mut rng); // ...anywhere
            }
            let mut d = Driver::new(&Limits::default());
            let mut seen = std::collections::BTreeSet::new();
            for &i in &order {
                let ev = d.raw(&frags[i]).to_vec();
                seen.insert(i);
                if seen.len() == frags.len() && ev.iter().any(|e| matches!(e, Ev::Udp { .. })) {
                    assert_eq!(ev, vec![udp_ev(&payload)], "round {round}");
                } else {
                    assert!(ev.is_empty(), "round {round}: {ev:?}");
                }
            }
            let udp = d
                .events
                .iter()
                .filter(|e| matches!(e, Ev::Udp { .. }))
                .count();
            assert_eq!(udp, 1, "round {round}");
            let s = d.dec.stats();
            assert_eq!(s.ip_datagrams_reassembled, 1);
            assert_eq!(s.ip_fragments, order.len() as u64);
        }
    }

    #[test]
    fn ipv6_fragments_shuffled() {
        let payload: Vec<u8> = (0..3000u32).map(|i| (i * 3) as u8).collect();
        let whole = ipv6_udp_packet(&payload);
        let frags = fragment_v6(&whole, 0xabcdef, 1232);
        let mut rng = XorShift::new(5);
        let flow = FlowKey {
            src: Endpoint::new(V6A.into(), 1000),
            dst: Endpoint::new(V6B.into(), 2049),
        };
        for _ in 0..6 {
            let mut order: Vec<usize> = (0..frags.len()).collect();
            shuffle(&mut order, &mut rng);
            let mut d = Driver::new(&Limits::default());
            for &i in &order {
                d.frame(LinkType::ETHERNET, &eth(0x86dd, &frags[i]));
            }
            assert_eq!(
                d.events,
                vec![Ev::Udp {
                    flow,
                    payload: payload.clone(),
                    truncated: false
                }]
            );
            assert!(d.finish().is_empty());
        }
    }

    #[test]
    fn fragment_conflict_timeout_and_finish_are_anomalies() {
        let payload = vec![7u8; 3000];
        let whole = ipv4_udp_packet(&payload);
        let frags = fragment_v4(&whole, 1, 1480);
        let limits = Limits {
            ip_reassembly_timeout_ns: 1_000_000_000,
            ..Limits::default()
        };
        let mut d = Driver::new(&limits);
        d.frame_at(LinkType::RAW, 0, &frags[0]);
        // Same id, 2 s later: the first attempt expired. Its first fragment
        // was captured, so its prefix is delivered, truncated.
        let ev = d.frame_at(LinkType::RAW, 2_000_000_000, &frags[1]).to_vec();
        assert_eq!(ev.len(), 3, "{ev:?}");
        assert_eq!(ev[0], Ev::Anomaly(NetAnomaly::IpReassemblyDropped));
        assert_eq!(ev[1], Ev::Anomaly(NetAnomaly::UdpTruncated));
        assert!(
            matches!(&ev[2], Ev::Udp { truncated: true, payload, .. } if payload.len() == 1480 - 8 && payload.iter().all(|b| *b == 7)),
            "{:?}",
            ev[2]
        );
        let mut bad = frags[0].clone();
        let n = bad.len();
        bad[n - 1] ^= 1; // a conflicting copy
        d.frame_at(LinkType::RAW, 2_000_000_001, &frags[0]);
        let ev = d.frame_at(LinkType::RAW, 2_000_000_002, &bad).to_vec();
        assert_eq!(ev, vec![Ev::Anomaly(NetAnomaly::IpFragmentInvalid)]);
        assert!(d
            .frame_at(LinkType::RAW, 2_000_000_003, &frags[2])
            .is_empty());
        // A datagram missing its first fragment has nothing to deliver.
        let other = fragment_v4(&whole, 2, 1480);
        d.frame_at(LinkType::RAW, 2_000_000_004, &other[1]);
        assert_eq!(d.finish(), &[Ev::Anomaly(NetAnomaly::IpReassemblyDropped)]);
        assert_eq!(d.dec.ip_reassemblies(), 0);
    }

    #[test]
    fn tcp_over_fragments() {
        let data = vec![0x5a; 2500];
        let seg = tcp4(1, 2, 700, 2049, 1000, Flags::default(), &data);
        let frags = fragment_v4(&seg, 9, 1480);
        let mut d = Driver::new(&Limits::default());
        d.raw(&frags[1]);
        d.raw(&frags[0]);
        let (bytes, gaps) = d.stream(flow4(1, 700, 2, 2049));
        assert_eq!(bytes, data);
        assert!(gaps.is_empty());
    }

    #[test]
    fn stats_count_frames_bytes_and_families() {
        let mut d = Driver::new(&Limits::default());
        d.raw(&ipv4_udp_packet(b"a"));
        d.raw(&ipv6_udp_packet(b"b"));
        let s = d.dec.stats();
        assert_eq!(
            (s.frames, s.ipv4, s.ipv6, s.udp_datagrams, s.udp_bytes),
            (2, 1, 1, 2, 2)
        );
        assert_eq!(s.bytes, (29 + 49) as u64);
    }

    /// Runs a public capture through the decoder; `None` when absent.
    fn run_capture(name: &str) -> Option<Driver> {
        let pcap = read_public_pcap(name)?;
        let mut d = Driver::new(&Limits::default());
        for (ts, data, orig) in &pcap.frames {
            d.number_frame(pcap.link, *ts, data, *orig);
        }
        d.finish();
        Some(d)
    }

    #[test]
    fn capture_pcapplusplus_ip_frag_nfs_over_udp() {
        let Some(d) = run_capture("pcapplusplus-ip-frag.pcap") else {
            return;
        };
        let nfs = d
            .events
            .iter()
            .filter(|e| {
                matches!(e, Ev::Udp { flow, truncated: false, .. }
                if flow.src.port == 2049 || flow.dst.port == 2049)
            })
            .count();
        // tshark: 1021 UDP datagrams on port 2049 after reassembly (1016 of
        // them decode as RPC; the other 5 are replies it does not match).
        assert_eq!(nfs, 1021);
        // tshark reassembles 190 datagrams too; late duplicate fragments
        // (the capture holds many) are recognised, and the capture ends with
        // 2 datagrams missing fragments.
        let s = d.dec.stats();
        assert_eq!(s.ip_datagrams_reassembled, 190);
        assert_eq!(s.ip_fragment_duplicates, 730);
        let bad: Vec<_> = d
            .anomalies()
            .into_iter()
            .filter(|a| *a != NetAnomaly::NotTcpUdp)
            .collect();
        // The one of them whose first fragment was captured is still
        // delivered, as a truncated datagram.
        assert_eq!(
            bad,
            vec![
                NetAnomaly::IpReassemblyDropped,
                NetAnomaly::IpReassemblyDropped,
                NetAnomaly::UdpTruncated
            ]
        );
    }

    #[test]
    fn capture_pcapplusplus_ip4_fragments_with_duplicates() {
        let Some(d) = run_capture("pcapplusplus-ip4_fragments.pcap") else {
            return;
        };
        let s = d.dec.stats();
        assert_eq!(s.ip_datagrams_reassembled, 6, "{s:?}");
        assert!(s.ip_fragment_duplicates > 0, "{s:?}");
    }

    #[test]
    fn capture_tcp_streams_tile_without_anomalies() {
        for name in [
            "zeek-nfs_base.pcap",
            "suricata-verify-nfs4-01-input.pcap",
            "nfstrace-eth-ipv4-tcp-nfsv41.pcap",
            "nfstrace-lo-ipv4-tcp-nfsv3-nfsacl.pcap",
            "nfstrace-tcp-seq-overlap-in-fragment-12721.pcap.gz",
            "zeek-portmapper-many-unanswered-calls.pcapng.gz",
        ] {
            let Some(d) = run_capture(name) else { continue };
            let mut flows = std::collections::BTreeSet::new();
            for e in &d.events {
                if let Ev::Open { flow, .. } = e {
                    flows.insert(*flow);
                }
            }
            for f in &flows {
                let (_, gaps) = d.stream(*f); // asserts tiling
                let lost: u64 = gaps
                    .iter()
                    .filter(|g| g.2 == GapReason::Lost)
                    .map(|g| g.1)
                    .sum();
                eprintln!("{name} {f:?}: {} gaps, {lost} lost bytes", gaps.len());
            }
            let s = d.dec.stats();
            eprintln!("{name}: {s:?}");
            assert_eq!(s.tcp_streams, s.tcp_closes, "{name}");
        }
    }

    /// In-order TCP and unfragmented UDP payloads borrow the frame itself.
    #[test]
    fn in_order_tcp_and_udp_are_zero_copy() {
        let mut dec = NetDecoder::new(&Limits::default());
        let frames: Vec<Vec<u8>> = (0..50u32)
            .map(|i| {
                tcp4(
                    1,
                    2,
                    700,
                    2049,
                    1 + i * 100,
                    Flags::default(),
                    &[i as u8; 100],
                )
            })
            .chain((0..5).map(|_| ipv4_udp_packet(b"datagram")))
            .collect();
        let mut delivered = 0;
        for (n, data) in frames.iter().enumerate() {
            let frame = Frame {
                number: n as u64 + 1,
                ts: Timestamp(n as i64),
                link: crate::capture::LinkType::RAW,
                data,
                orig_len: data.len() as u32,
            };
            let range = data.as_ptr_range();
            dec.handle_frame(&frame, &mut |ev| {
                let bytes = match ev {
                    NetEvent::TcpData { data, .. } => data,
                    NetEvent::Udp { payload, .. } => payload,
                    _ => return,
                };
                assert!(range.contains(&bytes.as_ptr()), "payload was copied");
                delivered += bytes.len();
            });
        }
        assert_eq!(delivered, 50 * 100 + 5 * 8);
    }

    /// Untrusted input never panics: random frames and mutated valid ones,
    /// under every link type, with tight limits.
    #[test]
    fn garbage_and_mutated_frames_never_panic() {
        let limits = Limits {
            max_ip_reassemblies: 4,
            max_ip_fragments: 3,
            max_tcp_streams: 4,
            max_tcp_ooo_bytes: 3000,
            max_tcp_ooo_segments: 3,
            ..Limits::default()
        };
        let mut valid = vec![
            ipv4_udp_packet(&[1; 300]),
            ipv6_udp_packet(&[2; 300]),
            tcp4(1, 2, 700, 2049, 5, Flags::default(), &[3; 400]),
            tcp4(
                2,
                1,
                2049,
                700,
                9,
                Flags {
                    syn: true,
                    ack: Some(6),
                    ..Flags::default()
                },
                &[],
            ),
        ];
        valid.extend(fragment_v4(&ipv4_udp_packet(&[4; 2000]), 3, 600));
        valid.extend(fragment_v6(&ipv6_udp_packet(&[5; 2000]), 3, 600));
        let links = [
            LinkType::ETHERNET,
            LinkType::LINUX_SLL,
            LinkType::LINUX_SLL2,
            LinkType::NULL,
            LinkType::LOOP,
            LinkType::RAW,
            LinkType::IPV6,
            LinkType(1234),
        ];
        let mut rng = XorShift::new(99);
        let mut d = NetDecoder::new(&limits);
        let mut events = 0u64;
        for i in 0..20_000 {
            let mut f: Vec<u8> = if rng.below(4) == 0 {
                (0..rng.below(120)).map(|_| rng.next() as u8).collect()
            } else {
                let mut f = valid[rng.below(valid.len())].clone();
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(f.len());
                    f[at] = rng.next() as u8;
                }
                f
            };
            let link = links[rng.below(links.len())];
            let hdr: Vec<u8> = match link {
                LinkType::ETHERNET => eth(0x0800 | (rng.below(2) as u16 * 0x8000), &[]),
                LinkType::LINUX_SLL => vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0],
                LinkType::NULL => 2u32.to_le_bytes().to_vec(),
                _ => Vec::new(),
            };
            f.splice(0..0, hdr);
            let keep = if rng.below(3) == 0 {
                rng.below(f.len() + 1)
            } else {
                f.len()
            };
            let frame = Frame {
                number: i,
                ts: Timestamp(i as i64 * 1_000_000),
                link,
                data: &f[..keep],
                orig_len: f.len() as u32,
            };
            d.handle_frame(&frame, &mut |_| events += 1);
            assert!(d.tcp_streams() <= 4 && d.ip_reassemblies() <= 4);
        }
        d.finish(&mut |_| events += 1);
        assert!(events > 0);
        assert_eq!(d.stats().tcp_streams, d.stats().tcp_closes);
    }
}
