//! Finding RPC on any port without taking other protocols for it: SMB,
//! HTTP, DNS and other traffic is never reported as RPC on ports not known
//! or learned as RPC, while RPC on unregistered ports is still found.

mod common;

use common::synth::*;
use common::*;
use rpcscope::event::ExchangeKind;
use rpcscope::rpc::AcceptBody;

const SMB_CLIENT: ([u8; 4], u16) = ([10, 0, 2, 15], 55529);
const SMB_SERVER: ([u8; 4], u16) = ([10, 6, 208, 121], 445);

/// Messages reported, as (kind, xid).
fn reported(c: &Collect) -> Vec<(ExchangeKind, u32)> {
    c.events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                ExchangeKind::Complete | ExchangeKind::Unmatched | ExchangeKind::Orphan
            )
        })
        .map(|e| (e.kind, e.exchange.xid))
        .collect()
}

/// SMB-like bytes as the public capture has them: a NetBIOS-sized run of
/// fragments whose first bytes read as an RPC reply header (`00400000`,
/// msg_type 1, accepted, AUTH_NONE verifier, success) and zeros after,
/// 3 MiB in all.
fn smb_like() -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..3u32 {
        let len: u32 = 1024 * 1024;
        v.extend_from_slice(&((if i == 2 { 0x8000_0000 } else { 0 }) | len).to_be_bytes());
        let mut body = vec![0u8; len as usize];
        if i == 0 {
            body[..8].copy_from_slice(&[0, 0x40, 0, 0, 0, 0, 0, 1]);
        }
        v.extend_from_slice(&body);
    }
    v.extend_from_slice(&[0, 0, 0, 0x40]);
    v.extend_from_slice(b"\xfeSMB@\0\0\0\0\0\0\0\x05\0\x01\0");
    v
}

/// Regression (issue 11): on a capture with SMB on port 445, a 2.8 MB
/// "reply" with xid 0x00400000 and client and server swapped was reported,
/// and reached the statistics as a `-` row. With or without the SYN, such
/// bytes are not RPC on a port not known as RPC.
#[test]
fn smb_like_bytes_on_port_445_are_not_rpc() {
    let bytes = smb_like();
    for syn in [true, false] {
        let mut frames = Vec::new();
        let (c, s) = (7000u32, 9000u32);
        if syn {
            frames.push(tcp(SMB_CLIENT, SMB_SERVER, c - 1, 0, true, &[]));
            frames.push(tcp(SMB_SERVER, SMB_CLIENT, s - 1, c, true, &[]));
        }
        frames.extend(segments(
            SMB_CLIENT,
            SMB_SERVER,
            c,
            &bytes,
            &(1..2200).map(|i| i * 1448).collect::<Vec<_>>(),
        ));
        let col = decode_bytes(pcap(&timed(frames), 65535));
        assert_eq!(reported(&col), [], "syn {syn}");
        assert_eq!(col.summary.track.replies + col.summary.track.calls, 0);
    }
}

/// A call to program 0 (never assigned) is not RPC on a port not known as
/// RPC, on TCP or UDP; on the portmapper's port it is.
#[test]
fn program_zero_is_not_plausible_on_unknown_ports() {
    let dns = ([10, 0, 0, 53], 53);
    let c = call(0x11, 0, 2, 0, &[]);
    let col = decode_bytes(pcap(&timed(vec![udp(CLIENT, dns, &c)]), 65535));
    assert_eq!(reported(&col), []);
    let pm = ([10, 0, 0, 53], 111);
    let col = decode_bytes(pcap(&timed(vec![udp(CLIENT, pm, &c)]), 65535));
    assert_eq!(reported(&col), [(ExchangeKind::Unmatched, 0x11)]);
    let http = ([10, 0, 0, 80], 8080);
    let frames = vec![
        tcp(CLIENT, http, 99, 0, true, &[]),
        tcp(CLIENT, http, 100, 1, false, &record(&c, 1 << 20)),
    ];
    let col = decode_bytes(pcap(&timed(frames), 65535));
    assert_eq!(reported(&col), []);
}

/// RPC on unregistered ports is still found: calls at once, replies with
/// their call, or (a server whose calls were not captured) once a second
/// consistent record follows. A lone strong-looking reply on such a port
/// is not enough.
#[test]
fn rpc_on_unregistered_ports_is_still_found() {
    let cl = ([10, 9, 0, 1], 40001);
    let sv = ([10, 9, 0, 2], 50002);
    for syn in [true, false] {
        let mut frames = Vec::new();
        if syn {
            frames.push(tcp(cl, sv, 99, 0, true, &[]));
            frames.push(tcp(sv, cl, 499, 100, true, &[]));
        }
        let c1 = record(&call(1, 300_000, 1, 2, &[0; 12]), 1 << 20);
        let r1 = record(&reply(1, AcceptBody::Success, &[0; 8]), 1 << 20);
        frames.push(tcp(cl, sv, 100, 500, false, &c1));
        frames.push(tcp(sv, cl, 500, 100 + c1.len() as u32, false, &r1));
        let col = decode_bytes(pcap(&timed(frames), 65535));
        assert_eq!(reported(&col), [(ExchangeKind::Complete, 1)], "syn {syn}");
    }
    // Only the server's side was captured: two replies prove each other.
    let r = |x| record(&reply(x, AcceptBody::Success, &[0; 8]), 1 << 20);
    let (r7, r8) = (r(7), r(8));
    let two = vec![
        tcp(sv, cl, 500, 100, false, &r7),
        tcp(sv, cl, 500 + r7.len() as u32, 100, false, &r8),
    ];
    let col = decode_bytes(pcap(&timed(two), 65535));
    assert_eq!(
        reported(&col),
        [(ExchangeKind::Orphan, 7), (ExchangeKind::Orphan, 8)]
    );
    let one = vec![tcp(sv, cl, 500, 100, false, &r7)];
    let col = decode_bytes(pcap(&timed(one), 65535));
    assert_eq!(reported(&col), [], "a lone reply on an unknown port");
    // The same lone reply from NFS's port is RPC (tcpdump agrees).
    let nfs = ([10, 9, 0, 2], 2049);
    let col = decode_bytes(pcap(
        &timed(vec![tcp(nfs, cl, 500, 100, false, &r7)]),
        65535,
    ));
    assert_eq!(reported(&col), [(ExchangeKind::Orphan, 7)]);
}

/// The public corpus: no message is reported on a conversation (source,
/// destination, source port) where tshark finds no RPC, except replies from
/// NFS's port 2049 to calls made before the capture started (which tcpdump
/// decodes, and tshark cannot without the call). This covers every non-RPC
/// stream of the corpus: SMB/CIFS, HTTP, DNS, NetBIOS, LDAP and the rest.
#[test]
fn public_corpus_has_no_rpc_on_streams_tshark_finds_none() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let mut report = Vec::new();
    for name in public_captures(&shared) {
        let tsv = std::fs::read_to_string(shared.join("refs/public").join(format!("{name}.tsv")))
            .unwrap();
        let mut lines = tsv.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
        let (src, dst, tp, up) = (
            col("ip.src"),
            col("ip.dst"),
            col("tcp.srcport"),
            col("udp.srcport"),
        );
        let mut rpc_convs = std::collections::BTreeSet::new();
        for l in lines {
            let f: Vec<&str> = l.split('\t').collect();
            let port = if f[tp].is_empty() { f[up] } else { f[tp] };
            let port: u16 = port.split(',').next().unwrap().parse().unwrap();
            rpc_convs.insert((f[src].to_string(), f[dst].to_string(), port));
        }
        let (c, _) = decode(&shared.join("captures/public").join(&name));
        for ev in &c.events {
            let ex = &ev.exchange;
            let mut msgs = Vec::new();
            if ex.call.is_some() && !ex.duplicate_reply {
                msgs.push((ex.client, ex.server));
            }
            if ex.reply.is_some()
                && matches!(ev.kind, ExchangeKind::Complete | ExchangeKind::Orphan)
            {
                msgs.push((ex.server, ex.client));
            }
            for (from, to) in msgs {
                let (s, d) = if from.addr.is_ipv6() {
                    (String::new(), String::new())
                } else {
                    (from.addr.to_string(), to.addr.to_string())
                };
                if rpc_convs.contains(&(s, d, from.port)) {
                    continue;
                }
                let known_reply = ex.call.is_none() && from.port == 2049;
                if !known_reply {
                    report.push(format!(
                        "{name}: {:?} xid {:#x} {from} > {to}",
                        ev.kind, ex.xid
                    ));
                }
            }
        }
    }
    assert!(
        report.is_empty(),
        "reported as RPC where tshark sees none:\n{}",
        report.join("\n")
    );
}
