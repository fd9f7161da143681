//! Tests for whole messages: every message type, accept and reject state and
//! auth flavor parses and re-emits the same bytes; each error path has a
//! broken input; every truncation is an error, never a panic.

use super::*;
use crate::rpc::auth::{Auth, AuthSys, OpaqueAuth};
use crate::rpc::error::RpcErrorKind;
use crate::rpc::ids::*;
use crate::rpc::reply::{AcceptBody, RejectBody};

fn limits() -> Limits {
    Limits::default()
}

/// A NFSv3 GETATTR call with AUTH_SYS, as a client sends it.
#[rustfmt::skip]
pub(crate) const CALL_AUTH_SYS: &[u8] = &[
    0x12, 0x34, 0x56, 0x78,     // xid
    0, 0, 0, 0,                 // msg_type CALL
    0, 0, 0, 2,                 // rpcvers 2
    0, 0x01, 0x86, 0xa3,        // prog 100003 (NFS)
    0, 0, 0, 3,                 // vers 3
    0, 0, 0, 1,                 // proc 1 (GETATTR)
    0, 0, 0, 1,                 // cred.flavor AUTH_SYS
    0, 0, 0, 24,                // cred.length 24
    0, 0, 0, 0,                 //   stamp
    0, 0, 0, 4,                 //   machinename length 4
    b'h', b'o', b's', b't',     //   "host"
    0, 0, 0, 0,                 //   uid 0
    0, 0, 0, 0,                 //   gid 0
    0, 0, 0, 0,                 //   gids: 0
    0, 0, 0, 0,                 // verf.flavor AUTH_NONE
    0, 0, 0, 0,                 // verf.length 0
    0, 0, 0, 8,                 // args: fhandle length 8
    1, 2, 3, 4, 5, 6, 7, 8,     //   fhandle
];

/// The SUCCESS reply to it (results truncated to the status).
#[rustfmt::skip]
pub(crate) const REPLY_SUCCESS: &[u8] = &[
    0x12, 0x34, 0x56, 0x78,     // xid
    0, 0, 0, 1,                 // msg_type REPLY
    0, 0, 0, 0,                 // reply_stat MSG_ACCEPTED
    0, 0, 0, 0,                 // verf.flavor AUTH_NONE
    0, 0, 0, 0,                 // verf.length 0
    0, 0, 0, 0,                 // accept_stat SUCCESS
    0, 0, 0, 0,                 // results: nfsstat3 NFS3_OK
];

fn round_trip(wire: &[u8]) -> Message<'_> {
    let m = Message::parse(wire, &limits()).unwrap();
    let mut out = Vec::new();
    m.emit(&mut out);
    assert_eq!(out, wire, "{m:?}");
    assert_eq!(m.encoded_len(), wire.len());
    assert_eq!(m.header_len() + m.payload.len(), wire.len());
    m
}

#[test]
fn call_with_auth_sys_round_trips() {
    let m = round_trip(CALL_AUTH_SYS);
    assert_eq!(m.xid, Xid(0x1234_5678));
    assert_eq!(m.msg_type(), MsgType::CALL);
    assert_eq!(m.header_len(), 64);
    assert_eq!(m.payload, &CALL_AUTH_SYS[64..]);
    let MessageBody::Call(call) = m.body else {
        panic!()
    };
    assert_eq!(call.rpcvers, 2);
    assert_eq!(
        (call.program, call.version, call.procedure),
        (Program::NFS, Version(3), Procedure(1))
    );
    assert_eq!(call.verf, OpaqueAuth::NONE);
    assert_eq!(
        call.cred.decode_cred().unwrap(),
        Auth::Sys(AuthSys::new(0, b"host", 0, 0, &[]))
    );
}

#[test]
fn reply_success_round_trips() {
    let m = round_trip(REPLY_SUCCESS);
    assert_eq!(m.msg_type(), MsgType::REPLY);
    assert_eq!(
        m.body,
        MessageBody::Reply(ReplyHeader::Accepted {
            verf: OpaqueAuth::NONE,
            body: AcceptBody::Success
        })
    );
    assert_eq!(m.payload, [0, 0, 0, 0]);
}

/// Build a message, emit it, parse it back: the same value.
fn built_round_trip(m: Message<'_>) {
    let mut out = Vec::new();
    m.emit(&mut out);
    assert_eq!(out.len(), m.encoded_len());
    assert_eq!(Message::parse(&out, &limits()).unwrap(), m);
}

#[test]
fn every_accept_state_round_trips() {
    let bodies = [
        AcceptBody::Success,
        AcceptBody::ProgUnavail,
        AcceptBody::ProgMismatch { low: 2, high: 4 },
        AcceptBody::ProcUnavail,
        AcceptBody::GarbageArgs,
        AcceptBody::SystemErr,
    ];
    for (i, body) in bodies.into_iter().enumerate() {
        assert_eq!(body.stat(), AcceptStat(i as u32));
        let verf = OpaqueAuth {
            flavor: AuthFlavor::RPCSEC_GSS,
            body: &[1, 2, 3, 4, 5],
        };
        let reply = ReplyHeader::Accepted { verf, body };
        assert_eq!(reply.stat(), ReplyStat::MSG_ACCEPTED);
        built_round_trip(Message {
            xid: Xid(i as u32),
            body: MessageBody::Reply(reply),
            payload: &[],
        });
    }
    #[rustfmt::skip]
    let prog_mismatch = [
        0, 0, 0, 9,     // xid
        0, 0, 0, 1,     // REPLY
        0, 0, 0, 0,     // MSG_ACCEPTED
        0, 0, 0, 0,     // verf.flavor AUTH_NONE
        0, 0, 0, 0,     // verf.length 0
        0, 0, 0, 2,     // accept_stat PROG_MISMATCH
        0, 0, 0, 2,     // low 2
        0, 0, 0, 3,     // high 3
    ];
    let m = round_trip(&prog_mismatch);
    let expect = ReplyHeader::Accepted {
        verf: OpaqueAuth::NONE,
        body: AcceptBody::ProgMismatch { low: 2, high: 3 },
    };
    assert_eq!(m.body, MessageBody::Reply(expect));
    assert!(m.payload.is_empty());
}

#[test]
fn every_reject_state_round_trips() {
    #[rustfmt::skip]
    let rpc_mismatch = [
        0, 0, 0, 9,     // xid
        0, 0, 0, 1,     // REPLY
        0, 0, 0, 1,     // MSG_DENIED
        0, 0, 0, 0,     // reject_stat RPC_MISMATCH
        0, 0, 0, 2,     // low 2
        0, 0, 0, 2,     // high 2
    ];
    let m = round_trip(&rpc_mismatch);
    assert_eq!(
        m.body,
        MessageBody::Reply(ReplyHeader::Denied(RejectBody::RpcMismatch {
            low: 2,
            high: 2
        }))
    );
    assert_eq!(
        RejectBody::RpcMismatch { low: 2, high: 2 }.stat(),
        RejectStat::RPC_MISMATCH
    );
    #[rustfmt::skip]
    let auth_error = [
        0, 0, 0, 9,     // xid
        0, 0, 0, 1,     // REPLY
        0, 0, 0, 1,     // MSG_DENIED
        0, 0, 0, 1,     // reject_stat AUTH_ERROR
        0, 0, 0, 5,     // auth_stat AUTH_TOOWEAK
    ];
    let m = round_trip(&auth_error);
    assert_eq!(
        m.body,
        MessageBody::Reply(ReplyHeader::Denied(RejectBody::AuthError(
            AuthStat::TOOWEAK
        )))
    );
    for stat in 0..=19 {
        let reply = ReplyHeader::Denied(RejectBody::AuthError(AuthStat(stat)));
        assert_eq!(reply.stat(), ReplyStat::MSG_DENIED);
        built_round_trip(Message {
            xid: Xid(stat),
            body: MessageBody::Reply(reply),
            payload: &[],
        });
    }
}

#[test]
fn every_auth_flavor_in_a_call_round_trips() {
    let gss = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0];
    let dh = [0, 0, 0, 1, 0, 0, 0, 7];
    let creds = [
        OpaqueAuth::NONE,
        OpaqueAuth {
            flavor: AuthFlavor::SYS,
            body: &CALL_AUTH_SYS[32..56],
        },
        OpaqueAuth {
            flavor: AuthFlavor::SHORT,
            body: &[1, 2, 3, 4],
        },
        OpaqueAuth {
            flavor: AuthFlavor::DH,
            body: &dh,
        },
        OpaqueAuth {
            flavor: AuthFlavor::RPCSEC_GSS,
            body: &gss,
        },
        OpaqueAuth {
            flavor: AuthFlavor::TLS,
            body: &[],
        },
        OpaqueAuth {
            flavor: AuthFlavor(77),
            body: &[1],
        },
    ];
    for cred in creds {
        let call = CallHeader {
            rpcvers: 2,
            program: Program::NFS,
            version: Version(4),
            procedure: Procedure(1),
            cred,
            verf: OpaqueAuth {
                flavor: cred.flavor,
                body: &[9, 9, 9],
            },
        };
        built_round_trip(Message {
            xid: Xid(1),
            body: MessageBody::Call(call),
            payload: &[0xaa; 6],
        });
        let mut buf = Vec::new();
        let auth = cred.decode_cred().unwrap();
        assert_eq!(auth.to_opaque(&mut buf, &limits()).unwrap(), cred);
    }
}

#[test]
fn trailing_bytes_after_a_failure_reply_are_kept_in_payload() {
    let mut wire = REPLY_SUCCESS.to_vec();
    wire[23] = 3; // accept_stat PROC_UNAVAIL, then 4 stray bytes
    let m = round_trip(&wire);
    assert_eq!(m.payload.len(), 4);
}

fn parse_err(wire: &[u8]) -> RpcError {
    Message::parse(wire, &limits()).unwrap_err()
}

#[test]
fn unknown_discriminants_are_invalid() {
    let mut wire = REPLY_SUCCESS.to_vec();
    wire[7] = 2; // msg_type 2
    assert_eq!(parse_err(&wire), RpcError::invalid("msg_type", 4, 2u32));
    let mut wire = REPLY_SUCCESS.to_vec();
    wire[11] = 2; // reply_stat 2
    assert_eq!(parse_err(&wire), RpcError::invalid("reply_stat", 8, 2u32));
    let mut wire = REPLY_SUCCESS.to_vec();
    wire[23] = 6; // accept_stat 6
    assert_eq!(parse_err(&wire), RpcError::invalid("accept_stat", 20, 6u32));
    // MSG_DENIED with reject_stat 2
    let wire = [0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2];
    assert_eq!(parse_err(&wire), RpcError::invalid("reject_stat", 12, 2u32));
}

#[test]
fn huge_cred_length_is_too_large() {
    let mut wire = CALL_AUTH_SYS.to_vec();
    wire[28..32].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    let e = parse_err(&wire);
    assert_eq!(e, RpcError::too_large("cred.length", 28, 0xffff_fff0, 400));
    let mut wire = CALL_AUTH_SYS.to_vec();
    wire[60..64].copy_from_slice(&401u32.to_be_bytes());
    assert_eq!(
        parse_err(&wire).kind,
        RpcErrorKind::TooLarge {
            value: 401,
            max: 400
        }
    );
    assert_eq!(parse_err(&wire).field, "verf.length");
}

#[test]
fn truncated_at_every_offset_is_an_error_not_a_panic() {
    for wire in [CALL_AUTH_SYS, REPLY_SUCCESS] {
        let header_len = Message::parse(wire, &limits()).unwrap().header_len();
        for cut in 0..wire.len() {
            match Message::parse(&wire[..cut], &limits()) {
                Ok(m) => assert!(cut >= header_len && m.payload.len() == cut - header_len),
                Err(e) => {
                    assert!(cut < header_len, "cut {cut}: {e}");
                    assert!(e.is_truncated(), "cut {cut}: {e}");
                }
            }
        }
    }
    assert_eq!(
        parse_err(&CALL_AUTH_SYS[..30]).to_string(),
        "truncated at byte 28 reading cred.length: need 2 more bytes"
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic scan of mutated messages.
    let mut seed = 0x9e37_79b9u32;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let mut wire = CALL_AUTH_SYS.to_vec();
        let at = seed as usize % wire.len();
        wire[at] = (seed >> 8) as u8;
        let cut = (seed >> 16) as usize % (wire.len() + 1);
        if let Ok(m) = Message::parse(&wire[..cut], &limits()) {
            // Not byte-equal: non-zero padding is accepted and emitted as zeros.
            let mut out = Vec::new();
            m.emit(&mut out);
            assert_eq!(out.len(), cut);
            assert_eq!(Message::parse(&out, &limits()).unwrap(), m);
        }
        let _ = Message::parse_prefix(&wire[..cut], &limits());
    }
}
