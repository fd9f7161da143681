//! Call/reply matching by XID.
//!
//! The tracker pairs each reply with its call. Pending calls are keyed by
//! transport, caller, callee and XID: the caller direction is part of the key,
//! so a callback the server sends on the client's own TCP connection
//! (NFSv4.1 backchannel) is matched to its own reply and never confused with
//! a forward call that happens to share the XID.
//!
//! - A call whose key is already pending is a retransmission: reported, not
//!   tracked twice.
//! - A reply is matched and the key moves to a bounded "answered" table, so a
//!   retransmitted call after its reply and the duplicate reply that follows
//!   are recognised (reported with `duplicate_reply`) and not double counted.
//! - A reply with no call is an orphan.
//! - A call with no reply is reported when it times out in capture time, is
//!   evicted because the table is full (counted as an anomaly), or at the end
//!   of input.
//!
//! Bodies: the tracker is where program bodies meet their semantics
//! ([`bodies`]), because a reply's meaning depends on the call it answers.
//! It keeps a bounded copy of each call's arguments while the call waits,
//! extracts the result's status, and feeds the path table ([`paths`]) and
//! the ports learned from portmap and rpcbind ([`ports`]), which
//! [`Tracker::is_rpc_server`] reports as RPC servers.
//!
//! Sans-IO: time comes from frame timestamps passed in, events go out through
//! a callback. Memory is bounded by `Limits::max_pending_calls`,
//! `Limits::max_answered`, `Limits::max_rpc_flows`,
//! `Limits::max_pending_body_bytes`, `Limits::max_paths` and
//! `Limits::max_learned_ports`.

mod bodies;
pub mod gss;
mod nfs4;
mod paths;
mod pending;
mod ports;

pub use bodies::BodyMode;
use bodies::Via;
pub use paths::Paths;
pub use pending::AgedMap;
pub use ports::{Learned, Ports};

use std::sync::Arc;

use crate::anomaly::{Anomalies, Anomaly};
use crate::capture::Timestamp;
use crate::event::{
    Body, BodyFacts, BodyPart, CallRec, Event, Exchange, ExchangeKind, ReplyRec, RetransmitFrames,
    Sealed,
};
use crate::limits::Limits;
use crate::net::{Endpoint, Transport};
use crate::programs::registry::Registry;

/// Identifies a call: transport, caller, callee, XID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallKey {
    pub transport: Transport,
    pub caller: Endpoint,
    pub callee: Endpoint,
    pub xid: u32,
}

struct Pending {
    call: CallRec,
    retransmits: RetransmitFrames,
    /// The call was already answered once before this retransmission.
    after_answer: bool,
    /// The kept arguments (at most `Limits::body_keep` bytes).
    body: Option<Body<'static>>,
    /// The path of the object the call acts on, as known when it was seen.
    path: Option<Arc<str>>,
    /// The hash of the handle the call acts on.
    fh_hash: Option<u32>,
    /// An NFSv4 compound's operations; the definition used.
    extra: bodies::CallExtra,
    /// Where the call's facts sit in `body`.
    marks: crate::programs::facts::Marks,
    /// Its arguments could not be read (RPCSEC_GSS privacy).
    sealed: Option<Sealed>,
}

struct Answered {
    /// Boxed, as pending calls: the table churns at its cap (one insert and
    /// one eviction per reply), and small buckets keep that cheap.
    call: Box<CallRec>,
}

/// Counts of what the tracker reported. Serialized (flattened) into the JSON
/// summary object: the field names are part of the documented schema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TrackStats {
    pub calls: u64,
    pub replies: u64,
    pub exchanges: u64,
    pub unmatched_calls: u64,
    pub orphan_replies: u64,
    pub retransmissions: u64,
    pub duplicate_replies: u64,
}

impl TrackStats {
    /// Adds another run's counts (several input files).
    pub fn merge(&mut self, o: &TrackStats) {
        let TrackStats {
            calls,
            replies,
            exchanges,
            unmatched_calls,
            orphan_replies,
            retransmissions,
            duplicate_replies,
        } = *o;
        self.calls += calls;
        self.replies += replies;
        self.exchanges += exchanges;
        self.unmatched_calls += unmatched_calls;
        self.orphan_replies += orphan_replies;
        self.retransmissions += retransmissions;
        self.duplicate_replies += duplicate_replies;
    }
}

/// The XID matcher. See the module docs.
pub struct Tracker {
    /// Boxed: the table's buckets stay small (a call's record is ~600
    /// bytes), so probing, growing and evicting move pointers, not records.
    pending: AgedMap<CallKey, Box<Pending>>,
    answered: AgedMap<CallKey, Answered>,
    /// Server endpoints (transport, endpoint) known to speak RPC.
    rpc_servers: AgedMap<(Transport, Endpoint), ()>,
    call_timeout_ns: u64,
    answered_timeout_ns: u64,
    last_expiry: Timestamp,
    stats: TrackStats,
    bodies: bodies::BodyState,
}

impl Tracker {
    /// A tracker with the built-in programs, decoding every body.
    pub fn new(limits: &Limits) -> Self {
        Self::with_bodies(limits, Registry::builtin(), BodyMode::Full)
    }

    /// Keep the bulk data of waiting calls (`--data hex`); see
    /// [`crate::pipeline::Options::keep_bulk`].
    pub fn keep_bulk(mut self, on: bool) -> Self {
        self.bodies.keep_bulk = on;
        self
    }

    /// A tracker with `registry`'s programs, decoding bodies as `mode` says.
    pub fn with_bodies(limits: &Limits, registry: Arc<Registry>, mode: BodyMode) -> Self {
        Tracker {
            bodies: bodies::BodyState::new(limits, registry, mode),
            pending: AgedMap::new(limits.max_pending_calls),
            answered: AgedMap::new(limits.max_answered),
            rpc_servers: AgedMap::new(limits.max_rpc_flows),
            call_timeout_ns: limits.call_timeout_ns,
            answered_timeout_ns: limits.answered_timeout_ns,
            last_expiry: Timestamp(i64::MIN),
            stats: TrackStats::default(),
        }
    }

    pub fn stats(&self) -> &TrackStats {
        &self.stats
    }

    /// Calls waiting for a reply now.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// True when a call with this key waits for a reply, or was answered
    /// recently (so a reply with this key is RPC).
    pub fn expects_reply(&self, key: &CallKey) -> bool {
        self.pending.contains_key(key) || self.answered.contains_key(key)
    }

    /// True when `server` on `transport` has answered or received RPC
    /// calls, or portmap/rpcbind said a program listens there.
    pub fn is_rpc_server(&self, transport: Transport, server: Endpoint) -> bool {
        self.rpc_servers.contains_key(&(transport, server))
            || self.bodies.ports().contains(transport, server)
    }

    /// The endpoints learned from portmap and rpcbind.
    pub fn learned_ports(&self) -> &Ports {
        self.bodies.ports()
    }

    /// A call from `caller` to `callee`, with its arguments as captured.
    #[allow(clippy::too_many_arguments)]
    pub fn on_call(
        &mut self,
        transport: Transport,
        caller: Endpoint,
        callee: Endpoint,
        call: CallRec,
        body: Option<Body<'_>>,
        anomalies: &mut Anomalies,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        self.expire(call.meta.ts, anomalies, out);
        self.stats.calls += 1;
        let key = CallKey {
            transport,
            caller,
            callee,
            xid: call.xid,
        };
        self.note_server(transport, callee, call.meta.ts);
        if let Some(p) = self.pending.get_mut(&key) {
            p.retransmits.push(call.meta.frame);
            self.stats.retransmissions += 1;
            let mut ex = exchange(&key, Some(p.call), None, p.retransmits, p.after_answer);
            ex.call_body = self.bodies.shown(p.body.as_ref().map(Body::borrow));
            ex.facts.path = p.path.clone();
            ex.facts.fh_hash = p.fh_hash;
            ex.facts.compound = p.extra.compound.clone();
            ex.facts.decode_as = p.extra.decode_as;
            ex.facts.sealed_args = p.sealed;
            out(Event {
                kind: ExchangeKind::Retransmitted,
                frame: call.meta.frame,
                ts: call.meta.ts,
                exchange: ex,
            });
            return;
        }
        let via = Via {
            transport,
            server: callee,
            ts: call.meta.ts,
        };
        let (body, sealed) = self.bodies.unwrap(call.auth.as_ref(), body, BodyPart::Args);
        let seen = self.bodies.on_call(&call, body.as_ref(), via, anomalies);
        let mut pending = Box::new(Pending {
            call,
            retransmits: RetransmitFrames::default(),
            after_answer: false,
            body: seen.kept,
            path: seen.path,
            fh_hash: seen.fh_hash,
            extra: seen.extra,
            marks: seen.marks,
            sealed,
        });
        if let Some(a) = self.answered.remove(&key) {
            // Same XID again after the reply: a retransmission whose reply
            // was lost on the way to the client. Keep the original call.
            pending.call = *a.call;
            pending.retransmits.push(call.meta.frame);
            pending.after_answer = true;
            self.stats.retransmissions += 1;
        }
        let kind = if pending.after_answer {
            ExchangeKind::Retransmitted
        } else {
            ExchangeKind::CallSeen
        };
        let mut ex = exchange(
            &key,
            Some(pending.call),
            None,
            pending.retransmits,
            pending.after_answer,
        );
        ex.call_body = self.bodies.shown(body);
        ex.facts.path = pending.path.clone();
        ex.facts.fh_hash = pending.fh_hash;
        ex.facts.compound = pending.extra.compound.clone();
        ex.facts.decode_as = pending.extra.decode_as;
        ex.facts.sealed_args = pending.sealed;
        out(Event {
            kind,
            frame: call.meta.frame,
            ts: call.meta.ts,
            exchange: ex,
        });
        if let Some((k, old)) = self.pending.insert(key, pending, call.meta.ts) {
            anomalies.add(Anomaly::PendingCallEvicted);
            self.report_unmatched(k, *old, out);
        }
    }

    /// A reply from `from` to `to` (the caller), with its results as
    /// captured (SUCCESS replies).
    #[allow(clippy::too_many_arguments)]
    pub fn on_reply(
        &mut self,
        transport: Transport,
        from: Endpoint,
        to: Endpoint,
        reply: ReplyRec,
        body: Option<Body<'_>>,
        anomalies: &mut Anomalies,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        self.expire(reply.meta.ts, anomalies, out);
        self.stats.replies += 1;
        let key = CallKey {
            transport,
            caller: to,
            callee: from,
            xid: reply.xid,
        };
        self.note_server(transport, from, reply.meta.ts);
        let via = Via {
            transport,
            server: from,
            ts: reply.meta.ts,
        };
        if let Some(p) = self.pending.remove(&key) {
            let p = *p;
            if p.after_answer {
                self.stats.duplicate_replies += 1;
            } else {
                self.stats.exchanges += 1;
            }
            self.bodies
                .release(p.body.as_ref(), p.path.as_ref(), &p.extra);
            let (body, sealed) = self
                .bodies
                .unwrap(p.call.auth.as_ref(), body, BodyPart::Result);
            let answer = self.bodies.on_reply(
                &p.call,
                p.body.as_ref(),
                p.marks,
                &p.extra,
                &reply,
                body.as_ref(),
                via,
                anomalies,
            );
            let mut ex = exchange(
                &key,
                Some(p.call),
                Some(reply),
                p.retransmits,
                p.after_answer,
            );
            ex.call_body = self.bodies.shown(p.body);
            ex.reply_body = self.bodies.shown(body);
            ex.facts = BodyFacts {
                status: answer.status,
                path: p.path,
                fh_hash: p.fh_hash,
                compound: answer.compound,
                decode_as: answer.decode_as,
                sealed_args: p.sealed,
                sealed_result: sealed,
            };
            out(Event {
                kind: ExchangeKind::Complete,
                frame: reply.meta.frame,
                ts: reply.meta.ts,
                exchange: ex,
            });
            if let Some((_, _)) = self.answered.insert(
                key,
                Answered {
                    call: Box::new(p.call),
                },
                reply.meta.ts,
            ) {
                // Forgetting an old answered call only weakens duplicate
                // detection; it loses no record.
            }
            return;
        }
        if let Some(a) = self.answered.get(&key) {
            self.stats.duplicate_replies += 1;
            let call = *a.call;
            let (body, sealed) = self
                .bodies
                .unwrap(call.auth.as_ref(), body, BodyPart::Result);
            let answer = self.bodies.on_reply(
                &call,
                None,
                Default::default(),
                &bodies::CallExtra::default(),
                &reply,
                body.as_ref(),
                via,
                anomalies,
            );
            let mut ex = exchange(
                &key,
                Some(call),
                Some(reply),
                RetransmitFrames::default(),
                true,
            );
            ex.reply_body = self.bodies.shown(body);
            ex.facts.status = answer.status;
            ex.facts.compound = answer.compound;
            ex.facts.decode_as = answer.decode_as;
            ex.facts.sealed_result = sealed;
            out(Event {
                kind: ExchangeKind::Orphan,
                frame: reply.meta.frame,
                ts: reply.meta.ts,
                exchange: ex,
            });
            return;
        }
        self.stats.orphan_replies += 1;
        let mut ex = exchange(&key, None, Some(reply), RetransmitFrames::default(), false);
        // Without the call the results cannot be read: the program is unknown.
        ex.reply_body = self.bodies.shown(body);
        out(Event {
            kind: ExchangeKind::Orphan,
            frame: reply.meta.frame,
            ts: reply.meta.ts,
            exchange: ex,
        });
    }

    /// Reports calls older than the call timeout at capture time `now`.
    pub fn expire(
        &mut self,
        now: Timestamp,
        _anomalies: &mut Anomalies,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        // Expiry is checked at most once per capture-time second.
        if now.0 < self.last_expiry.0.saturating_add(1_000_000_000) {
            return;
        }
        self.last_expiry = now;
        let deadline = Timestamp(
            now.0
                .saturating_sub(self.call_timeout_ns.min(i64::MAX as u64) as i64),
        );
        while let Some((k, p)) = self.pending.pop_older_than(deadline) {
            self.report_unmatched(k, *p, out);
        }
        let deadline = Timestamp(
            now.0
                .saturating_sub(self.answered_timeout_ns.min(i64::MAX as u64) as i64),
        );
        while self.answered.pop_older_than(deadline).is_some() {}
    }

    /// End of input: every pending call is reported as unmatched, oldest first.
    pub fn finish(&mut self, out: &mut dyn FnMut(Event<'_>)) {
        while let Some((k, p)) = self.pending.pop_oldest() {
            self.report_unmatched(k, *p, out);
        }
    }

    fn report_unmatched(&mut self, key: CallKey, p: Pending, out: &mut dyn FnMut(Event<'_>)) {
        if !p.after_answer {
            self.stats.unmatched_calls += 1;
        }
        self.bodies
            .release(p.body.as_ref(), p.path.as_ref(), &p.extra);
        let mut ex = exchange(&key, Some(p.call), None, p.retransmits, p.after_answer);
        ex.call_body = self.bodies.shown(p.body);
        ex.facts.path = p.path;
        ex.facts.fh_hash = p.fh_hash;
        ex.facts.compound = p.extra.compound;
        ex.facts.decode_as = p.extra.decode_as;
        ex.facts.sealed_args = p.sealed;
        out(Event {
            kind: ExchangeKind::Unmatched,
            frame: p.call.meta.frame,
            ts: p.call.meta.ts,
            exchange: ex,
        });
    }

    fn note_server(&mut self, transport: Transport, server: Endpoint, now: Timestamp) {
        if !self.rpc_servers.contains_key(&(transport, server)) {
            self.rpc_servers.insert((transport, server), (), now);
        }
    }
}

fn exchange<'a>(
    key: &CallKey,
    call: Option<CallRec>,
    reply: Option<ReplyRec>,
    retransmit_frames: RetransmitFrames,
    duplicate_reply: bool,
) -> Exchange<'a> {
    Exchange {
        transport: key.transport,
        client: key.caller,
        server: key.callee,
        xid: key.xid,
        call,
        reply,
        retransmit_frames,
        duplicate_reply,
        call_body: None,
        reply_body: None,
        facts: BodyFacts::default(),
    }
}

#[cfg(test)]
mod tests;
