//! A synthetic NFSv3-over-TCP capture for benchmarks when the public corpus
//! is absent: WRITE calls of 32 KiB (cut into 1448-byte segments, so records
//! span 23 segments) and their replies, on 16 connections.

use std::io::{BufWriter, Write};
use std::path::Path;

use rpcscope::capture::{LinkType, PcapWriter, Timestamp};
use rpcscope::rpc::{
    encode_record, AcceptBody, CallHeader, Message, MessageBody, OpaqueAuth, Procedure, Program,
    ReplyHeader, Version, Xid,
};

fn frame(src: u8, sport: u16, dport: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 66);
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, src], [2, 0, 0, 0, 0, 9])
        .ipv4([10, 0, 0, src], [10, 0, 0, 9], 64)
        .tcp(sport, dport, seq, 65535)
        .write(&mut v, payload)
        .unwrap();
    v
}

/// Writes about `target` bytes of capture to `path`.
pub fn write_nfs_tcp(path: &Path, target: u64) {
    let f = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = PcapWriter::new(f, LinkType::ETHERNET, 65535).unwrap();
    let data = vec![0x5au8; 32 * 1024];
    let (mut written, mut xid, mut t) = (0u64, 1u32, 1_700_000_000_000_000_000i64);
    let mut seqs = [(1u32, 1u32); 16];
    while written < target {
        for (c, (cseq, sseq)) in seqs.iter_mut().enumerate() {
            xid += 1;
            let mut call = Vec::new();
            Message {
                xid: Xid(xid),
                body: MessageBody::Call(CallHeader {
                    rpcvers: 2,
                    program: Program(100003),
                    version: Version(3),
                    procedure: Procedure(7),
                    cred: OpaqueAuth::NONE,
                    verf: OpaqueAuth::NONE,
                }),
                payload: &data,
            }
            .emit(&mut call);
            let mut rec = Vec::new();
            encode_record(&call, 1 << 20, &mut rec);
            for chunk in rec.chunks(1448) {
                let fr = frame(c as u8 + 1, 800 + c as u16, 2049, *cseq, chunk);
                t += 10_000;
                w.write_frame(Timestamp(t), &fr, fr.len() as u32).unwrap();
                written += fr.len() as u64 + 16;
                *cseq = cseq.wrapping_add(chunk.len() as u32);
            }
            let mut reply = Vec::new();
            Message {
                xid: Xid(xid),
                body: MessageBody::Reply(ReplyHeader::Accepted {
                    verf: OpaqueAuth::NONE,
                    body: AcceptBody::Success,
                }),
                payload: &[0u8; 120],
            }
            .emit(&mut reply);
            let mut rec = Vec::new();
            encode_record(&reply, 1 << 20, &mut rec);
            let fr = frame(9, 2049, 800 + c as u16, *sseq, &rec);
            t += 50_000;
            w.write_frame(Timestamp(t), &fr, fr.len() as u32).unwrap();
            written += fr.len() as u64 + 16;
            *sseq = sseq.wrapping_add(rec.len() as u32);
        }
    }
    w.into_inner().flush().unwrap();
}
