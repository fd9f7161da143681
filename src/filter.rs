//! Filters: which exchanges (and, with BPF, which frames) a command reports.
//!
//! Two kinds, applied at two places:
//! - [`Filter`] selects exchanges by program, procedure, reply status,
//!   latency and host. It is a pure predicate over [`Exchange`] values;
//!   [`FilteredSink`] applies it in front of any [`Sink`].
//! - [`BpfFilter`] selects frames before they reach the pipeline, with a
//!   libpcap BPF expression compiled for each link type it meets (offline
//!   filtering for files; live capture hands the expression to the kernel
//!   instead). Needs the `live` feature; without it, building one is an error.
//!
//! Building a filter is the validation step: every `parse_*` function and
//! [`Filter::new`] turn user text into values or a [`FilterError`] whose
//! message names the option, the bad value and what was expected. Matching
//! never fails, never allocates, and does no I/O.
//!
//! Program, procedure and host are known when a call is seen; status and
//! latency only when its reply arrives. When the filter needs the reply,
//! [`FilteredSink`] holds back call lines and sends the call line of a
//! matching exchange just before its reply (retransmission lines are dropped);
//! a matching call that gets no reply arrives as its `Unmatched` event, which
//! the text sink then prints, marked `(no reply)`.

use std::fmt;
use std::io;
use std::net::IpAddr;

use crate::event::{Event, Exchange, ExchangeKind, ReplyStatus};
use crate::output::{CaptureCounts, Sink};
use crate::pipeline::Summary;
use crate::programs::registry::Registry;
use crate::programs::roles::Role;
use crate::programs::schema::{Kind, TypeId};
use crate::rpc::RejectBody;

/// A bad filter value: the message says which option, what value, and what
/// was expected. Shown as one line; the command exits with status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FilterError {}

fn err<T>(msg: String) -> Result<T, FilterError> {
    Err(FilterError(msg))
}

/// Every status name [`status_name`] gives, plus `unanswered`.
pub const STATUS_NAMES: &[&str] = &[
    "success",
    "prog_unavail",
    "prog_mismatch",
    "proc_unavail",
    "garbage_args",
    "system_err",
    "rpc_mismatch",
    "auth_error",
    "accepted",
    "denied",
    "unknown",
    "unanswered",
];

/// The name of a reply status: an `accept_stat` or `reject_stat` name as in
/// the JSON output, `accepted` / `denied` when the capture cut the status
/// after `reply_stat`, `unknown` when it cut `reply_stat` itself.
pub fn status_name(st: &ReplyStatus) -> &'static str {
    match st {
        ReplyStatus::Accepted(b) => crate::output::schema::accept_name(b),
        ReplyStatus::Denied(RejectBody::RpcMismatch { .. }) => "rpc_mismatch",
        ReplyStatus::Denied(RejectBody::AuthError(_)) => "auth_error",
        ReplyStatus::AcceptedUnknown => "accepted",
        ReplyStatus::DeniedUnknown => "denied",
        ReplyStatus::Unknown => "unknown",
    }
}

/// The status of an exchange for filtering: its reply's, or `unanswered`.
fn exchange_status(ex: &Exchange) -> &'static str {
    match &ex.reply {
        Some(r) => status_name(&r.status),
        None => "unanswered",
    }
}

/// True when status `name` falls under the term `term` (`accepted` and
/// `denied` cover every accepted or denied status).
fn status_term_matches(term: &str, name: &str) -> bool {
    term == name
        || (term == "accepted"
            && matches!(
                name,
                "success"
                    | "prog_unavail"
                    | "prog_mismatch"
                    | "proc_unavail"
                    | "garbage_args"
                    | "system_err"
            ))
        || (term == "denied" && matches!(name, "rpc_mismatch" | "auth_error"))
}

/// Parses a number in decimal or `0x` hexadecimal.
fn parse_number(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// `--program`: a number (`100003`, `0x186a3`) or a name (`nfs`, `portmap`,
/// or a program of an `--idl` file).
pub fn parse_program(s: &str, registry: &Registry) -> Result<u32, FilterError> {
    if let Some(n) = parse_number(s) {
        return Ok(n);
    }
    match registry.program_by_name(s) {
        Some(n) => Ok(n),
        None => err(format!(
            "--program: unknown program '{s}' (give a number, or a name such as nfs, mountd, portmapper, nlockmgr)"
        )),
    }
}

/// What `--procedure` selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcedureMatch {
    /// This procedure number in any version.
    Number(u32),
    /// A name: the (version, procedure) pairs of the program that bear it
    /// (NFSv2 WRITE is 8, NFSv3 WRITE is 7).
    Named(Vec<(u32, u32)>),
}

/// `--procedure`: a number, or a name of a procedure of `program`.
pub fn parse_procedure(
    s: &str,
    program: Option<u32>,
    registry: &Registry,
) -> Result<ProcedureMatch, FilterError> {
    if let Some(n) = parse_number(s) {
        return Ok(ProcedureMatch::Number(n));
    }
    let Some(p) = program else {
        return err(format!(
            "--procedure: '{s}' is a name; give --program too so it can be looked up, or use the procedure number"
        ));
    };
    let mut pairs = Vec::new();
    if let Some(info) = crate::programs::program(p) {
        for v in info.versions {
            for (i, name) in v.procedures.iter().enumerate() {
                if !name.is_empty() && name.eq_ignore_ascii_case(s) {
                    pairs.push((v.version, i as u32));
                }
            }
        }
    }
    // Definitions (built-in `.x` files and `--idl`) name procedures too.
    for e in registry.versions().iter().filter(|e| e.program == p) {
        for q in &e.version_def().procedures {
            if (q.display.eq_ignore_ascii_case(s) || q.name.eq_ignore_ascii_case(s))
                && !pairs.contains(&(e.version, q.number))
            {
                pairs.push((e.version, q.number));
            }
        }
    }
    // An NFSv4 operation name selects compounds by their main operation
    // (see `Filter::main_ops`).
    if pairs.is_empty() && !crate::programs::nfs4::ops_named(registry, Some(p), s).is_empty() {
        return Ok(ProcedureMatch::Named(pairs));
    }
    if pairs.is_empty() {
        let pname = registry
            .program_name(p)
            .map_or_else(|| p.to_string(), str::to_string);
        return err(format!(
            "--procedure: program {pname} has no procedure named '{s}' (use the procedure number)"
        ));
    }
    Ok(ProcedureMatch::Named(pairs))
}

/// `--status`: a comma-separated list of status names, each optionally
/// negated with `!`. An exchange matches when it matches any plain name (or
/// there is none) and no negated one.
pub fn parse_status(s: &str, registry: &Registry) -> Result<StatusTerms, FilterError> {
    let mut terms = Vec::new();
    let mut body = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let (neg, name) = match part.strip_prefix('!') {
            Some(n) => (true, n.trim()),
            None => (false, part),
        };
        let lower = name.to_ascii_lowercase();
        if let Some(n) = STATUS_NAMES.iter().find(|n| **n == lower) {
            terms.push((neg, *n));
            continue;
        }
        let values = body_status_values(registry, name);
        if values.is_empty() {
            return err(format!(
                "--status: unknown status '{name}' (expected an RPC status: {}; or a program status such as NFS3ERR_NOENT, MNT3ERR_ACCES, NFS4ERR_STALE; optionally with a leading '!', comma-separated)",
                STATUS_NAMES.join(", ")
            ));
        }
        body.push(BodyStatusTerm {
            negated: neg,
            name: name.to_string(),
            values,
        });
    }
    Ok((terms, body))
}

/// The RPC status terms and the program status terms of `--status`.
pub type StatusTerms = (Vec<(bool, &'static str)>, Vec<BodyStatusTerm>);

/// A `--status` term naming a program status (`NFS3ERR_NOENT`): every
/// (program, version, status type, value) the registry gives that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyStatusTerm {
    pub negated: bool,
    pub name: String,
    pub values: Vec<(u32, u32, TypeId, i32)>,
}

impl BodyStatusTerm {
    fn hit(&self, ex: &Exchange<'_>) -> bool {
        let (Some(c), Some(st)) = (&ex.call, ex.facts.status) else {
            return false;
        };
        self.values.iter().any(|&(p, v, ty, val)| {
            c.program == Some(p) && c.version == Some(v) && ty == st.ty && val == st.value
        })
    }
}

/// Where the status enums of the registry's programs name `name` (exact,
/// or ignoring case when nothing matches exactly).
fn body_status_values(registry: &Registry, name: &str) -> Vec<(u32, u32, TypeId, i32)> {
    let mut exact = Vec::new();
    let mut loose = Vec::new();
    for e in registry.versions() {
        let schema = e.schema();
        for (i, t) in schema.types.iter().enumerate() {
            let ty = TypeId(i as u32);
            let Kind::Enum(en) = &t.kind else { continue };
            if !e.roles().has(ty, Role::STATUS) {
                continue;
            }
            for (n, v) in &en.values {
                if n == name {
                    exact.push((e.program, e.version, ty, *v));
                } else if n.eq_ignore_ascii_case(name) {
                    loose.push((e.program, e.version, ty, *v));
                }
            }
        }
    }
    if exact.is_empty() {
        loose
    } else {
        exact
    }
}

/// `--min-latency`: a number with a unit, `ns`, `us` (or `µs`), `ms` or `s`:
/// `250us`, `10ms`, `1.5s`. Returns nanoseconds.
pub fn parse_duration(opt: &str, s: &str) -> Result<u64, FilterError> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => {
            return err(format!(
                "{opt}: '{s}' needs a unit: ns, us, ms or s (e.g. 250us, 10ms, 1.5s)"
            ))
        }
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v * scale < u64::MAX as f64 => {
            Ok((v * scale).round() as u64)
        }
        _ => err(format!(
            "{opt}: '{s}' is not a duration (e.g. 250us, 10ms, 1.5s)"
        )),
    }
}

/// `--host`: an IPv4 or IPv6 address.
pub fn parse_host(s: &str) -> Result<IpAddr, FilterError> {
    s.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| {
            FilterError(format!(
                "--host: '{s}' is not an IP address (host names are not resolved)"
            ))
        })
}

/// An exchange predicate. The default filter matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub program: Option<u32>,
    pub procedure: Option<ProcedureMatch>,
    /// `(negated, status name)` terms; empty: any status.
    pub status: Vec<(bool, &'static str)>,
    /// Program status terms (`NFS3ERR_NOENT`, `!NFS3_OK`).
    pub body_status: Vec<BodyStatusTerm>,
    pub min_latency_ns: Option<u64>,
    /// Either side of the exchange must be one of these; empty: any.
    pub hosts: Vec<IpAddr>,
    /// `--xid`: only the exchange with this XID.
    pub xid: Option<u32>,
    /// `--frame`: only the exchange this frame belongs to (call, reply or
    /// a retransmission).
    pub frame: Option<u64>,
    /// NFSv4 operations a `--procedure` name gives, `(callback, number)`:
    /// a COMPOUND whose main operation is one of them matches it too.
    pub main_ops: Vec<(bool, u32)>,
    /// `--op`: only COMPOUNDs holding one of these operations; empty: any.
    pub ops: Vec<(bool, u32)>,
}

/// `--xid`: `0x`-prefixed hex (as the text output prints it) or decimal
/// (as JSON has it).
pub fn parse_xid(s: &str) -> Result<u32, FilterError> {
    let t = s.trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => t.parse(),
    };
    parsed.map_err(|_| {
        FilterError(format!(
            "--xid: '{s}' is not an XID: 0x followed by up to 8 hex digits, or a decimal number below 2^32"
        ))
    })
}

/// `--op`: comma-separated NFSv4 operation names (`OP_LAYOUTGET`,
/// `LAYOUTGET`, `CB_RECALL`, any case), as `(callback, number)`.
pub fn parse_ops(s: &str, registry: &Registry) -> Result<Vec<(bool, u32)>, FilterError> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        let found = crate::programs::nfs4::ops_named(registry, None, part);
        if found.is_empty() {
            return err(format!(
                "--op: unknown NFSv4 operation '{part}' (e.g. OP_READ, LAYOUTGET, CB_RECALL; comma-separated)"
            ));
        }
        out.extend(found);
    }
    Ok(out)
}

impl Filter {
    /// Validates the user's values (the config step).
    pub fn new(
        program: Option<&str>,
        procedure: Option<&str>,
        status: Option<&str>,
        min_latency: Option<&str>,
        hosts: &[String],
    ) -> Result<Filter, FilterError> {
        Self::with_registry(
            program,
            procedure,
            status,
            min_latency,
            hosts,
            &Registry::builtin(),
        )
    }

    /// [`Filter::new`] with the names of `registry` (`--idl` programs).
    pub fn with_registry(
        program: Option<&str>,
        procedure: Option<&str>,
        status: Option<&str>,
        min_latency: Option<&str>,
        hosts: &[String],
        registry: &Registry,
    ) -> Result<Filter, FilterError> {
        let program = program.map(|p| parse_program(p, registry)).transpose()?;
        let (status, body_status) = status
            .map(|s| parse_status(s, registry))
            .transpose()?
            .unwrap_or_default();
        let main_ops = match (procedure, program) {
            (Some(name), Some(p)) if parse_number(name).is_none() => {
                crate::programs::nfs4::ops_named(registry, Some(p), name)
            }
            _ => Vec::new(),
        };
        Ok(Filter {
            program,
            main_ops,
            ops: Vec::new(),
            procedure: procedure
                .map(|p| parse_procedure(p, program, registry))
                .transpose()?,
            status,
            body_status,
            min_latency_ns: min_latency
                .map(|s| parse_duration("--min-latency", s))
                .transpose()?,
            hosts: hosts
                .iter()
                .map(|h| parse_host(h))
                .collect::<Result<_, _>>()?,
            xid: None,
            frame: None,
        })
    }

    /// Adds `--op` (comma-separated NFSv4 operation names).
    pub fn with_ops(mut self, op: Option<&str>, registry: &Registry) -> Result<Self, FilterError> {
        if let Some(s) = op {
            self.ops = parse_ops(s, registry)?;
        }
        Ok(self)
    }

    /// True when the filter matches everything.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// True when deciding needs the reply (status or latency).
    pub fn needs_reply(&self) -> bool {
        !self.status.is_empty()
            || !self.body_status.is_empty()
            || self.min_latency_ns.is_some()
            || self.frame.is_some()
    }

    /// The part of the filter decided by the call (and endpoints) alone.
    pub fn matches_call(&self, ex: &Exchange) -> bool {
        if self.xid.is_some_and(|x| x != ex.xid) {
            return false;
        }
        if !self.hosts.is_empty()
            && !self
                .hosts
                .iter()
                .any(|h| *h == ex.client.addr || *h == ex.server.addr)
        {
            return false;
        }
        if !self.ops.is_empty() {
            let Some(c) = ex.facts.compound.as_deref() else {
                return false;
            };
            if !self
                .ops
                .iter()
                .any(|&(cb, op)| cb == c.callback && c.contains(op))
            {
                return false;
            }
        }
        if self.program.is_none() && self.procedure.is_none() {
            return true;
        }
        let Some(c) = &ex.call else { return false };
        if let Some(p) = self.program {
            if c.program != Some(p) {
                return false;
            }
        }
        match &self.procedure {
            None => true,
            Some(ProcedureMatch::Number(n)) => c.procedure == Some(*n),
            Some(ProcedureMatch::Named(pairs)) => {
                let named = match (c.version, c.procedure) {
                    (Some(v), Some(q)) => pairs.contains(&(v, q)),
                    _ => false,
                };
                named
                    || ex.facts.compound.as_deref().is_some_and(|cp| {
                        cp.main_op()
                            .is_some_and(|m| self.main_ops.contains(&(cp.callback, m)))
                    })
            }
        }
    }

    /// The whole filter, for an exchange whose reply (if any) is known.
    pub fn matches(&self, ex: &Exchange) -> bool {
        if !self.matches_call(ex) {
            return false;
        }
        if let Some(n) = self.frame {
            let call = ex.call.as_ref().map(|c| c.meta.frame);
            let reply = ex.reply.as_ref().map(|r| r.meta.frame);
            if call != Some(n) && reply != Some(n) && !ex.retransmit_frames.frames().contains(&n) {
                return false;
            }
        }
        if let Some(min) = self.min_latency_ns {
            match ex.latency_ns() {
                Some(l) if l >= min && !ex.duplicate_reply => {}
                _ => return false,
            }
        }
        if !self.status.is_empty() {
            let name = exchange_status(ex);
            let mut any_plain = false;
            let mut plain_hit = false;
            for (neg, term) in &self.status {
                let hit = status_term_matches(term, name);
                if *neg && hit {
                    return false;
                }
                if !*neg {
                    any_plain = true;
                    plain_hit |= hit;
                }
            }
            if any_plain && !plain_hit {
                return false;
            }
        }
        if !self.body_status.is_empty() {
            let mut any_plain = false;
            let mut plain_hit = false;
            for t in &self.body_status {
                let hit = t.hit(ex);
                if t.negated && hit {
                    return false;
                }
                if !t.negated {
                    any_plain = true;
                    plain_hit |= hit;
                }
            }
            if any_plain && !plain_hit {
                return false;
            }
        }
        true
    }
}

/// A [`Sink`] adapter that forwards the events of matching exchanges.
pub struct FilteredSink<'a, S: Sink> {
    inner: S,
    filter: &'a Filter,
    /// Exchange records forwarded (Complete, Unmatched, Orphan).
    records: u64,
}

impl<'a, S: Sink> FilteredSink<'a, S> {
    pub fn new(inner: S, filter: &'a Filter) -> Self {
        FilteredSink {
            inner,
            filter,
            records: 0,
        }
    }

    /// The sink behind the filter.
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Exchange records (complete exchanges, unmatched calls, orphan
    /// replies) forwarded so far: what `--count` counts.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Offers one event; returns whether it (or its exchange) was forwarded.
    pub fn offer(&mut self, ev: &Event) -> io::Result<bool> {
        let f = self.filter;
        match ev.kind {
            ExchangeKind::CallSeen | ExchangeKind::Retransmitted => {
                if f.needs_reply() || !f.matches_call(&ev.exchange) {
                    return Ok(false);
                }
                self.inner.event(ev)?;
                Ok(true)
            }
            ExchangeKind::Complete | ExchangeKind::Unmatched | ExchangeKind::Orphan => {
                if !f.matches(&ev.exchange) {
                    return Ok(false);
                }
                let ex = &ev.exchange;
                if f.needs_reply() && ev.kind == ExchangeKind::Complete && !ex.duplicate_reply {
                    if let Some(c) = &ex.call {
                        // The held-back call line, just before its reply.
                        let call_ev = Event {
                            kind: ExchangeKind::CallSeen,
                            frame: c.meta.frame,
                            ts: c.meta.ts,
                            exchange: Exchange {
                                reply: None,
                                ..ex.clone()
                            },
                        };
                        self.inner.event(&call_ev)?;
                    }
                }
                self.records += 1;
                self.inner.event(ev)?;
                Ok(true)
            }
        }
    }
}

impl<S: Sink> Sink for FilteredSink<'_, S> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        self.inner.begin_file(file)
    }
    fn first_frame(&mut self, ts: crate::capture::Timestamp) -> io::Result<()> {
        self.inner.first_frame(ts)
    }
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.offer(ev).map(|_| ())
    }
    /// Anomalies are not exchanges: the filters do not apply.
    fn anomaly(&mut self, a: &crate::anomaly::AnomalyRecord) -> io::Result<()> {
        self.inner.anomaly(a)
    }
    fn capture_counts(&mut self, c: &CaptureCounts) -> io::Result<()> {
        self.inner.capture_counts(c)
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.inner.finish(summary)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A BPF expression compiled for each link type met (see the module docs).
pub struct BpfFilter {
    expr: String,
    #[cfg(feature = "live")]
    compiled: Vec<(crate::capture::LinkType, pcap::BpfProgram)>,
}

impl fmt::Debug for BpfFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BpfFilter({:?})", self.expr)
    }
}

impl BpfFilter {
    /// Compiles `expr` for Ethernet to check it (link types met later are
    /// compiled when first seen).
    #[cfg(feature = "live")]
    pub fn new(expr: &str) -> Result<BpfFilter, FilterError> {
        let mut f = BpfFilter {
            expr: expr.to_string(),
            compiled: Vec::new(),
        };
        f.program_for(crate::capture::LinkType::ETHERNET)?;
        Ok(f)
    }

    /// Without libpcap there is no BPF compiler.
    #[cfg(not(feature = "live"))]
    pub fn new(expr: &str) -> Result<BpfFilter, FilterError> {
        err(format!(
            "-f '{expr}': BPF filters need rpcscope built with the 'live' feature (libpcap)"
        ))
    }

    /// The expression as given.
    pub fn expr(&self) -> &str {
        &self.expr
    }

    #[cfg(feature = "live")]
    fn program_for(
        &mut self,
        link: crate::capture::LinkType,
    ) -> Result<&pcap::BpfProgram, FilterError> {
        let i = match self.compiled.iter().position(|(l, _)| *l == link) {
            Some(i) => i,
            None => {
                let bad = |e: pcap::Error| {
                    FilterError(format!("-f '{}': {e} (link type {link})", self.expr))
                };
                let dead = pcap::Capture::dead(pcap::Linktype(link.0 as i32)).map_err(bad)?;
                let prog = dead.compile(&self.expr, true).map_err(bad)?;
                self.compiled.push((link, prog));
                self.compiled.len() - 1
            }
        };
        Ok(&self.compiled[i].1)
    }

    /// True when the frame passes the filter. An error when the expression
    /// cannot be compiled for the frame's link type.
    pub fn matches(&mut self, frame: &crate::capture::Frame<'_>) -> Result<bool, FilterError> {
        #[cfg(feature = "live")]
        {
            Ok(self.program_for(frame.link)?.filter(frame.data))
        }
        #[cfg(not(feature = "live"))]
        {
            let _ = frame;
            err(format!("-f '{}': BPF needs the 'live' feature", self.expr))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xids_in_hex_as_text_prints_them_or_decimal_as_json_has_them() {
        assert_eq!(parse_xid("0x455575c3"), Ok(0x455575c3));
        assert_eq!(parse_xid("0X455575C3"), Ok(0x455575c3));
        assert_eq!(parse_xid("1163228611"), Ok(0x455575c3));
        assert_eq!(parse_xid(" 0xffffffff "), Ok(u32::MAX));
        for bad in ["0x", "0x1ffffffff", "4294967296", "-1", "xid", "0xzz", ""] {
            let e = parse_xid(bad).unwrap_err();
            assert!(e.0.starts_with(&format!("--xid: '{bad}'")), "{e}");
        }
        let f = Filter {
            frame: Some(7),
            ..Filter::default()
        };
        assert!(f.needs_reply(), "the frame may be the reply's");
        assert!(!Filter {
            xid: Some(1),
            ..Filter::default()
        }
        .needs_reply());
    }

    #[test]
    fn programs_by_number_and_name() {
        assert_eq!(parse_program("100003", &Registry::builtin()), Ok(100003));
        assert_eq!(parse_program("0x186a3", &Registry::builtin()), Ok(100003));
        assert_eq!(parse_program("nfs", &Registry::builtin()), Ok(100003));
        assert_eq!(parse_program("NFS", &Registry::builtin()), Ok(100003));
        assert!(parse_program("nosuchprog", &Registry::builtin()).is_err());
    }

    #[test]
    fn procedure_names_depend_on_version() {
        let nfs = Some(100003);
        match parse_procedure("WRITE", nfs, &Registry::builtin()).unwrap() {
            ProcedureMatch::Named(p) => {
                assert!(p.contains(&(3, 7)), "{p:?}");
                assert!(p.contains(&(2, 8)), "{p:?}");
            }
            m => panic!("{m:?}"),
        }
        assert_eq!(
            parse_procedure("7", None, &Registry::builtin()),
            Ok(ProcedureMatch::Number(7))
        );
        assert!(parse_procedure("WRITE", None, &Registry::builtin()).is_err());
        assert!(parse_procedure("FROBNICATE", nfs, &Registry::builtin()).is_err());
    }

    #[test]
    fn statuses() {
        assert_eq!(
            parse_status("success", &Registry::builtin()).map(|(t, _)| t),
            Ok(vec![(false, "success")])
        );
        assert_eq!(
            parse_status("!success,auth_error", &Registry::builtin()).map(|(t, _)| t),
            Ok(vec![(true, "success"), (false, "auth_error")])
        );
        assert!(parse_status("sucess", &Registry::builtin())
            .map(|(t, _)| t)
            .is_err());
        assert!(parse_status("", &Registry::builtin())
            .map(|(t, _)| t)
            .is_err());
        assert!(status_term_matches("denied", "auth_error"));
        assert!(status_term_matches("accepted", "prog_unavail"));
        assert!(!status_term_matches("accepted", "auth_error"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("x", "10ms"), Ok(10_000_000));
        assert_eq!(parse_duration("x", "1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("x", "250us"), Ok(250_000));
        assert_eq!(parse_duration("x", "250µs"), Ok(250_000));
        assert_eq!(parse_duration("x", "7ns"), Ok(7));
        for bad in ["10", "ms", "1.2.3ms", "-1ms", "10 parsecs", ""] {
            assert!(parse_duration("x", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hosts() {
        assert_eq!(
            parse_host("127.0.0.1"),
            Ok("127.0.0.1".parse::<IpAddr>().unwrap())
        );
        assert_eq!(parse_host("[::1]"), Ok("::1".parse::<IpAddr>().unwrap()));
        assert!(parse_host("localhost").is_err());
    }

    #[test]
    fn empty_filter_matches_everything() {
        let f = Filter::new(None, None, None, None, &[]).unwrap();
        assert!(f.is_empty());
        assert!(!f.needs_reply());
    }
}
