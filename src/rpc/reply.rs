//! The reply header: `reply_body`, `accepted_reply` and `rejected_reply` of
//! RFC 5531 section 9, which follow the xid and `msg_type` in a REPLY.
//!
//! `reply_stat`, `accept_stat` and `reject_stat` are XDR enums with a fixed
//! set of values: anything else is an `Invalid` error. `auth_stat` is kept
//! open (RFC 2203 and RFC 7861 extended it; more may come).

use super::auth::{AuthRole, OpaqueAuth};
use super::error::RpcError;
use super::ids::{AcceptStat, AuthStat, RejectStat, ReplyStat};
use super::xdr::{XdrReader, XdrWriter};
use crate::limits::Limits;

/// The union arm of `accepted_reply.reply_data`, by `accept_stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AcceptBody {
    /// SUCCESS: procedure results follow (the message payload).
    Success,
    /// PROG_UNAVAIL.
    ProgUnavail,
    /// PROG_MISMATCH: the versions of the program the server supports.
    ProgMismatch {
        /// Lowest supported version.
        low: u32,
        /// Highest supported version.
        high: u32,
    },
    /// PROC_UNAVAIL.
    ProcUnavail,
    /// GARBAGE_ARGS.
    GarbageArgs,
    /// SYSTEM_ERR.
    SystemErr,
}

impl AcceptBody {
    /// The `accept_stat` discriminant.
    pub fn stat(&self) -> AcceptStat {
        match self {
            AcceptBody::Success => AcceptStat::SUCCESS,
            AcceptBody::ProgUnavail => AcceptStat::PROG_UNAVAIL,
            AcceptBody::ProgMismatch { .. } => AcceptStat::PROG_MISMATCH,
            AcceptBody::ProcUnavail => AcceptStat::PROC_UNAVAIL,
            AcceptBody::GarbageArgs => AcceptStat::GARBAGE_ARGS,
            AcceptBody::SystemErr => AcceptStat::SYSTEM_ERR,
        }
    }

    /// Read `accept_stat` and its arm.
    pub fn read(r: &mut XdrReader<'_>) -> Result<Self, RpcError> {
        let at = r.offset();
        Ok(match r.enumeration("accept_stat")? {
            AcceptStat::SUCCESS => AcceptBody::Success,
            AcceptStat::PROG_UNAVAIL => AcceptBody::ProgUnavail,
            AcceptStat::PROG_MISMATCH => AcceptBody::ProgMismatch {
                low: r.u32("mismatch_info.low")?,
                high: r.u32("mismatch_info.high")?,
            },
            AcceptStat::PROC_UNAVAIL => AcceptBody::ProcUnavail,
            AcceptStat::GARBAGE_ARGS => AcceptBody::GarbageArgs,
            AcceptStat::SYSTEM_ERR => AcceptBody::SystemErr,
            AcceptStat(v) => return Err(RpcError::invalid("accept_stat", at, v)),
        })
    }

    /// Append `accept_stat` and its arm.
    pub fn emit(&self, w: &mut XdrWriter<'_>) {
        w.put_enum(self.stat());
        if let AcceptBody::ProgMismatch { low, high } = self {
            w.put_u32(*low).put_u32(*high);
        }
    }

    /// Bytes of the wire form.
    pub fn encoded_len(&self) -> usize {
        match self {
            AcceptBody::ProgMismatch { .. } => 12,
            _ => 4,
        }
    }
}

/// `union rejected_reply switch (reject_stat stat)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum RejectBody {
    /// RPC_MISMATCH: the RPC versions the server supports.
    RpcMismatch {
        /// Lowest supported RPC version.
        low: u32,
        /// Highest supported RPC version.
        high: u32,
    },
    /// AUTH_ERROR: why authentication failed.
    AuthError(AuthStat),
}

impl RejectBody {
    /// The `reject_stat` discriminant.
    pub fn stat(&self) -> RejectStat {
        match self {
            RejectBody::RpcMismatch { .. } => RejectStat::RPC_MISMATCH,
            RejectBody::AuthError(_) => RejectStat::AUTH_ERROR,
        }
    }

    /// Read `reject_stat` and its arm.
    pub fn read(r: &mut XdrReader<'_>) -> Result<Self, RpcError> {
        let at = r.offset();
        Ok(match r.enumeration("reject_stat")? {
            RejectStat::RPC_MISMATCH => RejectBody::RpcMismatch {
                low: r.u32("mismatch_info.low")?,
                high: r.u32("mismatch_info.high")?,
            },
            RejectStat::AUTH_ERROR => RejectBody::AuthError(r.enumeration("auth_stat")?),
            RejectStat(v) => return Err(RpcError::invalid("reject_stat", at, v)),
        })
    }

    /// Append `reject_stat` and its arm.
    pub fn emit(&self, w: &mut XdrWriter<'_>) {
        w.put_enum(self.stat());
        match self {
            RejectBody::RpcMismatch { low, high } => w.put_u32(*low).put_u32(*high),
            RejectBody::AuthError(stat) => w.put_enum(*stat),
        };
    }

    /// Bytes of the wire form.
    pub fn encoded_len(&self) -> usize {
        match self {
            RejectBody::RpcMismatch { .. } => 12,
            RejectBody::AuthError(_) => 8,
        }
    }
}

/// `union reply_body switch (reply_stat stat)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ReplyHeader<'a> {
    /// MSG_ACCEPTED: the server's verifier and the outcome.
    Accepted {
        /// The server's verifier.
        verf: OpaqueAuth<'a>,
        /// The outcome.
        body: AcceptBody,
    },
    /// MSG_DENIED.
    Denied(RejectBody),
}

impl<'a> ReplyHeader<'a> {
    /// The `reply_stat` discriminant.
    pub fn stat(&self) -> ReplyStat {
        match self {
            ReplyHeader::Accepted { .. } => ReplyStat::MSG_ACCEPTED,
            ReplyHeader::Denied(_) => ReplyStat::MSG_DENIED,
        }
    }

    /// Read `reply_body` (after xid and msg_type).
    pub fn read(r: &mut XdrReader<'a>, limits: &Limits) -> Result<Self, RpcError> {
        let at = r.offset();
        Ok(match r.enumeration("reply_stat")? {
            ReplyStat::MSG_ACCEPTED => ReplyHeader::Accepted {
                verf: OpaqueAuth::read(r, limits, AuthRole::Verf)?,
                body: AcceptBody::read(r)?,
            },
            ReplyStat::MSG_DENIED => ReplyHeader::Denied(RejectBody::read(r)?),
            ReplyStat(v) => return Err(RpcError::invalid("reply_stat", at, v)),
        })
    }

    /// Append `reply_body`.
    pub fn emit(&self, w: &mut XdrWriter<'_>) {
        w.put_enum(self.stat());
        match self {
            ReplyHeader::Accepted { verf, body } => {
                verf.emit(w);
                body.emit(w);
            }
            ReplyHeader::Denied(body) => body.emit(w),
        }
    }

    /// Bytes of `reply_body`.
    pub fn encoded_len(&self) -> usize {
        4 + match self {
            ReplyHeader::Accepted { verf, body } => verf.encoded_len() + body.encoded_len(),
            ReplyHeader::Denied(body) => body.encoded_len(),
        }
    }
}
