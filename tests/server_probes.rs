//! Hostile and malformed input over raw sockets against `rpcscope serve`:
//! each probe gets the right reply state or a closed connection, and the
//! server keeps answering other clients throughout.
//!
//! The server listens on a free port of 127.0.0.1, so these tests need no
//! namespace and no root.

mod common;
#[path = "common/server.rs"]
mod support;

use std::time::{Duration, Instant};

use rpcscope::client::wire::{Cred, ReplyStatus};
use rpcscope::rpc::xdr::XdrWriter;
use rpcscope::rpc::{encode_record, AcceptBody, AuthStat, RejectBody};
use rpcscope::server::testprog::{fnv1a32, procs, PROGRAM};
use support::*;

const SYS: Cred = Cred::Sys {
    uid: 1000,
    gid: 1000,
    machine: String::new(),
};

/// A call with a hand-made credential and verifier: xid 9, the test
/// program's NULL.
fn call_with_auth(rpcvers: u32, cred: (u32, &[u8]), verf: (u32, &[u8])) -> Vec<u8> {
    let mut m = Vec::new();
    XdrWriter::new(&mut m)
        .put_u32(9) // xid
        .put_u32(0) // CALL
        .put_u32(rpcvers)
        .put_u32(PROGRAM)
        .put_u32(1) // vers
        .put_u32(procs::NULL)
        .put_u32(cred.0)
        .put_opaque_var(cred.1)
        .put_u32(verf.0)
        .put_opaque_var(verf.1);
    m
}

fn accepted(b: AcceptBody) -> ReplyStatus {
    ReplyStatus::Accepted(b)
}

fn auth_error(s: AuthStat) -> ReplyStatus {
    ReplyStatus::Denied(RejectBody::AuthError(s))
}

#[test]
fn every_reply_state_over_tcp_and_udp() {
    let mut server = Server::start(&["--port", "0", "--listen", "127.0.0.1"]);
    let port = server.port;
    let none = Cred::None;
    let echo_truncated = [0, 0, 0, 100, 1, 2, 3, 4]; // opaque<> claims 100 bytes, has 4
    let cases: Vec<(&str, Vec<u8>, ReplyStatus)> = vec![
        (
            "success",
            call_msg(1, PROGRAM, 1, procs::NULL, &none, &[]),
            accepted(AcceptBody::Success),
        ),
        (
            "unknown program",
            call_msg(2, 0x2000_0098, 1, 0, &none, &[]),
            accepted(AcceptBody::ProgUnavail),
        ),
        (
            "unknown version",
            call_msg(3, PROGRAM, 9, 0, &none, &[]),
            accepted(AcceptBody::ProgMismatch { low: 1, high: 1 }),
        ),
        (
            "portmap version 5",
            call_msg(4, 100000, 5, 0, &none, &[]),
            accepted(AcceptBody::ProgMismatch { low: 2, high: 4 }),
        ),
        (
            "unknown procedure",
            call_msg(5, PROGRAM, 1, 99, &none, &[]),
            accepted(AcceptBody::ProcUnavail),
        ),
        (
            "truncated arguments",
            call_msg(6, PROGRAM, 1, procs::ECHO, &none, &echo_truncated),
            accepted(AcceptBody::GarbageArgs),
        ),
        (
            "missing arguments",
            call_msg(7, 100000, 2, 3, &none, &[0, 0, 0, 1]),
            accepted(AcceptBody::GarbageArgs),
        ),
        (
            "sleep out of range",
            call_msg(8, PROGRAM, 1, procs::SLEEP, &none, &[0xff; 4]),
            accepted(AcceptBody::GarbageArgs),
        ),
        (
            "FAIL",
            call_msg(9, PROGRAM, 1, procs::FAIL, &none, &[]),
            accepted(AcceptBody::SystemErr),
        ),
        (
            "rpcvers 3",
            call_with_auth(3, (0, &[]), (0, &[])),
            ReplyStatus::Denied(RejectBody::RpcMismatch { low: 2, high: 2 }),
        ),
        (
            "AUTH_SYS body garbage",
            call_with_auth(2, (1, &[0, 0, 0, 1]), (0, &[])),
            auth_error(AuthStat::BADCRED),
        ),
        (
            "AUTH_NONE with a body",
            call_with_auth(2, (0, &[1, 2, 3, 4]), (0, &[])),
            auth_error(AuthStat::BADCRED),
        ),
        (
            "AUTH_DH",
            call_with_auth(2, (3, &[0, 0, 0, 1, 0, 0, 0, 5]), (0, &[])),
            auth_error(AuthStat::BADCRED),
        ),
        (
            "unknown flavor",
            call_with_auth(2, (0x4242, &[]), (0, &[])),
            auth_error(AuthStat::BADCRED),
        ),
        (
            "credential over 400 bytes",
            call_with_auth(2, (1, &[0; 404]), (0, &[])),
            auth_error(AuthStat::BADCRED),
        ),
        (
            "AUTH_SHORT",
            call_with_auth(2, (2, &[1, 2, 3, 4]), (0, &[])),
            auth_error(AuthStat::REJECTEDCRED),
        ),
        (
            "AUTH_SYS verifier",
            call_with_auth(2, (0, &[]), (1, &[])),
            auth_error(AuthStat::BADVERF),
        ),
        (
            "PUT without AUTH_SYS",
            call_msg(
                10,
                PROGRAM,
                1,
                procs::PUT,
                &none,
                &[0, 0, 0, 1, b'k', 0, 0, 0, 0, 0, 0, 0],
            ),
            auth_error(AuthStat::TOOWEAK),
        ),
        (
            "PUT with AUTH_SYS",
            call_msg(
                11,
                PROGRAM,
                1,
                procs::PUT,
                &SYS,
                &[0, 0, 0, 1, b'k', 0, 0, 0, 0, 0, 0, 0],
            ),
            accepted(AcceptBody::Success),
        ),
    ];
    let mut tcp = Raw::connect(port);
    for (what, msg, want) in &cases {
        let xid = u32::from_be_bytes(msg[..4].try_into().unwrap());
        let (rx, st, _) = tcp.call(msg);
        assert_eq!((rx, &st), (xid, want), "tcp: {what}");
        let (rx, st, _) = udp_call(port, msg).unwrap_or_else(|| panic!("udp: {what}: no reply"));
        assert_eq!((rx, &st), (xid, want), "udp: {what}");
    }
    // A reply sent to the server is ignored, and the connection stays open.
    let mut reply = Vec::new();
    XdrWriter::new(&mut reply)
        .put_u32(5)
        .put_u32(1)
        .put_u32(0)
        .put_u32(0)
        .put_u32(0)
        .put_u32(0);
    tcp.send_msg(&reply);
    let (xid, st, _) = tcp.call(&call_msg(12, PROGRAM, 1, 0, &none, &[]));
    assert_eq!((xid, st), (12, accepted(AcceptBody::Success)));
    assert!(server.alive());
}

#[test]
fn framing_violations_close_only_that_connection() {
    let mut server = Server::start(&["--port", "0", "--listen", "127.0.0.1"]);
    let port = server.port;
    let mut bystander = Raw::connect(port);
    let null = |xid| call_msg(xid, PROGRAM, 1, procs::NULL, &Cred::None, &[]);
    let (_, st, _) = bystander.call(&null(1));
    assert!(st.is_success());

    // A record mark claiming 2 GiB: refused at once, nothing buffered.
    let mut c = Raw::connect(port);
    c.send(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
    assert!(c.closed(), "oversized mark");
    // A mark just past the limit (1 MiB + 4 KiB).
    let mut c = Raw::connect(port);
    c.send(&(0x8000_0000u32 | (1024 * 1024 + 4097)).to_be_bytes());
    assert!(c.closed(), "mark past server_max_record");
    // Garbage bytes in a well-formed record.
    let mut c = Raw::connect(port);
    c.send_msg(b"GET / HTTP/1.0\r\n\r\n");
    assert!(c.closed(), "garbage record");
    // Plain garbage without record marking (an HTTP request).
    let mut c = Raw::connect(port);
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(c.closed(), "HTTP request");
    // A truncated header (ends inside the credential).
    let mut c = Raw::connect(port);
    c.send_msg(&null(2)[..30]);
    assert!(c.closed(), "truncated header");
    // More than 1024 fragments in one record: 1025 empty non-last ones.
    let mut c = Raw::connect(port);
    c.send(&[0u8; 4 * 1025]);
    assert!(c.closed(), "too many fragments");

    // The bystander never noticed; UDP garbage gets no reply either.
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(b"\x00\x00\x00\x01garbage", ("127.0.0.1", port))
        .unwrap();
    let (xid, st, _) = bystander.call(&null(3));
    assert_eq!((xid, st.is_success()), (3, true));
    assert!(udp_call(port, &null(4)).is_some());
    assert!(server.alive());
}

#[test]
fn multi_fragment_upload_is_reassembled() {
    let server = Server::start(&["--port", "0", "--listen", "127.0.0.1"]);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let mut args = Vec::new();
    XdrWriter::new(&mut args).put_opaque_var(&data);
    let msg = call_msg(20, PROGRAM, 1, procs::UPLOAD, &Cred::None, &args);
    let mut framed = Vec::new();
    encode_record(&msg, 4096, &mut framed); // 49 fragments
    let mut c = Raw::connect(server.port);
    c.send(&framed);
    let r = c.recv().expect("reply");
    let (xid, st, res) = parse(&r);
    assert_eq!((xid, st), (20, accepted(AcceptBody::Success)));
    let count = u32::from_be_bytes(res[0..4].try_into().unwrap());
    let hash = u32::from_be_bytes(res[4..8].try_into().unwrap());
    assert_eq!((count, hash), (200_000, fnv1a32(&data)));
}

#[test]
fn slow_idle_and_excess_connections_are_closed() {
    let mut server = Server::start(&[
        "--port",
        "0",
        "--listen",
        "127.0.0.1",
        "--record-deadline",
        "600",
        "--idle-timeout",
        "1500",
        "--max-connections",
        "4",
    ]);
    let port = server.port;
    let null = |xid| call_msg(xid, PROGRAM, 1, procs::NULL, &Cred::None, &[]);
    let mut framed = Vec::new();
    encode_record(&null(1), 1 << 20, &mut framed);

    // Slowloris: half a record, then a byte every 200 ms. Closed when the
    // 600 ms record deadline passes, however steady the trickle.
    let mut slow = Raw::connect(port);
    let t0 = Instant::now();
    slow.send(&framed[..10]);
    let mut closed_at = None;
    for b in &framed[10..framed.len() - 1] {
        std::thread::sleep(Duration::from_millis(200));
        slow.send(std::slice::from_ref(b));
        slow.s
            .set_read_timeout(Some(Duration::from_millis(1)))
            .unwrap();
        if slow.closed() {
            closed_at = Some(t0.elapsed());
            break;
        }
    }
    let closed_at = closed_at.expect("trickling connection was never closed");
    assert!(
        closed_at >= Duration::from_millis(550) && closed_at < Duration::from_millis(1500),
        "{closed_at:?}"
    );

    // Idle: closed after 1.5 s of silence, not before.
    let mut idle = Raw::connect(port);
    idle.s
        .set_read_timeout(Some(Duration::from_millis(800)))
        .unwrap();
    assert!(!idle.closed(), "closed before the idle timeout");
    idle.s
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    assert!(idle.closed(), "idle connection kept open");

    // Connection cap: 4 held open, the 5th is closed at once; freeing one
    // lets a new client in.
    let mut held: Vec<Raw> = (0..4).map(|_| Raw::connect(port)).collect();
    for (i, h) in held.iter_mut().enumerate() {
        let (_, st, _) = h.call(&null(10 + i as u32));
        assert!(st.is_success());
    }
    let mut excess = Raw::connect(port);
    assert!(
        excess.closed(),
        "5th connection served past --max-connections 4"
    );
    drop(held.pop());
    std::thread::sleep(Duration::from_millis(300));
    let mut again = Raw::connect(port);
    let (_, st, _) = again.call(&null(20));
    assert!(st.is_success());
    assert!(server.alive());
}

#[test]
fn clients_are_served_concurrently() {
    let server = Server::start(&["--port", "0", "--listen", "127.0.0.1"]);
    let port = server.port;
    // Three TCP SLEEPs of 700 ms and three UDP ones, all at once.
    let sleep_ms = 700u32.to_be_bytes();
    let t0 = Instant::now();
    let mut threads = Vec::new();
    for i in 0..3u32 {
        threads.push(std::thread::spawn(move || {
            let mut c = Raw::connect(port);
            c.call(&call_msg(
                100 + i,
                PROGRAM,
                1,
                procs::SLEEP,
                &Cred::None,
                &sleep_ms,
            ))
            .1
        }));
        threads.push(std::thread::spawn(move || {
            udp_call(
                port,
                &call_msg(200 + i, PROGRAM, 1, procs::SLEEP, &Cred::None, &sleep_ms),
            )
            .expect("udp sleep reply")
            .1
        }));
    }
    // Meanwhile NULL is answered at once.
    std::thread::sleep(Duration::from_millis(100));
    let t1 = Instant::now();
    let mut c = Raw::connect(port);
    assert!(c
        .call(&call_msg(1, PROGRAM, 1, 0, &Cred::None, &[]))
        .1
        .is_success());
    assert!(
        t1.elapsed() < Duration::from_millis(300),
        "NULL waited for the sleepers"
    );
    for t in threads {
        assert!(t.join().unwrap().is_success());
    }
    let all = t0.elapsed();
    assert!(
        all >= Duration::from_millis(700) && all < Duration::from_millis(1600),
        "{all:?}"
    );
}
