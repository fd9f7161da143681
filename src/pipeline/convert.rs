//! From parsed RPC messages (borrowed views) to the tracker's owned records.

use crate::capture::Timestamp;
use crate::event::{
    AuthSummary, CallRec, InlineBytes, MsgMeta, ReplyRec, ReplyStatus, AUTH_GIDS_INLINE,
};
use crate::limits::Limits;
use crate::rpc::{
    AcceptBody, AcceptStat, Auth, AuthDh, Message, MessageBody, MessagePrefix, OpaqueAuth,
    PrefixBody, RejectBody, RejectStat, ReplyHeader, ReplyStat,
};

/// A decoded call or reply (its `meta` is filled in by the caller).
#[derive(Debug)]
pub enum Decoded {
    Call(CallRec),
    Reply(ReplyRec),
}

/// A decoded message and where its body starts in the buffer: `None` when
/// the header itself was cut (no body was captured), or for a reply that
/// is not SUCCESS (which has no results).
#[derive(Debug)]
pub struct WithBody {
    pub msg: Decoded,
    pub body_start: Option<usize>,
}

const NO_META: MsgMeta = MsgMeta {
    frame: 0,
    ts: Timestamp(0),
    bytes: 0,
    truncated: false,
    gap: false,
};

/// Decodes one message. `cut`: the buffer is known to hold only a prefix of
/// the message, so a header cut short is decoded as far as it goes.
pub fn decode(buf: &[u8], cut: bool, limits: &Limits) -> Option<WithBody> {
    match Message::parse(buf, limits) {
        Ok(m) => {
            let msg = from_message(&m);
            let has_body = match &msg {
                Decoded::Call(_) => true,
                Decoded::Reply(r) => r.status.is_success(),
            };
            Some(WithBody {
                msg,
                body_start: has_body.then(|| m.header_len()),
            })
        }
        Err(_) if cut => Message::parse_prefix(buf, limits)
            .ok()
            .and_then(|p| from_prefix(&p))
            .map(|msg| WithBody {
                msg,
                body_start: None,
            }),
        Err(_) => None,
    }
}

/// True when `buf` starts like an RPC v2 call (msg_type CALL, rpcvers 2):
/// a datagram that does so but fails to parse is a malformed call.
pub fn looks_like_call(buf: &[u8]) -> bool {
    buf.len() >= 12 && buf[4..8] == [0, 0, 0, 0] && buf[8..12] == [0, 0, 0, 2]
}

/// A reply header that is unlikely to be anything else: accepted with an
/// AUTH_NONE verifier and a known accept_stat, or denied with a known reason.
pub fn is_strong_reply(buf: &[u8], limits: &Limits) -> bool {
    match Message::parse(buf, limits) {
        Ok(Message {
            body: MessageBody::Reply(ReplyHeader::Accepted { verf, .. }),
            ..
        }) => verf.body.len() <= 400,
        Ok(Message {
            body: MessageBody::Reply(ReplyHeader::Denied(_)),
            ..
        }) => true,
        _ => false,
    }
}

fn from_message(m: &Message<'_>) -> Decoded {
    match &m.body {
        MessageBody::Call(c) => Decoded::Call(CallRec {
            xid: m.xid.0,
            rpcvers: c.rpcvers,
            program: Some(c.program.0),
            version: Some(c.version.0),
            procedure: Some(c.procedure.0),
            auth: Some(auth_summary(&c.cred)),
            meta: NO_META,
        }),
        MessageBody::Reply(r) => Decoded::Reply(ReplyRec {
            xid: m.xid.0,
            status: match r {
                ReplyHeader::Accepted { body, .. } => ReplyStatus::Accepted(*body),
                ReplyHeader::Denied(d) => ReplyStatus::Denied(*d),
            },
            meta: NO_META,
        }),
    }
}

fn from_prefix(p: &MessagePrefix<'_>) -> Option<Decoded> {
    match &p.body {
        PrefixBody::Call(c) => {
            // Too little to tell a call from noise without its version.
            if c.rpcvers != Some(2) {
                return None;
            }
            Some(Decoded::Call(CallRec {
                xid: p.xid.0,
                rpcvers: 2,
                program: c.program.map(|v| v.0),
                version: c.version.map(|v| v.0),
                procedure: c.procedure.map(|v| v.0),
                auth: c.cred.as_ref().map(auth_summary),
                meta: NO_META,
            }))
        }
        PrefixBody::Reply(r) => {
            let status = match r.reply_stat? {
                ReplyStat::MSG_ACCEPTED => match (r.accept_stat, r.mismatch) {
                    (Some(AcceptStat::SUCCESS), _) => ReplyStatus::Accepted(AcceptBody::Success),
                    (Some(AcceptStat::PROG_UNAVAIL), _) => {
                        ReplyStatus::Accepted(AcceptBody::ProgUnavail)
                    }
                    (Some(AcceptStat::PROG_MISMATCH), Some((low, high))) => {
                        ReplyStatus::Accepted(AcceptBody::ProgMismatch { low, high })
                    }
                    (Some(AcceptStat::PROC_UNAVAIL), _) => {
                        ReplyStatus::Accepted(AcceptBody::ProcUnavail)
                    }
                    (Some(AcceptStat::GARBAGE_ARGS), _) => {
                        ReplyStatus::Accepted(AcceptBody::GarbageArgs)
                    }
                    (Some(AcceptStat::SYSTEM_ERR), _) => {
                        ReplyStatus::Accepted(AcceptBody::SystemErr)
                    }
                    _ => ReplyStatus::AcceptedUnknown,
                },
                _ => match (r.reject_stat, r.mismatch, r.auth_stat) {
                    (Some(RejectStat::RPC_MISMATCH), Some((low, high)), _) => {
                        ReplyStatus::Denied(RejectBody::RpcMismatch { low, high })
                    }
                    (Some(RejectStat::AUTH_ERROR), _, Some(a)) => {
                        ReplyStatus::Denied(RejectBody::AuthError(a))
                    }
                    _ => ReplyStatus::DeniedUnknown,
                },
            };
            Some(Decoded::Reply(ReplyRec {
                xid: p.xid.0,
                status,
                meta: NO_META,
            }))
        }
    }
}

/// Summarises a credential; a body that does not decode is kept as its
/// flavor and length.
pub fn auth_summary(cred: &OpaqueAuth<'_>) -> AuthSummary {
    let other = AuthSummary::Other {
        flavor: cred.flavor,
        len: cred.body.len() as u32,
    };
    match cred.decode_cred() {
        Ok(Auth::None) => AuthSummary::None,
        Ok(Auth::Sys(s)) => {
            let mut gids = [0u32; AUTH_GIDS_INLINE];
            let mut n = 0u32;
            for g in s.gids() {
                if (n as usize) < AUTH_GIDS_INLINE {
                    gids[n as usize] = g;
                }
                n += 1;
            }
            AuthSummary::Sys {
                stamp: s.stamp,
                machine_name: InlineBytes::new(s.machine_name),
                uid: s.uid,
                gid: s.gid,
                gids,
                gids_len: n,
            }
        }
        Ok(Auth::Short(b)) => AuthSummary::Short {
            len: b.len() as u32,
        },
        Ok(Auth::Dh(AuthDh::Nickname(n))) => AuthSummary::Dh {
            nickname: Some(n),
            name: InlineBytes::new(&[]),
            window: 0,
        },
        Ok(Auth::Dh(AuthDh::Fullname { name, window, .. })) => AuthSummary::Dh {
            nickname: None,
            name: InlineBytes::new(name),
            window: u32::from_be_bytes(window),
        },
        Ok(Auth::Gss(g)) => AuthSummary::Gss {
            version: g.version,
            gss_proc: g.gss_proc.0,
            seq_num: g.seq_num,
            service: g.service.0,
            handle: InlineBytes::new(g.handle),
        },
        Ok(Auth::Tls) => AuthSummary::Tls,
        Ok(Auth::Other { .. }) | Err(_) => other,
    }
}
