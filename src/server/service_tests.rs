//! Unit tests of the sans-IO service: every reply state, portmapper state,
//! store bounds, indirect calls. Calls are built and replies parsed with the
//! same codecs the client uses.

use super::*;
use crate::client::wire::{build_call, Cred, ReplyStatus};
use crate::rpc::xdr::XdrWriter;
use crate::server::portmap::Registration;
use crate::server::testprog::{fnv1a32, procs, PROGRAM};

fn ctx_from(peer: &str, transport: Transport) -> CallCtx {
    CallCtx {
        transport,
        peer: peer.parse().unwrap(),
        local: "127.0.0.1:111".parse().unwrap(),
        now_unix: 1_700_000_000,
    }
}

fn ctx() -> CallCtx {
    ctx_from("127.0.0.1:700", Transport::Udp)
}

fn sys() -> Cred {
    Cred::Sys {
        uid: 0,
        gid: 0,
        machine: "t".into(),
    }
}

struct T {
    svc: Service,
    xid: u32,
}

impl T {
    fn new() -> T {
        Self::with(Limits::default())
    }

    fn with(limits: Limits) -> T {
        let mut svc = Service::new(&limits, true);
        let pm = svc.portmap_mut().unwrap();
        for (netid, uaddr) in [("tcp", "0.0.0.0.0.111"), ("udp", "0.0.0.0.0.111")] {
            assert!(pm.set(Registration {
                program: PROGRAM,
                version: 1,
                netid: netid.into(),
                uaddr: uaddr.into(),
                owner: "superuser".into(),
            }));
        }
        T { svc, xid: 100 }
    }

    fn raw(&mut self, msg: &[u8], ctx: &CallCtx) -> (Disposition, Vec<u8>) {
        let mut out = vec![0xee; 3]; // handle clears it
        let d = self.svc.handle(msg, ctx, &mut out);
        (d, out)
    }

    fn call_ctx(
        &mut self,
        prog: u32,
        vers: u32,
        proc_: u32,
        cred: &Cred,
        args: &[u8],
        ctx: &CallCtx,
    ) -> (ReplyStatus, Vec<u8>) {
        self.xid += 1;
        let mut msg = Vec::new();
        build_call(
            self.xid,
            prog,
            vers,
            proc_,
            cred,
            args,
            &Limits::default(),
            &mut msg,
        )
        .unwrap();
        let (d, out) = self.raw(&msg, ctx);
        assert!(matches!(d, Disposition::Reply { .. }), "{d:?}");
        let (xid, st, res) = ReplyStatus::parse(&out, &Limits::default()).unwrap();
        assert_eq!(xid, self.xid);
        (st, res.to_vec())
    }

    fn call(&mut self, prog: u32, vers: u32, proc_: u32, args: &[u8]) -> (ReplyStatus, Vec<u8>) {
        self.call_ctx(prog, vers, proc_, &Cred::None, args, &ctx())
    }
}

fn ok() -> ReplyStatus {
    ReplyStatus::Accepted(AcceptBody::Success)
}

fn xdr(f: impl FnOnce(&mut XdrWriter<'_>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut XdrWriter::new(&mut v));
    v
}

fn u32s(b: &[u8]) -> Vec<u32> {
    b.chunks(4)
        .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
fn every_accept_state() {
    let mut t = T::new();
    assert_eq!(t.call(PROGRAM, 1, procs::NULL, &[]), (ok(), vec![]));
    let acc = ReplyStatus::Accepted;
    assert_eq!(
        t.call(0x2000_0098, 1, 0, &[]).0,
        acc(AcceptBody::ProgUnavail)
    );
    assert_eq!(
        t.call(PROGRAM, 2, 0, &[]).0,
        acc(AcceptBody::ProgMismatch { low: 1, high: 1 })
    );
    assert_eq!(
        t.call(100000, 1, 0, &[]).0,
        acc(AcceptBody::ProgMismatch { low: 2, high: 4 })
    );
    assert_eq!(t.call(PROGRAM, 1, 9, &[]).0, acc(AcceptBody::ProcUnavail));
    assert_eq!(t.call(100000, 2, 6, &[]).0, acc(AcceptBody::ProcUnavail));
    assert_eq!(t.call(100000, 3, 9, &[]).0, acc(AcceptBody::ProcUnavail));
    assert_eq!(t.call(100000, 4, 13, &[]).0, acc(AcceptBody::ProcUnavail));
    // ECHO whose opaque claims 8 bytes but has 4: GARBAGE_ARGS.
    assert_eq!(
        t.call(PROGRAM, 1, procs::ECHO, &[0, 0, 0, 8, 1, 2, 3, 4]).0,
        acc(AcceptBody::GarbageArgs)
    );
    assert_eq!(
        t.call(PROGRAM, 1, procs::FAIL, &[]).0,
        acc(AcceptBody::SystemErr)
    );
}

#[test]
fn rejections_rpc_mismatch_and_auth_errors() {
    let mut t = T::new();
    let msg = |rpcvers: u32, cred: (u32, &[u8]), verf: (u32, &[u8])| {
        xdr(|w| {
            w.put_u32(5).put_u32(0).put_u32(rpcvers);
            w.put_u32(PROGRAM).put_u32(1).put_u32(0);
            w.put_u32(cred.0).put_opaque_var(cred.1);
            w.put_u32(verf.0).put_opaque_var(verf.1);
        })
    };
    let status = |t: &mut T, m: &[u8]| {
        let (d, out) = t.raw(m, &ctx());
        assert_eq!(d, Disposition::Reply { delay_ms: 0 });
        ReplyStatus::parse(&out, &Limits::default()).unwrap().1
    };
    let denied = ReplyStatus::Denied;
    assert_eq!(
        status(&mut t, &msg(3, (0, &[]), (0, &[]))),
        denied(RejectBody::RpcMismatch { low: 2, high: 2 })
    );
    // RPC_MISMATCH is decided before the rest of the header is read.
    let short = xdr(|w| {
        w.put_u32(5).put_u32(0).put_u32(1);
    });
    assert_eq!(
        status(&mut t, &short),
        denied(RejectBody::RpcMismatch { low: 2, high: 2 })
    );
    let auth = |s| denied(RejectBody::AuthError(s));
    // (cred body, cred flavor, verf body, verf flavor, expected)
    type Case<'a> = (&'a [u8], u32, &'a [u8], u32, AuthStat);
    let cases: [Case; 7] = [
        (&[0, 0, 0, 1], 1, &[], 0, AuthStat::BADCRED), // AUTH_SYS, truncated body
        (&[1, 2, 3, 4], 0, &[], 0, AuthStat::BADCRED), // AUTH_NONE with a body
        (&[], 3, &[], 0, AuthStat::BADCRED),           // AUTH_DH: unsupported
        (&[], 6, &[], 0, AuthStat::BADCRED),           // RPCSEC_GSS: unsupported
        (&[9; 8], 2, &[], 0, AuthStat::REJECTEDCRED),  // AUTH_SHORT
        (&[], 0, &[], 1, AuthStat::BADVERF),           // AUTH_SYS verifier
        (&[], 0, &[1, 1, 1, 1], 0, AuthStat::BADVERF), // AUTH_NONE verifier with a body
    ];
    for (body, flavor, vbody, vflavor, want) in cases {
        assert_eq!(
            status(&mut t, &msg(2, (flavor, body), (vflavor, vbody))),
            auth(want),
            "cred {flavor} {body:?} verf {vflavor}"
        );
    }
    // A credential longer than MAX_AUTH_BYTES (400).
    assert_eq!(
        status(&mut t, &msg(2, (1, &[0; 404]), (0, &[]))),
        auth(AuthStat::BADCRED)
    );
    assert_eq!(
        status(&mut t, &msg(2, (0, &[]), (0, &[0; 404]))),
        auth(AuthStat::BADVERF)
    );
    // PUT needs AUTH_SYS.
    let put = xdr(|w| {
        w.put_string(b"k").put_opaque_var(b"v");
    });
    assert_eq!(
        t.call(PROGRAM, 1, procs::PUT, &put).0,
        auth(AuthStat::TOOWEAK)
    );
    let del = xdr(|w| {
        w.put_string(b"k");
    });
    assert_eq!(
        t.call(PROGRAM, 1, procs::DELETE, &del).0,
        auth(AuthStat::TOOWEAK)
    );
}

#[test]
fn garbage_and_replies_get_no_reply() {
    let mut t = T::new();
    for bad in [
        &[][..],
        &[0, 0, 0, 1],
        &[0, 0, 0, 1, 0, 0, 0, 7],
        &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0],
    ] {
        let (d, out) = t.raw(bad, &ctx());
        assert!(matches!(d, Disposition::Garbage(_)), "{bad:?}: {d:?}");
        assert!(out.is_empty());
    }
    // A truncated credential is garbage too (the header does not decode).
    let mut msg = Vec::new();
    build_call(1, PROGRAM, 1, 0, &sys(), &[], &Limits::default(), &mut msg).unwrap();
    let (d, _) = t.raw(&msg[..40], &ctx());
    let Disposition::Garbage(e) = d else {
        panic!("{d:?}")
    };
    assert_eq!(e.field, "cred.length");
    // A REPLY message is not for us.
    let reply = xdr(|w| {
        w.put_u32(1)
            .put_u32(1)
            .put_u32(0)
            .put_u32(0)
            .put_u32(0)
            .put_u32(0);
    });
    assert_eq!(t.raw(&reply, &ctx()), (Disposition::NoReply, vec![]));
}

#[test]
fn sleep_asks_the_loop_to_wait() {
    let mut t = T::new();
    let mut msg = Vec::new();
    build_call(
        1,
        PROGRAM,
        1,
        procs::SLEEP,
        &Cred::None,
        &250u32.to_be_bytes(),
        &Limits::default(),
        &mut msg,
    )
    .unwrap();
    let (d, out) = t.raw(&msg, &ctx());
    assert_eq!(d, Disposition::Reply { delay_ms: 250 });
    let (_, st, res) = ReplyStatus::parse(&out, &Limits::default()).unwrap();
    assert_eq!((st, res), (ok(), &250u32.to_be_bytes()[..]));
    let too_long = 10_001u32.to_be_bytes();
    assert_eq!(
        t.call(PROGRAM, 1, procs::SLEEP, &too_long).0,
        ReplyStatus::Accepted(AcceptBody::GarbageArgs)
    );
}

#[test]
fn echo_upload_and_their_bounds() {
    let limits = Limits {
        server_max_echo: 8,
        server_max_upload: 1000,
        ..Limits::default()
    };
    let mut t = T::with(limits);
    let echo = xdr(|w| {
        w.put_opaque_var(b"hello");
    });
    assert_eq!(t.call(PROGRAM, 1, procs::ECHO, &echo), (ok(), echo.clone()));
    let long = xdr(|w| {
        w.put_opaque_var(b"123456789");
    });
    assert_eq!(
        t.call(PROGRAM, 1, procs::ECHO, &long).0,
        ReplyStatus::Accepted(AcceptBody::GarbageArgs)
    );
    let data = vec![7u8; 1000];
    let up = xdr(|w| {
        w.put_opaque_var(&data);
    });
    let (st, res) = t.call(PROGRAM, 1, procs::UPLOAD, &up);
    assert_eq!((st, u32s(&res)), (ok(), vec![1000, fnv1a32(&data)]));
    let up = xdr(|w| {
        w.put_opaque_var(&[0; 1001]);
    });
    assert_eq!(
        t.call(PROGRAM, 1, procs::UPLOAD, &up).0,
        ReplyStatus::Accepted(AcceptBody::GarbageArgs)
    );
    assert_eq!(fnv1a32(b""), 0x811c_9dc5);
    assert_eq!(fnv1a32(b"a"), 0xe40c_292c);
}

#[test]
fn store_put_get_list_delete_and_its_limits() {
    let limits = Limits {
        server_store_entries: 2,
        server_store_key: 4,
        server_store_value: 8,
        ..Limits::default()
    };
    let mut t = T::with(limits);
    let c = ctx();
    let put = |t: &mut T, k: &[u8], v: &[u8]| {
        let a = xdr(|w| {
            w.put_string(k).put_opaque_var(v);
        });
        t.call_ctx(PROGRAM, 1, procs::PUT, &sys(), &a, &c)
    };
    let yes = (ok(), vec![0, 0, 0, 1]);
    let no = (ok(), vec![0, 0, 0, 0]);
    assert_eq!(put(&mut t, b"a", b"1"), yes);
    assert_eq!(put(&mut t, b"b", b"22"), yes);
    assert_eq!(put(&mut t, b"c", b"3"), no, "full store refuses a new key");
    assert_eq!(put(&mut t, b"a", b"one"), yes, "replacing always works");
    let garbage = ReplyStatus::Accepted(AcceptBody::GarbageArgs);
    assert_eq!(put(&mut t, b"toolong", b"x").0, garbage);
    assert_eq!(put(&mut t, b"a", b"123456789").0, garbage);
    assert_eq!(t.svc.test_program().store_len(), 2);

    let key = |k: &[u8]| {
        xdr(|w| {
            w.put_string(k);
        })
    };
    let (st, res) = t.call(PROGRAM, 1, procs::GET, &key(b"a"));
    assert_eq!(
        (st, res),
        (
            ok(),
            xdr(|w| {
                w.put_bool(true).put_opaque_var(b"one");
            })
        )
    );
    assert_eq!(t.call(PROGRAM, 1, procs::GET, &key(b"zz")), no);
    let (_, list) = t.call(PROGRAM, 1, procs::LIST, &[]);
    assert_eq!(
        list,
        xdr(|w| {
            w.put_u32(2).put_string(b"a").put_string(b"b");
        })
    );
    let del = t.call_ctx(PROGRAM, 1, procs::DELETE, &sys(), &key(b"a"), &c);
    assert_eq!(del, yes);
    let del = t.call_ctx(PROGRAM, 1, procs::DELETE, &sys(), &key(b"a"), &c);
    assert_eq!(del, no);
    assert_eq!(put(&mut t, b"c", b"3"), yes, "room again after DELETE");
}

fn mapping(prog: u32, vers: u32, prot: u32, port: u32) -> Vec<u8> {
    xdr(|w| {
        w.put_u32(prog).put_u32(vers).put_u32(prot).put_u32(port);
    })
}

fn rpcb(prog: u32, vers: u32, netid: &str, addr: &str) -> Vec<u8> {
    xdr(|w| {
        w.put_u32(prog)
            .put_u32(vers)
            .put_string(netid.as_bytes())
            .put_string(addr.as_bytes())
            .put_string(b"");
    })
}

#[test]
fn portmap_v2_set_unset_getport_dump() {
    let mut t = T::new();
    let tr = (ok(), vec![0, 0, 0, 1]);
    let fa = (ok(), vec![0, 0, 0, 0]);
    // SET 300000 v1 tcp 2000; again is refused; udp is separate.
    assert_eq!(t.call(100000, 2, 1, &mapping(300000, 1, 6, 2000)), tr);
    assert_eq!(t.call(100000, 2, 1, &mapping(300000, 1, 6, 2001)), fa);
    assert_eq!(t.call(100000, 2, 1, &mapping(300000, 1, 17, 2002)), tr);
    assert_eq!(
        t.call(100000, 2, 1, &mapping(300000, 2, 99, 2002)),
        fa,
        "unknown prot"
    );
    // From a non-loopback caller: refused, like rpcbind without -i.
    let far = ctx_from("192.0.2.1:700", Transport::Udp);
    let (st, r) = t.call_ctx(100000, 2, 1, &Cred::None, &mapping(300001, 1, 6, 1), &far);
    assert_eq!((st, r), fa);
    // GETPORT: exact version, then any version of the program, else 0.
    assert_eq!(
        t.call(100000, 2, 3, &mapping(300000, 1, 6, 0)).1,
        2000u32.to_be_bytes()
    );
    assert_eq!(
        t.call(100000, 2, 3, &mapping(300000, 1, 17, 0)).1,
        2002u32.to_be_bytes()
    );
    assert_eq!(
        t.call(100000, 2, 3, &mapping(300000, 7, 6, 0)).1,
        2000u32.to_be_bytes()
    );
    assert_eq!(t.call(100000, 2, 3, &mapping(300009, 1, 6, 0)).1, [0; 4]);
    // DUMP: a pmaplist of every tcp/udp entry, in registration order.
    let (_, dump) = t.call(100000, 2, 4, &[]);
    assert_eq!(
        u32s(&dump),
        [
            1, PROGRAM, 1, 6, 111, //
            1, PROGRAM, 1, 17, 111, //
            1, 300000, 1, 6, 2000, //
            1, 300000, 1, 17, 2002, //
            0,
        ]
    );
    // UNSET removes tcp and udp; a second UNSET finds nothing.
    assert_eq!(t.call(100000, 2, 2, &mapping(300000, 1, 0, 0)), tr);
    assert_eq!(t.call(100000, 2, 2, &mapping(300000, 1, 0, 0)), fa);
    assert_eq!(t.call(100000, 2, 3, &mapping(300000, 1, 6, 0)).1, [0; 4]);
    assert_eq!(t.svc.portmap().unwrap().registrations().len(), 2);
}

#[test]
fn registration_table_is_bounded() {
    let limits = Limits {
        server_max_registrations: 3,
        ..Limits::default()
    };
    let mut t = T::with(limits); // 2 entries already
    assert_eq!(t.call(100000, 2, 1, &mapping(1, 1, 6, 1)).1, [0, 0, 0, 1]);
    assert_eq!(t.call(100000, 2, 1, &mapping(2, 1, 6, 1)).1, [0, 0, 0, 0]);
    assert_eq!(
        t.call(100000, 4, 1, &rpcb(2, 1, "tcp", "0.0.0.0.0.1")).1,
        [0, 0, 0, 0]
    );
}

#[test]
fn rpcbind_set_getaddr_dump_and_friends() {
    let mut t = T::new();
    let s = |v: &str| {
        xdr(|w| {
            w.put_string(v.as_bytes());
        })
    };
    // SET with an owner from AUTH_SYS uid 0.
    let c = ctx();
    let (st, r) = t.call_ctx(100000, 4, 1, &sys(), &rpcb(400000, 3, "tcp6", "::.8.1"), &c);
    assert_eq!((st, r), (ok(), vec![0, 0, 0, 1]));
    assert_eq!(
        t.call(100000, 4, 1, &rpcb(400000, 3, "tcp6", "::.8.2")).1,
        [0, 0, 0, 0]
    );
    assert_eq!(
        t.call(100000, 3, 1, &rpcb(400000, 3, "bogus", "::.8.2")).1,
        [0, 0, 0, 0]
    );
    assert_eq!(
        t.call(100000, 3, 1, &rpcb(400000, 3, "udp", "not an addr"))
            .1,
        [0, 0, 0, 0]
    );
    // GETADDR: the wildcard is merged with the caller's view of us; an
    // empty netid means the caller's own transport (udp here).
    assert_eq!(
        t.call(100000, 3, 3, &rpcb(PROGRAM, 1, "", "")).1,
        s("127.0.0.1.0.111")
    );
    assert_eq!(
        t.call(100000, 4, 3, &rpcb(400000, 3, "tcp6", "")).1,
        s("::1.8.1")
    );
    assert_eq!(
        t.call(100000, 4, 3, &rpcb(400000, 9, "tcp6", "")).1,
        s("::1.8.1")
    );
    assert_eq!(
        t.call(100000, 4, 9, &rpcb(400000, 9, "tcp6", "")).1,
        s(""),
        "GETVERSADDR is exact"
    );
    assert_eq!(t.call(100000, 4, 3, &rpcb(400001, 1, "tcp", "")).1, s(""));
    // DUMP lists rpcb entries with owners.
    let (_, dump) = t.call(100000, 4, 4, &[]);
    let want_last = xdr(|w| {
        w.put_bool(true).put_u32(400000).put_u32(3);
        w.put_string(b"tcp6")
            .put_string(b"::.8.1")
            .put_string(b"superuser");
        w.put_bool(false);
    });
    assert!(dump.ends_with(&want_last), "{dump:?}");
    // GETADDRLIST: every netid of (prog, vers).
    let (_, list) = t.call(100000, 4, 11, &rpcb(PROGRAM, 1, "", ""));
    let want = xdr(|w| {
        for (netid, sem, proto) in [("tcp", 3, "tcp"), ("udp", 1, "udp")] {
            w.put_bool(true)
                .put_string(b"127.0.0.1.0.111")
                .put_string(netid.as_bytes());
            w.put_u32(sem)
                .put_string(b"inet")
                .put_string(proto.as_bytes());
        }
        w.put_bool(false);
    });
    assert_eq!(list, want);
    // UNSET with an empty netid removes every netid.
    assert_eq!(
        t.call(100000, 4, 2, &rpcb(400000, 3, "", "")).1,
        [0, 0, 0, 1]
    );
    assert_eq!(t.call(100000, 4, 3, &rpcb(400000, 3, "tcp6", "")).1, s(""));
    // GETTIME, UADDR2TADDR, TADDR2UADDR.
    assert_eq!(t.call(100000, 3, 6, &[]).1, 1_700_000_000u32.to_be_bytes());
    let (_, taddr) = t.call(100000, 3, 7, &s("127.0.0.1.0.111"));
    let sockaddr = [2, 0, 0, 111, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        taddr,
        xdr(|w| {
            w.put_u32(16).put_opaque_var(&sockaddr);
        })
    );
    assert_eq!(t.call(100000, 4, 8, &taddr).1, s("127.0.0.1.0.111"));
    assert_eq!(
        t.call(
            100000,
            4,
            8,
            &xdr(|w| {
                w.put_u32(3).put_opaque_var(&[1, 2, 3]);
            })
        )
        .1,
        s("")
    );
    // GETSTAT: 3 x (13 counters, set, unset, two empty lists).
    let (_, stat) = t.call(100000, 4, 12, &[]);
    let v = u32s(&stat);
    assert_eq!(v.len(), 3 * 17);
    let v4 = &v[34..51];
    assert_eq!(v4[1], 2, "two v4 SET calls");
    assert_eq!(v4[12], 1, "this GETSTAT");
    assert_eq!((v4[13], v4[14]), (1, 1), "one successful v4 SET, one UNSET");
}

#[test]
fn indirect_calls_run_inside_the_service() {
    let mut t = T::new();
    let callargs = |prog: u32, proc_: u32, args: &[u8]| {
        xdr(|w| {
            w.put_u32(prog)
                .put_u32(1)
                .put_u32(proc_)
                .put_opaque_var(args);
        })
    };
    let echo = xdr(|w| {
        w.put_opaque_var(b"hi");
    });
    // portmap CALLIT: port and the target's results.
    let (st, res) = t.call(100000, 2, 5, &callargs(PROGRAM, procs::ECHO, &echo));
    assert_eq!(
        (st, res),
        (
            ok(),
            xdr(|w| {
                w.put_u32(111).put_opaque_var(&echo);
            })
        )
    );
    // rpcbind v3 CALLIT / v4 INDIRECT: the address instead of the port.
    let (_, res) = t.call(100000, 4, 10, &callargs(PROGRAM, procs::NULL, &[]));
    assert_eq!(
        res,
        xdr(|w| {
            w.put_string(b"127.0.0.1.0.111").put_opaque_var(&[]);
        })
    );
    // Failures: CALLIT and BCAST are silent, INDIRECT answers the error.
    let mut msg = Vec::new();
    let fail = callargs(PROGRAM, procs::FAIL, &[]);
    build_call(
        9,
        100000,
        2,
        5,
        &Cred::None,
        &fail,
        &Limits::default(),
        &mut msg,
    )
    .unwrap();
    assert_eq!(t.raw(&msg, &ctx()).0, Disposition::NoReply);
    msg.clear();
    build_call(
        9,
        100000,
        4,
        5,
        &Cred::None,
        &fail,
        &Limits::default(),
        &mut msg,
    )
    .unwrap();
    assert_eq!(t.raw(&msg, &ctx()).0, Disposition::NoReply);
    assert_eq!(
        t.call(100000, 4, 10, &fail).0,
        ReplyStatus::Accepted(AcceptBody::SystemErr)
    );
    // Never forwarded to the portmapper itself.
    let to_self = callargs(100000, 1, &mapping(5, 1, 6, 5));
    assert_eq!(
        t.call(100000, 4, 10, &to_self).0,
        ReplyStatus::Accepted(AcceptBody::ProgUnavail)
    );
    // Indirect SLEEP keeps its delay.
    msg.clear();
    let sleep = callargs(PROGRAM, procs::SLEEP, &5u32.to_be_bytes());
    build_call(
        9,
        100000,
        2,
        5,
        &Cred::None,
        &sleep,
        &Limits::default(),
        &mut msg,
    )
    .unwrap();
    assert_eq!(t.raw(&msg, &ctx()).0, Disposition::Reply { delay_ms: 5 });
}

#[test]
fn service_without_portmapper_serves_only_the_test_program() {
    let mut svc = Service::new(&Limits::default(), false);
    assert_eq!(svc.served().len(), 1);
    let mut msg = Vec::new();
    build_call(
        1,
        100000,
        2,
        0,
        &Cred::None,
        &[],
        &Limits::default(),
        &mut msg,
    )
    .unwrap();
    let mut out = Vec::new();
    svc.handle(&msg, &ctx(), &mut out);
    let (_, st, _) = ReplyStatus::parse(&out, &Limits::default()).unwrap();
    assert_eq!(st, ReplyStatus::Accepted(AcceptBody::ProgUnavail));
}

#[test]
fn netids_follow_transport_and_family() {
    let mut c = ctx();
    assert_eq!(c.netid(), "udp");
    c.transport = Transport::Tcp;
    assert_eq!(c.netid(), "tcp");
    c.local = "[::1]:111".parse().unwrap();
    assert_eq!(c.netid(), "tcp6");
    c.local = "[::ffff:127.0.0.1]:111".parse().unwrap();
    assert_eq!(c.netid(), "tcp");
}

#[test]
fn never_panics_on_mutated_calls() {
    // Every single-byte corruption and every truncation of a few calls.
    let mut t = T::new();
    let mut seeds = Vec::new();
    for (prog, vers, proc_, args) in [
        (
            PROGRAM,
            1,
            procs::PUT,
            xdr(|w| {
                w.put_string(b"key").put_opaque_var(b"value");
            }),
        ),
        (
            100000,
            4,
            10,
            xdr(|w| {
                w.put_u32(PROGRAM)
                    .put_u32(1)
                    .put_u32(1)
                    .put_opaque_var(&[0, 0, 0, 1, 9, 0, 0, 0]);
            }),
        ),
        (100000, 3, 1, rpcb(1, 1, "udp", "127.0.0.1.1.1")),
    ] {
        let mut m = Vec::new();
        build_call(
            1,
            prog,
            vers,
            proc_,
            &sys(),
            &args,
            &Limits::default(),
            &mut m,
        )
        .unwrap();
        seeds.push(m);
    }
    let c = ctx();
    let mut out = Vec::new();
    for m in &seeds {
        for cut in 0..m.len() {
            t.svc.handle(&m[..cut], &c, &mut out);
        }
        for i in 0..m.len() {
            for v in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut m2 = m.clone();
                m2[i] = v;
                t.svc.handle(&m2, &c, &mut out);
                assert!(out.len() < 4096);
            }
        }
    }
}

#[test]
fn dump_results_are_kept_until_the_table_changes() {
    // DUMP results are encoded once per table state: every change (SET,
    // UNSET over the wire, `set`/`unset` in-process) shows in the next DUMP
    // of every version, and an unchanged table gives the same bytes.
    let mut t = T::new();
    let dump = |t: &mut T, v: u32| t.call(100000, v, 4, &[]).1;
    let (v2, v3, v4) = (dump(&mut t, 2), dump(&mut t, 3), dump(&mut t, 4));
    assert_eq!(v3, v4, "rpcbind v3 and v4 DUMP have the same type");
    assert_eq!(dump(&mut t, 2), v2);
    assert_eq!(u32s(&v2).len(), 2 * 5 + 1);
    assert_eq!(
        t.call(100000, 2, 1, &mapping(300000, 1, 6, 2000)).1,
        [0, 0, 0, 1]
    );
    let v2b = dump(&mut t, 2);
    assert_eq!(&u32s(&v2b)[10..], [1, 300000, 1, 6, 2000, 0]);
    let v4b = dump(&mut t, 4);
    assert_ne!(v4b, v4);
    assert_eq!(dump(&mut t, 3), v4b);
    // A refused SET changes nothing.
    assert_eq!(
        t.call(100000, 2, 1, &mapping(300000, 1, 6, 2001)).1,
        [0, 0, 0, 0]
    );
    assert_eq!(dump(&mut t, 2), v2b);
    assert_eq!(
        t.call(100000, 4, 2, &rpcb(300000, 1, "", "")).1,
        [0, 0, 0, 1]
    );
    assert_eq!((dump(&mut t, 2), dump(&mut t, 4)), (v2.clone(), v4.clone()));
    let pm = t.svc.portmap_mut().unwrap();
    assert!(pm.set(Registration {
        program: 300001,
        version: 2,
        netid: "udp6".into(),
        uaddr: "::.0.7".into(),
        owner: "1000".into(),
    }));
    assert_eq!(dump(&mut t, 2), v2, "portmap v2 lists tcp and udp only");
    assert!(dump(&mut t, 4).windows(6).any(|w| w == b"::.0.7"));
    let pm = t.svc.portmap_mut().unwrap();
    assert!(pm.unset(300001, 2, |_| true));
    assert_eq!(dump(&mut t, 4), v4);
}
