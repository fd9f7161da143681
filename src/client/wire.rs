//! Building call messages and reading replies, with the shared rpc codecs.
//!
//! Sans-IO: [`build_call`] appends one call message to a buffer;
//! [`ReplyStatus::parse`] turns one reply message into its outcome and
//! results. The transports in [`super::conn`] move the bytes.

use core::fmt;

use crate::limits::Limits;
use crate::rpc::{
    AcceptBody, Auth, AuthStat, AuthSys, CallHeader, Message, MessageBody, OpaqueAuth, RejectBody,
    ReplyHeader, RpcError, Xid,
};

/// The credential a call carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cred {
    /// AUTH_NONE.
    None,
    /// AUTH_SYS with these ids and machine name.
    Sys {
        /// Effective uid.
        uid: u32,
        /// Effective gid.
        gid: u32,
        /// Machine name (at most 255 bytes).
        machine: String,
    },
}

/// Append a call message (no record mark) to `out`.
#[allow(clippy::too_many_arguments)]
pub fn build_call(
    xid: u32,
    program: u32,
    version: u32,
    procedure: u32,
    cred: &Cred,
    args: &[u8],
    limits: &Limits,
    out: &mut Vec<u8>,
) -> Result<(), RpcError> {
    let mut body = Vec::new();
    let cred = match cred {
        Cred::None => OpaqueAuth::NONE,
        Cred::Sys { uid, gid, machine } => {
            Auth::Sys(AuthSys::new(0, machine.as_bytes(), *uid, *gid, &[]))
                .to_opaque(&mut body, limits)?
        }
    };
    Message {
        xid: Xid(xid),
        body: MessageBody::Call(CallHeader {
            rpcvers: CallHeader::RPC_VERSION,
            program: program.into(),
            version: version.into(),
            procedure: procedure.into(),
            cred,
            verf: OpaqueAuth::NONE,
        }),
        payload: args,
    }
    .emit(out);
    Ok(())
}

/// What a reply said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStatus {
    /// MSG_ACCEPTED with this accept state.
    Accepted(AcceptBody),
    /// MSG_DENIED with this reason.
    Denied(RejectBody),
}

impl ReplyStatus {
    /// Parse one reply message: its xid, status and results (empty unless
    /// SUCCESS). A message that is not a reply is an error.
    pub fn parse<'a>(msg: &'a [u8], limits: &Limits) -> Result<(u32, Self, &'a [u8]), RpcError> {
        let m = Message::parse(msg, limits)?;
        match m.body {
            MessageBody::Reply(ReplyHeader::Accepted { body, .. }) => {
                Ok((m.xid.0, ReplyStatus::Accepted(body), m.payload))
            }
            MessageBody::Reply(ReplyHeader::Denied(body)) => {
                Ok((m.xid.0, ReplyStatus::Denied(body), m.payload))
            }
            MessageBody::Call(_) => Err(RpcError::invalid("msg_type", 4, 0u32)),
        }
    }

    /// True for SUCCESS.
    pub fn is_success(&self) -> bool {
        *self == ReplyStatus::Accepted(AcceptBody::Success)
    }
}

impl fmt::Display for ReplyStatus {
    /// `success`, `prog_mismatch(1-1)`, `rpc_mismatch(2-2)`,
    /// `auth_error(tooweak)`: the names the JSON output uses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyStatus::Accepted(AcceptBody::ProgMismatch { low, high }) => {
                write!(f, "prog_mismatch({low}-{high})")
            }
            ReplyStatus::Accepted(b) => match b.stat().name() {
                Some(n) => f.write_str(n),
                None => write!(f, "accept_stat({})", b.stat().0),
            },
            ReplyStatus::Denied(RejectBody::RpcMismatch { low, high }) => {
                write!(f, "rpc_mismatch({low}-{high})")
            }
            ReplyStatus::Denied(RejectBody::AuthError(AuthStat(s))) => match AuthStat(*s).name() {
                Some(n) => write!(f, "auth_error({n})"),
                None => write!(f, "auth_error({s})"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_round_trips_through_the_shared_codec() {
        let limits = Limits::default();
        let mut out = Vec::new();
        let cred = Cred::Sys {
            uid: 0,
            gid: 0,
            machine: "box".into(),
        };
        build_call(7, 100000, 2, 3, &cred, &[1, 2, 3, 4], &limits, &mut out).unwrap();
        let m = Message::parse(&out, &limits).unwrap();
        let MessageBody::Call(c) = m.body else {
            panic!("not a call")
        };
        assert_eq!(
            (m.xid.0, c.program.0, c.version.0, c.procedure.0),
            (7, 100000, 2, 3)
        );
        assert_eq!(m.payload, &[1, 2, 3, 4]);
        match c.cred.decode_cred().unwrap() {
            Auth::Sys(s) => assert_eq!((s.uid, s.machine_name), (0, &b"box"[..])),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn statuses_print_like_the_json_names() {
        let s = |st: ReplyStatus| st.to_string();
        assert_eq!(s(ReplyStatus::Accepted(AcceptBody::Success)), "success");
        assert_eq!(
            s(ReplyStatus::Accepted(AcceptBody::ProgMismatch {
                low: 2,
                high: 4
            })),
            "prog_mismatch(2-4)"
        );
        assert_eq!(
            s(ReplyStatus::Denied(RejectBody::AuthError(
                AuthStat::TOOWEAK
            ))),
            "auth_error(tooweak)"
        );
        assert_eq!(
            s(ReplyStatus::Denied(RejectBody::RpcMismatch {
                low: 2,
                high: 2
            })),
            "rpc_mismatch(2-2)"
        );
    }
}
