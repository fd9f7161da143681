//! The decode pipeline: frames in, RPC events out.
//!
//! [`Pipeline`] wires the layers together: [`NetDecoder`] turns frames into
//! UDP datagrams and TCP byte streams; each TCP direction gets a
//! [`RecordReader`] (record marking, resynchronisation); each message is
//! parsed by [`Message`](crate::rpc::Message) and matched by the [`Tracker`]. It is sans-IO:
//! callers push frames (and, on a quiet live link, the time:
//! [`Pipeline::handle_timeout`]) and receive events through a callback. One
//! pipeline decodes one input: frame numbers and streams do not cross files.
//!
//! Finding RPC on any port ([`detect`]): a UDP datagram is RPC when it parses
//! as a plausible call (rpcvers 2, a program other than 0), or as a reply to
//! a call the tracker knows of, or from a server known to speak RPC. A TCP
//! direction is RPC once its record reader has found framing (a plausible
//! message whose next record mark chains, see [`crate::rpc::record`]), or,
//! when the stream's SYN was seen, once its first record parses as RPC (at
//! once when the server is known to speak RPC: seen before, or named by
//! portmap/rpcbind); on ports not known or learned as RPC, a call must be
//! plausible and a reply needs its call or a second consistent record.
//! Replies from a known server are RPC even when their call was not captured.
//!
//! Capture order ([`reorder`]): messages reach the tracker in the order of
//! the frames they are reported at, so a call always comes before the reply
//! of a later frame, whatever buffering or resynchronisation held it, and
//! events come out in capture order.
//!
//! Anomalies are counted and recorded with where and why
//! ([`crate::anomaly`]); [`Pipeline::drain_anomalies`] hands the records out.

use std::sync::Arc;

use crate::anomaly::{Anomalies, AnomalyRecord, Context};
use crate::capture::{Frame, Timestamp};
use crate::event::Event;
use crate::limits::Limits;
use crate::net::{FlowKey, NetDecoder, NetEvent, Transport};
use crate::programs::registry::Registry;
use crate::rpc::RecordReader;
use crate::track::{AgedMap, BodyMode, TrackStats, Tracker};

mod convert;
pub mod detect;
mod frames;
mod records;
pub mod reorder;

use records::{Down, StreamCtx};
use reorder::{Holds, Reorder};

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

    /// Adds the totals of other inputs (files decoded on other threads).
    pub fn merge(&mut self, o: &Summary) {
        let Summary {
            files,
            files_failed,
            frames,
            track,
            anomalies,
        } = o;
        self.files += files;
        self.files_failed += files_failed;
        self.frames += frames;
        self.track.merge(track);
        self.anomalies.merge(anomalies);
    }
}

/// A network layer's [`NetDecoder::finish`], run elsewhere: it hands each
/// of its final events to the function it is given.
pub type NetFinish<'a> = dyn FnMut(&mut dyn FnMut(NetEvent<'_>)) + 'a;

/// Frames in, events out. See the module docs.
pub struct Pipeline {
    net: NetDecoder,
    rpc: RpcLayer,
}

struct RpcStream {
    reader: RecordReader,
    ctx: StreamCtx,
}

struct RpcLayer {
    limits: Limits,
    /// The same limits, shared by every record reader.
    shared: Arc<Limits>,
    /// Boxed: a full table's empty buckets then cost a pointer, not a stream.
    streams: AgedMap<FlowKey, Box<RpcStream>>,
    tracker: Tracker,
    anomalies: Anomalies,
    order: Reorder,
    holds: Holds,
    /// Replies waiting for a resync candidate of the other direction to be
    /// settled: (the caller's direction, xid).
    settle: Vec<(FlowKey, u32)>,
    /// In [`Pipeline::finish`]: streams the network layer closes are kept
    /// until every stream has decided its pending records.
    finishing: bool,
    /// Heap bytes held by all streams' readers (`Limits::max_stream_buffer_bytes`).
    buffered: usize,
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
    /// Keep the bulk data of waiting calls (WRITE payloads) up to
    /// `Limits::body_keep`, for `--data hex`; otherwise a call's kept
    /// arguments stop where its bulk data starts.
    pub keep_bulk: bool,
}

impl Default for Options {
    /// The built-in programs, every body decoded.
    fn default() -> Self {
        Options {
            registry: Registry::builtin(),
            bodies: BodyMode::Full,
            keep_bulk: false,
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
                shared: Arc::new(limits.clone()),
                streams: AgedMap::new(limits.max_tcp_streams),
                tracker: Tracker::with_bodies(limits, options.registry, options.bodies)
                    .keep_bulk(options.keep_bulk),
                anomalies: Anomalies::with_records(limits),
                order: Reorder::new(limits),
                holds: Holds::default(),
                settle: Vec::new(),
                finishing: false,
                buffered: 0,
                frames: 0,
                frame: 0,
                ts: Timestamp::default(),
            },
        }
    }

    /// Decodes one frame; events go to `out`.
    pub fn handle_frame(&mut self, frame: &Frame<'_>, out: &mut dyn FnMut(Event<'_>)) {
        self.rpc.begin_frame(frame.number, frame.ts);
        let rpc = &mut self.rpc;
        self.net
            .handle_frame(frame, &mut |ev| rpc.on_net_event(ev, out));
        self.rpc.release(false, out);
    }

    /// [`Pipeline::handle_frame`] for a frame whose network layer ran
    /// elsewhere (a [`NetDecoder`] of its own, on another thread: see
    /// `app::net_ahead`): the frame's number and time, then each event its
    /// [`NetDecoder::handle_frame`] gave, in order, then
    /// [`Pipeline::end_frame`]. The events out are those of
    /// `handle_frame`. This pipeline's own network layer is not used.
    pub fn begin_frame(&mut self, number: u64, ts: Timestamp) {
        self.rpc.begin_frame(number, ts);
    }

    /// One event of the frame begun (see [`Pipeline::begin_frame`]).
    pub fn net_event(&mut self, ev: NetEvent<'_>, out: &mut dyn FnMut(Event<'_>)) {
        self.rpc.on_net_event(ev, out);
    }

    /// The end of the frame begun (see [`Pipeline::begin_frame`]).
    pub fn end_frame(&mut self, out: &mut dyn FnMut(Event<'_>)) {
        self.rpc.release(false, out);
    }

    /// Capture time `now` passed with no frame (a quiet live link): messages
    /// held for capture order longer than the window go on, and calls older
    /// than the call timeout are reported unanswered. Sans-IO: the caller
    /// owns the clock (for `live`, the wall clock the capture stamps frames
    /// with). Time never goes back: an earlier `now` is ignored.
    pub fn handle_timeout(&mut self, now: Timestamp, out: &mut dyn FnMut(Event<'_>)) {
        let rpc = &mut self.rpc;
        if now <= rpc.ts {
            return;
        }
        rpc.ts = now;
        rpc.release(false, out);
        let at = rpc.anomalies.context();
        rpc.anomalies.set_context(Context { ts: now, ..at });
        rpc.tracker.expire(now, &mut rpc.anomalies, out);
    }

    /// End of input: flushes every stream and reports unanswered calls.
    ///
    /// In two passes, so that a reply found only now can still find its
    /// call in the other direction's bytes: first every stream decides its
    /// resync candidates, then every stream finishes (records cut by the end
    /// of input are reported).
    pub fn finish(&mut self, out: &mut dyn FnMut(Event<'_>)) {
        let net = &mut self.net;
        self.rpc
            .finish(&mut |to: &mut dyn FnMut(NetEvent<'_>)| net.finish(to), out);
    }

    /// [`Pipeline::finish`] for a network layer run elsewhere (see
    /// [`Pipeline::begin_frame`]): `net_finish` hands over the events of
    /// that layer's [`NetDecoder::finish`], in order.
    pub fn finish_with(&mut self, net_finish: &mut NetFinish<'_>, out: &mut dyn FnMut(Event<'_>)) {
        self.rpc.finish(net_finish, out);
    }

    /// Hands out the anomaly records waiting (see [`crate::anomaly`]):
    /// call it after each frame, and after [`Pipeline::finish`].
    pub fn drain_anomalies(&mut self, f: &mut dyn FnMut(&AnomalyRecord)) {
        self.rpc.anomalies.drain_records(f);
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

    /// Messages that reached the tracker after a later frame's message
    /// (capture order could not be kept: a bound of [`reorder`] was hit).
    pub fn late_messages(&self) -> u64 {
        self.rpc.order.late
    }

    /// Messages waiting for capture order now.
    pub fn held_messages(&self) -> usize {
        self.rpc.order.len()
    }
}

impl RpcLayer {
    fn begin_frame(&mut self, number: u64, ts: Timestamp) {
        self.frames += 1;
        self.frame = number;
        self.ts = self.ts.max(ts);
        self.anomalies.set_context(Context {
            frame: number,
            ts,
            flow: None,
        });
    }

    /// See [`Pipeline::finish`].
    fn finish(&mut self, net_finish: &mut NetFinish<'_>, out: &mut dyn FnMut(Event<'_>)) {
        let rpc = self;
        rpc.finishing = true;
        net_finish(&mut |ev| rpc.on_net_event(ev, out));
        let mut flows = rpc.streams.keys();
        flows.sort_unstable();
        for flow in flows {
            let (mut down, streams) = rpc.down(out);
            if let Some(s) = streams.get_mut(&flow) {
                let RpcStream { reader, ctx } = &mut **s;
                reader.end_search(&mut |rev| ctx.on_record(rev, flow, &mut down));
            }
            rpc.after_stream_event(flow, out);
        }
        while let Some((flow, s)) = rpc.streams.pop_oldest() {
            rpc.finish_stream(flow, *s, out);
        }
        rpc.release(true, out);
        rpc.tracker.finish(out);
        rpc.finishing = false;
    }

    /// The frame no message handed on may come after: the current one, or
    /// the earliest a stream may still report a message at.
    fn watermark(&mut self) -> u64 {
        let held = self.holds.min(self.ts, self.limits.reorder_window_ns);
        held.map_or(self.frame, |h| h.min(self.frame))
    }

    /// Hands on the messages the holds have passed (`all`: every one).
    fn release(&mut self, all: bool, out: &mut dyn FnMut(Event<'_>)) {
        let w = self.watermark();
        while let Some(m) = self.order.pop(w, self.ts, all) {
            records::apply(m, &mut self.tracker, &mut self.anomalies, out);
        }
    }

    fn down<'x>(
        &'x mut self,
        out: &'x mut dyn FnMut(Event<'_>),
    ) -> (Down<'x>, &'x mut AgedMap<FlowKey, Box<RpcStream>>) {
        let watermark = self
            .holds
            .min(self.ts, self.limits.reorder_window_ns)
            .map_or(self.frame, |h| h.min(self.frame));
        (
            Down {
                tracker: &mut self.tracker,
                anomalies: &mut self.anomalies,
                limits: &self.limits,
                order: &mut self.order,
                settle: &mut self.settle,
                watermark,
                out,
            },
            &mut self.streams,
        )
    }

    fn on_net_event(&mut self, ev: NetEvent<'_>, out: &mut dyn FnMut(Event<'_>)) {
        let (frame, ts) = (self.frame, self.ts);
        match ev {
            NetEvent::Udp {
                flow,
                payload,
                len,
                truncated,
                frame,
                ts,
            } => {
                self.anomalies.set_context(Context {
                    frame,
                    ts,
                    flow: Some((Transport::Udp, flow)),
                });
                let (mut down, _) = self.down(out);
                records::on_udp(&mut down, flow, payload, len, truncated, (frame, ts));
            }
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
                self.tcp_context(flow);
                self.ensure_stream(flow, out);
                let shared = Arc::clone(&self.shared);
                let (mut down, streams) = self.down(out);
                let Some(s) = streams.get_mut(&flow) else {
                    return;
                };
                s.ctx.frames.push(offset + data.len() as u64, frame, ts);
                let RpcStream { reader, ctx } = &mut **s;
                reader.push(data, &mut |rev| ctx.on_record(rev, flow, &mut down));
                while let Some(at) = ctx.demote.take() {
                    // Not RPC after all (or not at a record boundary):
                    // search, from the end of that record, in the bytes
                    // that came with it too.
                    let end = offset + data.len() as u64;
                    *reader =
                        RecordReader::shared(Arc::clone(&shared), false, at.max(offset).min(end));
                    ctx.unproven_sync = false;
                    let rest = &data[(at.max(offset).min(end) - offset) as usize..];
                    reader.push(rest, &mut |rev| ctx.on_record(rev, flow, &mut down));
                }
                self.after_stream_event(flow, out);
            }
            NetEvent::TcpGap {
                flow,
                offset,
                len,
                reason,
            } => {
                self.tcp_context(flow);
                self.ensure_stream(flow, out);
                let shared = Arc::clone(&self.shared);
                let (mut down, streams) = self.down(out);
                let Some(s) = streams.get_mut(&flow) else {
                    return;
                };
                s.ctx.frames.push(offset.saturating_add(len), frame, ts);
                let RpcStream { reader, ctx } = &mut **s;
                ctx.on_gap(flow, offset, len, reason, &mut down);
                reader.push_gap(len, &mut |rev| ctx.on_record(rev, flow, &mut down));
                if ctx.demote.take().is_some() {
                    *reader = RecordReader::shared(shared, false, offset.saturating_add(len));
                    ctx.unproven_sync = false;
                }
                self.after_stream_event(flow, out);
            }
            NetEvent::TcpHeld { flow, held } => {
                self.ensure_stream(flow, out);
                if let Some(s) = self.streams.get_mut(&flow) {
                    s.ctx.ooo_hold = held;
                }
                self.update_hold(flow);
            }
            NetEvent::TcpInconsistent {
                flow,
                offset,
                len,
                seq,
            } => {
                self.tcp_context(flow);
                records::inconsistent(&mut self.anomalies, offset, len, seq);
            }
            NetEvent::TcpClose { .. } if self.finishing => {}
            NetEvent::TcpClose { flow } => {
                if let Some(s) = self.streams.remove(&flow) {
                    self.tcp_context(flow);
                    self.finish_stream(flow, *s, out);
                }
            }
            NetEvent::Anomaly(a) => self.anomalies.add(crate::anomaly::Anomaly::Net(a)),
        }
    }

    fn tcp_context(&mut self, flow: FlowKey) {
        self.anomalies.set_context(Context {
            frame: self.frame,
            ts: self.ts,
            flow: Some((Transport::Tcp, flow)),
        });
    }

    /// After a stream's reader moved: settle the resync candidates replies
    /// asked about, then update the stream's hold.
    fn after_stream_event(&mut self, flow: FlowKey, out: &mut dyn FnMut(Event<'_>)) {
        self.settle_all(out);
        self.update_hold(flow);
        self.streams.touch(&flow);
        self.enforce_budget(out);
    }

    /// Drops the least recently active streams while the readers together
    /// hold more than `max_stream_buffer_bytes`.
    fn enforce_budget(&mut self, out: &mut dyn FnMut(Event<'_>)) {
        while self.buffered > self.limits.max_stream_buffer_bytes {
            let Some((flow, mut s)) = self.streams.pop_oldest() else {
                break;
            };
            let held = s.ctx.heap;
            s.ctx.evicted = true;
            self.anomalies.report_at(
                crate::anomaly::Anomaly::RpcStreamEvicted,
                Context {
                    frame: self.frame,
                    ts: self.ts,
                    flow: Some((Transport::Tcp, flow)),
                },
                crate::anomaly::Detail {
                    len: Some(held as u64),
                    reason: Some(
                        "record buffers of all streams over max_stream_buffer_bytes: the least recently active stream is dropped"
                            .into(),
                    ),
                    ..Default::default()
                },
            );
            self.finish_stream(flow, *s, out);
        }
    }

    /// Settles the resync candidates replies asked about, in the order the
    /// replies came (so calls are found in stream order); settling may
    /// deliver replies that ask again.
    fn settle_all(&mut self, out: &mut dyn FnMut(Event<'_>)) {
        let mut i = 0;
        while i < self.settle.len() {
            let (caller, xid) = self.settle[i];
            i += 1;
            let (mut down, streams) = self.down(out);
            if let Some(s) = streams.get_mut(&caller) {
                let RpcStream { reader, ctx } = &mut **s;
                reader.settle_call(xid, &mut |rev| ctx.on_record(rev, caller, &mut down));
            }
            self.update_hold(caller);
        }
        self.settle.clear();
    }

    /// Updates a stream's hold and its share of the buffer budget.
    fn update_hold(&mut self, flow: FlowKey) {
        if let Some(s) = self.streams.get_mut(&flow) {
            let hold = s.ctx.hold(&s.reader);
            self.holds.set(s.ctx.id, hold);
            let heap = s.reader.heap_bytes() + s.ctx.heap_bytes();
            self.buffered = self.buffered + heap - s.ctx.heap;
            s.ctx.heap = heap;
        }
    }

    fn new_stream(&mut self, flow: FlowKey, at_syn: bool, out: &mut dyn FnMut(Event<'_>)) {
        // A connection to or from an endpoint known to serve RPC (seen, or
        // named by portmap/rpcbind) is RPC from its SYN: a first record that
        // does not parse is malformed, not a sign to search for framing.
        let known = self.tracker.is_rpc_server(Transport::Tcp, flow.dst)
            || self.tracker.is_rpc_server(Transport::Tcp, flow.src);
        let s = RpcStream {
            reader: RecordReader::shared(Arc::clone(&self.shared), at_syn, 0),
            ctx: StreamCtx::new(at_syn && !known, self.holds.id()),
        };
        if let Some((old_flow, old)) = self.streams.insert(flow, Box::new(s), self.ts) {
            self.anomalies
                .add(crate::anomaly::Anomaly::RpcStreamEvicted);
            self.finish_stream(old_flow, *old, out);
        }
    }

    fn ensure_stream(&mut self, flow: FlowKey, out: &mut dyn FnMut(Event<'_>)) {
        if !self.streams.contains_key(&flow) {
            self.new_stream(flow, false, out);
        }
    }

    fn finish_stream(&mut self, flow: FlowKey, mut s: RpcStream, out: &mut dyn FnMut(Event<'_>)) {
        let (mut down, _) = self.down(out);
        let RpcStream { reader, ctx } = &mut s;
        reader.finish(&mut |rev| ctx.on_record(rev, flow, &mut down));
        // A reply still on probation had no second record: not RPC.
        ctx.probation = None;
        self.holds.remove(s.ctx.id);
        self.buffered -= s.ctx.heap;
        self.settle_all(out);
    }
}

#[cfg(test)]
mod tests;
