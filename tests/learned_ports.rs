//! Ports learned from portmap and rpcbind feed RPC detection (issue 8,
//! "Semantics"): traffic from an endpoint that GETPORT, GETADDR, DUMP or SET
//! named is read as RPC even where nothing else shows it is.
//!
//! `captures/rpcbind-learned.pcap` (made by `captures/make-learned.sh`):
//! `rpcscope serve --register` on port 40999 registers its program with a
//! real rpcbind, real `rpcinfo` and `rpcscope call` ask rpcbind for it and
//! call it; the capture holds port 111 both ways but from port 40999 only
//! the server's replies (their calls were never captured). Synthetic frames
//! cover IPv6 universal addresses, DUMP listings and addresses of another
//! host.

mod common;

use std::path::Path;

use common::synth::{call, pcap, reply, timed, udp};
use common::{decode, decode_bytes, Collect};
use rpcscope::capture::{CaptureReader, PcapWriter};
use rpcscope::event::ExchangeKind;
use rpcscope::limits::Limits;
use rpcscope::net::Transport;
use rpcscope::rpc::AcceptBody;

fn learned_capture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/rpcbind-learned.pcap")
}

/// Replies with no call seen from `port`, by transport: (xid, frame).
fn orphans_from(c: &Collect, port: u16) -> Vec<(Transport, u32, u64)> {
    c.events
        .iter()
        .filter(|e| e.kind == ExchangeKind::Orphan && e.exchange.server.port == port)
        .map(|e| {
            let ex = &e.exchange;
            (ex.transport, ex.xid, ex.reply.unwrap().meta.frame)
        })
        .collect()
}

/// The capture without the frames to or from `port` (as if the capture
/// had missed the portmap traffic).
fn without_port(path: &Path, port: u16) -> Vec<u8> {
    let limits = Limits::default();
    let mut r = CaptureReader::open(path, &limits).unwrap();
    let mut w = PcapWriter::new(Vec::new(), rpcscope::capture::LinkType::ETHERNET, 65535).unwrap();
    while let Some(f) = r.next_frame().unwrap() {
        let p = etherparse::SlicedPacket::from_ethernet(f.data).unwrap();
        let ports = match p.transport {
            Some(etherparse::TransportSlice::Tcp(t)) => (t.source_port(), t.destination_port()),
            Some(etherparse::TransportSlice::Udp(u)) => (u.source_port(), u.destination_port()),
            _ => (0, 0),
        };
        if ports.0 != port && ports.1 != port {
            w.write_frame(f.ts, f.data, f.orig_len).unwrap();
        }
    }
    w.into_inner()
}

#[test]
fn replies_from_a_port_rpcbind_named_are_rpc() {
    let (c, _) = decode(&learned_capture());
    let orphans = orphans_from(&c, 40999);
    // rpcinfo's NULL after its GETADDR, our 3 NULLs and ECHO after GETPORT
    // over UDP, and 2 NULLs over TCP: every reply the server sent.
    let udp: Vec<u32> = orphans
        .iter()
        .filter(|o| o.0 == Transport::Udp)
        .map(|o| o.1)
        .collect();
    assert_eq!(udp.len(), 5, "{orphans:?}");
    assert!(udp.contains(&0x4000) && udp.contains(&0x4001) && udp.contains(&0x4002));
    assert!(udp.contains(&0x4100));
    let tcp: Vec<u32> = orphans
        .iter()
        .filter(|o| o.0 == Transport::Tcp)
        .map(|o| o.1)
        .collect();
    assert_eq!(tcp, [0x4200, 0x4201]);
    for e in c.events.iter().filter(|e| e.kind == ExchangeKind::Orphan) {
        let r = e.exchange.reply.unwrap();
        assert!(r.status.is_success());
    }
    // Every portmap exchange is complete; nothing else is reported.
    assert_eq!(c.summary.track.orphan_replies, 7);
    assert_eq!(c.summary.track.unmatched_calls, 0);
    assert_eq!(c.summary.anomalies.total(), 0, "{:?}", c.summary.anomalies);
}

#[test]
fn without_the_portmap_traffic_the_udp_replies_are_not_rpc() {
    // The same frames minus port 111: no mapping is learned. UDP replies
    // without their call are then indistinguishable from other datagrams,
    // so they are not reported; TCP replies still are (a stream whose first
    // record is a well-formed reply is RPC, see pipeline.rs).
    let c = decode_bytes(without_port(&learned_capture(), 111));
    let orphans = orphans_from(&c, 40999);
    assert!(orphans.iter().all(|o| o.0 == Transport::Tcp), "{orphans:?}");
    assert_eq!(orphans.len(), 2);
}

const CLIENT: ([u8; 4], u16) = ([10, 1, 0, 1], 900);
const RPCBIND: ([u8; 4], u16) = ([10, 1, 0, 2], 111);

/// An rpcbind v4 GETADDR asking for program 100021 version 4 over
/// `netid`, answered `uaddr`.
fn getaddr(xid: u32, netid: &str, uaddr: &str) -> (Vec<u8>, Vec<u8>) {
    let mut args = Vec::new();
    let mut w = rpcscope::rpc::xdr::XdrWriter::new(&mut args);
    w.put_u32(100021) // r_prog
        .put_u32(4) // r_vers
        .put_string(netid.as_bytes()) // r_netid
        .put_string(b"") // r_addr
        .put_string(b""); // r_owner
    let mut res = Vec::new();
    rpcscope::rpc::xdr::XdrWriter::new(&mut res).put_string(uaddr.as_bytes());
    (
        call(xid, 100000, 4, 3, &args),
        reply(xid, AcceptBody::Success, &res),
    )
}

#[test]
fn a_universal_address_of_another_host_names_that_host() {
    // rpcbind on 10.1.0.2 answers that NLM listens on 10.1.0.9 port 4045.
    let (c, r) = getaddr(1, "udp", "10.1.0.9.15.205");
    let lone = reply(0x77, AcceptBody::Success, &[0, 0, 0, 0]);
    let frames = vec![
        udp(CLIENT, RPCBIND, &c),
        udp(RPCBIND, CLIENT, &r),
        udp(([10, 1, 0, 9], 4045), CLIENT, &lone),
        // Same port on the rpcbind host: not named, not RPC.
        udp(([10, 1, 0, 2], 4045), CLIENT, &lone),
        // Same host and port over TCP would be another mapping; over UDP
        // from another port: not named.
        udp(([10, 1, 0, 9], 4046), CLIENT, &lone),
    ];
    let out = decode_bytes(pcap(&timed(frames), 65535));
    let o: Vec<_> = out
        .events
        .iter()
        .filter(|e| e.kind == ExchangeKind::Orphan)
        .map(|e| (e.exchange.server.to_string(), e.frame))
        .collect();
    assert_eq!(o, [("10.1.0.9:4045".to_string(), 3)]);
}

#[test]
fn unspecified_and_ipv6_universal_addresses() {
    use etherparse::PacketBuilder;
    let v6 = |last: u8| {
        let mut a = [0u8; 16];
        a[0] = 0xfd;
        a[15] = last;
        a
    };
    let udp6 = |from: ([u8; 16], u16), to: ([u8; 16], u16), payload: &[u8]| {
        let mut v = Vec::new();
        PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv6(from.0, to.0, 64)
            .udp(from.1, to.1)
            .write(&mut v, payload)
            .unwrap();
        v
    };
    let (client, server) = ((v6(1), 900), (v6(2), 111));
    // `::` names the host that answered; `fd00::2.8.1` names a port there.
    let (c1, r1) = getaddr(1, "udp6", "::.3.236");
    let (c2, r2) = getaddr(2, "udp6", "fd00::2.8.1");
    let lone = reply(0x77, AcceptBody::Success, &[0, 0, 0, 0]);
    let frames = vec![
        udp6(client, server, &c1),
        udp6(server, client, &r1),
        udp6(client, server, &c2),
        udp6(server, client, &r2),
        udp6((v6(2), 1004), client, &lone),
        udp6((v6(2), 2049), client, &lone),
        udp6((v6(2), 2050), client, &lone),
    ];
    let out = decode_bytes(pcap(&timed(frames), 65535));
    let o: Vec<_> = out
        .events
        .iter()
        .filter(|e| e.kind == ExchangeKind::Orphan)
        .map(|e| e.exchange.server.to_string())
        .collect();
    assert_eq!(o, ["[fd00::2]:1004", "[fd00::2]:2049"]);
}

#[test]
fn a_dump_listing_teaches_every_port_and_other_netids_are_ignored() {
    let mut res = Vec::new();
    {
        let mut w = rpcscope::rpc::xdr::XdrWriter::new(&mut res);
        for (prog, netid, addr) in [
            (100003, "udp", "0.0.0.0.8.1"),
            (100005, "udp", "10.1.0.2.78.80"),
            (100024, "local", "/run/rpcbind.sock"),
            (100021, "tcp", "10.1.0.2.15.205"),
        ] {
            w.put_bool(true)
                .put_u32(prog)
                .put_u32(3)
                .put_string(netid.as_bytes())
                .put_string(addr.as_bytes())
                .put_string(b"");
        }
        w.put_bool(false);
    }
    let lone = reply(0x77, AcceptBody::Success, &[0, 0, 0, 0]);
    let server = |port| ([10, 1, 0, 2], port);
    let frames = vec![
        udp(CLIENT, RPCBIND, &call(5, 100000, 3, 4, &[])),
        udp(RPCBIND, CLIENT, &reply(5, AcceptBody::Success, &res)),
        udp(server(2049), CLIENT, &lone),
        udp(server(20048), CLIENT, &lone),
        // Learned over TCP only: a UDP reply from it is not RPC.
        udp(server(4045), CLIENT, &lone),
    ];
    let out = decode_bytes(pcap(&timed(frames), 65535));
    let o: Vec<u16> = out
        .events
        .iter()
        .filter(|e| e.kind == ExchangeKind::Orphan)
        .map(|e| e.exchange.server.port)
        .collect();
    assert_eq!(o, [2049, 20048]);
}

#[test]
fn ports_are_learned_with_bodies_off_too() {
    // What is RPC must not depend on the output: `--no-bodies` and `stats`
    // find the same replies as `read`.
    for no_bodies in [false, true] {
        let mut args = vec!["read", "--format", "json"];
        if no_bodies {
            args.push("--no-bodies");
        }
        let path = learned_capture();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rpcscope"))
            .args(&args)
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let orphans = text
            .lines()
            .filter(|l| l.contains("\"type\":\"reply\"") && l.contains(":40999\""))
            .count();
        assert_eq!(orphans, 7, "no_bodies={no_bodies}");
        if no_bodies {
            // And no body is decoded or shown.
            for l in text.lines().filter(|l| !l.contains("\"type\":\"summary\"")) {
                assert!(l.contains("\"args\":null,\"result\":null,\"body_status\":null"));
            }
        }
    }
}

#[test]
fn a_connection_to_a_learned_port_is_rpc_from_its_syn() {
    use common::synth::tcp;
    use rpcscope::rpc::{
        CallHeader, Message, MessageBody, OpaqueAuth, Procedure, Program, RejectBody, ReplyHeader,
        Version, Xid,
    };
    // A call with rpcvers 3 on a fresh connection: on a port nothing says
    // is RPC, the first record must prove it is (rpcvers 2), else framing is
    // searched for again; on a port rpcbind named, it is read as it comes
    // and answered RPC_MISMATCH.
    let mut odd = Vec::new();
    Message {
        xid: Xid(0x77),
        body: MessageBody::Call(CallHeader {
            rpcvers: 3,
            program: Program(100021),
            version: Version(4),
            procedure: Procedure(0),
            cred: OpaqueAuth::NONE,
            verf: OpaqueAuth::NONE,
        }),
        payload: &[],
    }
    .emit(&mut odd);
    let mut mismatch = Vec::new();
    Message {
        xid: Xid(0x77),
        body: MessageBody::Reply(ReplyHeader::Denied(RejectBody::RpcMismatch {
            low: 2,
            high: 2,
        })),
        payload: &[],
    }
    .emit(&mut mismatch);
    let nlm = ([10, 1, 0, 2], 4045);
    let cli = ([10, 1, 0, 1], 700);
    let rec = |m: &[u8]| common::synth::record(m, 1 << 20);
    let connection = vec![
        tcp(cli, nlm, 99, 0, true, &[]),
        tcp(nlm, cli, 499, 100, true, &[]),
        tcp(cli, nlm, 100, 500, false, &rec(&odd)),
        tcp(
            nlm,
            cli,
            500,
            100 + rec(&odd).len() as u32,
            false,
            &rec(&mismatch),
        ),
    ];
    // GETPORT(NLM 4, TCP) -> 4045 over UDP, first.
    let mut args = Vec::new();
    for w in [100021u32, 4, 6, 0] {
        args.extend_from_slice(&w.to_be_bytes());
    }
    let getport = vec![
        udp(CLIENT, RPCBIND, &call(9, 100000, 2, 3, &args)),
        udp(
            RPCBIND,
            CLIENT,
            &reply(9, AcceptBody::Success, &4045u32.to_be_bytes()),
        ),
    ];
    let matched = |frames: Vec<Vec<u8>>| {
        let c = decode_bytes(pcap(&timed(frames), 65535));
        c.events
            .iter()
            .filter(|e| e.kind == ExchangeKind::Complete && e.exchange.xid == 0x77)
            .map(|e| e.exchange.call.unwrap().rpcvers)
            .collect::<Vec<_>>()
    };
    let learned: Vec<Vec<u8>> = getport.into_iter().chain(connection.clone()).collect();
    assert_eq!(matched(learned), [3]);
    assert!(matched(connection).is_empty());
}
