//! One export row: the values of [`super::columns::COLUMNS`] for one
//! exchange, taken from the same [`ExchangeJson`] the JSON Lines printer
//! writes (so the two cannot disagree), plus the decoded fields people
//! group by (handle hash, offset, count).

use std::borrow::Cow;

use serde::Deserialize;

use crate::capture::Timestamp;
use crate::event::{AuthSummary, Exchange};
use crate::output::schema::{AuthStatJson, ExchangeJson};
use crate::programs::nfs4;
use crate::programs::registry::Registry;

/// One value of a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Str(Cow<'a, str>),
    I64(i64),
    I32(i32),
    F64(f64),
    Bool(bool),
    Time(Timestamp),
}

/// `offset` and `count` of the arguments, where the arguments are a
/// structure with such top-level fields (NFSv2/v3 READ and WRITE,
/// READDIR's `count`...).
#[derive(Debug, Default, Deserialize)]
struct OffsetCount {
    offset: Option<u64>,
    count: Option<u64>,
}

/// An exchange as a row.
pub struct Row<'a> {
    pub j: ExchangeJson<'a>,
    pub fh_hash: Option<u32>,
    /// An NFSv4 COMPOUND's main operation (`OP_READ`; its number when it
    /// has no name), as `main_op` in JSON.
    pub main_op: Option<String>,
    offset: Option<u64>,
    count: Option<u64>,
}

impl<'a> Row<'a> {
    /// The row of `ex`, whose JSON view (bodies filled in) is `j`, naming
    /// operations with `registry`.
    pub fn new(j: ExchangeJson<'a>, ex: &Exchange<'_>, registry: &Registry) -> Self {
        let oc = j
            .args
            .filter(|a| a.first() == Some(&b'{'))
            .and_then(|a| serde_json::from_slice::<OffsetCount>(a).ok())
            .unwrap_or_default();
        Row {
            j,
            fh_hash: ex.facts.fh_hash,
            main_op: main_op_name(registry, ex),
            offset: oc.offset,
            count: oc.count,
        }
    }

    /// Calls `f` with each column's value, in [`super::columns::COLUMNS`]
    /// order.
    pub fn values(&self, f: &mut dyn FnMut(Value<'_>)) {
        use Value::*;
        let j = &self.j;
        let s = |v: &'a str| Str(Cow::Borrowed(v));
        let os = |v: Option<&'a str>| v.map_or(Null, |v| Str(Cow::Borrowed(v)));
        let ou = |v: Option<u64>| v.map_or(Null, |v| I64(v.min(i64::MAX as u64) as i64));
        let o32 = |v: Option<u32>| v.map_or(Null, |v| I64(v.into()));
        let json = |v: Option<&'a [u8]>| v.map_or(Null, |v| Str(String::from_utf8_lossy(v)));
        f(s(j.kind));
        f(s(j.file));
        f(s(j.transport));
        f(Str(j.client.addr.to_string().into()));
        f(I32(j.client.port.into()));
        f(Str(j.server.addr.to_string().into()));
        f(I32(j.server.port.into()));
        f(I64(j.xid.into()));
        f(ou(j.call_frame));
        f(ou(j.reply_frame));
        f(j.call_time.map_or(Null, Time));
        f(j.reply_time.map_or(Null, Time));
        f(j.latency_ns.map_or(Null, |ns| F64(ns as f64 / 1e3)));
        f(o32(j.rpcvers));
        f(o32(j.program));
        f(o32(j.version));
        f(o32(j.procedure));
        f(os(j.program_name));
        f(os(j.procedure_name));
        f(self
            .main_op
            .as_deref()
            .map_or(Null, |v| Str(Cow::Owned(v.to_string()))));
        let (flavor, uid, gid, machine) = auth(j.auth);
        f(flavor.map_or(Null, |v| Str(v.into())));
        f(o32(uid));
        f(o32(gid));
        f(machine.map_or(Null, Str));
        f(os(j.reply_stat));
        f(os(j.accept_stat));
        f(os(j.reject_stat));
        f(match j.auth_stat {
            Some(AuthStatJson(a)) => match a.name() {
                Some(n) => s(n),
                None => Str(a.0.to_string().into()),
            },
            None => Null,
        });
        f(ou(j.call_bytes));
        f(ou(j.reply_bytes));
        f(Bool(j.retransmission));
        f(I64(j.retransmit_frames.len() as i64));
        f(Bool(j.duplicate_reply));
        f(Bool(j.truncated));
        f(Bool(j.gap));
        f(os(j.body_status));
        f(os(j.path));
        f(o32(self.fh_hash));
        f(ou(self.offset));
        f(ou(self.count));
        f(json(j.args));
        f(json(j.result));
        f(match j.body_error {
            Some(e) => Str(format!(
                r#"{{"part":"{}","offset":{},"kind":"{}"}}"#,
                e.part, e.offset, e.kind
            )
            .into()),
            None => Null,
        });
    }
}

/// Flavor name, uid, gid and machine name of a credential.
fn auth(
    a: Option<&AuthSummary>,
) -> (
    Option<String>,
    Option<u32>,
    Option<u32>,
    Option<Cow<'_, str>>,
) {
    let Some(a) = a else {
        return (None, None, None, None);
    };
    let name = |s: &'static str| Some(s.to_string());
    match a {
        AuthSummary::None => (name("none"), None, None, None),
        AuthSummary::Sys {
            machine_name,
            uid,
            gid,
            ..
        } => (
            name("sys"),
            Some(*uid),
            Some(*gid),
            Some(String::from_utf8_lossy(machine_name.as_bytes())),
        ),
        AuthSummary::Short { .. } => (name("short"), None, None, None),
        AuthSummary::Dh { .. } => (name("dh"), None, None, None),
        AuthSummary::Gss { .. } => (name("rpcsec_gss"), None, None, None),
        AuthSummary::Tls => (name("tls"), None, None, None),
        AuthSummary::Other { flavor, .. } => (Some(flavor.0.to_string()), None, None, None),
    }
}

/// The name of an NFSv4 compound's main operation (its number when the
/// schema has no name for it).
fn main_op_name(registry: &Registry, ex: &Exchange<'_>) -> Option<String> {
    let c = ex.facts.compound.as_deref()?;
    let op = c.main_op()?;
    let call = ex.call.as_ref()?;
    let e = registry.version(ex.facts.decode_as.or(call.program)?, call.version?)?;
    Some(nfs4::op_name(e.schema(), c.op_enum, op).map_or_else(|| op.to_string(), str::to_string))
}
