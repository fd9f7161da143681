//! Test helpers: frame builders (etherparse `PacketBuilder`), an owned copy
//! of events, a deterministic shuffler and a tiny pcap reader for the shared
//! captures. Test-only; the real capture reader lives in `capture`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::PacketBuilder;

use super::{FlowKey, GapReason, NetAnomaly, NetDecoder, NetEvent};
use crate::capture::{Frame, LinkType, Timestamp};

/// xorshift64*: small deterministic pseudo-random numbers.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform-ish in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Fisher-Yates with [`XorShift`].
pub fn shuffle<T>(v: &mut [T], rng: &mut XorShift) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
}

pub const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 1];
pub const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 2];

/// Ethernet + IPv4 + UDP.
pub fn eth_udp4(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(src, dst, 64)
        .udp(sport, dport);
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

/// Linux SLL + IPv4 + UDP.
pub fn sll_udp4(payload: &[u8]) -> Vec<u8> {
    use etherparse::{LinuxSllPacketType, LinuxSllProtocolType};
    let b = PacketBuilder::linux_sll(LinuxSllPacketType::OUTGOING, 6, [1, 2, 3, 4, 5, 6, 0, 0])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(1000, 2049);
    let _ = LinuxSllProtocolType::EtherType(etherparse::EtherType::IPV4);
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

/// A bare IPv4 + UDP packet 10.0.0.1:1000 -> 10.0.0.2:2049.
pub fn ipv4_udp_packet(payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64).udp(1000, 2049);
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

/// A bare IPv6 + UDP packet [fd00::1]:1000 -> [fd00::2]:2049.
pub fn ipv6_udp_packet(payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ipv6(V6A.octets(), V6B.octets(), 64).udp(1000, 2049);
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

pub const V6A: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);
pub const V6B: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);

/// Splits a bare IPv4 packet into fragments carrying `size` payload bytes
/// each (a multiple of 8 except the last).
pub fn fragment_v4(packet: &[u8], id: u16, size: usize) -> Vec<Vec<u8>> {
    let hl = ((packet[0] & 0xf) * 4) as usize;
    let body = &packet[hl..];
    body.chunks(size)
        .enumerate()
        .map(|(i, c)| {
            let off = i * size;
            let more = off + c.len() < body.len();
            let mut h = packet[..hl].to_vec();
            h[2..4].copy_from_slice(&((hl + c.len()) as u16).to_be_bytes());
            h[4..6].copy_from_slice(&id.to_be_bytes());
            let fo = (off / 8) as u16 | if more { 0x2000 } else { 0 };
            h[6..8].copy_from_slice(&fo.to_be_bytes());
            h.extend_from_slice(c);
            h
        })
        .collect()
}

/// Splits a bare IPv6 packet (no extension headers) into fragments with a
/// Fragment header.
pub fn fragment_v6(packet: &[u8], id: u32, size: usize) -> Vec<Vec<u8>> {
    let next = packet[6];
    let body = &packet[40..];
    body.chunks(size)
        .enumerate()
        .map(|(i, c)| {
            let off = i * size;
            let more = off + c.len() < body.len();
            let mut h = packet[..40].to_vec();
            h[4..6].copy_from_slice(&((8 + c.len()) as u16).to_be_bytes());
            h[6] = 44;
            h.extend_from_slice(&[next, 0]);
            h.extend_from_slice(&((off as u16) | more as u16).to_be_bytes());
            h.extend_from_slice(&id.to_be_bytes());
            h.extend_from_slice(c);
            h
        })
        .collect()
}

/// Prepends an Ethernet header for `ether_type`.
pub fn eth(ether_type: u16, ip: &[u8]) -> Vec<u8> {
    let mut v = MAC_B.to_vec();
    v.extend_from_slice(&MAC_A);
    v.extend_from_slice(&ether_type.to_be_bytes());
    v.extend_from_slice(ip);
    v
}

/// TCP segment options for [`tcp4`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub syn: bool,
    pub ack: Option<u32>,
    pub fin: bool,
    pub rst: bool,
}

/// Raw-IPv4 TCP segment from `a` to `b` (addresses 10.0.0.a / 10.0.0.b).
pub fn tcp4(a: u8, b: u8, sport: u16, dport: u16, seq: u32, f: Flags, payload: &[u8]) -> Vec<u8> {
    let mut s = PacketBuilder::ipv4([10, 0, 0, a], [10, 0, 0, b], 64).tcp(sport, dport, seq, 65535);
    if f.syn {
        s = s.syn();
    }
    if let Some(ack) = f.ack {
        s = s.ack(ack);
    }
    if f.fin {
        s = s.fin();
    }
    if f.rst {
        s = s.rst();
    }
    let mut v = Vec::new();
    s.write(&mut v, payload).unwrap();
    v
}

pub fn flow4(a: u8, sport: u16, b: u8, dport: u16) -> FlowKey {
    FlowKey {
        src: super::Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, a)), sport),
        dst: super::Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, b)), dport),
    }
}

/// An owned copy of a [`NetEvent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Udp {
        flow: FlowKey,
        payload: Vec<u8>,
        truncated: bool,
    },
    Open {
        flow: FlowKey,
        at_syn: bool,
    },
    Data {
        flow: FlowKey,
        offset: u64,
        data: Vec<u8>,
    },
    Gap {
        flow: FlowKey,
        offset: u64,
        len: u64,
        reason: GapReason,
    },
    Close {
        flow: FlowKey,
    },
    /// Retransmitted bytes that disagree (stream offsets).
    Inconsistent {
        flow: FlowKey,
        offset: u64,
        len: u64,
    },
    Anomaly(NetAnomaly),
}

impl Ev {
    /// The owned event; `None` for `TcpHeld` (bookkeeping for capture order,
    /// left out of the event lists the tests compare).
    pub fn of(ev: NetEvent<'_>) -> Option<Ev> {
        Some(match ev {
            NetEvent::Udp {
                flow,
                payload,
                truncated,
                ..
            } => Ev::Udp {
                flow,
                payload: payload.to_vec(),
                truncated,
            },
            NetEvent::TcpOpen { flow, at_syn } => Ev::Open { flow, at_syn },
            NetEvent::TcpData {
                flow, offset, data, ..
            } => Ev::Data {
                flow,
                offset,
                data: data.to_vec(),
            },
            NetEvent::TcpGap {
                flow,
                offset,
                len,
                reason,
            } => Ev::Gap {
                flow,
                offset,
                len,
                reason,
            },
            NetEvent::TcpClose { flow } => Ev::Close { flow },
            NetEvent::TcpInconsistent {
                flow, offset, len, ..
            } => Ev::Inconsistent { flow, offset, len },
            NetEvent::TcpHeld { .. } => return None,
            NetEvent::Anomaly(a) => Ev::Anomaly(a),
        })
    }
}

/// Feeds raw frames (timestamps 1 ms apart unless given) and collects events.
pub struct Driver {
    pub dec: NetDecoder,
    pub events: Vec<Ev>,
    number: u64,
}

impl Driver {
    pub fn new(limits: &crate::limits::Limits) -> Self {
        Driver {
            dec: NetDecoder::new(limits),
            events: Vec::new(),
            number: 0,
        }
    }

    pub fn frame_at(&mut self, link: LinkType, ts_ns: i64, data: &[u8]) -> &[Ev] {
        self.frame_cut(link, ts_ns, data, data.len())
    }

    /// A frame of which only `keep` bytes were captured.
    pub fn frame_cut(&mut self, link: LinkType, ts_ns: i64, data: &[u8], keep: usize) -> &[Ev] {
        self.number += 1;
        let frame = Frame {
            number: self.number,
            ts: Timestamp(ts_ns),
            link,
            data: &data[..keep.min(data.len())],
            orig_len: data.len() as u32,
        };
        let before = self.events.len();
        let events = &mut self.events;
        self.dec
            .handle_frame(&frame, &mut |ev| events.extend(Ev::of(ev)));
        &self.events[before..]
    }

    pub fn frame(&mut self, link: LinkType, data: &[u8]) -> &[Ev] {
        let ts = self.number as i64 * 1_000_000;
        self.frame_at(link, ts, data)
    }

    pub fn raw(&mut self, data: &[u8]) -> &[Ev] {
        self.frame(LinkType::RAW, data)
    }

    pub fn finish(&mut self) -> &[Ev] {
        let before = self.events.len();
        let events = &mut self.events;
        self.dec.finish(&mut |ev| events.extend(Ev::of(ev)));
        &self.events[before..]
    }

    pub fn anomalies(&self) -> Vec<NetAnomaly> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Ev::Anomaly(a) => Some(*a),
                _ => None,
            })
            .collect()
    }

    /// The bytes of `flow` in order, with gaps as `None` runs, checking
    /// that data and gaps tile the stream.
    pub fn stream(&self, flow: FlowKey) -> (Vec<u8>, Vec<(u64, u64, GapReason)>) {
        let mut bytes = Vec::new();
        let mut gaps = Vec::new();
        let mut at = 0u64;
        for e in &self.events {
            match e {
                Ev::Data {
                    flow: f,
                    offset,
                    data,
                } if *f == flow => {
                    assert_eq!(*offset, at, "data does not continue the stream");
                    bytes.extend_from_slice(data);
                    at += data.len() as u64;
                }
                Ev::Gap {
                    flow: f,
                    offset,
                    len,
                    reason,
                } if *f == flow => {
                    assert_eq!(*offset, at, "gap does not continue the stream");
                    gaps.push((*offset, *len, *reason));
                    at += len;
                }
                _ => {}
            }
        }
        (bytes, gaps)
    }
}

/// A pcap file's link type and frames (ts ns, captured bytes, orig len).
pub struct Pcap {
    pub link: LinkType,
    pub frames: Vec<(i64, Vec<u8>, u32)>,
}

/// Reads a shared public capture (plain or gzip pcap), or `None` when the
/// corpus is absent (a skip with a note, or a failure under `CI=true`).
pub fn read_public_pcap(name: &str) -> Option<Pcap> {
    use std::io::Read;
    let path = crate::prereq::public_capture(name)?;
    let mut raw = std::fs::read(&path).ok()?;
    if name.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .ok()?;
        raw = out;
    }
    parse_pcap(&raw)
}

fn parse_pcap(raw: &[u8]) -> Option<Pcap> {
    let magic = u32::from_le_bytes(raw.get(..4)?.try_into().ok()?);
    let (le, nanos) = match magic {
        0xa1b2c3d4 => (true, false),
        0xa1b23c4d => (true, true),
        0xd4c3b2a1 => (false, false),
        0x4d3cb2a1 => (false, true),
        _ => return None,
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = raw.get(at..at + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let link = LinkType(u32_at(20)? & 0x0fff_ffff);
    let mut frames = Vec::new();
    let mut at = 24;
    while at + 16 <= raw.len() {
        let (sec, frac, incl, orig) = (
            u32_at(at)?,
            u32_at(at + 4)?,
            u32_at(at + 8)?,
            u32_at(at + 12)?,
        );
        let data = raw.get(at + 16..at + 16 + incl as usize)?;
        let ns = if nanos {
            frac as i64
        } else {
            frac as i64 * 1000
        };
        frames.push((sec as i64 * 1_000_000_000 + ns, data.to_vec(), orig));
        at += 16 + incl as usize;
    }
    Some(Pcap { link, frames })
}

impl Driver {
    /// A frame with an explicit timestamp and wire length.
    pub fn number_frame(&mut self, link: LinkType, ts_ns: i64, data: &[u8], orig: u32) {
        self.number += 1;
        let frame = Frame {
            number: self.number,
            ts: Timestamp(ts_ns),
            link,
            data,
            orig_len: orig,
        };
        let events = &mut self.events;
        self.dec
            .handle_frame(&frame, &mut |ev| events.extend(Ev::of(ev)));
    }
}
