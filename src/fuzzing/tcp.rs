//! [`tcp_reassembly`]: TCP stream reassembly under reordering, duplication,
//! overlap and loss, checked against the stream that was sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::PacketBuilder;

use super::record::{build_stream, read, Rec};
use super::{small_limits, Input};
use crate::capture::{Frame, LinkType, Timestamp};
use crate::net::{Endpoint, FlowKey, GapReason, NetAnomaly, NetDecoder, NetEvent};
use crate::rpc::RecordReader;

/// Operations after the handshake, at most this many.
const MAX_OPS: usize = 128;

/// One TCP segment from the client, as an Ethernet frame.
pub(crate) struct Endpoints {
    pub v6: bool,
    pub client: u16,
    pub server: u16,
}

impl Endpoints {
    pub(crate) fn addrs(&self) -> (IpAddr, IpAddr) {
        if self.v6 {
            (
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1)),
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2)),
            )
        } else {
            (
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            )
        }
    }

    /// Client to server, or server to client when `reverse`.
    pub(crate) fn flow(&self, reverse: bool) -> FlowKey {
        let (a, b) = self.addrs();
        let f = FlowKey {
            src: Endpoint::new(a, self.client),
            dst: Endpoint::new(b, self.server),
        };
        if reverse {
            f.reverse()
        } else {
            f
        }
    }

    fn builder(&self, reverse: bool) -> etherparse::PacketBuilderStep<etherparse::IpHeaders> {
        let eth = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
        let (mut a, mut b) = self.addrs();
        if reverse {
            std::mem::swap(&mut a, &mut b);
        }
        match (a, b) {
            (IpAddr::V6(a), IpAddr::V6(b)) => eth.ipv6(a.octets(), b.octets(), 64),
            (IpAddr::V4(a), IpAddr::V4(b)) => eth.ipv4(a.octets(), b.octets(), 64),
            _ => unreachable!("both addresses have the same family"),
        }
    }

    /// A TCP segment (Ethernet frame) with the given flags.
    pub(crate) fn tcp(
        &self,
        reverse: bool,
        seq: u32,
        syn: bool,
        fin: bool,
        data: &[u8],
    ) -> Vec<u8> {
        let (sport, dport) = if reverse {
            (self.server, self.client)
        } else {
            (self.client, self.server)
        };
        let mut b = self.builder(reverse).tcp(sport, dport, seq, 65535);
        if syn {
            b = b.syn();
        }
        if fin {
            b = b.fin();
        }
        let mut v = Vec::with_capacity(data.len() + 80);
        b.write(&mut v, data).expect("building a TCP frame");
        v
    }

    /// A UDP datagram (Ethernet frame).
    pub(crate) fn udp(&self, reverse: bool, data: &[u8]) -> Vec<u8> {
        let (sport, dport) = if reverse {
            (self.server, self.client)
        } else {
            (self.client, self.server)
        };
        let b = self.builder(reverse).udp(sport, dport);
        let mut v = Vec::with_capacity(data.len() + 80);
        b.write(&mut v, data).expect("building a UDP frame");
        v
    }
}

/// What the decoder said about the client's direction.
#[derive(Default)]
struct Seen {
    opened: Option<bool>,
    closed: bool,
    /// Next stream offset expected: data and gaps must tile the stream.
    next: u64,
    bytes: Vec<u8>,
    gaps: u64,
    overflow: bool,
    events: Vec<Piece>,
}

enum Piece {
    Data(Vec<u8>),
    Gap(u64),
}

/// Input layout: a record stream as in `record_stream` (see
/// `record::build_stream`), then `isn` (u32), `mss` (u8: 1 to 256 payload
/// bytes per segment), `v6` (bit 0), then up to 128 operations of one code
/// byte each, some followed by an argument:
///
/// * `0`: send the next segment in order;
/// * `1 i`: send segment `i` (reorder or duplicate);
/// * `2 s:u16 n`: send stream bytes `s..s+n+1` (an overlapping retransmission);
/// * `3`: lose the next segment (it is never sent);
/// * `4 k`: send segment `next + 1 + k % 4` early.
///
/// Then every segment not yet reached is sent in order, then a FIN.
///
/// Properties: never a panic; every delivered byte equals the stream byte at
/// its offset; data and gaps tile the stream exactly once, from offset 0 to
/// the FIN; with nothing lost (every byte sent at least once), no gap, the
/// same bytes as the stream, and the same records as a one-shot read.
pub fn tcp_reassembly(data: &[u8]) {
    let limits = small_limits();
    let mut inp = Input::new(data);
    let stream = build_stream(&mut inp, &limits);
    let wire = &stream.wire;
    let isn = inp.u32();
    let mss = inp.u8() as usize + 1;
    let ends = Endpoints {
        v6: inp.u8() & 1 == 1,
        client: 700,
        server: 2049,
    };
    let segs: Vec<(usize, usize)> = (0..wire.len())
        .step_by(mss)
        .map(|s| (s, (s + mss).min(wire.len())))
        .collect();
    let mut sent = vec![false; wire.len()];
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let mut send = |s: usize, e: usize, frames: &mut Vec<Vec<u8>>| {
        sent[s..e].iter_mut().for_each(|b| *b = true);
        let seq = isn.wrapping_add(1).wrapping_add(s as u32);
        frames.push(ends.tcp(false, seq, false, false, &wire[s..e]));
    };
    frames.push(ends.tcp(false, isn, true, false, &[]));
    let mut next = 0;
    for _ in 0..MAX_OPS {
        if inp.is_empty() {
            break;
        }
        match inp.u8() % 5 {
            0 => {
                if let Some(&(s, e)) = segs.get(next) {
                    send(s, e, &mut frames);
                    next += 1;
                }
            }
            1 => {
                let i = inp.u8() as usize;
                if let Some(&(s, e)) = segs.get(i % segs.len().max(1)) {
                    send(s, e, &mut frames);
                }
            }
            2 => {
                let s = inp.u16() as usize;
                let n = inp.u8() as usize + 1;
                if !wire.is_empty() {
                    let s = s % wire.len();
                    send(s, (s + n).min(wire.len()), &mut frames);
                }
            }
            3 => next += 1,
            _ => {
                let k = (inp.u8() % 4) as usize;
                if let Some(&(s, e)) = segs.get(next + 1 + k) {
                    send(s, e, &mut frames);
                }
            }
        }
    }
    for &(s, e) in segs.iter().skip(next) {
        send(s, e, &mut frames);
    }
    let fin_seq = isn.wrapping_add(1).wrapping_add(wire.len() as u32);
    frames.push(ends.tcp(false, fin_seq, false, true, &[]));
    let lost = sent.iter().any(|s| !s);

    let client = ends.flow(false);
    let mut dec = NetDecoder::new(&limits);
    let mut seen = Seen::default();
    let mut on_event = |ev: NetEvent<'_>| observe(ev, client, wire, &mut seen);
    for (i, f) in frames.iter().enumerate() {
        let frame = Frame {
            number: i as u64 + 1,
            ts: Timestamp(1_000_000_000 + i as i64 * 1000),
            link: LinkType::ETHERNET,
            data: f,
            orig_len: f.len() as u32,
        };
        dec.handle_frame(&frame, &mut on_event);
    }
    dec.finish(&mut on_event);

    assert_eq!(seen.opened, Some(true), "the SYN opens the stream");
    assert!(seen.closed, "the FIN or finish closes the stream");
    assert_eq!(
        seen.next,
        wire.len() as u64,
        "data and gaps tile the stream"
    );
    if !lost {
        // 128 operations cannot fill the out-of-order buffer of small_limits.
        assert!(!seen.overflow, "out-of-order overflow with nothing lost");
        assert_eq!(seen.gaps, 0, "nothing was lost, yet a gap was reported");
        assert_eq!(&seen.bytes, wire);
        // The records, through the reader, as the pipeline would.
        let mut r = RecordReader::new(&limits, true);
        let mut recs = Vec::new();
        for p in &seen.events {
            match p {
                Piece::Data(d) => r.push(d, &mut |ev| recs.push(Rec::of(ev))),
                Piece::Gap(n) => r.push_gap(*n, &mut |ev| recs.push(Rec::of(ev))),
            }
        }
        r.finish(&mut |ev| recs.push(Rec::of(ev)));
        assert_eq!(recs, stream.expected);
        assert_eq!(recs, read(&limits, true, [&wire[..]]));
    }
}

fn observe(ev: NetEvent<'_>, client: FlowKey, wire: &[u8], seen: &mut Seen) {
    match ev {
        NetEvent::TcpOpen { flow, at_syn } if flow == client => {
            assert!(seen.opened.is_none(), "opened twice");
            seen.opened = Some(at_syn);
        }
        NetEvent::TcpData {
            flow, offset, data, ..
        } if flow == client => {
            assert!(!seen.closed);
            assert_eq!(offset, seen.next, "data out of order");
            let end = offset + data.len() as u64;
            assert!(end <= wire.len() as u64, "data past the end of the stream");
            assert_eq!(
                data,
                &wire[offset as usize..end as usize],
                "wrong bytes at {offset}"
            );
            seen.next = end;
            seen.bytes.extend_from_slice(data);
            seen.events.push(Piece::Data(data.to_vec()));
        }
        NetEvent::TcpGap {
            flow,
            offset,
            len,
            reason,
        } if flow == client => {
            assert!(!seen.closed);
            assert_eq!(offset, seen.next, "gap out of order");
            assert_eq!(reason, GapReason::Lost);
            seen.next = offset + len;
            seen.gaps += 1;
            seen.events.push(Piece::Gap(len));
        }
        NetEvent::TcpClose { flow } if flow == client => {
            assert!(!seen.closed, "closed twice");
            seen.closed = true;
        }
        NetEvent::Anomaly(NetAnomaly::TcpOooOverflow) => seen.overflow = true,
        NetEvent::TcpHeld { .. } => {}
        NetEvent::Anomaly(a) => panic!("unexpected anomaly {a:?}"),
        other => panic!("unexpected event {other:?}"),
    }
}
