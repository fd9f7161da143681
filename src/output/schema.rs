//! The JSON Lines schema (documented in `docs/json.md`), apart from the
//! writing code so it is easy to review and keep stable.
//!
//! Field names here are a contract with users' scripts: add fields, never
//! rename or remove them.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::jsonw::{self, ObjectWriter};
use crate::anomaly::Anomalies;
use crate::capture::Timestamp;
use crate::event::{AuthSummary, Exchange, ReplyStatus};
use crate::programs::registry::Registry;
use crate::rpc::{AcceptBody, RejectBody};

/// One exchange object (`"type"`: `"exchange"`, `"call"` or `"reply"`).
/// Written by [`ExchangeJson::write`] in this field order.
pub struct ExchangeJson<'a> {
    pub kind: &'static str,
    pub file: &'a str,
    pub transport: &'static str,
    pub client: &'a crate::net::Endpoint,
    pub server: &'a crate::net::Endpoint,
    pub xid: u32,
    pub call_frame: Option<u64>,
    pub reply_frame: Option<u64>,
    /// Written as exact decimal seconds since the epoch.
    pub call_time: Option<Timestamp>,
    pub reply_time: Option<Timestamp>,
    /// Written as exact decimal microseconds.
    pub latency_ns: Option<u64>,
    pub rpcvers: Option<u32>,
    pub program: Option<u32>,
    pub version: Option<u32>,
    pub procedure: Option<u32>,
    pub program_name: Option<&'a str>,
    pub procedure_name: Option<&'a str>,
    /// NFSv4 COMPOUND: the operation names, as a JSON array (text).
    pub ops: Option<&'a [u8]>,
    /// NFSv4 COMPOUND: the main operation, as JSON text (`"OP_READ"`, or
    /// its number when it has no name).
    pub main_op: Option<&'a [u8]>,
    pub auth: Option<&'a AuthSummary>,
    pub reply_stat: Option<&'static str>,
    pub accept_stat: Option<&'static str>,
    pub reject_stat: Option<&'static str>,
    pub auth_stat: Option<AuthStatJson>,
    pub mismatch: Option<Mismatch>,
    pub call_bytes: Option<u64>,
    pub reply_bytes: Option<u64>,
    pub retransmission: bool,
    pub retransmit_frames: &'a [u64],
    pub duplicate_reply: bool,
    pub truncated: bool,
    pub gap: bool,
    /// The decoded arguments, as JSON text (see `programs::json`).
    pub args: Option<&'a [u8]>,
    /// The decoded results of a SUCCESS reply, as JSON text.
    pub result: Option<&'a [u8]>,
    /// The name of the status heading the result (`NFS3ERR_NOENT`).
    pub body_status: Option<&'a str>,
    /// The full path of the object the call acts on.
    pub path: Option<&'a str>,
    /// Where and why a body did not decode.
    pub body_error: Option<BodyErrorJson>,
}

/// `body_error`: `{"part": "args"|"result", "offset": N, "kind": "...",
/// "len": N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyErrorJson {
    pub part: &'static str,
    pub offset: u64,
    pub kind: &'static str,
    /// The length on the wire of that body (of the encrypted data for
    /// `encrypted`).
    pub len: u64,
}

impl ExchangeJson<'_> {
    /// Appends the object (no newline) to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut o = ObjectWriter::new(out);
        o.str("type", self.kind);
        o.str("file", self.file);
        o.str("transport", self.transport);
        o.endpoint("client", self.client);
        o.endpoint("server", self.server);
        o.u64("xid", self.xid as u64);
        o.opt_u64("call_frame", self.call_frame);
        o.opt_u64("reply_frame", self.reply_frame);
        for (k, t) in [
            ("call_time", self.call_time),
            ("reply_time", self.reply_time),
        ] {
            match t {
                Some(t) => jsonw::decimal(o.key(k), t.0, 1_000_000_000),
                None => o.null(k),
            }
        }
        match self.latency_ns {
            Some(ns) => jsonw::decimal(o.key("latency_us"), ns.min(i64::MAX as u64) as i64, 1000),
            None => o.null("latency_us"),
        }
        o.opt_u64("rpcvers", self.rpcvers.map(u64::from));
        o.opt_u64("program", self.program.map(u64::from));
        o.opt_u64("version", self.version.map(u64::from));
        o.opt_u64("procedure", self.procedure.map(u64::from));
        o.opt_str("program_name", self.program_name);
        o.opt_str("procedure_name", self.procedure_name);
        o.opt_raw("ops", self.ops);
        o.opt_raw("main_op", self.main_op);
        match self.auth {
            Some(a) => write_auth(o.key("auth"), a),
            None => o.null("auth"),
        }
        o.opt_str("reply_stat", self.reply_stat);
        o.opt_str("accept_stat", self.accept_stat);
        o.opt_str("reject_stat", self.reject_stat);
        match self.auth_stat {
            Some(AuthStatJson(a)) => match a.name() {
                Some(n) => o.str("auth_stat", n),
                None => o.u64("auth_stat", a.0 as u64),
            },
            None => o.null("auth_stat"),
        }
        match self.mismatch {
            Some(m) => {
                let mut mo = ObjectWriter::new(o.key("mismatch"));
                mo.u64("low", m.low as u64);
                mo.u64("high", m.high as u64);
                mo.end();
            }
            None => o.null("mismatch"),
        }
        o.opt_u64("call_bytes", self.call_bytes);
        o.opt_u64("reply_bytes", self.reply_bytes);
        o.bool("retransmission", self.retransmission);
        write_u64s(
            o.key("retransmit_frames"),
            self.retransmit_frames.iter().copied(),
        );
        o.bool("duplicate_reply", self.duplicate_reply);
        o.bool("truncated", self.truncated);
        o.bool("gap", self.gap);
        o.opt_raw("args", self.args);
        o.opt_raw("result", self.result);
        o.opt_str("body_status", self.body_status);
        o.opt_str("path", self.path);
        match self.body_error {
            Some(e) => {
                let mut eo = ObjectWriter::new(o.key("body_error"));
                eo.str("part", e.part);
                eo.u64("offset", e.offset);
                eo.str("kind", e.kind);
                eo.u64("len", e.len);
                eo.end();
            }
            None => o.null("body_error"),
        }
        o.end();
    }
}

/// `[1,2,3]`.
fn write_u64s(w: &mut Vec<u8>, items: impl Iterator<Item = u64>) {
    w.push(b'[');
    let mut b = itoa::Buffer::new();
    for (i, v) in items.enumerate() {
        if i > 0 {
            w.push(b',');
        }
        w.extend_from_slice(b.format(v).as_bytes());
    }
    w.push(b']');
}

/// The credential object: `flavor` and the flavor's fields.
fn write_auth(out: &mut Vec<u8>, a: &AuthSummary) {
    let mut m = ObjectWriter::new(out);
    match a {
        AuthSummary::None => m.str("flavor", "none"),
        AuthSummary::Sys {
            stamp,
            machine_name,
            uid,
            gid,
            gids,
            gids_len,
        } => {
            m.str("flavor", "sys");
            m.u64("stamp", *stamp as u64);
            m.str(
                "machine_name",
                &String::from_utf8_lossy(machine_name.as_bytes()),
            );
            m.u64("uid", *uid as u64);
            m.u64("gid", *gid as u64);
            let n = (*gids_len as usize).min(gids.len());
            write_u64s(m.key("gids"), gids[..n].iter().map(|&g| g as u64));
            if *gids_len as usize > n {
                m.u64("gids_len", *gids_len as u64);
            }
        }
        AuthSummary::Short { len } => {
            m.str("flavor", "short");
            m.u64("length", *len as u64);
        }
        AuthSummary::Dh {
            nickname,
            name,
            window,
        } => {
            m.str("flavor", "dh");
            match nickname {
                Some(n) => m.u64("nickname", *n as u64),
                None => {
                    m.str("name", &String::from_utf8_lossy(name.as_bytes()));
                    m.u64("window", *window as u64);
                }
            }
        }
        AuthSummary::Gss {
            version,
            gss_proc,
            seq_num,
            service,
            handle,
        } => {
            m.str("flavor", "rpcsec_gss");
            m.u64("version", *version as u64);
            m.u64("gss_proc", *gss_proc as u64);
            m.u64("seq_num", *seq_num as u64);
            m.u64("service", *service as u64);
            let w = m.key("handle");
            w.push(b'"');
            jsonw::hex(w, handle.as_bytes());
            w.push(b'"');
        }
        AuthSummary::Tls => m.str("flavor", "tls"),
        AuthSummary::Other { flavor, len } => {
            m.u64("flavor", flavor.0 as u64);
            m.u64("length", *len as u64);
        }
    }
    m.end();
}

/// `{"low": .., "high": ..}` of PROG_MISMATCH and RPC_MISMATCH.
#[derive(Serialize, Clone, Copy)]
pub struct Mismatch {
    pub low: u32,
    pub high: u32,
}

/// An auth_stat: its name, or its number when it has none.
#[derive(Clone, Copy)]
pub struct AuthStatJson(pub crate::rpc::AuthStat);

/// A reply's status, as the JSON fields name it.
#[derive(Default)]
pub struct StatusFields {
    pub reply_stat: Option<&'static str>,
    pub accept_stat: Option<&'static str>,
    pub reject_stat: Option<&'static str>,
    pub auth_stat: Option<AuthStatJson>,
    pub mismatch: Option<Mismatch>,
}

/// The status fields of a reply.
pub fn status_fields(st: &ReplyStatus) -> StatusFields {
    let accepted = |b: &AcceptBody| StatusFields {
        reply_stat: Some("accepted"),
        accept_stat: Some(accept_name(b)),
        mismatch: match b {
            AcceptBody::ProgMismatch { low, high } => Some(Mismatch {
                low: *low,
                high: *high,
            }),
            _ => None,
        },
        ..StatusFields::default()
    };
    let denied = StatusFields {
        reply_stat: Some("denied"),
        ..StatusFields::default()
    };
    match st {
        ReplyStatus::Accepted(b) => accepted(b),
        ReplyStatus::Denied(RejectBody::RpcMismatch { low, high }) => StatusFields {
            reject_stat: Some("rpc_mismatch"),
            mismatch: Some(Mismatch {
                low: *low,
                high: *high,
            }),
            ..denied
        },
        ReplyStatus::Denied(RejectBody::AuthError(a)) => StatusFields {
            reject_stat: Some("auth_error"),
            auth_stat: Some(AuthStatJson(*a)),
            ..denied
        },
        ReplyStatus::AcceptedUnknown => StatusFields {
            reply_stat: Some("accepted"),
            ..StatusFields::default()
        },
        ReplyStatus::DeniedUnknown => denied,
        ReplyStatus::Unknown => StatusFields::default(),
    }
}

/// The JSON name of an accept status.
pub fn accept_name(b: &AcceptBody) -> &'static str {
    match b {
        AcceptBody::Success => "success",
        AcceptBody::ProgUnavail => "prog_unavail",
        AcceptBody::ProgMismatch { .. } => "prog_mismatch",
        AcceptBody::ProcUnavail => "proc_unavail",
        AcceptBody::GarbageArgs => "garbage_args",
        AcceptBody::SystemErr => "system_err",
    }
}

impl<'a> ExchangeJson<'a> {
    /// The JSON view of an exchange read from `file`, its names from
    /// `registry`; the body fields are left `None` for the caller.
    pub fn new(file: &'a str, ex: &'a Exchange<'_>, registry: &'a Registry) -> Self {
        let kind = match (&ex.call, &ex.reply) {
            (Some(_), Some(_)) => "exchange",
            (Some(_), None) => "call",
            _ => "reply",
        };
        let call = ex.call.as_ref();
        let reply = ex.reply.as_ref();
        let (program, version, procedure) = match call {
            Some(c) => (c.program, c.version, c.procedure),
            None => (None, None, None),
        };
        // A learned callback number is named as the program decoding it.
        let named = ex.facts.decode_as.or(program);
        let program_name = program
            .and_then(|p| registry.program_name(p))
            .or_else(|| named.and_then(|p| registry.program_name(p)));
        let procedure_name = match (named, version, procedure) {
            (Some(p), Some(v), Some(q)) => registry.procedure_name(p, v, q),
            _ => None,
        };
        let StatusFields {
            reply_stat,
            accept_stat,
            reject_stat,
            auth_stat,
            mismatch,
        } = reply.map(|r| status_fields(&r.status)).unwrap_or_default();
        ExchangeJson {
            kind,
            file,
            transport: ex.transport.as_str(),
            client: &ex.client,
            server: &ex.server,
            xid: ex.xid,
            call_frame: call.map(|c| c.meta.frame),
            reply_frame: reply.map(|r| r.meta.frame),
            call_time: call.map(|c| c.meta.ts),
            reply_time: reply.map(|r| r.meta.ts),
            latency_ns: ex.latency_ns(),
            rpcvers: call.map(|c| c.rpcvers),
            program,
            version,
            procedure,
            program_name,
            procedure_name,
            ops: None,
            main_op: None,
            auth: call.and_then(|c| c.auth.as_ref()),
            reply_stat,
            accept_stat,
            reject_stat,
            auth_stat,
            mismatch,
            call_bytes: call.map(|c| c.meta.bytes),
            reply_bytes: reply.map(|r| r.meta.bytes),
            retransmission: ex.is_retransmission(),
            retransmit_frames: ex.retransmit_frames.frames(),
            duplicate_reply: ex.duplicate_reply,
            truncated: call.is_some_and(|c| c.meta.truncated)
                || reply.is_some_and(|r| r.meta.truncated),
            gap: call.is_some_and(|c| c.meta.gap) || reply.is_some_and(|r| r.meta.gap),
            args: None,
            result: None,
            body_status: None,
            path: None,
            body_error: None,
        }
    }
}

/// The last object of a JSON run: `{"type":"summary", ...}`.
#[derive(Serialize)]
pub struct SummaryJson<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub files: u64,
    pub files_failed: u64,
    pub frames: u64,
    /// calls, replies, exchanges, unmatched_calls, orphan_replies,
    /// retransmissions, duplicate_replies.
    #[serde(flatten)]
    pub track: &'a crate::track::TrackStats,
    #[serde(serialize_with = "anomaly_map")]
    pub anomalies: &'a Anomalies,
    /// Anomaly records not written (rate limit), by name.
    #[serde(serialize_with = "suppressed_map")]
    pub anomalies_suppressed: &'a Anomalies,
    /// Live capture only (`null` for files): libpcap's counts.
    pub packets_received: Option<u64>,
    pub packets_dropped: Option<u64>,
    pub packets_if_dropped: Option<u64>,
}

fn anomaly_map<S: Serializer>(a: &&Anomalies, s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(None)?;
    for (k, v) in a.iter() {
        m.serialize_entry(k, &v)?;
    }
    m.end()
}

fn suppressed_map<S: Serializer>(a: &&Anomalies, s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(None)?;
    for (k, v) in a.suppressed() {
        m.serialize_entry(k, &v)?;
    }
    m.end()
}

/// One anomaly object (`"type": "anomaly"`): what, where and why, as the
/// decoder had it (docs/json.md).
#[derive(Serialize)]
pub struct AnomalyJson<'a> {
    #[serde(rename = "type")]
    pub kind_tag: &'static str,
    pub file: &'a str,
    /// The anomaly's name, as in the summary's `anomalies`.
    pub kind: &'static str,
    pub frame: u64,
    pub time: f64,
    pub transport: Option<&'static str>,
    /// The direction concerned, `"addr:port"` (from, to).
    pub src: Option<String>,
    pub dst: Option<String>,
    pub layer: Option<&'static str>,
    pub offset: Option<u64>,
    pub len: Option<u64>,
    /// TCP sequence numbers of `[offset, offset + len)`.
    pub seq: Option<SeqRange>,
    pub reason: Option<&'a str>,
}

/// `{"start": n, "end": n}`: TCP sequence numbers (end exclusive, modulo 2^32).
#[derive(Serialize, Clone, Copy)]
pub struct SeqRange {
    pub start: u32,
    pub end: u32,
}

impl<'a> AnomalyJson<'a> {
    pub fn new(file: &'a str, a: &'a crate::anomaly::AnomalyRecord) -> Self {
        let d = &a.detail;
        AnomalyJson {
            kind_tag: "anomaly",
            file,
            kind: a.kind.name(),
            frame: a.frame,
            time: a.ts.as_secs_f64(),
            transport: a.flow.map(|(t, _)| match t {
                crate::net::Transport::Tcp => "tcp",
                crate::net::Transport::Udp => "udp",
            }),
            src: a.flow.map(|(_, f)| f.src.to_string()),
            dst: a.flow.map(|(_, f)| f.dst.to_string()),
            layer: d.layer,
            offset: d.offset,
            len: d.len,
            seq: d.seq.map(|(start, end)| SeqRange { start, end }),
            reason: d.reason.as_deref(),
        }
    }
}
