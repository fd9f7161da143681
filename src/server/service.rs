//! The sans-IO service: one call message in, one reply message out.
//!
//! [`Service::handle`] takes the bytes of one call (a UDP datagram, or a TCP
//! record with its marks removed) and a [`CallCtx`] saying where it came
//! from and what time it is, writes the reply message into `out`, and
//! returns a [`Disposition`]: send it now, send it after a delay (SLEEP),
//! send nothing, or the input is not an RPC call at all. It never opens a
//! socket, reads a clock, sleeps or prints; the loops in [`super::net`] do.
//!
//! The order of checks follows RFC 5531 and the Linux kernel's
//! `svc_process`: the header must decode up to the procedure number (else
//! the input is garbage and gets no reply); `rpcvers` other than 2 gets
//! RPC_MISMATCH (2..2); then the credential and verifier are checked
//! (AUTH_ERROR); then the program (PROG_UNAVAIL), version (PROG_MISMATCH with
//! the supported range) and procedure (PROC_UNAVAIL: the procedure is not
//! in the program's `.x` definition or its table); then the procedure
//! decodes its arguments (GARBAGE_ARGS when they do not decode or are out of
//! range) and runs (SUCCESS, SYSTEM_ERR, or AUTH_ERROR/TOOWEAK when it needs
//! AUTH_SYS). Arguments are decoded and results encoded through the
//! built-in `.x` definitions ([`super::codec`]): procedures handle values,
//! never bytes.
//!
//! Credentials: AUTH_NONE (empty body) and AUTH_SYS are accepted. A
//! malformed body, or a body over `max_auth_bytes`, is AUTH_BADCRED; AUTH_SHORT
//! is AUTH_REJECTEDCRED (we never issue short handles, so the client must
//! start over with its full credential, as libtirpc answers); every other
//! flavor is AUTH_BADCRED (as Linux's sunrpc answers an unknown flavor). A
//! verifier other than an empty AUTH_NONE is AUTH_BADVERF.
//!
//! Contract: never panics on any input; memory per call is bounded by the
//! input and the reply limits in [`Limits`]; the stateful parts (portmap
//! registrations, the test store) are bounded by their own limits.

use std::net::SocketAddr;
use std::sync::Arc;

use super::codec::{make, Bug, Codecs, Garbage, ProcCodec};
use super::portmap::{Portmap, PORTMAP};
use super::testprog::{self, TestProgram};
use crate::limits::Limits;
use crate::programs::value::Value;
use crate::rpc::xdr::XdrReader;
use crate::rpc::{
    AcceptBody, AuthFlavor, AuthRole, AuthStat, CallHeader, Message, MessageBody, OpaqueAuth,
    RejectBody, ReplyHeader, RpcError, RpcErrorKind, Xid,
};

/// The transport a call arrived on (the one transport type of the crate).
pub use crate::net::Transport;

/// Where a call came from, and the time, as told by the I/O loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallCtx {
    /// TCP or UDP.
    pub transport: Transport,
    /// The caller's address.
    pub peer: SocketAddr,
    /// Our address as the caller reached it (for UDP on a wildcard socket,
    /// the wildcard).
    pub local: SocketAddr,
    /// Seconds since the Unix epoch (for rpcbind GETTIME).
    pub now_unix: u64,
}

impl CallCtx {
    /// The netid of this transport and address family: `tcp`, `udp`,
    /// `tcp6` or `udp6`.
    pub fn netid(&self) -> &'static str {
        let v6 = match self.local {
            SocketAddr::V4(_) => false,
            SocketAddr::V6(a) => a.ip().to_ipv4_mapped().is_none(),
        };
        match (self.transport, v6) {
            (Transport::Tcp, false) => "tcp",
            (Transport::Udp, false) => "udp",
            (Transport::Tcp, true) => "tcp6",
            (Transport::Udp, true) => "udp6",
        }
    }
}

/// What the I/O loop does after [`Service::handle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Send `out` after `delay_ms` milliseconds (0 for most calls).
    Reply {
        /// Milliseconds to wait before sending (the test program's SLEEP).
        delay_ms: u32,
    },
    /// Send nothing: a REPLY message sent to us, or an indirect call
    /// (CALLIT/BCAST) whose target failed, which RFC 1833 answers with
    /// silence.
    NoReply,
    /// Not an RPC call we can answer: the header does not decode far enough
    /// to know what was asked. UDP drops the datagram; TCP closes the
    /// connection, since the peer is not speaking RPC.
    Garbage(RpcError),
    /// A UDP call from a non-loopback caller whose answer could be used for
    /// reflection or amplification (see [`Refusal`]): send nothing. Only
    /// when the service does not [`allow_remote_udp`](Service::set_allow_remote_udp).
    Refused(Refusal),
}

/// Why a UDP call from a non-loopback caller was not answered. A UDP
/// source address can be forged, so a reply may land on a victim who never
/// asked; the server only sends remote UDP callers replies that are no
/// larger than their call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A portmapper procedure answered only to loopback callers over UDP:
    /// DUMP (its reply grows with the registration table), and the indirect
    /// calls CALLIT, BCAST and INDIRECT (rpcbind refuses remote indirect
    /// calls by default, too). Refused before it runs.
    Procedure {
        /// Portmapper version (2, 3 or 4).
        version: u32,
        /// Procedure number.
        procedure: u32,
    },
    /// Any other reply that came out larger than its call.
    Larger {
        /// Bytes of the call message.
        call: usize,
        /// Bytes of the reply that was not sent.
        reply: usize,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Procedure { version, procedure } => write!(
                f,
                "portmapper v{version} procedure {procedure} is answered over UDP to loopback callers only"
            ),
            Refusal::Larger { call, reply } => write!(
                f,
                "a {reply}-byte reply to a {call}-byte UDP call from a remote caller"
            ),
        }
    }
}

/// True for loopback addresses, also IPv4 loopback mapped into IPv6.
pub fn is_loopback(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(a) => a.is_loopback(),
        std::net::IpAddr::V6(a) => {
            a.is_loopback() || a.to_ipv4_mapped().is_some_and(|m| m.is_loopback())
        }
    }
}

/// Who is calling, from the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// AUTH_NONE.
    Anonymous,
    /// AUTH_SYS with this uid and gid.
    Sys {
        /// Effective uid.
        uid: u32,
        /// Effective gid.
        gid: u32,
    },
}

/// A call, as a procedure sees it.
#[derive(Debug, Clone)]
pub(super) struct Request<'a> {
    /// The procedure arguments, undecoded: [`Request::args`] decodes them.
    args: &'a [u8],
    /// The procedure's argument and result types.
    codec: ProcCodec<'a>,
    pub caller: Caller,
    pub ctx: CallCtx,
    pub version: u32,
}

impl Request<'_> {
    /// The arguments, decoded through the procedure's `.x` argument type.
    pub fn args(&self) -> Result<Value, Garbage> {
        self.codec.decode_args(self.args)
    }

    /// `result` encoded through the procedure's `.x` result type, for a
    /// procedure that keeps its encoded results ([`Outcome::Encoded`]).
    pub fn encode_result(&self, result: &Value) -> Result<Vec<u8>, Bug> {
        let mut out = Vec::new();
        self.codec
            .encode_result(result, &mut out)
            .map_err(|_| Bug)?;
        Ok(out)
    }
}

/// Why a procedure did not run: its arguments do not decode or are out of
/// the server's bounds (GARBAGE_ARGS), or a value had a shape its `.x`
/// type does not give it (a bug in the server: SYSTEM_ERR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    Garbage,
    Bug,
}

impl From<Garbage> for Fault {
    fn from(_: Garbage) -> Self {
        Fault::Garbage
    }
}

impl From<Bug> for Fault {
    fn from(_: Bug) -> Self {
        Fault::Bug
    }
}

/// What a procedure returns.
pub(super) type ProcResult = Result<Outcome, Fault>;

/// What a procedure did.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Outcome {
    /// Reply SUCCESS with `result` (encoded through the procedure's `.x`
    /// result type) after `delay_ms`.
    Success { result: Value, delay_ms: u32 },
    /// Reply SUCCESS at once with results already encoded through the
    /// procedure's result type ([`Request::encode_result`]).
    Encoded(Arc<[u8]>),
    /// Reply with this (non-SUCCESS) accept state and no results.
    Fail(AcceptBody),
    /// AUTH_ERROR with this status (TOOWEAK: the procedure needs AUTH_SYS).
    Denied(AuthStat),
    /// Run another procedure of this service and wrap its results
    /// (portmap CALLIT, rpcbind CALLIT/BCAST/INDIRECT).
    Indirect(Indirect),
}

impl Outcome {
    /// SUCCESS with `result`, at once.
    pub fn ok(result: Value) -> Self {
        Outcome::Success {
            result,
            delay_ms: 0,
        }
    }
}

/// An indirect call asked of the portmapper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Indirect {
    pub program: u32,
    pub version: u32,
    pub procedure: u32,
    pub args: Vec<u8>,
    pub style: IndirectStyle,
}

/// How an indirect call's reply is wrapped and how failures are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IndirectStyle {
    /// portmap v2 CALLIT: `call_result { port, res }`; silent on failure.
    Callit,
    /// rpcbind v3 CALLIT / v4 BCAST: `rpcb_rmtcallres { addr, results }`;
    /// silent on failure.
    Broadcast,
    /// rpcbind v4 INDIRECT: like BCAST, but a failure is answered with the
    /// target's own accept state.
    Indirect,
}

/// What a call came to; on `Success` its results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Success { delay_ms: u32 },
    Fail(AcceptBody),
    Denied(AuthStat),
    NoReply,
}

/// A program this service answers, with its version range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    /// Program number.
    pub program: u32,
    /// Lowest version.
    pub low: u32,
    /// Highest version.
    pub high: u32,
}

/// The reference server's state and call handling.
#[derive(Debug)]
pub struct Service {
    limits: Limits,
    codecs: Codecs,
    portmap: Option<Portmap>,
    test: TestProgram,
    allow_remote_udp: bool,
}

impl Service {
    /// A service answering the test program, and the portmapper when
    /// `portmapper` is true (with `--register` the system's rpcbind is).
    pub fn new(limits: &Limits, portmapper: bool) -> Self {
        Service {
            limits: limits.clone(),
            codecs: Codecs::new(limits, &[PORTMAP, testprog::PROGRAM]),
            portmap: portmapper.then(|| Portmap::new(limits)),
            test: TestProgram::new(limits),
            allow_remote_udp: false,
        }
    }

    /// Answer every UDP call whatever its caller and reply size
    /// (`serve --allow-remote-udp`). Off by default: see [`Refusal`].
    pub fn set_allow_remote_udp(&mut self, allow: bool) {
        self.allow_remote_udp = allow;
    }

    /// True when a call in `ctx` falls under the remote UDP policy.
    fn restricted(&self, ctx: &CallCtx) -> bool {
        ctx.transport == Transport::Udp && !self.allow_remote_udp && !is_loopback(ctx.peer.ip())
    }

    /// The programs and versions answered here.
    pub fn served(&self) -> Vec<Served> {
        [PORTMAP, testprog::PROGRAM]
            .into_iter()
            .filter_map(|p| self.served_program(p))
            .collect()
    }

    /// The served program `program`, without building the list.
    fn served_program(&self, program: u32) -> Option<Served> {
        match program {
            PORTMAP if self.portmap.is_some() => Some(Served {
                program,
                low: 2,
                high: 4,
            }),
            testprog::PROGRAM => Some(Served {
                program,
                low: testprog::VERSION,
                high: testprog::VERSION,
            }),
            _ => None,
        }
    }

    /// The portmapper's table, when this service is the portmapper.
    pub fn portmap(&self) -> Option<&Portmap> {
        self.portmap.as_ref()
    }

    /// The portmapper's table, to register our own listeners.
    pub fn portmap_mut(&mut self) -> Option<&mut Portmap> {
        self.portmap.as_mut()
    }

    /// The test program's state.
    pub fn test_program(&self) -> &TestProgram {
        &self.test
    }

    /// Answer one call message. `out` is cleared and receives the reply
    /// message (no record mark) when the disposition is `Reply`.
    ///
    /// Over UDP from a non-loopback caller (unless
    /// [`set_allow_remote_udp`](Self::set_allow_remote_udp)), the reply is
    /// never larger than the call: see [`Refusal`].
    pub fn handle(&mut self, call: &[u8], ctx: &CallCtx, out: &mut Vec<u8>) -> Disposition {
        let d = self.answer(call, ctx, out);
        if matches!(d, Disposition::Reply { .. }) && self.restricted(ctx) && out.len() > call.len()
        {
            let refusal = Refusal::Larger {
                call: call.len(),
                reply: out.len(),
            };
            out.clear();
            return Disposition::Refused(refusal);
        }
        d
    }

    fn answer(&mut self, call: &[u8], ctx: &CallCtx, out: &mut Vec<u8>) -> Disposition {
        out.clear();
        let head = match read_head(call, &self.limits) {
            Ok(Head::Call(head)) if self.restricted(ctx) && head.program == PORTMAP => {
                if super::portmap::udp_loopback_only(head.version, head.procedure) {
                    return Disposition::Refused(Refusal::Procedure {
                        version: head.version,
                        procedure: head.procedure,
                    });
                }
                head
            }
            Ok(Head::Call(head)) => head,
            Ok(Head::Reply) => return Disposition::NoReply,
            Ok(Head::Deny { xid, body }) => {
                emit_reply(out, xid, ReplyHeader::Denied(body), &[]);
                return Disposition::Reply { delay_ms: 0 };
            }
            Err(e) => return Disposition::Garbage(e),
        };
        let caller = match check_auth(&head.cred, &head.verf) {
            Ok(c) => c,
            Err(stat) => {
                let body = RejectBody::AuthError(stat);
                emit_reply(out, head.xid, ReplyHeader::Denied(body), &[]);
                return Disposition::Reply { delay_ms: 0 };
            }
        };
        let header_at = out.len();
        emit_reply(out, head.xid, accepted(AcceptBody::Success), &[]);
        let target = Target {
            program: head.program,
            version: head.version,
            procedure: head.procedure,
        };
        match self.dispatch(target, head.args, caller, ctx, out, false) {
            Answer::Success { delay_ms } => Disposition::Reply { delay_ms },
            Answer::NoReply => {
                out.clear();
                Disposition::NoReply
            }
            Answer::Fail(body) => {
                out.truncate(header_at);
                emit_reply(out, head.xid, accepted(body), &[]);
                Disposition::Reply { delay_ms: 0 }
            }
            Answer::Denied(stat) => {
                out.truncate(header_at);
                let body = RejectBody::AuthError(stat);
                emit_reply(out, head.xid, ReplyHeader::Denied(body), &[]);
                Disposition::Reply { delay_ms: 0 }
            }
        }
    }

    /// Look up program, version and procedure, run it, and append its
    /// results, encoded through its `.x` result type, to `out`. On anything
    /// but success `out` may hold partial results; the caller truncates.
    /// `nested`: this is the target of an indirect call, which may not make
    /// another.
    fn dispatch(
        &mut self,
        target: Target,
        args: &[u8],
        caller: Caller,
        ctx: &CallCtx,
        out: &mut Vec<u8>,
        nested: bool,
    ) -> Answer {
        let Target {
            program,
            version,
            procedure,
        } = target;
        let Some(served) = self.served_program(program) else {
            return Answer::Fail(AcceptBody::ProgUnavail);
        };
        if version < served.low || version > served.high {
            return Answer::Fail(AcceptBody::ProgMismatch {
                low: served.low,
                high: served.high,
            });
        }
        let Some(codec) = self.codecs.procedure(program, version, procedure) else {
            return Answer::Fail(AcceptBody::ProcUnavail);
        };
        let req = Request {
            args,
            codec,
            caller,
            ctx: *ctx,
            version,
        };
        let outcome = match self.portmap.as_mut() {
            Some(pm) if program == PORTMAP => pm.dispatch(procedure, &req),
            _ => self.test.dispatch(procedure, &req),
        };
        let (result, delay_ms) = match outcome {
            Ok(Outcome::Success { result, delay_ms }) => (result, delay_ms),
            Ok(Outcome::Encoded(bytes)) => {
                out.extend_from_slice(&bytes);
                return Answer::Success { delay_ms: 0 };
            }
            Ok(Outcome::Indirect(ind)) if !nested => match self.indirect(ind, caller, ctx) {
                Ok(wrapped) => wrapped,
                Err(answer) => return answer,
            },
            // A target may not make an indirect call of its own.
            Ok(Outcome::Indirect(_)) => return Answer::NoReply,
            Ok(Outcome::Fail(body)) => return Answer::Fail(body),
            Ok(Outcome::Denied(stat)) => return Answer::Denied(stat),
            // Argument decoding errors (truncated, invalid, too large) are
            // GARBAGE_ARGS: the header was fine, the arguments are not.
            Err(Fault::Garbage) => return Answer::Fail(AcceptBody::GarbageArgs),
            Err(Fault::Bug) => return Answer::Fail(AcceptBody::SystemErr),
        };
        // Looked up again: an indirect call borrowed the service meanwhile.
        let Some(codec) = self.codecs.procedure(program, version, procedure) else {
            return Answer::Fail(AcceptBody::SystemErr);
        };
        match codec.encode_result(&result, out) {
            Ok(()) => Answer::Success { delay_ms },
            // A result that does not fit its type (a key longer than the
            // `.x` bound when the limits allow one): our fault.
            Err(_) => Answer::Fail(AcceptBody::SystemErr),
        }
    }

    /// Run an indirect call against this service: its results wrapped as
    /// the indirect procedure's result (`call_result` or
    /// `rpcb_rmtcallres`) and its delay, or how the call is answered
    /// instead.
    fn indirect(
        &mut self,
        ind: Indirect,
        caller: Caller,
        ctx: &CallCtx,
    ) -> Result<(Value, u32), Answer> {
        let silent = ind.style != IndirectStyle::Indirect;
        // rpcbind refuses to forward calls to itself (a loop, and a way to
        // SET/UNSET from afar); so do we.
        let inner = if ind.program == PORTMAP {
            Answer::Fail(AcceptBody::ProgUnavail)
        } else {
            let target = Target {
                program: ind.program,
                version: ind.version,
                procedure: ind.procedure,
            };
            let mut results = Vec::new();
            match self.dispatch(target, &ind.args, caller, ctx, &mut results, true) {
                Answer::Success { delay_ms } => {
                    let place = match ind.style {
                        IndirectStyle::Callit => make::uint(
                            self.portmap
                                .as_ref()
                                .and_then(|pm| pm.port_of(ind.program, ind.version, ctx))
                                .unwrap_or(0)
                                .into(),
                        ),
                        IndirectStyle::Broadcast | IndirectStyle::Indirect => make::string(
                            self.portmap
                                .as_ref()
                                .map(|pm| pm.addr_of(ind.program, ind.version, ctx, true))
                                .unwrap_or_default(),
                        ),
                    };
                    let wrapped = make::record(vec![place, make::opaque(results)]);
                    return Ok((wrapped, delay_ms));
                }
                other => other,
            }
        };
        Err(match inner {
            _ if silent => Answer::NoReply,
            Answer::Fail(body) => Answer::Fail(body),
            Answer::Denied(stat) => Answer::Denied(stat),
            _ => Answer::NoReply,
        })
    }
}

/// The procedure a call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    program: u32,
    version: u32,
    procedure: u32,
}

/// A call header, decoded.
struct CallHead<'a> {
    xid: Xid,
    program: u32,
    version: u32,
    procedure: u32,
    cred: OpaqueAuth<'a>,
    verf: OpaqueAuth<'a>,
    args: &'a [u8],
}

enum Head<'a> {
    Call(CallHead<'a>),
    /// A REPLY message: not for a server.
    Reply,
    /// Answer at once with this rejection (RPC_MISMATCH, or AUTH_ERROR for
    /// an oversized credential or verifier).
    Deny {
        xid: Xid,
        body: RejectBody,
    },
}

/// Read the call header field by field, so that each failure gets the
/// answer the RFC gives it rather than one "does not parse".
fn read_head<'a>(call: &'a [u8], limits: &Limits) -> Result<Head<'a>, RpcError> {
    let mut r = XdrReader::new(call);
    let xid = Xid(r.u32("xid")?);
    let at = r.offset();
    match r.u32("msg_type")? {
        0 => {}
        1 => return Ok(Head::Reply),
        v => return Err(RpcError::invalid("msg_type", at, v)),
    }
    let rpcvers = r.u32("rpcvers")?;
    if rpcvers != CallHeader::RPC_VERSION {
        let v = CallHeader::RPC_VERSION;
        let body = RejectBody::RpcMismatch { low: v, high: v };
        return Ok(Head::Deny { xid, body });
    }
    let program = r.u32("prog")?;
    let version = r.u32("vers")?;
    let procedure = r.u32("proc")?;
    let deny = |stat| {
        Ok(Head::Deny {
            xid,
            body: RejectBody::AuthError(stat),
        })
    };
    let cred = match OpaqueAuth::read(&mut r, limits, AuthRole::Cred) {
        Ok(c) => c,
        Err(e) if matches!(e.kind, RpcErrorKind::TooLarge { .. }) => {
            return deny(AuthStat::BADCRED)
        }
        Err(e) => return Err(e),
    };
    let verf = match OpaqueAuth::read(&mut r, limits, AuthRole::Verf) {
        Ok(v) => v,
        Err(e) if matches!(e.kind, RpcErrorKind::TooLarge { .. }) => {
            return deny(AuthStat::BADVERF)
        }
        Err(e) => return Err(e),
    };
    Ok(Head::Call(CallHead {
        xid,
        program,
        version,
        procedure,
        cred,
        verf,
        args: r.rest(),
    }))
}

/// Accept AUTH_NONE and AUTH_SYS; see the module docs for the rest.
fn check_auth(cred: &OpaqueAuth<'_>, verf: &OpaqueAuth<'_>) -> Result<Caller, AuthStat> {
    let caller = match cred.flavor {
        AuthFlavor::NONE if cred.body.is_empty() => Caller::Anonymous,
        AuthFlavor::SYS => match cred.decode_cred() {
            Ok(crate::rpc::Auth::Sys(sys)) => Caller::Sys {
                uid: sys.uid,
                gid: sys.gid,
            },
            _ => return Err(AuthStat::BADCRED),
        },
        AuthFlavor::SHORT => return Err(AuthStat::REJECTEDCRED),
        _ => return Err(AuthStat::BADCRED),
    };
    if verf.flavor != AuthFlavor::NONE || !verf.body.is_empty() {
        return Err(AuthStat::BADVERF);
    }
    Ok(caller)
}

fn accepted(body: AcceptBody) -> ReplyHeader<'static> {
    ReplyHeader::Accepted {
        verf: OpaqueAuth::NONE,
        body,
    }
}

/// Append a reply message: the shared codec writes every header.
fn emit_reply(out: &mut Vec<u8>, xid: Xid, header: ReplyHeader<'_>, payload: &[u8]) {
    Message {
        xid,
        body: MessageBody::Reply(header),
        payload,
    }
    .emit(out);
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "remote_udp_tests.rs"]
mod remote_udp_tests;
