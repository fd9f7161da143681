//! The hand-made seeds of `fuzz/corpus/`, each named after what it holds.
//!
//! `cargo test --lib fuzzing::tests::write_seeds -- --ignored` writes them;
//! `tests/fuzz_corpus.rs` checks that every one is committed and replays
//! every committed file. Seeds for the `Arbitrary`-driven targets
//! (`xdr_roundtrip`, `differential`) are byte patterns plus files the
//! fuzzer itself found and `cargo fuzz cmin` kept.

use crate::capture::{LinkType, PcapWriter, PcapngWriter, Timestamp};
use crate::limits::Limits;
use crate::rpc::{
    AcceptBody, Auth, AuthDh, AuthFlavor, AuthStat, AuthSys, CallHeader, GssCred, GssProc,
    GssService, Message, MessageBody, OpaqueAuth, Procedure, Program, RejectBody, ReplyHeader,
    Version, Xid,
};

/// One seed: target, file name, contents.
pub type Seed = (&'static str, String, Vec<u8>);

fn call(xid: u32, prog: u32, vers: u32, proc_: u32, cred: &Auth<'_>, args: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    let lax = Limits {
        max_auth_sys_gids: u32::MAX,
        ..Limits::default()
    };
    let cred = cred.to_opaque(&mut buf, &lax).expect("seed credential");
    let msg = Message {
        xid: Xid(xid),
        body: MessageBody::Call(CallHeader {
            rpcvers: 2,
            program: Program(prog),
            version: Version(vers),
            procedure: Procedure(proc_),
            cred,
            verf: OpaqueAuth::NONE,
        }),
        payload: args,
    };
    let mut out = Vec::new();
    msg.emit(&mut out);
    out
}

fn reply(xid: u32, header: ReplyHeader<'_>, results: &[u8]) -> Vec<u8> {
    let msg = Message {
        xid: Xid(xid),
        body: MessageBody::Reply(header),
        payload: results,
    };
    let mut out = Vec::new();
    msg.emit(&mut out);
    out
}

fn accepted(body: AcceptBody) -> ReplyHeader<'static> {
    ReplyHeader::Accepted {
        verf: OpaqueAuth::NONE,
        body,
    }
}

const GIDS: [u32; 17] = [
    0, 4, 24, 27, 30, 46, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110,
];

fn sys(gids: &'static [u32]) -> Auth<'static> {
    Auth::Sys(AuthSys::new(
        0x05f5_e100,
        b"client.example",
        1000,
        1000,
        gids,
    ))
}

/// PMAPPROC_GETPORT arguments: prog, vers, prot, port.
const GETPORT_ARGS: [u8; 16] = [0, 1, 0x86, 0xa3, 0, 0, 0, 3, 0, 0, 0, 6, 0, 0, 0, 0];

/// Messages for `rpc_message` (and the building blocks of other seeds).
pub fn messages() -> Vec<(&'static str, Vec<u8>)> {
    let gss = Auth::Gss(GssCred {
        version: 1,
        gss_proc: GssProc::DATA,
        seq_num: 7,
        service: GssService::INTEGRITY,
        handle: &[0xde, 0xad, 0xbe, 0xef, 1],
    });
    let dh = Auth::Dh(AuthDh::Fullname {
        name: b"unix.1000@example.com",
        key: [1, 2, 3, 4, 5, 6, 7, 8],
        window: [0, 0, 0, 60],
    });
    let mut too_big = call(9, 100000, 2, 0, &Auth::None, &[]);
    // cred.length (bytes 28..32) claims 401 bytes: over MAX_AUTH_BYTES.
    too_big[28..32].copy_from_slice(&401u32.to_be_bytes());
    let mut bad_padding = call(10, 100003, 3, 3, &sys(&GIDS[..1]), &[]);
    // cred body at 32: stamp, name length (36..40), "client.example" (40..54),
    // then 2 padding bytes at 54..56.
    bad_padding[54] = 0xff;
    vec![
        (
            "call-null-auth-none",
            call(1, 100000, 2, 0, &Auth::None, &[]),
        ),
        (
            "call-getport-auth-none",
            call(2, 100000, 2, 3, &Auth::None, &GETPORT_ARGS),
        ),
        (
            "call-auth-sys-16-gids",
            call(
                3,
                100003,
                3,
                1,
                &sys(&GIDS[..16]),
                &[0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8],
            ),
        ),
        (
            "call-auth-sys-17-gids",
            call(4, 100003, 3, 1, &sys(&GIDS), &[]),
        ),
        ("call-auth-sys-nonzero-padding", bad_padding),
        (
            "call-auth-short",
            call(5, 100003, 3, 0, &Auth::Short(&[9, 9, 9, 9, 9, 9]), &[]),
        ),
        ("call-auth-dh-fullname", call(6, 100005, 3, 1, &dh, &[])),
        (
            "call-auth-dh-nickname",
            call(6, 100005, 3, 1, &Auth::Dh(AuthDh::Nickname(77)), &[]),
        ),
        (
            "call-rpcsec-gss-integrity",
            call(7, 100003, 4, 1, &gss, &[0, 0, 0, 0]),
        ),
        (
            "call-auth-tls-probe",
            call(8, 100003, 4, 0, &Auth::Tls, &[]),
        ),
        (
            "call-auth-other-flavor-300001",
            call(
                8,
                100003,
                3,
                0,
                &Auth::Other {
                    flavor: AuthFlavor(300001),
                    body: b"opaque",
                },
                &[],
            ),
        ),
        ("call-cred-401-bytes", too_big),
        ("call-rpcvers-3", {
            let mut c = call(11, 100000, 2, 0, &Auth::None, &[]);
            c[11] = 3;
            c
        }),
        (
            "reply-success-getport",
            reply(2, accepted(AcceptBody::Success), &[0, 0, 0x08, 0x01]),
        ),
        (
            "reply-prog-unavail",
            reply(12, accepted(AcceptBody::ProgUnavail), &[]),
        ),
        (
            "reply-prog-mismatch",
            reply(
                13,
                accepted(AcceptBody::ProgMismatch { low: 2, high: 4 }),
                &[],
            ),
        ),
        (
            "reply-proc-unavail",
            reply(14, accepted(AcceptBody::ProcUnavail), &[]),
        ),
        (
            "reply-garbage-args",
            reply(15, accepted(AcceptBody::GarbageArgs), &[]),
        ),
        (
            "reply-system-err",
            reply(16, accepted(AcceptBody::SystemErr), &[]),
        ),
        (
            "reply-rpc-mismatch",
            reply(
                17,
                ReplyHeader::Denied(RejectBody::RpcMismatch { low: 2, high: 2 }),
                &[],
            ),
        ),
        (
            "reply-auth-error-tooweak",
            reply(
                18,
                ReplyHeader::Denied(RejectBody::AuthError(AuthStat::TOOWEAK)),
                &[],
            ),
        ),
        (
            "reply-starttls-verifier",
            reply(
                8,
                ReplyHeader::Accepted {
                    verf: OpaqueAuth::STARTTLS,
                    body: AcceptBody::Success,
                },
                &[],
            ),
        ),
        (
            "reply-trailing-bytes-after-error",
            reply(19, accepted(AcceptBody::SystemErr), &[1, 2, 3, 4]),
        ),
    ]
}

/// Bytes for `record_stream`/`tcp_reassembly`'s stream layout: one record
/// (kind, fragment - 1, u16 length, content).
fn record_spec(out: &mut Vec<u8>, with_header: bool, fragment: u8, content: &[u8]) {
    out.push(with_header as u8);
    out.push(fragment);
    out.extend_from_slice(&(content.len() as u16).to_be_bytes());
    out.extend_from_slice(content);
}

/// A record stream spec: count, then the records.
fn stream_spec(records: &[(bool, u8, &[u8])]) -> Vec<u8> {
    let mut v = vec![(records.len() - 1) as u8];
    for &(h, f, c) in records {
        record_spec(&mut v, h, f, c);
    }
    v
}

/// Seeds for `record_stream`.
pub fn records() -> Vec<(&'static str, Vec<u8>)> {
    let msgs = messages();
    let sys = &msgs[2].1;
    let reply = &msgs[13].1;
    let mut split3 = stream_spec(&[(false, (sys.len().div_ceil(3) - 1) as u8, sys)]);
    // Pushes of 2 and 3 bytes: every mark is split.
    split3.extend_from_slice(&[2, 3]);
    let mut bytewise = stream_spec(&[(false, 255, &msgs[0].1), (false, 255, reply)]);
    bytewise.push(1);
    let big = vec![0x5a; 1000];
    let mut clipped = stream_spec(&[(true, 255, &big), (true, 255, &big), (true, 255, &big)]);
    clipped.extend_from_slice(&[0, 200, 7, 0, 255]);
    let mut eight = vec![7];
    for m in msgs.iter().take(8) {
        record_spec(&mut eight, false, 15, &m.1);
    }
    eight.extend_from_slice(&[13, 1, 64]);
    let mut empty = stream_spec(&[(false, 0, &[]), (true, 0, &[])]);
    empty.push(3);
    vec![
        ("record-mark-split-3-fragments", split3),
        ("record-two-messages-byte-by-byte", bytewise),
        ("record-clipped-past-record-keep-with-gaps", clipped),
        ("record-8-messages-16-byte-fragments", eight),
        ("record-empty-records", empty),
        (
            "record-one-push",
            stream_spec(&[(true, 255, &GETPORT_ARGS)]),
        ),
    ]
}

/// Seeds for `tcp_reassembly`: a stream spec, isn, mss - 1, v6, operations.
pub fn tcp() -> Vec<(&'static str, Vec<u8>)> {
    let msgs = messages();
    let stream = stream_spec(&[
        (false, 255, &msgs[2].1),
        (false, 40, &msgs[13].1),
        (true, 99, &[7; 300]),
    ]);
    let with = |isn: u32, mss: u8, v6: u8, ops: &[u8]| {
        let mut v = stream.clone();
        v.extend_from_slice(&isn.to_be_bytes());
        v.push(mss);
        v.push(v6);
        v.extend_from_slice(ops);
        v
    };
    vec![
        ("tcp-in-order", with(1000, 99, 0, &[])),
        (
            "tcp-reverse-order",
            with(
                1000,
                63,
                0,
                &[1, 9, 1, 8, 1, 7, 1, 6, 1, 5, 1, 4, 1, 3, 1, 2, 1, 1, 1, 0],
            ),
        ),
        (
            "tcp-duplicates-and-overlaps",
            with(
                7,
                31,
                0,
                &[0, 0, 2, 0, 10, 200, 1, 0, 0, 2, 0, 50, 20, 4, 3, 0, 1, 1],
            ),
        ),
        ("tcp-lost-segment", with(7, 31, 0, &[0, 3, 0, 0])),
        (
            "tcp-seq-wraps-ipv6",
            with(u32::MAX - 100, 49, 1, &[0, 0, 4, 1, 0, 0]),
        ),
        (
            "tcp-early-then-fill",
            with(0, 15, 0, &[4, 3, 4, 2, 4, 1, 4, 0, 0]),
        ),
    ]
}

fn udp_frame(a: [u8; 4], b: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(a, b, 64)
        .udp(sport, dport)
        .write(&mut v, payload)
        .expect("seed frame");
    v
}

/// Seeds for `capture_file` (besides the project's `captures/*.pcap`).
pub fn captures() -> Vec<(&'static str, Vec<u8>)> {
    let msgs = messages();
    let c = udp_frame([10, 0, 0, 1], [10, 0, 0, 2], 700, 111, &msgs[1].1);
    let r = udp_frame([10, 0, 0, 2], [10, 0, 0, 1], 111, 700, &msgs[13].1);
    let mut pcap = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).expect("pcap");
    pcap.write_frame(Timestamp(1_000_000_000), &c, c.len() as u32)
        .expect("pcap");
    pcap.write_frame(Timestamp(1_000_500_000), &r, r.len() as u32)
        .expect("pcap");
    // Snap length cut: the reply captured to 60 of its bytes.
    pcap.write_frame(Timestamp(1_001_000_000), &r[..60], r.len() as u32)
        .expect("pcap");
    let pcap = pcap.into_inner();
    let mut ng = PcapngWriter::new(Vec::new()).expect("pcapng");
    let eth = ng.add_interface(LinkType::ETHERNET, 65535).expect("pcapng");
    ng.write_packet(eth, Timestamp(1_000_000_000), &c, c.len() as u32)
        .expect("pcapng");
    ng.write_packet(eth, Timestamp(1_000_700_000), &r, r.len() as u32)
        .expect("pcapng");
    let ng = ng.into_inner();
    let mut gz = Vec::new();
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
        e.write_all(&pcap).expect("gzip");
        e.finish().expect("gzip");
    }
    vec![
        ("pcap-udp-getport-call-reply-snaplen", pcap),
        ("pcapng-udp-getport-call-reply", ng),
        ("pcap-gzip-udp-getport", gz),
    ]
}

/// Seeds for `program_bodies` (layout in `fuzzing::bodies`): for every
/// (program, version) of the built-in table, the arguments of its
/// procedures as generated values, a damaged result, a result cut by the
/// snapshot length; and hand-made bodies (GETPORT, LOOKUP, a count far over
/// the input) with a script of XDR primitives.
pub fn bodies() -> Vec<(String, Vec<u8>)> {
    let registry = crate::programs::registry::Registry::builtin();
    let spec = |entry: u16, proc_index: u8, dir: u8, script: &[u8], mode: u8, rest: &[u8]| {
        let mut v = entry.to_be_bytes().to_vec();
        v.extend_from_slice(&[proc_index, dir, script.len() as u8]);
        v.extend_from_slice(script);
        v.push(mode);
        v.extend_from_slice(rest);
        v
    };
    let find = |p: u32, vers: u32| {
        registry
            .versions()
            .iter()
            .position(|e| (e.program, e.version) == (p, vers))
            .map_or(0, |i| i as u16)
    };
    let mut out = Vec::new();
    for (i, e) in registry.versions().iter().enumerate() {
        let n = e.version_def().procedures.len().max(1);
        for k in 0..n.min(64) {
            let seed = (i * 131 + k) as u32;
            // Generated arguments, whole.
            out.push((
                format!("{}-v{}-proc{k}-args", e.program, e.version),
                spec(i as u16, k as u8, 0, &[], 1, &seed.to_be_bytes()),
            ));
        }
        // A generated result of the first few procedures, damaged (byte 9
        // xor 0x80, 3 bytes cut), and one cut by the snapshot length.
        let mut damage = 7u32.to_be_bytes().to_vec();
        damage.extend_from_slice(&[0, 9, 0x80, 0, 3]);
        out.push((
            format!("{}-v{}-result-damaged", e.program, e.version),
            spec(i as u16, 1, 1, &[], 1 | 32, &damage),
        ));
        out.push((
            format!("{}-v{}-result-snaplen", e.program, e.version),
            spec(i as u16, 2, 1, &[], 1 | 2, &11u32.to_be_bytes()),
        ));
    }
    // portmap GETPORT args with the script of its mapping (4 x u32).
    out.push((
        "portmap-getport-args".into(),
        spec(find(100000, 2), 3, 2, &[0, 0, 0, 0], 0, &GETPORT_ARGS),
    ));
    // NFSv3 LOOKUP args: diropargs3 { nfs_fh3 dir; filename3 name }.
    let mut lookup_body = vec![0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8];
    lookup_body.extend_from_slice(&[0, 0, 0, 5, b'h', b'e', b'l', b'l', b'o', 0, 0, 0]);
    out.push((
        "nfs3-lookup-args".into(),
        spec(find(100003, 3), 3, 2, &[7, 16, 8, 255], 0, &lookup_body),
    ));
    // A count far over the input: bounded allocation.
    out.push((
        "array-count-over-input".into(),
        spec(
            find(100005, 3),
            5,
            1,
            &[9, 255, 10, 255],
            0,
            &[0x7f, 0xff, 0xff, 0xff],
        ),
    ));
    out
}

/// `nfs4_compound` inputs (layout in `fuzzing::nfs4`): generated compounds
/// of each side and program, one damaged, and a 4.1 call as raw bytes
/// (SEQUENCE PUTROOTFH LOOKUP "export" GETFH) with its reply.
pub fn nfs4() -> Vec<(&'static str, Vec<u8>)> {
    let generated = |flags: u8, seed: u32, budget: u8| {
        let mut v = vec![flags | 4];
        v.extend_from_slice(&seed.to_be_bytes());
        v.push(budget);
        v
    };
    let mut damaged = generated(32, 9, 60);
    damaged.extend_from_slice(&[0, 40, 0xff, 3]); // byte 40 ^= 0xff, cut 3
    let word = |v: &mut Vec<u8>, w: u32| v.extend_from_slice(&w.to_be_bytes());
    let mut call = Vec::new();
    for w in [0, 1, 4, 53] {
        word(&mut call, w); // tag "", minorversion 1, 4 ops, OP_SEQUENCE
    }
    call.extend_from_slice(b"session-id-16byt"); // sa_sessionid
    for w in [1, 0, 0, 0, 24, 15, 6] {
        word(&mut call, w); // seq, slot, highest, cachethis, PUTROOTFH, LOOKUP, len
    }
    call.extend_from_slice(b"export\0\0"); // objname, padded
    word(&mut call, 10); // OP_GETFH
    let mut reply = Vec::new();
    for w in [0, 0, 4, 53, 0] {
        word(&mut reply, w); // NFS4_OK, tag "", 4 results, SEQUENCE OK
    }
    reply.extend_from_slice(b"session-id-16byt"); // sr_sessionid
    for w in [1, 0, 7, 7, 0, 24, 0, 15, 0, 10, 0, 8] {
        word(&mut reply, w); // SEQUENCE's rest, PUTROOTFH, LOOKUP, GETFH OK, len
    }
    reply.extend_from_slice(b"export-1"); // the handle
                                          // Raw: flags 0 (an NFSv4 call), the call's length, call, reply.
    let mut raw = vec![0];
    raw.extend_from_slice(&(call.len() as u16).to_be_bytes());
    raw.extend_from_slice(&call);
    raw.extend_from_slice(&reply);
    vec![
        ("nfs4-call-generated", generated(0, 1, 40)),
        ("nfs4-reply-generated", generated(2, 2, 40)),
        ("cb-call-generated", generated(1, 3, 40)),
        ("cb-reply-generated-status-mode", generated(3 | 64, 4, 40)),
        ("nfs4-call-damaged-snaplen", {
            let mut d = damaged;
            d[0] |= 8; // Missing::Snaplen
            d
        }),
        ("nfs4-41-mount-raw", raw),
    ]
}

/// `server_service` operations (layout in `fuzzing::server`).
struct ServerOps(Vec<u8>);

/// A credential for [`ServerOps::call`].
enum SeedCred {
    None,
    /// AUTH_SYS uid 0 (superuser), gid 0, machine "seed".
    Root,
}

/// One procedure-argument field for [`ServerOps::call`].
enum Arg<'a> {
    U32(u32),
    Str(&'a [u8]),
}

impl ServerOps {
    fn new(portmapper: bool) -> Self {
        ServerOps(vec![portmapper as u8])
    }
    /// A call: over TCP when `tcp` is `Some((fragment size, push size))`.
    #[allow(clippy::too_many_arguments)]
    fn call(
        mut self,
        tcp: Option<(u16, u8)>,
        rpcvers: u8,
        prog: u32,
        vers: u8,
        proc_: u8,
        cred: SeedCred,
        args: &[Arg<'_>],
    ) -> Self {
        let o = &mut self.0;
        o.push(tcp.is_some() as u8);
        o.push(1); // peer: 127.0.0.1
        o.extend_from_slice(&(0x5eed_0000 + o.len() as u32).to_be_bytes());
        o.push(rpcvers);
        match prog {
            100000 => o.push(0),
            0x2000_0099 => o.push(1),
            p => {
                o.push(2);
                o.extend_from_slice(&p.to_be_bytes());
            }
        }
        o.push(vers);
        o.push(proc_);
        match cred {
            SeedCred::None => o.push(0),
            SeedCred::Root => {
                o.push(1);
                o.extend_from_slice(&[0; 8]);
                o.push(4);
                o.extend_from_slice(b"seed");
            }
        }
        o.push(args.len() as u8);
        for a in args {
            match a {
                Arg::U32(v) => {
                    o.push(0);
                    o.extend_from_slice(&v.to_be_bytes());
                }
                Arg::Str(b) => {
                    o.push(2);
                    o.extend_from_slice(&(b.len() as u16).to_be_bytes());
                    o.extend_from_slice(b);
                }
            }
        }
        if let Some((frag, push)) = tcp {
            o.extend_from_slice(&frag.to_be_bytes());
            o.push(push);
        }
        self
    }
    /// Raw bytes: one datagram (`tcp` false) or into the assembler.
    fn raw(mut self, tcp: bool, bytes: &[u8]) -> Self {
        self.0.push(2 + tcp as u8);
        self.0
            .extend_from_slice(&(bytes.len() as u16).to_be_bytes());
        self.0.extend_from_slice(bytes);
        self
    }
}

/// Hand-made seeds for `server_service`.
pub fn server() -> Vec<(&'static str, Vec<u8>)> {
    use Arg::{Str, U32};
    use SeedCred::{None as Anon, Root};
    const PM: u32 = 100000;
    const TP: u32 = 0x2000_0099;
    let mapping = [U32(0x2000_0001), U32(1), U32(6), U32(2049)];
    let set_getport = ServerOps::new(true)
        .call(None, 0, PM, 2, 1, Root, &mapping)
        .call(None, 0, PM, 2, 3, Anon, &mapping)
        .call(Some((4096, 255)), 0, PM, 2, 4, Anon, &[])
        .call(None, 0, PM, 2, 2, Root, &mapping);
    let rpcb = [
        U32(0x2000_0001),
        U32(3),
        Str(b"tcp"),
        Str(b"127.0.0.1.8.1"),
        Str(b"x"),
    ];
    let rpcbind_set_getaddr = ServerOps::new(true)
        .call(None, 0, PM, 4, 1, Root, &rpcb)
        .call(None, 0, PM, 3, 3, Anon, &rpcb)
        .call(None, 0, PM, 4, 9, Anon, &rpcb)
        .call(None, 0, PM, 4, 11, Anon, &rpcb)
        .call(None, 0, PM, 4, 12, Anon, &[])
        .call(None, 0, PM, 4, 4, Anon, &[]);
    // struct netbuf: AF_INET (little-endian, as Linux writes it), port 111,
    // 127.0.0.1, zero padding; and AF_INET6 with ::1, port 2049.
    let mut taddr4 = vec![2, 0, 0, 111, 127, 0, 0, 1];
    taddr4.extend_from_slice(&[0; 8]);
    let mut taddr6 = vec![10, 0, 8, 1, 0, 0, 0, 0];
    taddr6.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
    taddr6.extend_from_slice(&[0; 4]);
    let rpcb6 = [
        U32(0x2000_0002),
        U32(1),
        Str(b"udp6"),
        Str(b"::1.8.1"),
        Str(b"x"),
    ];
    let conversions = ServerOps::new(true)
        .call(None, 0, PM, 3, 7, Anon, &[Str(b"127.0.0.1.0.111")])
        .call(None, 0, PM, 4, 7, Anon, &[Str(b"::1.8.1")])
        .call(None, 0, PM, 3, 8, Anon, &[U32(16), Str(&taddr4)])
        .call(None, 0, PM, 4, 8, Anon, &[U32(28), Str(&taddr6)])
        .call(None, 0, PM, 4, 1, Root, &rpcb6)
        .call(None, 0, PM, 4, 11, Anon, &rpcb6)
        .call(None, 0, PM, 3, 4, Anon, &[]);
    let mut full = ServerOps::new(true);
    for prog in 0..8 {
        let m = [U32(0x2000_0100 + prog), U32(1), U32(17), U32(900)];
        full = full.call(None, 0, PM, 2, 1, Root, &m);
    }
    let put_get_list = ServerOps::new(false)
        .call(None, 0, TP, 1, 4, Root, &[Str(b"key"), Str(b"value")])
        .call(None, 0, TP, 1, 5, Anon, &[Str(b"key")])
        .call(Some((8, 3)), 0, TP, 1, 6, Anon, &[])
        .call(None, 0, TP, 1, 8, Root, &[Str(b"key")])
        .call(None, 0, TP, 1, 4, Anon, &[Str(b"key"), Str(b"value")]);
    let mut store_full = ServerOps::new(false);
    for k in [&b"a"[..], b"b", b"c", b"d", b"e", b"f"] {
        store_full = store_full.call(None, 0, TP, 1, 4, Root, &[Str(k), Str(b"v")]);
    }
    let upload = ServerOps::new(false)
        .call(Some((200, 37)), 0, TP, 1, 7, Anon, &[Str(&[0xab; 1000])])
        .call(Some((7, 1)), 0, TP, 1, 1, Anon, &[Str(b"echo me")])
        .call(None, 0, TP, 1, 2, Anon, &[U32(10)])
        .call(None, 0, TP, 1, 3, Anon, &[]);
    let indirect = ServerOps::new(true)
        .call(
            None,
            0,
            PM,
            2,
            5,
            Anon,
            &[U32(TP), U32(1), U32(1), Str(b"\0\0\0\x02hi\0\0")],
        )
        .call(
            None,
            0,
            PM,
            4,
            10,
            Anon,
            &[U32(TP), U32(1), U32(3), Str(b"")],
        )
        .call(
            None,
            0,
            PM,
            3,
            5,
            Anon,
            &[U32(PM), U32(2), U32(0), Str(b"")],
        );
    let rpcvers_3 = ServerOps::new(true).call(None, 3, PM, 2, 0, Anon, &[]);
    let unknown_program = ServerOps::new(true).call(None, 0, 0x1234_5678, 1, 0, Anon, &[]);
    let prog_mismatch = ServerOps::new(true)
        .call(None, 0, PM, 5, 0, Anon, &[])
        .call(None, 0, TP, 2, 0, Anon, &[]);
    let proc_unavail = ServerOps::new(true)
        .call(None, 0, PM, 2, 6, Anon, &[])
        .call(None, 0, PM, 4, 13, Anon, &[])
        .call(None, 0, TP, 1, 9, Anon, &[]);
    let no_portmapper = ServerOps::new(false).call(None, 0, PM, 2, 3, Anon, &mapping);
    let reply = reply(9, accepted(AcceptBody::Success), &[]);
    let raw = ServerOps::new(true)
        .raw(false, &reply)
        .raw(false, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2])
        .raw(true, &[0x80, 0, 0, 4, 0, 0, 0, 1, 0x00, 0x01, 0x00, 0x00])
        .raw(true, &[0x80, 0x10, 0, 0]);
    vec![
        ("portmap-set-then-getport", set_getport.0),
        ("rpcbind-v4-set-getaddr-getstat-dump", rpcbind_set_getaddr.0),
        ("rpcbind-uaddr-taddr-conversions-and-udp6", conversions.0),
        ("portmap-registrations-full", full.0),
        ("testprog-put-get-list", put_get_list.0),
        ("testprog-store-full", store_full.0),
        ("upload-multi-fragment", upload.0),
        ("portmap-callit-indirect", indirect.0),
        ("rpcvers-3", rpcvers_3.0),
        ("unknown-program", unknown_program.0),
        ("prog-mismatch", prog_mismatch.0),
        ("proc-unavail", proc_unavail.0),
        ("no-portmapper-getport", no_portmapper.0),
        ("raw-reply-short-call-and-oversized-mark", raw.0),
    ]
}

/// Every hand-made seed.
pub fn all() -> Vec<Seed> {
    let mut v: Vec<Seed> = Vec::new();
    let mut add = |t: &'static str, seeds: Vec<(&'static str, Vec<u8>)>| {
        v.extend(seeds.into_iter().map(|(n, b)| (t, n.to_string(), b)));
    };
    add("rpc_message", messages());
    add("record_stream", records());
    add("tcp_reassembly", tcp());
    add("capture_file", captures());
    v.extend(bodies().into_iter().map(|(n, b)| ("program_bodies", n, b)));
    let mut add = |t: &'static str, seeds: Vec<(&'static str, Vec<u8>)>| {
        v.extend(seeds.into_iter().map(|(n, b)| (t, n.to_string(), b)));
    };
    add("server_service", server());
    add("nfs4_compound", nfs4());
    let patterns = || {
        vec![
            ("zeros-64", vec![0u8; 64]),
            ("ones-64", vec![0xffu8; 64]),
            ("counting-256", (0..=255u8).collect()),
        ]
    };
    add("xdr_roundtrip", patterns());
    add("differential", patterns());
    v
}
