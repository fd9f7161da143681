//! The remote UDP policy of [`Service::handle`]: a UDP caller that is not
//! on loopback never gets a reply larger than its call, and never DUMP or
//! an indirect call, unless `allow_remote_udp`; TCP and loopback callers
//! are answered as before.

use super::*;
use crate::client::wire::{build_call, Cred};
use crate::rpc::xdr::XdrWriter;
use crate::server::portmap::Registration;
use crate::server::testprog::{procs, PROGRAM};

fn ctx(peer: &str, transport: Transport) -> CallCtx {
    CallCtx {
        transport,
        peer: peer.parse().unwrap(),
        local: "0.0.0.0:111".parse().unwrap(),
        now_unix: 1_700_000_000,
    }
}

const FAR: &str = "198.18.0.2:700";
const FAR6: &str = "[2001:db8::2]:700";
const NEAR: &str = "127.0.0.1:700";

/// A portmapper with the test program registered on the four netids, and
/// one stored value of 1000 bytes.
fn service() -> Service {
    let mut s = Service::new(&Limits::default(), true);
    let pm = s.portmap_mut().unwrap();
    for netid in ["tcp", "udp", "tcp6", "udp6"] {
        for (prog, vers) in [(100000, 4), (100000, 3), (100000, 2), (PROGRAM, 1)] {
            assert!(pm.set(Registration {
                program: prog,
                version: vers,
                netid: netid.into(),
                uaddr: "0.0.0.0.0.111".into(),
                owner: "superuser".into(),
            }));
        }
    }
    let mut put = Vec::new();
    XdrWriter::new(&mut put)
        .put_string(b"k")
        .put_opaque_var(&[7; 1000]);
    let sys = Cred::Sys {
        uid: 0,
        gid: 0,
        machine: "t".into(),
    };
    let (d, _) = call(
        &mut s,
        PROGRAM,
        1,
        procs::PUT,
        &sys,
        &put,
        NEAR,
        Transport::Tcp,
    );
    assert_eq!(d, Disposition::Reply { delay_ms: 0 });
    s
}

#[allow(clippy::too_many_arguments)]
fn call(
    s: &mut Service,
    prog: u32,
    vers: u32,
    proc_: u32,
    cred: &Cred,
    args: &[u8],
    peer: &str,
    transport: Transport,
) -> (Disposition, Vec<u8>) {
    let mut msg = Vec::new();
    build_call(
        7,
        prog,
        vers,
        proc_,
        cred,
        args,
        &Limits::default(),
        &mut msg,
    )
    .unwrap();
    raw(s, &msg, peer, transport)
}

fn raw(s: &mut Service, msg: &[u8], peer: &str, transport: Transport) -> (Disposition, Vec<u8>) {
    let mut out = Vec::new();
    let d = s.handle(msg, &ctx(peer, transport), &mut out);
    (d, out)
}

fn none(s: &mut Service, prog: u32, vers: u32, proc_: u32, args: &[u8], peer: &str) -> Disposition {
    call(
        s,
        prog,
        vers,
        proc_,
        &Cred::None,
        args,
        peer,
        Transport::Udp,
    )
    .0
}

/// CALLIT/BCAST/INDIRECT arguments (the same `(prog, vers, proc, opaque
/// args)` in portmap v2 and rpcbind): the test program's NULL.
fn callit_args() -> Vec<u8> {
    let mut a = Vec::new();
    XdrWriter::new(&mut a)
        .put_u32(PROGRAM)
        .put_u32(1)
        .put_u32(procs::NULL)
        .put_opaque_var(&[]);
    a
}

#[test]
fn dump_and_indirect_calls_are_refused_to_remote_udp_callers() {
    let mut s = service();
    for (vers, proc_, args) in [
        (2, 4, vec![]),
        (3, 4, vec![]),
        (4, 4, vec![]),
        (2, 5, callit_args()),
        (3, 5, callit_args()),
        (4, 5, callit_args()),
        (4, 10, callit_args()),
    ] {
        for peer in [FAR, FAR6] {
            let d = none(&mut s, 100000, vers, proc_, &args, peer);
            assert_eq!(
                d,
                Disposition::Refused(Refusal::Procedure {
                    version: vers,
                    procedure: proc_
                }),
                "v{vers} proc {proc_} from {peer}"
            );
        }
        // The same call from loopback over UDP, or from afar over TCP, is
        // answered (the indirect calls to NULL reply; DUMP lists 16).
        for (peer, transport) in [(NEAR, Transport::Udp), (FAR, Transport::Tcp)] {
            let (d, out) = call(
                &mut s,
                100000,
                vers,
                proc_,
                &Cred::None,
                &args,
                peer,
                transport,
            );
            assert_eq!(
                d,
                Disposition::Reply { delay_ms: 0 },
                "v{vers} {proc_} {peer}"
            );
            assert!(out.len() >= 24);
        }
    }
}

#[test]
fn replies_larger_than_the_call_are_refused_to_remote_udp_callers() {
    let mut s = service();
    let mut get = Vec::new();
    XdrWriter::new(&mut get).put_string(b"k");
    let mut msg = Vec::new();
    build_call(
        9,
        PROGRAM,
        1,
        procs::GET,
        &Cred::None,
        &get,
        &Limits::default(),
        &mut msg,
    )
    .unwrap();
    let (d, out) = raw(&mut s, &msg, FAR, Transport::Udp);
    assert!(out.is_empty());
    let Disposition::Refused(Refusal::Larger { call, reply }) = d else {
        panic!("{d:?}");
    };
    // 44-byte header and key; 24-byte reply header, 4 (present) + 4
    // (length) + 1000 bytes of value.
    assert_eq!((call, reply), (msg.len(), 24 + 8 + 1000));
    // GETSTAT (about 600 bytes of counters) from a 40-byte call, too.
    assert!(matches!(
        none(&mut s, 100000, 4, 12, &[], FAR),
        Disposition::Refused(Refusal::Larger { call: 40, .. })
    ));
    // From loopback, and over TCP, the value comes back.
    assert_eq!(raw(&mut s, &msg, NEAR, Transport::Udp).1.len(), 1032);
    assert_eq!(raw(&mut s, &msg, FAR, Transport::Tcp).1.len(), 1032);
    // IPv4 loopback mapped into IPv6 is loopback.
    assert_eq!(
        raw(&mut s, &msg, "[::ffff:127.0.0.1]:9", Transport::Udp)
            .1
            .len(),
        1032
    );
}

#[test]
fn replies_no_larger_than_the_call_are_answered_remotely() {
    let mut s = service();
    // NULL: a 24-byte reply to a 40-byte call; GETPORT: 28 to 56.
    assert_eq!(
        none(&mut s, PROGRAM, 1, procs::NULL, &[], FAR),
        Disposition::Reply { delay_ms: 0 }
    );
    let mut m = Vec::new();
    XdrWriter::new(&mut m)
        .put_u32(PROGRAM)
        .put_u32(1)
        .put_u32(17)
        .put_u32(0);
    let (d, out) = call(&mut s, 100000, 2, 3, &Cred::None, &m, FAR, Transport::Udp);
    assert_eq!(d, Disposition::Reply { delay_ms: 0 });
    assert_eq!(out[out.len() - 4..], 111u32.to_be_bytes());
    // ECHO returns what it was given: never larger than the call.
    let mut echo = Vec::new();
    XdrWriter::new(&mut echo).put_opaque_var(&[1; 500]);
    let (d, out) = call(
        &mut s,
        PROGRAM,
        1,
        procs::ECHO,
        &Cred::None,
        &echo,
        FAR,
        Transport::Udp,
    );
    assert_eq!(d, Disposition::Reply { delay_ms: 0 });
    assert_eq!(out.len(), 24 + 4 + 500);
    // A remote SET still answers FALSE (registration is loopback-only).
    let mut set = Vec::new();
    XdrWriter::new(&mut set)
        .put_u32(300000)
        .put_u32(1)
        .put_u32(6)
        .put_u32(9);
    let (_, out) = call(&mut s, 100000, 2, 1, &Cred::None, &set, FAR, Transport::Udp);
    assert_eq!(out[out.len() - 4..], [0, 0, 0, 0]);
}

#[test]
fn short_calls_get_no_larger_rejections_remotely() {
    let mut s = service();
    // xid, CALL, rpcvers 3: 12 bytes would get a 24-byte RPC_MISMATCH.
    let msg = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3];
    assert_eq!(
        raw(&mut s, &msg, FAR, Transport::Udp).0,
        Disposition::Refused(Refusal::Larger {
            call: 12,
            reply: 24
        })
    );
    assert_eq!(raw(&mut s, &msg, NEAR, Transport::Udp).1.len(), 24);
}

#[test]
fn allow_remote_udp_answers_everything() {
    let mut s = service();
    s.set_allow_remote_udp(true);
    let (d, out) = call(&mut s, 100000, 2, 4, &Cred::None, &[], FAR, Transport::Udp);
    assert_eq!(d, Disposition::Reply { delay_ms: 0 });
    // 24-byte header, then 8 tcp/udp entries of 5 words, and the end mark.
    assert_eq!(out.len(), 24 + 8 * 20 + 4);
    assert_eq!(
        none(&mut s, 100000, 4, 12, &[], FAR),
        Disposition::Reply { delay_ms: 0 }
    );
}
