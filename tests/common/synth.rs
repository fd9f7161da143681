//! Synthetic captures: RPC messages encoded with the library's own codecs,
//! carried in Ethernet/IPv4 TCP segments or UDP datagrams built with
//! etherparse, written with `PcapWriter`.
#![allow(dead_code)]

use rpcscope::capture::{LinkType, PcapWriter, PcapngWriter, Timestamp};
use rpcscope::rpc::{
    encode_record, AcceptBody, CallHeader, Message, MessageBody, OpaqueAuth, Procedure, Program,
    ReplyHeader, Version, Xid,
};

/// A call message (AUTH_NONE) with `payload` as its arguments.
pub fn call(xid: u32, prog: u32, vers: u32, proc_: u32, payload: &[u8]) -> Vec<u8> {
    let m = Message {
        xid: Xid(xid),
        body: MessageBody::Call(CallHeader {
            rpcvers: 2,
            program: Program(prog),
            version: Version(vers),
            procedure: Procedure(proc_),
            cred: OpaqueAuth::NONE,
            verf: OpaqueAuth::NONE,
        }),
        payload,
    };
    let mut v = Vec::new();
    m.emit(&mut v);
    v
}

/// An accepted reply with `body` status and `payload` results.
pub fn reply(xid: u32, body: AcceptBody, payload: &[u8]) -> Vec<u8> {
    let m = Message {
        xid: Xid(xid),
        body: MessageBody::Reply(ReplyHeader::Accepted {
            verf: OpaqueAuth::NONE,
            body,
        }),
        payload,
    };
    let mut v = Vec::new();
    m.emit(&mut v);
    v
}

/// Record-marks `msg` into fragments of at most `max_fragment` bytes.
pub fn record(msg: &[u8], max_fragment: usize) -> Vec<u8> {
    let mut v = Vec::new();
    encode_record(msg, max_fragment, &mut v);
    v
}

/// One captured frame: time and Ethernet bytes.
pub type Pkt = (Timestamp, Vec<u8>);

pub const CLIENT: ([u8; 4], u16) = ([10, 1, 0, 1], 801);
pub const SERVER: ([u8; 4], u16) = ([10, 1, 0, 2], 2049);

/// A TCP segment from `from` to `to` with `seq`/`ack`.
pub fn tcp(
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    seq: u32,
    ack: u32,
    syn: bool,
    payload: &[u8],
) -> Vec<u8> {
    let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(from.0, to.0, 64)
        .tcp(from.1, to.1, seq, 65535)
        .ack(ack);
    let b = if syn { b.syn() } else { b.psh() };
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

/// A UDP datagram.
pub fn udp(from: ([u8; 4], u16), to: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(from.0, to.0, 64)
        .udp(from.1, to.1)
        .write(&mut v, payload)
        .unwrap();
    v
}

/// Cuts a byte stream at the given cut points into TCP segments from
/// `from` to `to` starting at sequence number `isn`.
pub fn segments(
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    isn: u32,
    stream: &[u8],
    cuts: &[usize],
) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts
        .iter()
        .copied()
        .filter(|c| *c > 0 && *c < stream.len())
        .collect();
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::new();
    let mut start = 0;
    for end in points.into_iter().chain([stream.len()]) {
        out.push(tcp(
            from,
            to,
            isn.wrapping_add(start as u32),
            1,
            false,
            &stream[start..end],
        ));
        start = end;
    }
    out
}

/// Writes frames as a pcap file (Ethernet, microseconds).
pub fn pcap(frames: &[Pkt], snaplen: u32) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, snaplen.max(65535)).unwrap();
    for (ts, f) in frames {
        let keep = f.len().min(snaplen as usize);
        w.write_frame(*ts, &f[..keep], f.len() as u32).unwrap();
    }
    w.into_inner()
}

/// Writes frames as a pcapng file (Ethernet, nanoseconds).
pub fn pcapng(frames: &[Pkt]) -> Vec<u8> {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    let i = w.add_interface(LinkType::ETHERNET, 65535).unwrap();
    for (ts, f) in frames {
        w.write_packet(i, *ts, f, f.len() as u32).unwrap();
    }
    w.into_inner()
}

/// Frames 1 µs apart starting at t = 1_000_000 s.
pub fn timed(frames: Vec<Vec<u8>>) -> Vec<Pkt> {
    frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| (Timestamp(1_000_000_000_000_000 + i as i64 * 1_000), f))
        .collect()
}

/// A small deterministic generator (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
