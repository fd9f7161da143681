//! [`server_service`]: operation sequences into the reference server's
//! sans-IO [`Service`] and, for the TCP path, its [`RecordAssembler`].
//!
//! Input layout (read with [`Input`], so that [`super::seeds`] can build
//! named seeds; the credential of a generated call is decoded with
//! `Arbitrary`): one flags byte (bit 0: the service is the portmapper), then
//! up to [`MAX_OPS`] operations, each a kind byte:
//!
//! * `0`/`1`: a well-formed call over UDP / TCP (`read_generated`): xid,
//!   rpcvers, program (portmapper 100000, `rpcscope_test` 0x20000099 or any
//!   number), version, procedure, credential (AUTH_NONE and AUTH_SYS through
//!   the client's `client::wire::build_call`; any [`Auth`] decoded with
//!   `Arbitrary`, or any rpcvers, through `Message::emit`, the same codec),
//!   arguments from an XDR script, the peer (loopback or not, v4 or v6) and,
//!   for TCP, the record fragment size and the push size;
//! * `2`: raw bytes handled as one message (a UDP datagram);
//! * `3`: raw bytes pushed into the connection's assembler.
//!
//! Properties, for every message the service handles: no panic; a `Reply`
//! disposition writes a message that `Message::parse` reads as a REPLY with
//! the call's xid, any other disposition writes nothing; a UDP call from a
//! non-loopback peer is answered with at most as many bytes as it has, or
//! `Refused`, and only such a call is ever `Refused`; a SLEEP delay is at
//! most `server_max_sleep_ms`; a message that parses as a call is never
//! `Garbage`; the obvious states are right (rpcvers other than 2: denied
//! RPC_MISMATCH 2-2; a REPLY sent to us: no reply; with an acceptable
//! credential: unknown program PROG_UNAVAIL, known program and other version
//! PROG_MISMATCH with the served range, unknown procedure PROC_UNAVAIL).
//! After every operation the portmap table and the test store are within
//! `server_max_registrations` and `server_store_entries`. A generated call
//! pushed over TCP into an assembler between records, and within the
//! record bounds, comes out as exactly one record equal to the call.
//! Small [`Limits`] make every bound reachable.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use arbitrary::{Arbitrary, Unstructured};

use super::Input;
use crate::client::wire::{build_call, Cred};
use crate::limits::Limits;
use crate::rpc::record::RecordAssembler;
use crate::rpc::{
    AcceptBody, Auth, AuthFlavor, CallHeader, Message, MessageBody, OpaqueAuth, Procedure, Program,
    RejectBody, ReplyHeader, Version, Xid,
};
use crate::server::portmap::PORTMAP;
use crate::server::testprog;
use crate::server::{is_loopback, CallCtx, Disposition, Service, Transport};

/// Operations per input, at most.
pub const MAX_OPS: usize = 48;

/// Small server bounds so that a few kilobytes of input reach every one.
pub fn server_limits() -> Limits {
    Limits {
        server_max_record: 4096,
        server_max_fragments: 8,
        server_max_sleep_ms: 50,
        server_max_echo: 256,
        server_max_upload: 2048,
        server_store_entries: 4,
        server_store_key: 16,
        server_store_value: 64,
        server_max_registrations: 6,
        server_max_rpcb_string: 32,
        ..super::small_limits()
    }
}

/// Procedures in each served (program, version): a procedure at or past
/// this is PROC_UNAVAIL.
fn procedures(program: u32, version: u32) -> u32 {
    match (program, version) {
        (PORTMAP, 2) => 6,
        (PORTMAP, 3) => 9,
        (PORTMAP, 4) => 13,
        _ => 9, // rpcscope_test v1
    }
}

/// A call read from the input, encoded.
struct Generated {
    bytes: Vec<u8>,
    ctx: CallCtx,
    /// TCP only: record fragment size and push size.
    tcp: Option<(usize, usize)>,
}

/// Read one generated call (layout in the module docs); `None` when its
/// credential cannot be encoded at all.
fn read_generated(inp: &mut Input<'_>, tcp: bool, limits: &Limits) -> Option<Generated> {
    let peer = inp.u8();
    let xid = inp.u32();
    let rpcvers = match inp.u8() {
        0 => 2,
        v => u32::from(v),
    };
    let program = match inp.u8() % 3 {
        0 => PORTMAP,
        1 => testprog::PROGRAM,
        _ => inp.u32(),
    };
    let version = match inp.u8() {
        255 => inp.u32(),
        v => u32::from(v),
    };
    let procedure = match inp.u8() {
        255 => inp.u32(),
        v => u32::from(v),
    };
    enum C<'a> {
        Client(Cred),
        Any(Auth<'a>),
    }
    let cred = match inp.u8() % 3 {
        0 => C::Client(Cred::None),
        1 => {
            let (uid, gid) = (inp.u32(), inp.u32());
            let n = usize::from(inp.u8());
            let machine = String::from_utf8_lossy(inp.bytes(n)).into_owned();
            C::Client(Cred::Sys { uid, gid, machine })
        }
        _ => {
            let n = usize::from(inp.u16());
            let mut u = Unstructured::new(inp.bytes(n));
            C::Any(Auth::arbitrary(&mut u).unwrap_or(Auth::None))
        }
    };
    let args = xdr_script(inp);
    let v6 = peer & 2 != 0;
    let ip = match (peer & 1 != 0, v6) {
        (true, false) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        (true, true) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        (false, false) => IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
        (false, true) => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7)),
    };
    let local_ip = if v6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    let tcp = tcp.then(|| {
        let frag = usize::from(inp.u16()).max(1);
        let push = usize::from(inp.u8()).max(1);
        (frag, push)
    });
    let ctx = CallCtx {
        transport: if tcp.is_some() {
            Transport::Tcp
        } else {
            Transport::Udp
        },
        peer: SocketAddr::new(ip, 700 + u16::from(peer >> 2)),
        local: SocketAddr::new(local_ip, 111),
        now_unix: 1_700_000_000,
    };
    let mut bytes = Vec::new();
    match cred {
        C::Client(c) if rpcvers == 2 => {
            build_call(
                xid, program, version, procedure, &c, &args, limits, &mut bytes,
            )
            .ok()?;
        }
        c => {
            // Any credential (even over the receiver's bounds) and any
            // rpcvers: the same codec the client uses, without its checks.
            let lax = Limits {
                max_auth_sys_gids: u32::MAX,
                max_auth_bytes: u32::MAX,
                ..limits.clone()
            };
            let auth =
                match &c {
                    C::Client(Cred::None) => Auth::None,
                    C::Client(Cred::Sys { uid, gid, machine }) => Auth::Sys(
                        crate::rpc::AuthSys::new(0, machine.as_bytes(), *uid, *gid, &[]),
                    ),
                    C::Any(a) => a.clone(),
                };
            let mut body = Vec::new();
            auth.emit_body(&mut body, &lax).ok()?;
            Message {
                xid: Xid(xid),
                body: MessageBody::Call(CallHeader {
                    rpcvers,
                    program: Program(program),
                    version: Version(version),
                    procedure: Procedure(procedure),
                    cred: OpaqueAuth {
                        flavor: auth.flavor(),
                        body: &body,
                    },
                    verf: OpaqueAuth::NONE,
                }),
                payload: &args,
            }
            .emit(&mut bytes);
        }
    }
    Some(Generated { bytes, ctx, tcp })
}

/// Procedure arguments from a script: a count, then per field a tag: `0` a
/// `u32`, `1` a small `u32` from one byte, `2` a string/opaque (u16 length,
/// bytes, padded), `3` raw bytes (u16 length, unpadded).
fn xdr_script(inp: &mut Input<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..inp.u8() {
        match inp.u8() % 4 {
            0 => out.extend_from_slice(&inp.u32().to_be_bytes()),
            1 => out.extend_from_slice(&u32::from(inp.u8()).to_be_bytes()),
            2 => {
                let n = usize::from(inp.u16());
                let b = inp.bytes(n);
                out.extend_from_slice(&(b.len() as u32).to_be_bytes());
                out.extend_from_slice(b);
                out.resize(out.len() + (4 - b.len() % 4) % 4, 0);
            }
            _ => {
                let n = usize::from(inp.u16());
                out.extend_from_slice(inp.bytes(n));
            }
        }
    }
    out
}

/// What the service answered one message: `None` for no reply, else the
/// accept state (`Ok`) or the rejection (`Err`).
pub type Answer = Option<Result<AcceptBody, RejectBody>>;

/// The fuzz target: see the module docs.
pub fn server_service(data: &[u8]) {
    run(data);
}

/// Run the operations of `data`, checking every property; the service's
/// final state and every answer, in order (for tests of the seeds).
pub fn run(data: &[u8]) -> (Service, Vec<Answer>) {
    let mut answers = Vec::new();
    let limits = server_limits();
    let mut inp = Input::new(data);
    let portmapper = inp.u8() & 1 == 1;
    let mut service = Service::new(&limits, portmapper);
    let mut asm = RecordAssembler::new(&limits);
    let mut out = Vec::new();
    let tcp_ctx = CallCtx {
        transport: Transport::Tcp,
        peer: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 900),
        local: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 111),
        now_unix: 1_700_000_000,
    };
    for _ in 0..MAX_OPS {
        if inp.is_empty() {
            break;
        }
        match inp.u8() % 4 {
            kind @ (0 | 1) => {
                let Some(g) = read_generated(&mut inp, kind == 1, &limits) else {
                    continue;
                };
                match g.tcp {
                    None => answers.push(serve(&mut service, &g.bytes, &g.ctx, &limits, &mut out)),
                    Some((frag, push)) => {
                        let fresh = !asm.in_record();
                        let mut rec = Vec::new();
                        crate::rpc::encode_record(&g.bytes, frag, &mut rec);
                        let fits = g.bytes.len() <= limits.server_max_record as usize
                            && g.bytes.len().div_ceil(frag).max(1)
                                <= limits.server_max_fragments as usize;
                        let mut got = Vec::new();
                        let mut failed = false;
                        for chunk in rec.chunks(push) {
                            let r = asm.push(chunk, |m| {
                                got.push(m.to_vec());
                                true
                            });
                            if r.is_err() {
                                failed = true;
                                break;
                            }
                        }
                        if fresh && fits {
                            assert!(!failed, "a call within the bounds is refused");
                            assert!(got.len() == 1 && got[0] == g.bytes, "record != call");
                        }
                        if failed {
                            // The loop would close the connection.
                            asm = RecordAssembler::new(&limits);
                        }
                        for m in got {
                            answers.push(serve(&mut service, &m, &g.ctx, &limits, &mut out));
                        }
                    }
                }
            }
            2 => {
                let n = usize::from(inp.u16());
                let msg = inp.bytes(n);
                let ctx = CallCtx {
                    transport: Transport::Udp,
                    ..tcp_ctx
                };
                answers.push(serve(&mut service, msg, &ctx, &limits, &mut out));
            }
            _ => {
                let n = usize::from(inp.u16());
                let bytes = inp.bytes(n);
                let mut got = Vec::new();
                let r = asm.push(bytes, |m| {
                    got.push(m.to_vec());
                    true
                });
                if r.is_err() {
                    asm = RecordAssembler::new(&limits);
                }
                for m in got {
                    assert!(m.len() <= limits.server_max_record as usize);
                    answers.push(serve(&mut service, &m, &tcp_ctx, &limits, &mut out));
                }
            }
        }
        let regs = service.portmap().map_or(0, |p| p.registrations().len());
        assert!(
            regs <= limits.server_max_registrations,
            "{regs} registrations"
        );
        let store = service.test_program().store_len();
        assert!(
            store <= limits.server_store_entries,
            "{store} store entries"
        );
    }
    (service, answers)
}

/// Handle one message and check the reply (see the module docs).
fn serve(
    service: &mut Service,
    msg: &[u8],
    ctx: &CallCtx,
    limits: &Limits,
    out: &mut Vec<u8>,
) -> Answer {
    let d = service.handle(msg, ctx, out);
    let word = |i: usize| {
        msg.get(4 * i..4 * i + 4)
            .map(|w| u32::from_be_bytes(w.try_into().unwrap()))
    };
    let remote_udp = ctx.transport == Transport::Udp && !is_loopback(ctx.peer.ip());
    let status = match &d {
        Disposition::Refused(_) => {
            assert!(remote_udp, "{d:?} for a loopback or TCP caller");
            assert!(out.is_empty(), "{d:?} with {} bytes written", out.len());
            return None;
        }
        Disposition::Reply { delay_ms } => {
            assert!(*delay_ms <= limits.server_max_sleep_ms);
            assert!(
                !remote_udp || out.len() <= msg.len(),
                "a {}-byte reply to a {}-byte UDP call from {}",
                out.len(),
                msg.len(),
                ctx.peer
            );
            let m = Message::parse(out, limits).expect("the reply parses");
            assert_eq!(Some(m.xid.0), word(0), "reply xid");
            match m.body {
                MessageBody::Reply(ReplyHeader::Accepted { body, .. }) => Ok(body),
                MessageBody::Reply(ReplyHeader::Denied(body)) => Err(body),
                MessageBody::Call(_) => panic!("the service answered with a call"),
            }
        }
        _ => {
            assert!(out.is_empty(), "{d:?} with {} bytes written", out.len());
            if word(1) == Some(1) {
                assert_eq!(d, Disposition::NoReply, "a REPLY sent to the server");
            }
            if word(1) == Some(0) && word(2).is_some_and(|v| v != 2) {
                panic!("rpcvers {:?} not answered: {d:?}", word(2));
            }
            if let Ok(Message {
                body: MessageBody::Call(c),
                ..
            }) = Message::parse(msg, limits)
            {
                assert!(
                    !matches!(d, Disposition::Garbage(_)),
                    "a call that parses is garbage: {d:?}"
                );
                // Silence only for the portmapper's indirect calls.
                assert_eq!(c.program.0, PORTMAP, "{d:?} for {c:?}");
            }
            return None;
        }
    };
    if word(1) == Some(0) && word(2).is_some_and(|v| v != 2) {
        let rm = RejectBody::RpcMismatch { low: 2, high: 2 };
        assert_eq!(status, Err(rm));
        return Some(status);
    }
    let Ok(Message {
        body: MessageBody::Call(c),
        ..
    }) = Message::parse(msg, limits)
    else {
        return Some(status);
    };
    let cred_ok = match c.cred.flavor {
        AuthFlavor::NONE => c.cred.body.is_empty(),
        AuthFlavor::SYS => matches!(c.cred.decode_cred(), Ok(Auth::Sys(_))),
        _ => false,
    };
    if !cred_ok || c.verf != OpaqueAuth::NONE {
        assert!(
            matches!(status, Err(RejectBody::AuthError(_))),
            "{:?}: {status:?}",
            c.cred
        );
        return Some(status);
    }
    let (p, v, n) = (c.program.0, c.version.0, c.procedure.0);
    let Some(s) = service.served().into_iter().find(|s| s.program == p) else {
        assert_eq!(status, Ok(AcceptBody::ProgUnavail));
        return Some(status);
    };
    if v < s.low || v > s.high {
        let want = AcceptBody::ProgMismatch {
            low: s.low,
            high: s.high,
        };
        assert_eq!(status, Ok(want));
    } else if n >= procedures(p, v) {
        assert_eq!(status, Ok(AcceptBody::ProcUnavail));
    } else if !(p == PORTMAP && (n == 5 || n == 10)) {
        // (Indirect calls answer with their target's state.)
        assert!(
            !matches!(
                status,
                Ok(AcceptBody::ProgUnavail
                    | AcceptBody::ProgMismatch { .. }
                    | AcceptBody::ProcUnavail)
            ),
            "{p}/{v}/{n}: {status:?}"
        );
    }
    Some(status)
}
