//! Headers that are not whole: [`Message::parse_prefix`] for records and
//! datagrams cut short by a capture's snap length (a 96-byte snapshot keeps
//! about 26 bytes of RPC), and [`plausible_start`], the cheap test used to
//! find RPC on any port and to resynchronise a TCP stream.
//!
//! Both read only what is present and never panic. `parse_prefix` reports
//! every header field that is wholly present and stops at the first one that
//! is not; a value that is present but wrong is still an error.

use super::auth::{AuthRole, OpaqueAuth};
use super::call::CallHeader;
use super::error::RpcError;
use super::ids::{
    AcceptStat, AuthFlavor, AuthStat, MsgType, Procedure, Program, RejectStat, ReplyStat, Version,
    Xid,
};
use super::message::Message;
use super::xdr::{padded, XdrReader};
use crate::limits::Limits;

/// The fields of a message header present in a truncated buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessagePrefix<'a> {
    /// Transaction id.
    pub xid: Xid,
    /// What follows the xid, as far as it got.
    pub body: PrefixBody<'a>,
    /// True when the whole header was present (the payload may still be cut).
    pub complete: bool,
    /// Bytes of the buffer covered by the fields present.
    pub len: usize,
}

/// Call or reply fields, each `None` from the first one not wholly present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixBody<'a> {
    /// msg_type CALL.
    Call(CallPrefix<'a>),
    /// msg_type REPLY.
    Reply(ReplyPrefix<'a>),
}

/// The call header fields present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallPrefix<'a> {
    /// `rpcvers`.
    pub rpcvers: Option<u32>,
    /// `prog`.
    pub program: Option<Program>,
    /// `vers`.
    pub version: Option<Version>,
    /// `proc`.
    pub procedure: Option<Procedure>,
    /// `cred.flavor`, present even when the credential body is cut.
    pub cred_flavor: Option<AuthFlavor>,
    /// The credential, when whole.
    pub cred: Option<OpaqueAuth<'a>>,
    /// The verifier, when whole.
    pub verf: Option<OpaqueAuth<'a>>,
}

/// The reply header fields present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplyPrefix<'a> {
    /// `reply_stat`.
    pub reply_stat: Option<ReplyStat>,
    /// The verifier of an accepted reply, when whole.
    pub verf: Option<OpaqueAuth<'a>>,
    /// `accept_stat` of an accepted reply.
    pub accept_stat: Option<AcceptStat>,
    /// `reject_stat` of a denied reply.
    pub reject_stat: Option<RejectStat>,
    /// `(low, high)` of PROG_MISMATCH or RPC_MISMATCH.
    pub mismatch: Option<(u32, u32)>,
    /// `auth_stat` of AUTH_ERROR.
    pub auth_stat: Option<AuthStat>,
}

impl MessagePrefix<'_> {
    /// CALL or REPLY.
    pub fn msg_type(&self) -> MsgType {
        match self.body {
            PrefixBody::Call(_) => MsgType::CALL,
            PrefixBody::Reply(_) => MsgType::REPLY,
        }
    }
}

/// `Ok(None)` for "ran out of input", so a prefix parse can stop there.
fn present<T>(r: Result<T, RpcError>) -> Result<Option<T>, RpcError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_truncated() => Ok(None),
        Err(e) => Err(e),
    }
}

impl<'a> Message<'a> {
    /// Read every header field wholly present in `buf`. The xid and msg_type
    /// must be present (else `Truncated`); invalid values are errors as in
    /// [`Message::parse`].
    pub fn parse_prefix(buf: &'a [u8], limits: &Limits) -> Result<MessagePrefix<'a>, RpcError> {
        let mut r = XdrReader::new(buf);
        let xid = r.enumeration("xid")?;
        let at = r.offset();
        let (body, complete) = match r.enumeration("msg_type")? {
            MsgType::CALL => {
                let (call, complete) = call_prefix(&mut r, limits)?;
                (PrefixBody::Call(call), complete)
            }
            MsgType::REPLY => {
                let (reply, complete) = reply_prefix(&mut r, limits)?;
                (PrefixBody::Reply(reply), complete)
            }
            MsgType(v) => return Err(RpcError::invalid("msg_type", at, v)),
        };
        Ok(MessagePrefix {
            xid,
            body,
            complete,
            len: r.position(),
        })
    }
}

/// Stop filling a prefix at the first field not wholly present.
macro_rules! field {
    ($prefix:ident, $read:expr) => {
        match present($read)? {
            Some(v) => v,
            None => return Ok(($prefix, false)),
        }
    };
}

fn call_prefix<'a>(
    r: &mut XdrReader<'a>,
    limits: &Limits,
) -> Result<(CallPrefix<'a>, bool), RpcError> {
    let mut p = CallPrefix::default();
    p.rpcvers = Some(field!(p, r.u32("rpcvers")));
    p.program = Some(field!(p, r.enumeration("prog")));
    p.version = Some(field!(p, r.enumeration("vers")));
    p.procedure = Some(field!(p, r.enumeration("proc")));
    // Peek the flavor on its own: it is useful even when the body is cut.
    p.cred_flavor = Some(field!(p, r.clone().enumeration("cred.flavor")));
    p.cred = Some(field!(p, OpaqueAuth::read(r, limits, AuthRole::Cred)));
    p.verf = Some(field!(p, OpaqueAuth::read(r, limits, AuthRole::Verf)));
    Ok((p, true))
}

fn reply_prefix<'a>(
    r: &mut XdrReader<'a>,
    limits: &Limits,
) -> Result<(ReplyPrefix<'a>, bool), RpcError> {
    let mut p = ReplyPrefix::default();
    let at = r.offset();
    let stat: ReplyStat = field!(p, r.enumeration("reply_stat"));
    p.reply_stat = Some(stat);
    match stat {
        ReplyStat::MSG_ACCEPTED => {
            p.verf = Some(field!(p, OpaqueAuth::read(r, limits, AuthRole::Verf)));
            let at = r.offset();
            let stat: AcceptStat = field!(p, r.enumeration("accept_stat"));
            if stat.name().is_none() {
                return Err(RpcError::invalid("accept_stat", at, stat.0));
            }
            p.accept_stat = Some(stat);
            if stat == AcceptStat::PROG_MISMATCH {
                p.mismatch = Some(field!(p, mismatch(r)));
            }
        }
        ReplyStat::MSG_DENIED => {
            let at = r.offset();
            let stat: RejectStat = field!(p, r.enumeration("reject_stat"));
            p.reject_stat = Some(stat);
            match stat {
                RejectStat::RPC_MISMATCH => p.mismatch = Some(field!(p, mismatch(r))),
                RejectStat::AUTH_ERROR => p.auth_stat = Some(field!(p, r.enumeration("auth_stat"))),
                RejectStat(v) => return Err(RpcError::invalid("reject_stat", at, v)),
            }
        }
        ReplyStat(v) => return Err(RpcError::invalid("reply_stat", at, v)),
    }
    Ok((p, true))
}

fn mismatch(r: &mut XdrReader<'_>) -> Result<(u32, u32), RpcError> {
    Ok((r.u32("mismatch_info.low")?, r.u32("mismatch_info.high")?))
}

/// Whether bytes look like the start of an RPC message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plausible {
    /// A plausible call header.
    Call,
    /// A plausible reply header.
    Reply,
    /// Not an RPC message.
    No,
    /// The bytes so far are consistent; more are needed to decide.
    NeedMore,
}

/// Whether `buf` plausibly starts an RPC message. A call needs msg_type 0,
/// rpcvers 2, credential and verifier lengths within `max_auth_bytes` (and
/// an AUTH_SYS credential that decodes); a reply needs msg_type 1, a valid
/// reply_stat, and then a verifier within bounds and accept_stat <= 5, or
/// reject_stat <= 1 with `low <= high` or a known auth_stat. At most
/// `40 + max_auth_bytes` bytes are ever needed to decide.
pub fn plausible_start(buf: &[u8], limits: &Limits) -> Plausible {
    plausible_within(buf, usize::MAX, limits)
}

/// [`plausible_start`] for a message known to be `bound` bytes long (a
/// record or a first record fragment): a header that would extend past
/// `bound` is `No`, and so is anything still undecided once `bound` bytes
/// are in `buf`.
pub fn plausible_within(buf: &[u8], bound: usize, limits: &Limits) -> Plausible {
    let peek = Peek { buf, bound };
    match check(&peek, limits) {
        Ok(v) | Err(v) => v,
    }
}

struct Peek<'b> {
    buf: &'b [u8],
    bound: usize,
}

impl Peek<'_> {
    /// The u32 at `at`, or the verdict when it is outside the message or buffer.
    fn u32(&self, at: usize) -> Result<u32, Plausible> {
        let end = at.checked_add(4).ok_or(Plausible::No)?;
        if end > self.bound {
            return Err(Plausible::No);
        }
        match self.buf.get(at..end) {
            Some(b) => Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            None => Err(Plausible::NeedMore),
        }
    }

    /// `No` when a header of `len` bytes cannot fit in the message.
    fn fits(&self, len: usize) -> Result<(), Plausible> {
        if len > self.bound {
            return Err(Plausible::No);
        }
        Ok(())
    }

    /// The length of an opaque_auth body at `at`, if within `max`.
    fn auth_len(&self, at: usize, max: u32) -> Result<usize, Plausible> {
        let len = self.u32(at)?;
        if len > max {
            return Err(Plausible::No);
        }
        Ok(padded(len as usize))
    }
}

fn check(p: &Peek<'_>, limits: &Limits) -> Result<Plausible, Plausible> {
    let max = limits.max_auth_bytes;
    let in_range = |ok: bool| if ok { Ok(()) } else { Err(Plausible::No) };
    match p.u32(4)? {
        0 => {
            in_range(p.u32(8)? == CallHeader::RPC_VERSION)?;
            let cred_len = p.auth_len(28, max)?;
            if p.u32(24)? == AuthFlavor::SYS.0 {
                // stamp, machinename, uid and gid must fit in the body. The
                // gids array is not checked: a call with a bad gid count is
                // still a call (reported with an undecoded credential).
                let name_len = p.u32(36)? as usize;
                in_range(name_len <= 255 && 16 + padded(name_len) <= cred_len)?;
            }
            let verf_len = p.auth_len(36 + cred_len, max)?;
            p.fits(40 + cred_len + verf_len)?;
            Ok(Plausible::Call)
        }
        1 => {
            match p.u32(8)? {
                0 => {
                    let verf_len = p.auth_len(16, max)?;
                    let stat = p.u32(20 + verf_len)?;
                    p.fits(24 + verf_len)?;
                    in_range(stat <= AcceptStat::SYSTEM_ERR.0)?;
                    if stat == AcceptStat::PROG_MISMATCH.0 {
                        in_range(p.u32(24 + verf_len)? <= p.u32(28 + verf_len)?)?;
                    }
                }
                1 => match p.u32(12)? {
                    0 => in_range(p.u32(16)? <= p.u32(20)?)?,
                    1 => in_range(AuthStat(p.u32(16)?).name().is_some())?,
                    _ => return Err(Plausible::No),
                },
                _ => return Err(Plausible::No),
            }
            Ok(Plausible::Reply)
        }
        _ => Err(Plausible::No),
    }
}

#[cfg(test)]
#[path = "prefix_tests.rs"]
mod tests;
