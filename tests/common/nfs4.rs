//! NFSv4 bodies and TCP conversations for the integration tests, written
//! field by field as RFC 7863 lays them out (one call per XDR field).
#![allow(dead_code)]

use super::synth::tcp;
use rpcscope::rpc::{
    AcceptBody, AuthFlavor, CallHeader, Message, MessageBody, OpaqueAuth, Procedure, Program,
    ReplyHeader, Version, Xid,
};

/// The XDR byte writer (by value, one call per field).
pub use rpcscope::rpc::xdr::XdrBuf as X;

pub const SESSION: [u8; 16] = *b"session-id-16byt";
pub const EXPORT_FH: &[u8] = b"export-fh-12";
pub const FILE_FH: &[u8] = b"file-handle-0001";

/// The `hash` rpcscope (and tshark's `nfs.fh.hash`) gives a handle.
pub fn fh_hash(fh: &[u8]) -> String {
    format!("{:#010x}", crc32fast::hash(fh))
}

/// COMPOUND4args header: tag, minorversion, operation count.
pub fn args(minor: u32, n: u32) -> X {
    X::new().opaque(b"").u32(minor).u32(n)
}

/// COMPOUND4res header: status, tag, result count.
pub fn results(status: u32, n: u32) -> X {
    X::new().u32(status).opaque(b"").u32(n)
}

/// OP_SEQUENCE's arguments (op 53).
pub fn sequence(x: X, seq: u32) -> X {
    x.u32(53) // argop OP_SEQUENCE
        .fixed(&SESSION) // sa_sessionid
        .u32(seq) // sa_sequenceid
        .u32(0) // sa_slotid
        .u32(0) // sa_highest_slotid
        .u32(0) // sa_cachethis
}

/// OP_SEQUENCE's results, NFS4_OK.
pub fn sequence_ok(x: X, seq: u32) -> X {
    x.u32(53) // resop OP_SEQUENCE
        .u32(0) // sr_status NFS4_OK
        .fixed(&SESSION) // sr_sessionid
        .u32(seq) // sr_sequenceid
        .u32(0) // sr_slotid
        .u32(7) // sr_highest_slotid
        .u32(7) // sr_target_highest_slotid
        .u32(0) // sr_status_flags
}

/// A call message with `cred` (flavor, body) and no verifier body.
pub fn call_as(
    xid: u32,
    prog: u32,
    vers: u32,
    cred: (AuthFlavor, &[u8]),
    payload: &[u8],
) -> Vec<u8> {
    let verf = if cred.0 == AuthFlavor::RPCSEC_GSS {
        OpaqueAuth {
            flavor: AuthFlavor::RPCSEC_GSS,
            body: &[0xaa; 16],
        }
    } else {
        OpaqueAuth::NONE
    };
    let m = Message {
        xid: Xid(xid),
        body: MessageBody::Call(CallHeader {
            rpcvers: 2,
            program: Program(prog),
            version: Version(vers),
            procedure: Procedure(1),
            cred: OpaqueAuth {
                flavor: cred.0,
                body: cred.1,
            },
            verf,
        }),
        payload,
    };
    let mut v = Vec::new();
    m.emit(&mut v);
    v
}

/// A successful reply; an RPCSEC_GSS verifier when `gss`.
pub fn reply_as(xid: u32, gss: bool, payload: &[u8]) -> Vec<u8> {
    let verf = if gss {
        OpaqueAuth {
            flavor: AuthFlavor::RPCSEC_GSS,
            body: &[0xaa; 16],
        }
    } else {
        OpaqueAuth::NONE
    };
    let m = Message {
        xid: Xid(xid),
        body: MessageBody::Reply(ReplyHeader::Accepted {
            verf,
            body: AcceptBody::Success,
        }),
        payload,
    };
    let mut v = Vec::new();
    m.emit(&mut v);
    v
}

/// `rpc_gss_cred_vers_1_t` of a DATA message with `service` (2 =
/// integrity, 3 = privacy), sequence 5, handle "ctx1".
pub fn gss_cred(service: u32) -> Vec<u8> {
    X::new()
        .u32(1) // version
        .u32(0) // gss_proc RPCSEC_GSS_DATA
        .u32(5) // seq_num
        .u32(service) // service
        .opaque(b"ctx1") // handle
        .done()
}

/// `rpc_gss_integ_data`: databody_integ (seq_num 5, `body`), checksum.
pub fn integ(body: &[u8]) -> Vec<u8> {
    let inner = X::new().u32(5).bytes(body).done();
    X::new().opaque(&inner).opaque(&[0xaa; 16]).done()
}

/// Both directions of one TCP connection, as frames in the order sent.
pub struct Conn {
    pub client: ([u8; 4], u16),
    pub server: ([u8; 4], u16),
    seq: [u32; 2],
    pub frames: Vec<Vec<u8>>,
}

impl Conn {
    /// A connection opened by `client` (its SYN and the server's SYN-ACK are
    /// the first frames).
    pub fn open(client: ([u8; 4], u16), server: ([u8; 4], u16)) -> Self {
        let isn = [1000, 50_000];
        let mut c = Conn {
            client,
            server,
            seq: [isn[0] + 1, isn[1] + 1],
            frames: Vec::new(),
        };
        c.frames.push(tcp(client, server, isn[0], 0, true, &[]));
        c.frames
            .push(tcp(server, client, isn[1], isn[0] + 1, true, &[]));
        c
    }

    /// One record-marked message from the client (or, `!from_client`, the
    /// server) in one segment.
    pub fn send(&mut self, from_client: bool, msg: &[u8]) {
        let rec = super::synth::record(msg, 1 << 20);
        let (i, from, to) = if from_client {
            (0, self.client, self.server)
        } else {
            (1, self.server, self.client)
        };
        self.frames
            .push(tcp(from, to, self.seq[i], self.seq[1 - i], false, &rec));
        self.seq[i] = self.seq[i].wrapping_add(rec.len() as u32);
    }
}

/// `(resop, status)` of each result of a decoded NFSv4 compound (the
/// exchange's JSON `result.resarray`): the status is the first string member
/// named `*status` of the operation's result arm, "" where it has none.
pub fn op_results(e: &serde_json::Value) -> Vec<(String, String)> {
    e["result"]["resarray"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let (_, arm) = r
                .as_object()
                .unwrap()
                .iter()
                .find(|(k, _)| *k != "resop")
                .unwrap();
            let status = arm
                .as_object()
                .and_then(|a| {
                    a.iter()
                        .find(|(k, v)| k.ends_with("status") && v.is_string())
                })
                .map_or("", |(_, v)| v.as_str().unwrap());
            (r["resop"].as_str().unwrap().to_string(), status.to_string())
        })
        .collect()
}
