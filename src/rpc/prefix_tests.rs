//! Tests for partial headers and the plausibility check.

use super::*;
use crate::rpc::message::tests::{CALL_AUTH_SYS, REPLY_SUCCESS};

fn limits() -> Limits {
    Limits::default()
}

#[test]
fn snaplen_cut_call_keeps_what_is_present() {
    // A 96-byte Ethernet/IPv4/TCP snapshot leaves 26 bytes of the record
    // after the 4-byte mark: the cred flavor is cut.
    let p = Message::parse_prefix(&CALL_AUTH_SYS[..26], &limits()).unwrap();
    assert_eq!(p.xid, Xid(0x1234_5678));
    assert_eq!(p.msg_type(), MsgType::CALL);
    assert!(!p.complete);
    assert_eq!(p.len, 24);
    let expect = CallPrefix {
        rpcvers: Some(2),
        program: Some(Program::NFS),
        version: Some(Version(3)),
        procedure: Some(Procedure(1)),
        ..CallPrefix::default()
    };
    assert_eq!(p.body, PrefixBody::Call(expect));
    // Four more bytes give the flavor but not the credential.
    let p = Message::parse_prefix(&CALL_AUTH_SYS[..30], &limits()).unwrap();
    let PrefixBody::Call(c) = p.body else {
        panic!()
    };
    assert_eq!((c.cred_flavor, c.cred), (Some(AuthFlavor::SYS), None));
}

#[test]
fn prefix_fields_grow_with_the_cut_and_match_the_full_parse() {
    let full = Message::parse(CALL_AUTH_SYS, &limits()).unwrap();
    let mut present = 0;
    for cut in 0..=CALL_AUTH_SYS.len() {
        match Message::parse_prefix(&CALL_AUTH_SYS[..cut], &limits()) {
            Err(e) => assert!(cut < 8 && e.is_truncated(), "cut {cut}: {e}"),
            Ok(p) => {
                let PrefixBody::Call(c) = p.body else {
                    panic!()
                };
                let n = [
                    c.rpcvers.is_some(),
                    c.program.is_some(),
                    c.version.is_some(),
                    c.procedure.is_some(),
                    c.cred_flavor.is_some(),
                    c.cred.is_some(),
                    c.verf.is_some(),
                ]
                .iter()
                .filter(|x| **x)
                .count();
                assert!(n >= present, "cut {cut}");
                present = n;
                assert_eq!(p.complete, cut >= full.header_len(), "cut {cut}");
                if p.complete {
                    let super::super::MessageBody::Call(h) = full.body else {
                        panic!()
                    };
                    assert_eq!((c.cred, c.verf), (Some(h.cred), Some(h.verf)));
                    assert_eq!(p.len, full.header_len());
                }
            }
        }
    }
    assert_eq!(present, 7);
}

#[test]
fn reply_prefixes() {
    let p = Message::parse_prefix(&REPLY_SUCCESS[..12], &limits()).unwrap();
    assert_eq!(
        p.body,
        PrefixBody::Reply(ReplyPrefix {
            reply_stat: Some(ReplyStat::MSG_ACCEPTED),
            ..Default::default()
        })
    );
    let p = Message::parse_prefix(&REPLY_SUCCESS[..24], &limits()).unwrap();
    assert!(p.complete);
    let PrefixBody::Reply(r) = p.body else {
        panic!()
    };
    assert_eq!(
        (r.verf, r.accept_stat),
        (Some(OpaqueAuth::NONE), Some(AcceptStat::SUCCESS))
    );
    #[rustfmt::skip]
    let denied = [
        0, 0, 0, 9,     // xid
        0, 0, 0, 1,     // REPLY
        0, 0, 0, 1,     // MSG_DENIED
        0, 0, 0, 0,     // RPC_MISMATCH
        0, 0, 0, 2,     // low
        0, 0, 0, 3,     // high
    ];
    let p = Message::parse_prefix(&denied[..20], &limits()).unwrap();
    let PrefixBody::Reply(r) = p.body else {
        panic!()
    };
    assert_eq!(
        (r.reject_stat, r.mismatch, p.complete),
        (Some(RejectStat::RPC_MISMATCH), None, false)
    );
    let p = Message::parse_prefix(&denied, &limits()).unwrap();
    let PrefixBody::Reply(r) = p.body else {
        panic!()
    };
    assert_eq!((r.mismatch, p.complete), (Some((2, 3)), true));
    let auth_error = [0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 13];
    let PrefixBody::Reply(r) = Message::parse_prefix(&auth_error, &limits()).unwrap().body else {
        panic!()
    };
    assert_eq!(r.auth_stat, Some(AuthStat::RPCSEC_GSS_CREDPROBLEM));
}

#[test]
fn prefix_errors_on_wrong_values() {
    assert!(Message::parse_prefix(&[0, 0, 0, 1, 0, 0], &limits())
        .unwrap_err()
        .is_truncated());
    let e = Message::parse_prefix(&[0, 0, 0, 1, 0, 0, 0, 5], &limits()).unwrap_err();
    assert_eq!(e, RpcError::invalid("msg_type", 4, 5u32));
    let mut wire = REPLY_SUCCESS.to_vec();
    wire[23] = 9;
    assert_eq!(
        Message::parse_prefix(&wire, &limits()).unwrap_err(),
        RpcError::invalid("accept_stat", 20, 9u32)
    );
    let mut wire = CALL_AUTH_SYS.to_vec();
    wire[28] = 1; // cred.length 16M
    assert_eq!(
        Message::parse_prefix(&wire[..32], &limits())
            .unwrap_err()
            .field,
        "cred.length"
    );
}

#[test]
fn plausible_call_and_reply_on_every_prefix() {
    for (wire, verdict, decided_at) in [
        (CALL_AUTH_SYS, Plausible::Call, 64),
        (REPLY_SUCCESS, Plausible::Reply, 24),
    ] {
        for cut in 0..=wire.len() {
            let v = plausible_start(&wire[..cut], &limits());
            let expect = if cut >= decided_at {
                verdict
            } else {
                Plausible::NeedMore
            };
            assert_eq!(v, expect, "cut {cut}");
        }
        // Knowing the message length decides early when the header cannot fit.
        assert_eq!(plausible_within(&wire[..8], 8, &limits()), Plausible::No);
        assert_eq!(plausible_within(wire, wire.len(), &limits()), verdict);
    }
}

#[test]
fn implausible_headers() {
    let l = limits();
    let set = |at: usize, v: u32| {
        let mut w = CALL_AUTH_SYS.to_vec();
        w[at..at + 4].copy_from_slice(&v.to_be_bytes());
        w
    };
    assert_eq!(plausible_start(&set(4, 2), &l), Plausible::No, "msg_type 2");
    assert_eq!(plausible_start(&set(8, 3), &l), Plausible::No, "rpcvers 3");
    assert_eq!(
        plausible_start(&set(28, 404), &l),
        Plausible::No,
        "cred too long"
    );
    assert_eq!(
        plausible_start(&set(36, 300), &l),
        Plausible::No,
        "bad AUTH_SYS body"
    );
    assert_eq!(
        plausible_start(&set(60, 401), &l),
        Plausible::No,
        "verf too long"
    );
    let reply = |stat: [u32; 3]| {
        let mut w = vec![0, 0, 0, 1, 0, 0, 0, 1];
        stat.iter()
            .for_each(|v| w.extend_from_slice(&v.to_be_bytes()));
        w
    };
    assert_eq!(
        plausible_start(&reply([2, 0, 0]), &l),
        Plausible::No,
        "reply_stat 2"
    );
    assert_eq!(
        plausible_start(&reply([1, 2, 0]), &l),
        Plausible::No,
        "reject_stat 2"
    );
    assert_eq!(
        plausible_start(&reply([1, 1, 19]), &l),
        Plausible::No,
        "auth_stat 19"
    );
    assert_eq!(plausible_start(&reply([1, 1, 1]), &l), Plausible::Reply);
    assert_eq!(plausible_start(&reply([1, 0, 3]), &l), Plausible::NeedMore);
    let mut w = REPLY_SUCCESS.to_vec();
    w[23] = 6;
    assert_eq!(plausible_start(&w, &l), Plausible::No, "accept_stat 6");
    w[23] = 2;
    w.truncate(24);
    w.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 2]);
    assert_eq!(
        plausible_start(&w, &l),
        Plausible::No,
        "prog_mismatch low > high"
    );
}
