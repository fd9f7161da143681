//! The decode pipeline: frames in, RPC events out.
//!
//! [`Pipeline`] wires the layers together: [`NetDecoder`] turns frames into
//! UDP datagrams and TCP byte streams; each TCP direction gets a
//! [`RecordReader`] (record marking, resynchronisation); each message is
//! parsed by [`Message`](crate::rpc::Message) and matched by the [`Tracker`]. It is sans-IO:
//! callers push frames and receive events through a callback. One pipeline
//! decodes one input: frame numbers and streams do not cross files.
//!
//! Finding RPC on any port: a UDP datagram is RPC when it parses as a call
//! (rpcvers 2), or as a reply to a call the tracker knows of, or from a server
//! known to speak RPC. A TCP direction is RPC once its record reader has
//! found framing (a plausible message whose next record mark chains, see
//! [`crate::rpc::record`]), or, when the stream's SYN was seen, once its first
//! record parses as RPC (at once when the server is known to speak RPC:
//! seen before, or named by portmap/rpcbind). Replies from such a server
//! are RPC even when their call was not captured.

use std::sync::Arc;

use crate::anomaly::{Anomalies, Anomaly};
use crate::capture::{Frame, Timestamp};
use crate::event::{Body, Event, Missing, MsgMeta};
use crate::limits::Limits;
use crate::net::{FlowKey, GapReason, NetDecoder, NetEvent, Transport};
use crate::programs::registry::Registry;
use crate::rpc::{RecordEvent, RecordReader};
use crate::track::{AgedMap, BodyMode, CallKey, TrackStats, Tracker};

mod convert;
mod frames;

use convert::{Decoded, WithBody};
use frames::FrameRing;

/// Totals reported at the end of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub files_failed: u64,
    pub frames: u64,
    pub track: TrackStats,
    pub anomalies: Anomalies,
}

impl Summary {
    /// Adds one finished input's totals.
    pub fn add(&mut self, p: &Pipeline) {
        self.files += 1;
        self.frames += p.rpc.frames;
        self.track.merge(p.rpc.tracker.stats());
        self.anomalies.merge(&p.rpc.anomalies);
    }
}

/// Frames in, events out. See the module docs.
pub struct Pipeline {
    net: NetDecoder,
    rpc: RpcLayer,
}

struct RpcStream {
    reader: RecordReader,
    ctx: StreamCtx,
}

struct StreamCtx {
    /// A record of this stream parsed as RPC.
    confirmed: bool,
    /// The reader started synced at the SYN without proof that this is RPC:
    /// if the first record does not parse, switch to searching.
    unproven_sync: bool,
    /// Set when the reader must be replaced by a searching one.
    demote: bool,
    frames: FrameRing,
}

struct RpcLayer {
    limits: Limits,
    streams: AgedMap<FlowKey, RpcStream>,
    tracker: Tracker,
    anomalies: Anomalies,
    frames: u64,
    frame: u64,
    ts: Timestamp,
}

/// What the pipeline decodes beyond the RPC headers.
#[derive(Debug, Clone)]
pub struct Options {
    /// The programs whose bodies can be read.
    pub registry: Arc<Registry>,
    /// How much of each body to decode.
    pub bodies: BodyMode,
}

impl Default for Options {
    /// The built-in programs, every body decoded.
    fn default() -> Self {
        Options {
            registry: Registry::builtin(),
            bodies: BodyMode::Full,
        }
    }
}

impl Pipeline {
    /// A pipeline with the default [`Options`].
    pub fn new(limits: &Limits) -> Self {
        Self::with_options(limits, Options::default())
    }

    /// A pipeline reading bodies as `options` say.
    pub fn with_options(limits: &Limits, options: Options) -> Self {
        Pipeline {
            net: NetDecoder::new(limits),
            rpc: RpcLayer {
                limits: limits.clone(),
                streams: AgedMap::new(limits.max_tcp_streams),
                tracker: Tracker::with_bodies(limits, options.registry, options.bodies),
                anomalies: Anomalies::default(),
                frames: 0,
                frame: 0,
                ts: Timestamp::default(),
            },
        }
    }

    /// Decodes one frame; events go to `out`.
    pub fn handle_frame(&mut self, frame: &Frame<'_>, out: &mut dyn FnMut(Event<'_>)) {
        let rpc = &mut self.rpc;
        rpc.frames += 1;
        rpc.frame = frame.number;
        rpc.ts = frame.ts;
        self.net
            .handle_frame(frame, &mut |ev| rpc.on_net_event(ev, out));
    }

    /// End of input: flushes every stream and reports unanswered calls.
    pub fn finish(&mut self, out: &mut dyn FnMut(Event<'_>)) {
        let rpc = &mut self.rpc;
        self.net.finish(&mut |ev| rpc.on_net_event(ev, out));
        // Streams the network layer did not close (none, normally).
        while let Some((flow, mut s)) = rpc.streams.pop_oldest() {
            rpc.finish_stream(flow, &mut s, out);
        }
        rpc.tracker.finish(out);
    }

    /// Anomalies counted so far.
    pub fn anomalies(&self) -> &Anomalies {
        &self.rpc.anomalies
    }

    /// Call/reply counts so far.
    pub fn track_stats(&self) -> &TrackStats {
        self.rpc.tracker.stats()
    }

    /// Frames handled so far.
    pub fn frames(&self) -> u64 {
        self.rpc.frames
    }
}

impl RpcLayer {
    fn on_net_event(&mut self, ev: NetEvent<'_>, out: &mut dyn FnMut(Event<'_>)) {
        match ev {
            NetEvent::Udp {
                flow,
                payload,
                len,
                truncated,
                frame,
                ts,
            } => self.on_udp(flow, payload, len, truncated, (frame, ts), out),
            NetEvent::TcpOpen { flow, at_syn } => {
                self.new_stream(flow, at_syn, out);
            }
            NetEvent::TcpData {
                flow,
                offset,
                data,
                frame,
                ts,
            } => {
                self.ensure_stream(flow, out);
                let Some(s) = self.streams.get_mut(&flow) else {
                    return;
                };
                s.ctx.frames.push(offset + data.len() as u64, frame, ts);
                let RpcStream { reader, ctx } = s;
                let (tracker, anomalies, limits) =
                    (&mut self.tracker, &mut self.anomalies, &self.limits);
                reader.push(data, &mut |rev| {
                    on_record(rev, flow, ctx, tracker, anomalies, limits, out)
                });
                self.maybe_demote(flow);
            }
            NetEvent::TcpGap {
                flow,
                offset,
                len,
                reason,
            } => {
                self.ensure_stream(flow, out);
                let (frame, ts) = (self.frame, self.ts);
                let Some(s) = self.streams.get_mut(&flow) else {
                    return;
                };
                s.ctx.frames.push(offset.saturating_add(len), frame, ts);
                if s.ctx.confirmed && reason == GapReason::Lost {
                    self.anomalies.add(Anomaly::TcpGap);
                }
                let RpcStream { reader, ctx } = s;
                let (tracker, anomalies, limits) =
                    (&mut self.tracker, &mut self.anomalies, &self.limits);
                reader.push_gap(len, &mut |rev| {
                    on_record(rev, flow, ctx, tracker, anomalies, limits, out)
                });
                self.maybe_demote(flow);
            }
            NetEvent::TcpClose { flow } => {
                if let Some(mut s) = self.streams.remove(&flow) {
                    self.finish_stream(flow, &mut s, out);
                }
            }
            NetEvent::Anomaly(a) => self.anomalies.add(Anomaly::Net(a)),
        }
    }

    fn new_stream(&mut self, flow: FlowKey, at_syn: bool, out: &mut dyn FnMut(Event<'_>)) {
        // A connection to or from an endpoint known to serve RPC (seen, or
        // named by portmap/rpcbind) is RPC from its SYN: a first record that
        // does not parse is malformed, not a sign to search for framing.
        let known = self.tracker.is_rpc_server(Transport::Tcp, flow.dst)
            || self.tracker.is_rpc_server(Transport::Tcp, flow.src);
        let s = RpcStream {
            reader: RecordReader::new(&self.limits, at_syn),
            ctx: StreamCtx {
                confirmed: false,
                unproven_sync: at_syn && !known,
                demote: false,
                frames: FrameRing::new(),
            },
        };
        if let Some((old_flow, mut old)) = self.streams.insert(flow, s, self.ts) {
            self.anomalies.add(Anomaly::RpcStreamEvicted);
            self.finish_stream(old_flow, &mut old, out);
        }
    }

    fn ensure_stream(&mut self, flow: FlowKey, out: &mut dyn FnMut(Event<'_>)) {
        if !self.streams.contains_key(&flow) {
            self.new_stream(flow, false, out);
        }
    }

    fn maybe_demote(&mut self, flow: FlowKey) {
        if let Some(s) = self.streams.get_mut(&flow) {
            if s.ctx.demote {
                s.ctx.demote = false;
                s.ctx.unproven_sync = false;
                s.reader = RecordReader::new(&self.limits, false);
            }
        }
    }

    fn finish_stream(&mut self, flow: FlowKey, s: &mut RpcStream, out: &mut dyn FnMut(Event<'_>)) {
        let RpcStream { reader, ctx } = s;
        let (tracker, anomalies, limits) = (&mut self.tracker, &mut self.anomalies, &self.limits);
        reader.finish(&mut |rev| on_record(rev, flow, ctx, tracker, anomalies, limits, out));
    }

    fn on_udp(
        &mut self,
        flow: FlowKey,
        payload: &[u8],
        len: u64,
        truncated: bool,
        (frame, ts): (u64, Timestamp),
        out: &mut dyn FnMut(Event<'_>),
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
        } = match convert::decode(payload, truncated, &self.limits) {
            Some(d) => d,
            None => {
                if convert::looks_like_call(payload) {
                    self.anomalies.add(Anomaly::RpcMalformed);
                }
                return;
            }
        };
        if truncated {
            self.anomalies.add(Anomaly::RpcTruncated);
        }
        let body = body_start.map(|at| {
            Body::borrowed(
                payload.get(at..).unwrap_or(&[]),
                meta.bytes.saturating_sub(at as u64),
                Missing::Snaplen,
            )
        });
        match decoded {
            Decoded::Call(mut c) => {
                if c.rpcvers != 2 && !self.tracker.is_rpc_server(Transport::Udp, flow.dst) {
                    return;
                }
                c.meta = meta;
                self.tracker.on_call(
                    Transport::Udp,
                    flow.src,
                    flow.dst,
                    c,
                    body,
                    &mut self.anomalies,
                    out,
                );
            }
            Decoded::Reply(mut r) => {
                let key = CallKey {
                    transport: Transport::Udp,
                    caller: flow.dst,
                    callee: flow.src,
                    xid: r.xid,
                };
                if self.tracker.expects_reply(&key)
                    || self.tracker.is_rpc_server(Transport::Udp, flow.src)
                {
                    r.meta = meta;
                    self.tracker.on_reply(
                        Transport::Udp,
                        flow.src,
                        flow.dst,
                        r,
                        body,
                        &mut self.anomalies,
                        out,
                    );
                }
            }
        }
    }
}

fn on_record(
    rev: RecordEvent<'_>,
    flow: FlowKey,
    ctx: &mut StreamCtx,
    tracker: &mut Tracker,
    anomalies: &mut Anomalies,
    limits: &Limits,
    out: &mut dyn FnMut(Event<'_>),
) {
    match rev {
        RecordEvent::Record {
            data,
            len,
            fragments,
            end_offset,
            gap,
            clipped,
        } => {
            if ctx.demote {
                return;
            }
            let cut = gap || (data.len() as u64) < len && !clipped;
            let Some(WithBody {
                msg: decoded,
                body_start,
            }) = convert::decode(data, cut, limits)
            else {
                if ctx.unproven_sync && !ctx.confirmed {
                    // Not RPC after all (or not at a record boundary): search.
                    ctx.demote = true;
                } else {
                    anomalies.add(Anomaly::RpcMalformed);
                }
                return;
            };
            if !ctx.confirmed {
                if let Decoded::Call(c) = &decoded {
                    if c.rpcvers != 2 && ctx.unproven_sync {
                        ctx.demote = true;
                        return;
                    }
                }
                if let Decoded::Reply(r) = &decoded {
                    // A stream that starts with a reply must answer a call we
                    // know of, or come from a server known to speak RPC.
                    let key = CallKey {
                        transport: Transport::Tcp,
                        caller: flow.dst,
                        callee: flow.src,
                        xid: r.xid,
                    };
                    if !tracker.expects_reply(&key)
                        && !tracker.is_rpc_server(Transport::Tcp, flow.src)
                        && !convert::is_strong_reply(data, limits)
                    {
                        ctx.demote = true;
                        return;
                    }
                }
                ctx.confirmed = true;
            }
            if cut {
                anomalies.add(Anomaly::RpcTruncated);
            }
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
            let (frame, ts) = ctx.frames.lookup(at);
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
            match decoded {
                Decoded::Call(mut c) => {
                    c.meta = meta;
                    tracker.on_call(Transport::Tcp, flow.src, flow.dst, c, body, anomalies, out);
                }
                Decoded::Reply(mut r) => {
                    r.meta = meta;
                    tracker.on_reply(Transport::Tcp, flow.src, flow.dst, r, body, anomalies, out);
                }
            }
        }
        RecordEvent::LostSync { .. } => {
            if ctx.confirmed {
                anomalies.add(Anomaly::RecordSyncLost);
            }
        }
        RecordEvent::Resynced { .. } => {}
    }
}
