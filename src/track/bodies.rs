//! Where bodies meet program semantics: the arguments kept while a call
//! waits, the status of each result, and what replies teach the path table.
//!
//! The tracker calls [`BodyState::on_call`] for each new call and
//! [`BodyState::on_reply`] for each reply that matched one; this module asks
//! the [`Registry`] for the program's definition and
//! [`crate::programs::facts`] for what the bodies say. Generic rules, driven
//! by the roles of the program's types, cover NFSv2/v3, MOUNT and any
//! program with the same kinds of types:
//!
//! - the call acts on `path(dir)/name` for its first (directory, name) pair,
//!   else on its absolute path (MOUNT), else on `path(first handle)`;
//! - a successful reply whose call named (directory, name) and which returns
//!   a handle teaches `handle = name in directory` (LOOKUP, CREATE, MKDIR,
//!   SYMLINK, MKNOD);
//! - directory entries with handles teach the names of handles not yet
//!   known (READDIRPLUS: a file with two hard links keeps its first name);
//! - a reply with a handle to a call naming an absolute path teaches an
//!   export root (MOUNT MNT);
//! - the semantics' renames move a handle between places, and their
//!   removals forget the handle at a place;
//! - portmap and rpcbind messages teach where programs listen
//!   ([`super::ports`]), in every [`BodyMode`]: what is read as RPC must
//!   not depend on the output chosen.
//!
//! NFSv4 COMPOUNDs (and CB_COMPOUNDs) take their own path, [`super::nfs4`]:
//! their operations are read one by one ([`crate::programs::nfs4`]) even
//! when only statuses are wanted (statistics split compounds by their main
//! operation), the current filehandle is followed for paths, and callback
//! program numbers are learned.
//!
//! Contract: memory is bounded by `Limits::max_pending_body_bytes` for the
//! kept arguments and compound records, `Limits::max_paths` and `Limits::max_learned_ports` for
//! the tables; a body that does not decode teaches nothing and fails
//! nothing. With bodies off, events carry no body.

use std::sync::Arc;

use super::nfs4::{self, CbPrograms};
use super::paths::Paths;
use super::ports::Ports;
use crate::anomaly::{Anomalies, Anomaly};
use crate::capture::Timestamp;
use crate::event::{AuthSummary, Body, BodyPart, BodyStatus, CallRec, ReplyRec, Sealed};
use crate::limits::Limits;
use crate::net::{Endpoint, Transport};
use crate::programs::facts::{self, Facts, Marks, Scratch, Want};
use crate::programs::mappings::{self, PORTMAP};
use crate::programs::nfs4::{walk_compound, Compound, Shape, Walked};
use crate::programs::registry::{Registry, VersionEntry};
use crate::programs::walk::{BodyErrorKind, WalkLimits};

/// How much of each body the tracker decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyMode {
    /// Headers only (`--no-bodies`): no body is kept or decoded.
    Off,
    /// Only the status that heads each result (statistics): arguments are
    /// not kept and paths are not learned.
    Status,
    /// Everything: arguments kept for output, statuses, paths.
    Full,
}

/// What a new call leaves behind.
pub struct Seen {
    /// The arguments to keep until the reply.
    pub kept: Option<Body<'static>>,
    /// The path of the object the call acts on.
    pub path: Option<Arc<str>>,
    /// The hash of the handle it acts on.
    pub fh_hash: Option<u32>,
    /// Where its facts sit in the kept arguments (read again at the reply
    /// without a second walk).
    pub marks: Marks,
    /// What a pending call keeps besides its arguments.
    pub extra: CallExtra,
}

/// What a pending call keeps for its reply besides its arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallExtra {
    /// An NFSv4 COMPOUND's operations.
    pub compound: Option<Arc<Compound>>,
    /// The program whose definition decodes it (a learned callback number).
    pub decode_as: Option<u32>,
}

/// What a reply's results say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// The status that heads the result.
    pub status: Option<BodyStatus>,
    /// An NFSv4 COMPOUND's operations with their statuses.
    pub compound: Option<Arc<Compound>>,
    /// The program whose definition decoded it.
    pub decode_as: Option<u32>,
}

/// Bodies' share of the tracker's state. See the module docs.
pub struct BodyState {
    registry: Arc<Registry>,
    mode: BodyMode,
    walk: WalkLimits,
    keep: usize,
    kept_bytes: usize,
    max_kept_bytes: usize,
    max_entries: usize,
    max_ops: usize,
    paths: Paths,
    cb_programs: CbPrograms,
    scratch: Scratch,
    /// Keep bulk data of waiting calls (else arguments are kept up to
    /// where their bulk data starts: a WRITE keeps its handle, offset and
    /// count, not 8 KiB of payload nobody shows).
    pub(super) keep_bulk: bool,
    ports: Ports,
    max_mappings: usize,
}

/// Where a message travelled: the exchange's transport, its server (the
/// callee) and the capture time.
#[derive(Debug, Clone, Copy)]
pub struct Via {
    pub transport: Transport,
    pub server: Endpoint,
    pub ts: Timestamp,
}

impl BodyState {
    pub fn new(limits: &Limits, registry: Arc<Registry>, mode: BodyMode) -> Self {
        BodyState {
            registry,
            mode,
            walk: WalkLimits::from(limits),
            keep: limits.body_keep,
            kept_bytes: 0,
            max_kept_bytes: limits.max_pending_body_bytes,
            max_entries: limits.max_dir_entries,
            max_ops: limits.max_compound_ops,
            paths: Paths::with_budget(limits.max_paths, limits.max_path_bytes),
            cb_programs: CbPrograms::default(),
            scratch: Scratch::default(),
            keep_bulk: false,
            ports: Ports::new(limits.max_learned_ports),
            max_mappings: limits.max_learned_ports,
        }
    }

    /// The endpoints learned from portmap and rpcbind.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// What of `body` (the `part` of a message whose call had the
    /// credential `auth`) the decoders can read: RPCSEC_GSS protection
    /// removed or reported ([`super::gss`]); nothing is reported with
    /// bodies off.
    pub fn unwrap<'b>(
        &self,
        auth: Option<&AuthSummary>,
        body: Option<Body<'b>>,
        part: BodyPart,
    ) -> (Option<Body<'b>>, Option<Sealed>) {
        let (body, sealed) = super::gss::unwrap(auth, body, part);
        (body, sealed.filter(|_| self.mode != BodyMode::Off))
    }

    /// A body as events carry it: none with bodies off (`--no-bodies`),
    /// even where one was kept to learn ports.
    pub fn shown<'b>(&self, body: Option<Body<'b>>) -> Option<Body<'b>> {
        body.filter(|_| self.mode != BodyMode::Off)
    }

    /// Learns the mappings a portmap/rpcbind message tells (in every mode:
    /// they decide what is read as RPC, which must not depend on the
    /// output). `reply`: the results, with the call's arguments in `call`.
    fn learn_ports(
        &mut self,
        call: &CallRec,
        args: Option<&Body<'_>>,
        reply: Option<&Body<'_>>,
        via: Via,
        anomalies: &mut Anomalies,
    ) {
        let (Some(version), Some(proc_no)) = (call.version, call.procedure) else {
            return;
        };
        let Some(entry) = self.registry.version(PORTMAP, version) else {
            return;
        };
        let Some(proc_def) = entry.procedure(proc_no) else {
            return;
        };
        let mut found = Vec::new();
        let args = args.map(Body::bytes);
        match reply {
            None => {
                if let Some(a) = &args {
                    mappings::from_call(
                        entry.schema(),
                        version,
                        proc_no,
                        &proc_def.args,
                        a,
                        via.transport,
                        &self.walk,
                        self.max_mappings,
                        &mut found,
                    );
                }
            }
            Some(r) => mappings::from_reply(
                entry.schema(),
                version,
                proc_no,
                &proc_def.args,
                args.as_ref(),
                proc_def.result,
                &r.bytes(),
                via.transport,
                &self.walk,
                self.max_mappings,
                &mut found,
            ),
        }
        for m in &found {
            self.ports.learn(m, via.server.addr, via.ts, anomalies);
        }
    }

    /// Keeps a copy of at most `limit` bytes of `body` within the budget
    /// (counted when refused).
    fn keep(
        &mut self,
        body: &Body<'_>,
        limit: usize,
        anomalies: &mut Anomalies,
    ) -> Option<Body<'static>> {
        let limit = limit.min(self.keep);
        if self.kept_bytes + body.data.len().min(limit) <= self.max_kept_bytes {
            let k = body.to_kept(limit);
            self.kept_bytes += k.data.len();
            Some(k)
        } else {
            anomalies.add(Anomaly::BodyNotKept);
            None
        }
    }

    /// The definition of the call's program (or of the callback program, for
    /// a learned callback number: its number is returned too).
    fn entry_of<'r>(
        &self,
        registry: &'r Registry,
        call: &CallRec,
    ) -> Option<(&'r VersionEntry, Option<u32>)> {
        if self.mode == BodyMode::Off {
            return None;
        }
        let (p, v) = (call.program?, call.version?);
        if let Some(e) = registry.version(p, v) {
            return Some((e, None));
        }
        let as_p = self.cb_programs.decode_as(registry, p, v)?;
        Some((registry.version(as_p, v)?, Some(as_p)))
    }

    /// A COMPOUND call: its operations, the callback numbers it announces,
    /// and (in full mode) its path and kept arguments.
    fn on_compound_call(
        &mut self,
        entry: &VersionEntry,
        shape: &Shape<'_>,
        decode_as: Option<u32>,
        body: &Body<'_>,
        anomalies: &mut Anomalies,
    ) -> Seen {
        let bytes = body.bytes();
        let w = walk_compound(
            entry.schema(),
            entry.roles(),
            &shape.args,
            &bytes,
            &self.walk,
            self.max_ops,
        );
        count_stop(&w, anomalies);
        self.cb_programs.learn(&self.registry, &w);
        let compound = Compound::from_call(shape, &w);
        let (path, fh_hash) = if self.mode == BodyMode::Full {
            nfs4::call_path(&mut self.paths, shape.callback, &w)
        } else {
            (None, None)
        };
        let path = self.keep_path(path, anomalies);
        let cost = compound.heap_bytes();
        let compound = if self.kept_bytes + cost <= self.max_kept_bytes {
            self.kept_bytes += cost;
            Some(Arc::new(compound))
        } else {
            anomalies.add(Anomaly::BodyNotKept);
            None
        };
        // Kept whole (up to `body_keep`), bulk data included: operations
        // after a WRITE's data (GETATTR) are still to be shown and walked
        // at the reply. When the data runs past `body_keep`, what follows it
        // would be cut anyway: the arguments are kept up to the data, as
        // NFSv3's are (8 KiB of data nobody shows would fill the budget
        // with a few hundred writes in flight).
        let limit = match w.ops.iter().find_map(|o| o.data_at.zip(o.data_len)) {
            Some((at, len)) if !self.keep_bulk && at as u64 + len > self.keep as u64 => at,
            _ => usize::MAX,
        };
        let kept = if self.mode == BodyMode::Full {
            self.keep(body, limit, anomalies)
        } else {
            None
        };
        Seen {
            kept,
            path,
            fh_hash,
            marks: Marks::default(),
            extra: CallExtra {
                compound,
                decode_as,
            },
        }
    }

    /// A new call: keeps its arguments (within the budget) and finds the
    /// path it acts on.
    pub fn on_call(
        &mut self,
        call: &CallRec,
        body: Option<&Body<'_>>,
        via: Via,
        anomalies: &mut Anomalies,
    ) -> Seen {
        let none = Seen {
            kept: None,
            path: None,
            fh_hash: None,
            marks: Marks::default(),
            extra: CallExtra::default(),
        };
        if call.program == Some(PORTMAP) {
            // Portmap calls are kept in every mode: their replies are read
            // with them (GETPORT answers a port for the mapping asked).
            self.learn_ports(call, body, None, via, anomalies);
            if self.mode != BodyMode::Full {
                return Seen {
                    kept: body.and_then(|b| self.keep(b, usize::MAX, anomalies)),
                    ..none
                };
            }
        }
        let (Some(body), Some(proc_no)) = (body, call.procedure) else {
            return none;
        };
        // A clone of the registry frees `self` for the scratch stack and
        // the path table.
        let registry = self.registry.clone();
        let Some((entry, decode_as)) = self.entry_of(&registry, call) else {
            return none;
        };
        if let Some(shape) = Shape::of(entry, proc_no) {
            return self.on_compound_call(entry, &shape, decode_as, body, anomalies);
        }
        if self.mode != BodyMode::Full {
            return none;
        }
        let Some(proc_def) = entry.procedure(proc_no) else {
            return none;
        };
        let facts = facts::extract(
            entry.schema(),
            entry.roles(),
            &proc_def.args,
            &body.bytes(),
            &self.walk,
            Want {
                status_only: false,
                max_entries: 0,
            },
            &mut self.scratch,
        );
        count_malformed(&facts, anomalies);
        let path = self.call_path(&facts);
        let path = self.keep_path(path, anomalies);
        let fh_hash = facts.first_fh.map(crc32fast::hash);
        let limit = match facts.marks.bulk_at() {
            Some(at) if !self.keep_bulk => at,
            _ => usize::MAX,
        };
        let kept = self.keep(body, limit, anomalies);
        Seen {
            kept,
            path,
            fh_hash,
            marks: facts.marks,
            extra: CallExtra {
                compound: None,
                decode_as,
            },
        }
    }

    /// Keeps the path a call acts on while it waits for its reply, within
    /// the budget of kept arguments (a path is at most `MAX_PATH_BYTES`;
    /// counted when refused, and then not shown for this call either).
    fn keep_path(&mut self, path: Option<Arc<str>>, anomalies: &mut Anomalies) -> Option<Arc<str>> {
        let path = path?;
        if self.kept_bytes + path.len() <= self.max_kept_bytes {
            self.kept_bytes += path.len();
            Some(path)
        } else {
            anomalies.add(Anomaly::BodyNotKept);
            None
        }
    }

    /// Kept arguments, path and records leave the table (answered,
    /// expired, evicted).
    pub fn release(
        &mut self,
        kept: Option<&Body<'static>>,
        path: Option<&Arc<str>>,
        extra: &CallExtra,
    ) {
        let mut n = kept.map_or(0, |b| b.data.len());
        n += path.map_or(0, |p| p.len());
        n += extra.compound.as_ref().map_or(0, |c| c.heap_bytes());
        self.kept_bytes = self.kept_bytes.saturating_sub(n);
    }

    fn call_path(&mut self, f: &Facts<'_>) -> Option<Arc<str>> {
        if let Some((dir, name)) = f.first_dir_name() {
            return self.paths.child_path(dir, name);
        }
        if let Some(p) = f.pathname {
            return Some(super::paths::bounded(&String::from_utf8_lossy(p)).into());
        }
        f.first_fh.and_then(|fh| self.paths.path(fh))
    }

    /// A reply matched to `call` (whose kept arguments, their facts'
    /// marks and records are `call_body`, `call_marks` and `extra`): the
    /// status of its results, and what it teaches the path table.
    #[allow(clippy::too_many_arguments)]
    pub fn on_reply(
        &mut self,
        call: &CallRec,
        call_body: Option<&Body<'_>>,
        call_marks: Marks,
        extra: &CallExtra,
        reply: &ReplyRec,
        body: Option<&Body<'_>>,
        via: Via,
        anomalies: &mut Anomalies,
    ) -> Answer {
        let mut answer = Answer {
            status: None,
            compound: extra.compound.clone(),
            decode_as: extra.decode_as,
        };
        let (Some(body), true) = (body, reply.status.is_success()) else {
            return answer;
        };
        if call.program == Some(PORTMAP) {
            self.learn_ports(call, call_body, Some(body), via, anomalies);
        }
        let registry = self.registry.clone();
        let Some((entry, decode_as)) = self.entry_of(&registry, call) else {
            return answer;
        };
        answer.decode_as = answer.decode_as.or(decode_as);
        let Some(proc_no) = call.procedure else {
            return answer;
        };
        if let Some(shape) = Shape::of(entry, proc_no) {
            self.on_compound_reply(entry, &shape, call_body, body, anomalies, &mut answer);
            return answer;
        }
        answer.status = self.on_plain_reply(entry, proc_no, call_body, call_marks, body, anomalies);
        answer
    }

    /// A COMPOUND reply: the compound's and each operation's status, and
    /// (in full mode) what its operations teach the path table.
    fn on_compound_reply(
        &mut self,
        entry: &VersionEntry,
        shape: &Shape<'_>,
        call_body: Option<&Body<'_>>,
        body: &Body<'_>,
        anomalies: &mut Anomalies,
        answer: &mut Answer,
    ) {
        let bytes = body.bytes();
        let (schema, roles) = (entry.schema(), entry.roles());
        let w = walk_compound(
            schema,
            roles,
            &shape.result,
            &bytes,
            &self.walk,
            self.max_ops,
        );
        count_stop(&w, anomalies);
        answer.status = w.status.map(|(ty, value)| BodyStatus { ty, value });
        answer.compound = Some(Arc::new(Compound::with_reply(
            answer.compound.as_deref(),
            shape,
            &w,
        )));
        // Only a GETFH that returned a handle, a RENAME or a REMOVE teaches
        // (see `nfs4::learn`): the call is walked again only for those.
        if self.mode != BodyMode::Full || !nfs4::may_teach(&w) {
            return;
        }
        if let Some(cb) = call_body {
            let cbytes = cb.bytes();
            let cw = walk_compound(
                schema,
                roles,
                &shape.args,
                &cbytes,
                &self.walk,
                self.max_ops,
            );
            nfs4::learn(&mut self.paths, &cw, &w);
        }
    }

    /// A reply of any other procedure: its status, and what it teaches.
    fn on_plain_reply(
        &mut self,
        entry: &VersionEntry,
        proc_no: u32,
        call_body: Option<&Body<'_>>,
        call_marks: Marks,
        body: &Body<'_>,
        anomalies: &mut Anomalies,
    ) -> Option<BodyStatus> {
        let mode = self.mode;
        let version = entry.version;
        let proc_def = entry.procedure(proc_no)?;
        let status_only = mode != BodyMode::Full;
        let rf = facts::extract(
            entry.schema(),
            entry.roles(),
            std::slice::from_ref(&proc_def.result),
            &body.bytes(),
            &self.walk,
            Want {
                status_only,
                max_entries: self.max_entries,
            },
            &mut self.scratch,
        );
        count_malformed(&rf, anomalies);
        let status = rf.status.map(|(ty, value)| BodyStatus { ty, value });
        if status_only {
            return status;
        }
        // Only a success teaches (no status means success).
        if status.is_some_and(|s| !entry.semantics.is_ok(s.value)) {
            return status;
        }
        let Some(call_body) = call_body else {
            return status;
        };
        let sem = entry.semantics;
        let kind = if sem.renames.contains(&(version, proc_no)) {
            Change::Rename
        } else if sem.removes.contains(&(version, proc_no)) {
            Change::Remove
        } else {
            Change::Learn
        };
        // A reply that returns no handle teaches nothing new (most
        // replies: GETATTR, READ, WRITE...).
        if kind == Change::Learn && rf.first_fh.is_none() && rf.entries.is_empty() {
            return status;
        }
        // The call's facts, found when it was seen, in its kept arguments.
        let cf = call_marks.resolve(&call_body.data);
        self.learn(&cf, &rf, kind);
        status
    }

    fn learn(&mut self, call: &Facts<'_>, reply: &Facts<'_>, kind: Change) {
        match kind {
            Change::Rename => {
                let mut pairs = call.dir_names();
                if let (Some((od, on)), Some((nd, nn))) = (pairs.next(), pairs.next()) {
                    self.paths.rename(od, on, nd, nn);
                }
                return;
            }
            Change::Remove => {
                if let Some((dir, name)) = call.first_dir_name() {
                    self.paths.forget(dir, name);
                }
                return;
            }
            Change::Learn => {}
        }
        if let (Some((dir, name)), Some(fh)) = (call.first_dir_name(), reply.first_fh) {
            self.paths.learn_child(fh, dir, name);
        } else if let (Some(path), Some(fh)) = (call.pathname, reply.first_fh) {
            self.paths.learn_root(fh, path);
        }
        if let Some(dir) = call.first_fh {
            for &(name, fh) in &reply.entries {
                self.paths.learn_entry(fh, dir, name);
            }
        }
    }
}

/// The same as [`count_malformed`] for a compound's operations.
fn count_stop(w: &Walked<'_>, anomalies: &mut Anomalies) {
    if let Some(s) = w.stop {
        if matches!(s.error.kind, BodyErrorKind::Malformed(_)) {
            anomalies.add(Anomaly::BodyMalformed);
        }
    }
}

/// What a successful reply does to the path table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Handles returned are learned (LOOKUP, CREATE, MNT, READDIRPLUS...).
    Learn,
    /// The first (directory, name) moves to the second.
    Rename,
    /// The (directory, name) no longer names its handle.
    Remove,
}

/// A body that broke its type is an anomaly; one cut short by the capture
/// is already counted where it was cut.
fn count_malformed(f: &Facts<'_>, anomalies: &mut Anomalies) {
    if let Some(e) = f.error {
        if matches!(e.kind, crate::programs::walk::BodyErrorKind::Malformed(_)) {
            anomalies.add(Anomaly::BodyMalformed);
        }
    }
}
