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
//! Sans-IO: time comes from frame timestamps passed in, events go out through
//! a callback. Memory is bounded by `Limits::max_pending_calls`,
//! `Limits::max_answered` and `Limits::max_rpc_flows`.

mod pending;

pub use pending::AgedMap;

use crate::anomaly::{Anomalies, Anomaly};
use crate::capture::Timestamp;
use crate::event::{CallRec, Event, Exchange, ExchangeKind, ReplyRec, RetransmitFrames};
use crate::limits::Limits;
use crate::net::{Endpoint, Transport};

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
}

struct Answered {
    call: CallRec,
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
    pending: AgedMap<CallKey, Pending>,
    answered: AgedMap<CallKey, Answered>,
    /// Server endpoints (transport, endpoint) known to speak RPC.
    rpc_servers: AgedMap<(Transport, Endpoint), ()>,
    call_timeout_ns: u64,
    answered_timeout_ns: u64,
    last_expiry: Timestamp,
    stats: TrackStats,
}

impl Tracker {
    pub fn new(limits: &Limits) -> Self {
        Tracker {
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

    /// True when `server` on `transport` has answered or received RPC calls.
    pub fn is_rpc_server(&self, transport: Transport, server: Endpoint) -> bool {
        self.rpc_servers.contains_key(&(transport, server))
    }

    /// A call from `caller` to `callee`.
    pub fn on_call(
        &mut self,
        transport: Transport,
        caller: Endpoint,
        callee: Endpoint,
        call: CallRec,
        anomalies: &mut Anomalies,
        out: &mut dyn FnMut(Event),
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
            let ex = exchange(&key, Some(p.call), None, p.retransmits, p.after_answer);
            out(Event {
                kind: ExchangeKind::Retransmitted,
                frame: call.meta.frame,
                ts: call.meta.ts,
                exchange: ex,
            });
            return;
        }
        let mut pending = Pending {
            call,
            retransmits: RetransmitFrames::default(),
            after_answer: false,
        };
        if let Some(a) = self.answered.remove(&key) {
            // Same XID again after the reply: a retransmission whose reply
            // was lost on the way to the client. Keep the original call.
            pending.call = a.call;
            pending.retransmits.push(call.meta.frame);
            pending.after_answer = true;
            self.stats.retransmissions += 1;
        }
        let kind = if pending.after_answer {
            ExchangeKind::Retransmitted
        } else {
            ExchangeKind::CallSeen
        };
        let ex = exchange(
            &key,
            Some(pending.call),
            None,
            pending.retransmits,
            pending.after_answer,
        );
        out(Event {
            kind,
            frame: call.meta.frame,
            ts: call.meta.ts,
            exchange: ex,
        });
        if let Some((k, old)) = self.pending.insert(key, pending, call.meta.ts) {
            anomalies.add(Anomaly::PendingCallEvicted);
            self.report_unmatched(k, old, out);
        }
    }

    /// A reply from `from` to `to` (the caller).
    pub fn on_reply(
        &mut self,
        transport: Transport,
        from: Endpoint,
        to: Endpoint,
        reply: ReplyRec,
        anomalies: &mut Anomalies,
        out: &mut dyn FnMut(Event),
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
        if let Some(p) = self.pending.remove(&key) {
            if p.after_answer {
                self.stats.duplicate_replies += 1;
            } else {
                self.stats.exchanges += 1;
            }
            let ex = exchange(
                &key,
                Some(p.call),
                Some(reply),
                p.retransmits,
                p.after_answer,
            );
            out(Event {
                kind: ExchangeKind::Complete,
                frame: reply.meta.frame,
                ts: reply.meta.ts,
                exchange: ex,
            });
            if let Some((_, _)) =
                self.answered
                    .insert(key, Answered { call: p.call }, reply.meta.ts)
            {
                // Forgetting an old answered call only weakens duplicate
                // detection; it loses no record.
            }
            return;
        }
        if let Some(a) = self.answered.get(&key) {
            self.stats.duplicate_replies += 1;
            let ex = exchange(
                &key,
                Some(a.call),
                Some(reply),
                RetransmitFrames::default(),
                true,
            );
            out(Event {
                kind: ExchangeKind::Orphan,
                frame: reply.meta.frame,
                ts: reply.meta.ts,
                exchange: ex,
            });
            return;
        }
        self.stats.orphan_replies += 1;
        let ex = exchange(&key, None, Some(reply), RetransmitFrames::default(), false);
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
        out: &mut dyn FnMut(Event),
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
            self.report_unmatched(k, p, out);
        }
        let deadline = Timestamp(
            now.0
                .saturating_sub(self.answered_timeout_ns.min(i64::MAX as u64) as i64),
        );
        while self.answered.pop_older_than(deadline).is_some() {}
    }

    /// End of input: every pending call is reported as unmatched, oldest first.
    pub fn finish(&mut self, out: &mut dyn FnMut(Event)) {
        while let Some((k, p)) = self.pending.pop_oldest() {
            self.report_unmatched(k, p, out);
        }
    }

    fn report_unmatched(&mut self, key: CallKey, p: Pending, out: &mut dyn FnMut(Event)) {
        if !p.after_answer {
            self.stats.unmatched_calls += 1;
        }
        let ex = exchange(&key, Some(p.call), None, p.retransmits, p.after_answer);
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

fn exchange(
    key: &CallKey,
    call: Option<CallRec>,
    reply: Option<ReplyRec>,
    retransmit_frames: RetransmitFrames,
    duplicate_reply: bool,
) -> Exchange {
    Exchange {
        transport: key.transport,
        client: key.caller,
        server: key.callee,
        xid: key.xid,
        call,
        reply,
        retransmit_frames,
        duplicate_reply,
    }
}

#[cfg(test)]
mod tests;
