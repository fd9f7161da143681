//! The JSON Lines schema (documented in `docs/json.md`), apart from the
//! writing code so it is easy to review and keep stable.
//!
//! Field names here are a contract with users' scripts: add fields, never
//! rename or remove them.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::anomaly::Anomalies;
use crate::event::{AuthSummary, Exchange, ReplyStatus};
use crate::programs;
use crate::rpc::{AcceptBody, RejectBody};

/// One exchange object (`"type"`: `"exchange"`, `"call"` or `"reply"`).
#[derive(Serialize)]
pub struct ExchangeJson<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub file: &'a str,
    pub transport: &'static str,
    #[serde(serialize_with = "display")]
    pub client: &'a crate::net::Endpoint,
    #[serde(serialize_with = "display")]
    pub server: &'a crate::net::Endpoint,
    pub xid: u32,
    pub call_frame: Option<u64>,
    pub reply_frame: Option<u64>,
    pub call_time: Option<f64>,
    pub reply_time: Option<f64>,
    pub latency_us: Option<f64>,
    pub rpcvers: Option<u32>,
    pub program: Option<u32>,
    pub version: Option<u32>,
    pub procedure: Option<u32>,
    pub program_name: Option<&'static str>,
    pub procedure_name: Option<&'static str>,
    pub auth: Option<AuthJson<'a>>,
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
}

/// `{"low": .., "high": ..}` of PROG_MISMATCH and RPC_MISMATCH.
#[derive(Serialize, Clone, Copy)]
pub struct Mismatch {
    pub low: u32,
    pub high: u32,
}

/// An auth_stat: its name, or its number when it has none.
pub struct AuthStatJson(pub crate::rpc::AuthStat);

impl Serialize for AuthStatJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.name() {
            Some(n) => s.serialize_str(n),
            None => s.serialize_u32(self.0 .0),
        }
    }
}

/// The credential object: `flavor` and the flavor's fields.
pub struct AuthJson<'a>(pub &'a AuthSummary);

impl Serialize for AuthJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self.0 {
            AuthSummary::None => m.serialize_entry("flavor", "none")?,
            AuthSummary::Sys {
                stamp,
                machine_name,
                uid,
                gid,
                gids,
                gids_len,
            } => {
                m.serialize_entry("flavor", "sys")?;
                m.serialize_entry("stamp", stamp)?;
                m.serialize_entry(
                    "machine_name",
                    &String::from_utf8_lossy(machine_name.as_bytes()),
                )?;
                m.serialize_entry("uid", uid)?;
                m.serialize_entry("gid", gid)?;
                let n = (*gids_len as usize).min(gids.len());
                m.serialize_entry("gids", &gids[..n])?;
                if *gids_len as usize > n {
                    m.serialize_entry("gids_len", gids_len)?;
                }
            }
            AuthSummary::Short { len } => {
                m.serialize_entry("flavor", "short")?;
                m.serialize_entry("length", len)?;
            }
            AuthSummary::Dh {
                nickname,
                name,
                window,
            } => {
                m.serialize_entry("flavor", "dh")?;
                match nickname {
                    Some(n) => m.serialize_entry("nickname", n)?,
                    None => {
                        m.serialize_entry("name", &String::from_utf8_lossy(name.as_bytes()))?;
                        m.serialize_entry("window", window)?;
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
                m.serialize_entry("flavor", "rpcsec_gss")?;
                m.serialize_entry("version", version)?;
                m.serialize_entry("gss_proc", gss_proc)?;
                m.serialize_entry("seq_num", seq_num)?;
                m.serialize_entry("service", service)?;
                m.serialize_entry("handle", &Hex(handle.as_bytes()))?;
            }
            AuthSummary::Tls => m.serialize_entry("flavor", "tls")?,
            AuthSummary::Other { flavor, len } => {
                m.serialize_entry("flavor", &flavor.0)?;
                m.serialize_entry("length", len)?;
            }
        }
        m.end()
    }
}

struct Hex<'a>(&'a [u8]);

impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}", HexDisplay(self.0)))
    }
}

struct HexDisplay<'a>(&'a [u8]);

impl std::fmt::Display for HexDisplay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

fn display<S: Serializer, T: std::fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

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
    /// The JSON view of an exchange read from `file`.
    pub fn new(file: &'a str, ex: &'a Exchange) -> Self {
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
        let program_name = program.and_then(programs::program_name);
        let procedure_name = match (program, version, procedure) {
            (Some(p), Some(v), Some(q)) => programs::procedure_name(p, v, q),
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
            call_time: call.map(|c| c.meta.ts.as_secs_f64()),
            reply_time: reply.map(|r| r.meta.ts.as_secs_f64()),
            latency_us: ex.latency_ns().map(|ns| ns as f64 / 1000.0),
            rpcvers: call.map(|c| c.rpcvers),
            program,
            version,
            procedure,
            program_name,
            procedure_name,
            auth: call.and_then(|c| c.auth.as_ref()).map(AuthJson),
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
