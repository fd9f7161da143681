//! From records and datagrams to messages for the tracker: decoding, the
//! RPC detection verdict ([`super::detect`]), where each message is reported
//! (frame and time), capture order ([`super::reorder`]) and the anomalies
//! seen on the way, each recorded with where and why.

use std::borrow::Cow;

use super::convert::{self, Decoded, WithBody};
use super::detect::{self, Known, Verdict};
use super::frames::FrameRing;
use super::reorder::{Msg, Reorder};
use crate::anomaly::{Anomalies, Anomaly, Context, Detail};
use crate::capture::Timestamp;
use crate::event::{Body, Event, Missing, MsgMeta};
use crate::limits::Limits;
use crate::net::{FlowKey, GapReason, Transport};
use crate::rpc::{plausible_start, Message, Plausible, RecordEvent, RecordReader};
use crate::track::{CallKey, Tracker};

/// What a record handler hands messages and anomalies to.
pub(super) struct Down<'x> {
    pub tracker: &'x mut Tracker,
    pub anomalies: &'x mut Anomalies,
    pub limits: &'x Limits,
    pub order: &'x mut Reorder,
    pub settle: &'x mut Vec<(FlowKey, u32)>,
    /// Messages at or before this frame may go to the tracker at once.
    pub watermark: u64,
    pub out: &'x mut dyn FnMut(Event<'_>),
}

/// Per-direction state beside the record reader.
pub(super) struct StreamCtx {
    /// A record of this stream was accepted as RPC.
    pub confirmed: bool,
    /// The reader started synced at the SYN without proof that this is RPC.
    pub unproven_sync: bool,
    /// The record ending at this stream offset was not RPC: the reader must
    /// be replaced by a searching one from there.
    pub demote: Option<u64>,
    pub frames: FrameRing,
    /// A reply on probation: waits for the stream's next record (boxed:
    /// rare, and streams must stay small).
    pub probation: Option<Box<Msg<'static>>>,
    /// The earliest frame (and time) of bytes waiting in the TCP
    /// out-of-order buffer of this direction.
    pub ooo_hold: Option<(u64, Timestamp)>,
    /// This stream's id in the holds.
    pub id: u64,
    /// Heap bytes last counted for this stream (the budget's share).
    pub heap: usize,
    /// The stream is being dropped to make room: what it held is not an
    /// anomaly of its own (the eviction is counted instead).
    pub evicted: bool,
}

impl StreamCtx {
    pub fn new(at_syn: bool, id: u64) -> Self {
        StreamCtx {
            confirmed: false,
            unproven_sync: at_syn,
            demote: None,
            frames: FrameRing::new(),
            probation: None,
            ooo_hold: None,
            id,
            heap: 0,
            evicted: false,
        }
    }

    /// Heap bytes this stream holds beside its reader.
    pub fn heap_bytes(&self) -> usize {
        self.probation.as_ref().map_or(0, |m| {
            std::mem::size_of::<Msg<'static>>() + m.body.as_ref().map_or(0, |b| b.data.len())
        })
    }

    /// The earliest frame (and time) this stream may still report a message
    /// at: its record in progress or resync candidate, a reply on
    /// probation, bytes waiting out of order.
    pub fn hold(&self, reader: &RecordReader) -> Option<(u64, Timestamp)> {
        let mut h = reader.hold_offset().map(|o| self.frames.lookup(o));
        for other in [
            self.probation.as_ref().map(|m| (m.frame(), m.ts())),
            self.ooo_hold,
        ] {
            h = match (h, other) {
                (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
                (a, b) => a.or(b),
            };
        }
        h
    }

    /// Bytes `[offset, offset + len)` of the stream will never come.
    pub fn on_gap(
        &mut self,
        flow: FlowKey,
        offset: u64,
        len: u64,
        reason: GapReason,
        down: &mut Down<'_>,
    ) {
        let _ = flow;
        if self.confirmed && reason == GapReason::Lost {
            down.anomalies.report(
                Anomaly::TcpGap,
                Detail {
                    offset: Some(offset),
                    len: Some(len),
                    reason: Some("bytes never captured (capture loss)".into()),
                    ..Detail::default()
                },
            );
        }
    }

    /// One event of this direction's record reader.
    pub fn on_record(&mut self, rev: RecordEvent<'_>, flow: FlowKey, down: &mut Down<'_>) {
        match rev {
            RecordEvent::Record {
                data,
                len,
                fragments,
                end_offset,
                gap,
                clipped,
            } => self.record(data, len, fragments, end_offset, gap, clipped, flow, down),
            RecordEvent::LostSync { offset, reason } => {
                if self.confirmed {
                    down.anomalies.report(
                        Anomaly::RecordSyncLost,
                        Detail {
                            offset: Some(offset),
                            reason: Some(reason.into()),
                            ..Detail::default()
                        },
                    );
                }
            }
            RecordEvent::Resynced { .. } => {}
            RecordEvent::Abandoned {
                start,
                received,
                fragments,
                data,
                reason,
            } => {
                // Reported on an RPC stream, or when the record itself
                // starts like an RPC message on a port known or learned as
                // RPC (elsewhere, other protocols' bytes often look so).
                let looks = matches!(
                    plausible_start(data, down.limits),
                    Plausible::Call | Plausible::Reply
                );
                let known = Known {
                    tracker: down.tracker,
                    order: down.order,
                };
                let rpc_port = known.server(Transport::Tcp, flow.dst)
                    || known.server(Transport::Tcp, flow.src);
                if self.demote.is_none() && !self.evicted && (self.confirmed || looks && rpc_port) {
                    let kind = if reason.starts_with("the input ended") {
                        Anomaly::RecordCutAtEnd
                    } else {
                        Anomaly::RecordUnterminated
                    };
                    down.anomalies.report(
                        kind,
                        Detail {
                            offset: Some(start),
                            len: Some(received),
                            reason: Some(Cow::Owned(format!(
                                "{reason}: {received} bytes in {fragments} fragment(s) from the record mark at stream offset {start}"
                            ))),
                            ..Detail::default()
                        },
                    );
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        data: &[u8],
        len: u64,
        fragments: u32,
        end_offset: u64,
        gap: bool,
        clipped: bool,
        flow: FlowKey,
        down: &mut Down<'_>,
    ) {
        if self.demote.is_some() {
            return;
        }
        let cut = gap || (data.len() as u64) < len && !clipped;
        let Some(WithBody {
            msg: decoded,
            body_start,
        }) = convert::decode(data, cut, down.limits)
        else {
            self.probation = None;
            if !self.confirmed && self.unproven_sync {
                // Not RPC after all (or not at a record boundary): search.
                self.demote = Some(end_offset);
            } else {
                malformed(down, data);
            }
            return;
        };
        // A message with a gap is only decoded as far as its first gap:
        // it is reported at the frame that carried that prefix (where
        // tshark, unable to reassemble it, shows it too).
        let at = if gap {
            let start = end_offset.saturating_sub(len.saturating_add(4 * fragments as u64));
            start
                .saturating_add(4)
                .saturating_add(data.len() as u64)
                .min(end_offset)
        } else {
            end_offset
        };
        let (frame, ts) = self.frames.lookup(at);
        let meta = MsgMeta {
            frame,
            ts,
            bytes: len,
            truncated: cut,
            gap,
        };
        let missing = if gap {
            Missing::Gap
        } else if clipped {
            Missing::NotKept
        } else {
            Missing::Snaplen
        };
        let body = body_start.map(|at| {
            Body::borrowed(
                data.get(at..).unwrap_or(&[]),
                len.saturating_sub(at as u64),
                missing,
            )
        });
        let decoded = with_meta(decoded, meta);
        let msg = Msg {
            transport: Transport::Tcp,
            src: flow.src,
            dst: flow.dst,
            decoded,
            body,
        };
        if !self.confirmed {
            let second = self.probation.is_some();
            let known = Known {
                tracker: down.tracker,
                order: down.order,
            };
            match detect::judge_tcp(&msg.decoded, data, len, flow, known, down.limits, second) {
                Verdict::Reject => {
                    self.probation = None;
                    self.demote = Some(end_offset);
                    return;
                }
                Verdict::Probation => {
                    self.probation = Some(Box::new(msg.into_owned()));
                    return;
                }
                Verdict::Accept => {
                    self.confirmed = true;
                    if let Some(p) = self.probation.take() {
                        deliver(down, *p);
                    }
                }
            }
        }
        if cut {
            down.anomalies.report_at(
                Anomaly::RpcTruncated,
                Context {
                    frame,
                    ts,
                    flow: Some((Transport::Tcp, flow)),
                },
                Detail {
                    offset: Some(data.len() as u64),
                    len: Some(len),
                    reason: Some(
                        if gap {
                            "bytes of the message were never captured: decoded up to the gap"
                        } else {
                            "cut by the snapshot length: the header prefix was decoded"
                        }
                        .into(),
                    ),
                    ..Detail::default()
                },
            );
        }
        deliver(down, msg);
    }
}

fn with_meta(d: Decoded, meta: MsgMeta) -> Decoded {
    match d {
        Decoded::Call(mut c) => {
            c.meta = meta;
            Decoded::Call(c)
        }
        Decoded::Reply(mut r) => {
            r.meta = meta;
            Decoded::Reply(r)
        }
    }
}

/// A record or datagram that looked like RPC did not parse: counted, with
/// the parser's own account of why and where.
fn malformed(down: &mut Down<'_>, data: &[u8]) {
    let detail = match Message::parse(data, down.limits) {
        Err(e) => Detail {
            offset: Some(e.offset as u64),
            reason: Some(Cow::Owned(e.to_string())),
            ..Detail::default()
        },
        Ok(_) => Detail::default(),
    };
    down.anomalies.report(Anomaly::RpcMalformed, detail);
}

/// Retransmitted or overlapping TCP bytes disagree (stream offsets, and
/// the sequence numbers they had on the wire).
pub(super) fn inconsistent(a: &mut Anomalies, offset: u64, len: u64, seq: u32) {
    a.report(
        Anomaly::InconsistentRetransmission,
        Detail {
            offset: Some(offset),
            len: Some(len),
            seq: Some((seq, seq.wrapping_add(len as u32))),
            reason: Some(
                "a retransmitted or overlapping segment carries other bytes than the copy already delivered, which is kept"
                    .into(),
            ),
            ..Detail::default()
        },
    );
}

/// Sends a message towards the tracker: at once when nothing earlier may
/// still come, else through the reorder queue. A TCP reply with no call
/// known also waits there while the other direction settles a resync
/// candidate that may be its call.
pub(super) fn deliver(down: &mut Down<'_>, msg: Msg<'_>) {
    if let (Transport::Tcp, Decoded::Reply(r)) = (msg.transport, &msg.decoded) {
        let key = CallKey {
            transport: Transport::Tcp,
            caller: msg.dst,
            callee: msg.src,
            xid: r.xid,
        };
        let known = Known {
            tracker: down.tracker,
            order: down.order,
        };
        if !known.call(&key) {
            down.settle.push((
                FlowKey {
                    src: msg.dst,
                    dst: msg.src,
                },
                r.xid,
            ));
            down.order.push(msg.into_owned());
            return;
        }
    }
    let frame = msg.frame();
    if down.order.passes(frame, down.watermark) {
        down.order.passed(frame);
        apply(msg, down.tracker, down.anomalies, down.out);
    } else {
        down.order.push(msg.into_owned());
    }
}

/// Hands one message to the tracker.
pub(super) fn apply(
    m: Msg<'_>,
    tracker: &mut Tracker,
    anomalies: &mut Anomalies,
    out: &mut dyn FnMut(Event<'_>),
) {
    anomalies.set_context(Context {
        frame: m.frame(),
        ts: m.ts(),
        flow: Some((
            m.transport,
            FlowKey {
                src: m.src,
                dst: m.dst,
            },
        )),
    });
    match m.decoded {
        Decoded::Call(c) => tracker.on_call(m.transport, m.src, m.dst, c, m.body, anomalies, out),
        Decoded::Reply(r) => tracker.on_reply(m.transport, m.src, m.dst, r, m.body, anomalies, out),
    }
}

/// One UDP datagram.
pub(super) fn on_udp(
    down: &mut Down<'_>,
    flow: FlowKey,
    payload: &[u8],
    len: u64,
    truncated: bool,
    (frame, ts): (u64, Timestamp),
) {
    let meta = MsgMeta {
        frame,
        ts,
        bytes: len.max(payload.len() as u64),
        truncated,
        gap: false,
    };
    let WithBody {
        msg: decoded,
        body_start,
    } = match convert::decode(payload, truncated, down.limits) {
        Some(d) => d,
        None => {
            if convert::looks_like_call(payload) {
                malformed(down, payload);
            }
            return;
        }
    };
    let known = Known {
        tracker: down.tracker,
        order: down.order,
    };
    match &decoded {
        Decoded::Call(c) => {
            if c.rpcvers != 2 && !known.rpc_server(Transport::Udp, flow.dst) {
                return;
            }
            if !detect::udp_call_plausible(&decoded, known, flow.dst) {
                return;
            }
        }
        Decoded::Reply(r) => {
            let key = CallKey {
                transport: Transport::Udp,
                caller: flow.dst,
                callee: flow.src,
                xid: r.xid,
            };
            if !known.call(&key) && !known.rpc_server(Transport::Udp, flow.src) {
                return;
            }
        }
    }
    if truncated {
        down.anomalies.report(
            Anomaly::RpcTruncated,
            Detail {
                offset: Some(payload.len() as u64),
                len: Some(meta.bytes),
                reason: Some("cut by the snapshot length: the header prefix was decoded".into()),
                ..Detail::default()
            },
        );
    }
    let body = body_start.map(|at| {
        Body::borrowed(
            payload.get(at..).unwrap_or(&[]),
            meta.bytes.saturating_sub(at as u64),
            Missing::Snaplen,
        )
    });
    let msg = Msg {
        transport: Transport::Udp,
        src: flow.src,
        dst: flow.dst,
        decoded: with_meta(decoded, meta),
        body,
    };
    deliver(down, msg);
}
