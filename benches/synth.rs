//! Synthetic NFSv3-over-TCP captures for benchmarks when no real capture is
//! at hand, with well-formed NFSv3 bodies (RFC 1813) so body decoding is
//! measured too.
//!
//! Each round, on each of 16 connections (clients 10.0.0.1-16 to the server
//! 10.0.0.100, port 2049): one WRITE of 32 KiB (the call is
//! cut into 1448-byte segments, so its record spans 23 segments) and its
//! reply, then `small_per_write` GETATTR calls and replies (one segment
//! each: the metadata-call path). Frame times advance 10 us per call
//! segment and 50 us per reply. Bulk only (`small_per_write` 0) is what
//! `cargo bench --bench decode` uses; `examples/synth_capture.rs` writes the
//! mixed 5 GB capture of `benches/make-captures.sh`.

use std::io::{BufWriter, Write};
use std::path::Path;

use rpcscope::capture::{LinkType, PcapWriter, Timestamp};
use rpcscope::rpc::{
    encode_record, AcceptBody, CallHeader, Message, MessageBody, OpaqueAuth, Procedure, Program,
    ReplyHeader, Version, Xid,
};

const CONNECTIONS: usize = 16;
const WRITE_BYTES: usize = 32 * 1024;
const SEGMENT: usize = 1448;
/// The server is 10.0.0.100; client `c` is 10.0.0.(c + 1).
const SERVER: u8 = 100;

/// An Ethernet/IPv4/TCP frame from host 10.0.0.`src` to 10.0.0.`dst`.
fn frame(src: u8, dst: u8, sport: u16, dport: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 66);
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, src], [2, 0, 0, 0, 0, dst])
        .ipv4([10, 0, 0, src], [10, 0, 0, dst], 64)
        .tcp(sport, dport, seq, 65535)
        .write(&mut v, payload)
        .unwrap();
    v
}

/// A 32-byte NFSv3 file handle (nfs_fh3: opaque<64>) naming file `n`.
fn fh(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&32u32.to_be_bytes());
    out.extend_from_slice(&[0x43, 0, 0, 1]);
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&[0u8; 24]);
}

/// fattr3 of a regular file of `size` bytes (84 bytes).
fn fattr3(out: &mut Vec<u8>, fileid: u32, size: u64) {
    for v in [1u32, 0o644, 1, 0, 0] {
        out.extend_from_slice(&v.to_be_bytes()); // type NF3REG, mode, nlink, uid, gid
    }
    out.extend_from_slice(&size.to_be_bytes()); // size
    out.extend_from_slice(&size.to_be_bytes()); // used
    out.extend_from_slice(&[0u8; 8]); // rdev
    out.extend_from_slice(&1u64.to_be_bytes()); // fsid
    out.extend_from_slice(&u64::from(fileid).to_be_bytes()); // fileid
    for _ in 0..3 {
        out.extend_from_slice(&1_700_000_000u32.to_be_bytes()); // atime, mtime, ctime
        out.extend_from_slice(&0u32.to_be_bytes());
    }
}

struct Writer<W: Write> {
    w: PcapWriter<W>,
    written: u64,
    frames: u64,
    xid: u32,
    t: i64,
    seqs: [(u32, u32); CONNECTIONS],
}

impl<W: Write> Writer<W> {
    /// One call on connection `c` (record cut into SEGMENT-byte segments)
    /// and its reply (one segment).
    fn exchange(&mut self, c: usize, procedure: u32, args: &[u8], res: &[u8]) {
        self.xid = self.xid.wrapping_add(1);
        let mut call = Vec::with_capacity(args.len() + 64);
        Message {
            xid: Xid(self.xid),
            body: MessageBody::Call(CallHeader {
                rpcvers: 2,
                program: Program(100003),
                version: Version(3),
                procedure: Procedure(procedure),
                cred: OpaqueAuth::NONE,
                verf: OpaqueAuth::NONE,
            }),
            payload: args,
        }
        .emit(&mut call);
        let mut rec = Vec::with_capacity(call.len() + 8);
        encode_record(&call, 1 << 20, &mut rec);
        let port = 800 + c as u16;
        for chunk in rec.chunks(SEGMENT) {
            let fr = frame(c as u8 + 1, SERVER, port, 2049, self.seqs[c].0, chunk);
            self.t += 10_000;
            self.w
                .write_frame(Timestamp(self.t), &fr, fr.len() as u32)
                .unwrap();
            self.written += fr.len() as u64 + 16;
            self.frames += 1;
            self.seqs[c].0 = self.seqs[c].0.wrapping_add(chunk.len() as u32);
        }
        let mut reply = Vec::with_capacity(res.len() + 32);
        Message {
            xid: Xid(self.xid),
            body: MessageBody::Reply(ReplyHeader::Accepted {
                verf: OpaqueAuth::NONE,
                body: AcceptBody::Success,
            }),
            payload: res,
        }
        .emit(&mut reply);
        let mut rec = Vec::with_capacity(reply.len() + 8);
        encode_record(&reply, 1 << 20, &mut rec);
        let fr = frame(SERVER, c as u8 + 1, 2049, port, self.seqs[c].1, &rec);
        self.t += 50_000;
        self.w
            .write_frame(Timestamp(self.t), &fr, fr.len() as u32)
            .unwrap();
        self.written += fr.len() as u64 + 16;
        self.frames += 1;
        self.seqs[c].1 = self.seqs[c].1.wrapping_add(rec.len() as u32);
    }
}

/// Writes about `target` bytes of bulk WRITE traffic to `path`.
#[allow(dead_code)] // used by benches/decode.rs, not by examples/synth_capture.rs
pub fn write_nfs_tcp(path: &Path, target: u64) {
    write_nfs_tcp_mix(path, target, 0);
}

/// Writes about `target` bytes to `path`: per connection and round, one
/// 32 KiB WRITE exchange and `small_per_write` GETATTR exchanges. Returns
/// (frames, exchanges).
pub fn write_nfs_tcp_mix(path: &Path, target: u64, small_per_write: u32) -> (u64, u64) {
    let f = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut w = Writer {
        w: PcapWriter::new(f, LinkType::ETHERNET, 65535).unwrap(),
        written: 24,
        frames: 0,
        xid: 1,
        t: 1_700_000_000_000_000_000,
        seqs: [(1, 1); CONNECTIONS],
    };
    let data = vec![0x5au8; WRITE_BYTES];
    let (mut write_args, mut write_res, mut ga_args, mut ga_res) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // WRITE3res: status NFS3_OK, wcc_data (no pre, no post attributes),
    // count, committed FILE_SYNC, verifier.
    for v in [0u32, 0, 0, WRITE_BYTES as u32, 2] {
        write_res.extend_from_slice(&v.to_be_bytes());
    }
    write_res.extend_from_slice(b"rpcscope");
    let (mut exchanges, mut offset) = (0u64, 0u64);
    while w.written < target {
        for c in 0..CONNECTIONS {
            // WRITE3args: file, offset, count, stable FILE_SYNC, data.
            write_args.clear();
            fh(&mut write_args, c as u32);
            write_args.extend_from_slice(&offset.to_be_bytes());
            write_args.extend_from_slice(&(WRITE_BYTES as u32).to_be_bytes());
            write_args.extend_from_slice(&2u32.to_be_bytes());
            write_args.extend_from_slice(&(WRITE_BYTES as u32).to_be_bytes());
            write_args.extend_from_slice(&data);
            w.exchange(c, 7, &write_args, &write_res);
            exchanges += 1;
            for k in 0..small_per_write {
                let file = 1000 + (exchanges as u32).wrapping_mul(31).wrapping_add(k) % 100_000;
                ga_args.clear();
                fh(&mut ga_args, file);
                ga_res.clear();
                ga_res.extend_from_slice(&0u32.to_be_bytes()); // NFS3_OK
                fattr3(&mut ga_res, file, u64::from(file) * 512);
                w.exchange(c, 1, &ga_args, &ga_res);
                exchanges += 1;
            }
        }
        offset += WRITE_BYTES as u64;
    }
    let frames = w.frames;
    w.w.into_inner().flush().unwrap();
    (frames, exchanges)
}
