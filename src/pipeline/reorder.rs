//! Capture order: messages reach the tracker, and so every sink, in the
//! order of the frames they are reported at, whatever held them back.
//!
//! A message is reported at the frame that completed it, or at the frame of
//! the prefix before a gap; but it is decoded only when its record is
//! decided: a resync candidate waits for the next record mark, a record with
//! a gap waits for its end (or for the gap to be declared), a reply on an
//! unproven stream waits for a second record, bytes wait in the TCP
//! out-of-order buffer. Meanwhile later frames of other streams decode. So
//! each stream states a *hold*: the earliest frame at which it may still
//! report a message ([`Holds`]). A message whose frame is not after every
//! hold (and not after the current frame) goes to the tracker at once,
//! borrowing its bytes; any other waits, owned, in [`Reorder`] until the
//! holds move past it. Then a call always reaches the tracker before the
//! reply of a later frame, and text output follows capture order.
//!
//! Bounds: a message waits at most `Limits::reorder_window_ns` of capture
//! time, and [`Reorder`] holds at most `Limits::max_reorder_messages`
//! messages and `Limits::max_reorder_bytes` bytes of bodies: past those the
//! oldest goes on. A hold older than the window is dropped (a stream stuck
//! in the middle of a record never stalls the others for longer). A message
//! that arrives after a later frame's message was handed on ("late": only
//! past those bounds) goes on at once and is counted.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use super::convert::Decoded;
use crate::capture::Timestamp;
use crate::event::Body;
use crate::limits::Limits;
use crate::net::{Endpoint, Transport};
use crate::track::CallKey;

/// One decoded message on its way to the tracker.
#[derive(Debug)]
pub struct Msg<'a> {
    pub transport: Transport,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub decoded: Decoded,
    pub body: Option<Body<'a>>,
}

impl Msg<'_> {
    /// The frame the message is reported at.
    pub fn frame(&self) -> u64 {
        match &self.decoded {
            Decoded::Call(c) => c.meta.frame,
            Decoded::Reply(r) => r.meta.frame,
        }
    }

    /// That frame's capture time.
    pub fn ts(&self) -> Timestamp {
        match &self.decoded {
            Decoded::Call(c) => c.meta.ts,
            Decoded::Reply(r) => r.meta.ts,
        }
    }

    /// Detaches the body.
    pub fn into_owned(self) -> Msg<'static> {
        Msg {
            transport: self.transport,
            src: self.src,
            dst: self.dst,
            decoded: self.decoded,
            body: self.body.map(Body::into_owned),
        }
    }

    fn bytes(&self) -> usize {
        std::mem::size_of::<Msg<'static>>() + self.body.as_ref().map_or(0, |b| b.data.len())
    }

    /// The call's key, for a call.
    fn call_key(&self) -> Option<CallKey> {
        match &self.decoded {
            Decoded::Call(c) => Some(CallKey {
                transport: self.transport,
                caller: self.src,
                callee: self.dst,
                xid: c.xid,
            }),
            Decoded::Reply(_) => None,
        }
    }
}

struct Entry {
    frame: u64,
    seq: u64,
    msg: Msg<'static>,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.frame, self.seq) == (o.frame, o.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.frame, self.seq).cmp(&(o.frame, o.seq))
    }
}

/// Messages waiting for the holds to move past them, by frame.
pub struct Reorder {
    heap: BinaryHeap<Reverse<Entry>>,
    /// The calls waiting, and their servers: a reply decoded meanwhile
    /// is known RPC although its call has not reached the tracker yet.
    calls: HashMap<CallKey, u32>,
    servers: HashMap<(Transport, Endpoint), u32>,
    seq: u64,
    bytes: usize,
    max_messages: usize,
    max_bytes: usize,
    window_ns: u64,
    /// The frame of the last message handed on.
    released: u64,
    /// Messages handed on after a later frame's message.
    pub late: u64,
    /// Messages handed on early because a bound was reached.
    pub forced: u64,
}

impl Reorder {
    pub fn new(limits: &Limits) -> Self {
        Reorder {
            heap: BinaryHeap::new(),
            calls: HashMap::new(),
            servers: HashMap::new(),
            seq: 0,
            bytes: 0,
            max_messages: limits.max_reorder_messages.max(1),
            max_bytes: limits.max_reorder_bytes,
            window_ns: limits.reorder_window_ns,
            released: 0,
            late: 0,
            forced: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Bytes held (message records and their bodies).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// True when a message at `frame` may go on now, before anything held.
    pub fn passes(&self, frame: u64, watermark: u64) -> bool {
        self.heap.is_empty() && frame <= watermark
    }

    /// Notes a message handed on directly.
    pub fn passed(&mut self, frame: u64) {
        if frame < self.released {
            self.late += 1;
        }
        self.released = self.released.max(frame);
    }

    /// True when a call with `key` waits here.
    pub fn has_call(&self, key: &CallKey) -> bool {
        self.calls.contains_key(key)
    }

    /// True when a call to `server` waits here.
    pub fn has_server(&self, transport: Transport, server: Endpoint) -> bool {
        self.servers.contains_key(&(transport, server))
    }

    /// Keeps a message until the holds move past it.
    pub fn push(&mut self, msg: Msg<'static>) {
        self.bytes += msg.bytes();
        if let Some(k) = msg.call_key() {
            *self.calls.entry(k).or_insert(0) += 1;
            *self.servers.entry((k.transport, k.callee)).or_insert(0) += 1;
        }
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            frame: msg.frame(),
            seq: self.seq,
            msg,
        }));
    }

    /// The next message that may go on: the oldest, when its frame is not
    /// after `watermark`, or it waited longer than the window at `now`, or a
    /// bound is reached (`all`: every message, at the end of input).
    pub fn pop(&mut self, watermark: u64, now: Timestamp, all: bool) -> Option<Msg<'static>> {
        let head = &self.heap.peek()?.0;
        let frame = head.frame;
        let expired = now.nanos_since(head.msg.ts()) > self.window_ns;
        let full = self.heap.len() > self.max_messages || self.bytes > self.max_bytes;
        if !(all || frame <= watermark || expired || full) {
            return None;
        }
        if full && frame > watermark && !expired {
            self.forced += 1;
        }
        let e = self.heap.pop()?.0;
        self.bytes -= e.msg.bytes();
        if let Some(k) = e.msg.call_key() {
            forget(&mut self.calls, k);
            forget(&mut self.servers, (k.transport, k.callee));
        }
        self.passed(e.frame);
        Some(e.msg)
    }
}

fn forget<K: std::hash::Hash + Eq>(m: &mut HashMap<K, u32>, k: K) {
    if let Some(n) = m.get_mut(&k) {
        *n -= 1;
        if *n == 0 {
            m.remove(&k);
        }
    }
}

/// The holds of all streams: the earliest frame each may still report a
/// message at, with its capture time.
#[derive(Default)]
pub struct Holds {
    /// (frame, stream id) -> the frame's capture time.
    by_frame: BTreeMap<(u64, u64), Timestamp>,
    /// stream id -> its registered hold frame.
    current: HashMap<u64, u64>,
    /// stream id -> the hold frame dropped for age: not taken again.
    expired: HashMap<u64, u64>,
    next_id: u64,
}

impl Holds {
    /// A new stream id.
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Sets stream `id`'s hold (`None`: it holds nothing back).
    pub fn set(&mut self, id: u64, hold: Option<(u64, Timestamp)>) {
        let hold = hold.filter(|(f, _)| self.expired.get(&id).is_none_or(|e| f > e));
        match (self.current.get(&id).copied(), hold) {
            (Some(old), Some((f, _))) if old == f => {}
            (old, hold) => {
                if let Some(old) = old {
                    self.by_frame.remove(&(old, id));
                    self.current.remove(&id);
                }
                if let Some((f, ts)) = hold {
                    self.by_frame.insert((f, id), ts);
                    self.current.insert(id, f);
                }
            }
        }
    }

    /// Stream `id` is gone.
    pub fn remove(&mut self, id: u64) {
        self.set(id, None);
        self.expired.remove(&id);
    }

    /// The earliest hold not older than `window_ns` at `now`; older ones
    /// are dropped for good.
    pub fn min(&mut self, now: Timestamp, window_ns: u64) -> Option<u64> {
        while let Some((&(frame, id), &ts)) = self.by_frame.iter().next() {
            if now.nanos_since(ts) <= window_ns {
                return Some(frame);
            }
            self.by_frame.remove(&(frame, id));
            self.current.remove(&id);
            self.expired.insert(id, frame);
        }
        None
    }

    /// Streams holding something back.
    pub fn len(&self) -> usize {
        self.by_frame.len()
    }

    /// True when no stream holds anything back.
    pub fn is_empty(&self) -> bool {
        self.by_frame.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{CallRec, MsgMeta};

    fn t(ms: i64) -> Timestamp {
        Timestamp(ms * 1_000_000)
    }

    fn msg(frame: u64, ms: i64) -> Msg<'static> {
        let ep = Endpoint::new([10, 0, 0, 1].into(), 1);
        Msg {
            transport: Transport::Tcp,
            src: ep,
            dst: ep,
            decoded: Decoded::Call(CallRec {
                xid: frame as u32,
                rpcvers: 2,
                program: Some(1),
                version: Some(1),
                procedure: Some(0),
                auth: None,
                meta: MsgMeta {
                    frame,
                    ts: t(ms),
                    bytes: 40,
                    truncated: false,
                    gap: false,
                },
            }),
            body: Some(Body::borrowed(&[1, 2, 3], 3, crate::event::Missing::None).into_owned()),
        }
    }

    fn limits() -> Limits {
        Limits {
            reorder_window_ns: 1_000_000_000,
            max_reorder_messages: 4,
            max_reorder_bytes: 1 << 20,
            ..Limits::default()
        }
    }

    #[test]
    fn messages_leave_in_frame_order_once_the_holds_pass() {
        let mut r = Reorder::new(&limits());
        for f in [7, 5, 6] {
            r.push(msg(f, 10));
        }
        assert!(r.pop(4, t(10), false).is_none(), "held below frame 5");
        let out: Vec<u64> = std::iter::from_fn(|| r.pop(6, t(10), false))
            .map(|m| m.frame())
            .collect();
        assert_eq!(out, [5, 6]);
        assert_eq!(r.pop(100, t(10), false).unwrap().frame(), 7);
        assert!(r.is_empty() && r.bytes() == 0);
        assert_eq!((r.late, r.forced), (0, 0));
        // A message older than what went on is late.
        assert!(r.passes(3, 10));
        r.passed(3);
        assert_eq!(r.late, 1);
    }

    #[test]
    fn bounds_release_the_oldest() {
        let mut r = Reorder::new(&limits());
        for f in 1..=5 {
            r.push(msg(f, 0));
        }
        // Over the count: the oldest goes on although held.
        assert_eq!(r.pop(0, t(0), false).unwrap().frame(), 1);
        assert_eq!(r.forced, 1);
        assert!(r.pop(0, t(0), false).is_none());
        // Past the window: everything goes on.
        assert_eq!(r.pop(0, t(1001), false).unwrap().frame(), 2);
        assert_eq!(r.pop(0, t(0), true).unwrap().frame(), 3);
    }

    #[test]
    fn holds_track_the_earliest_and_expire() {
        let mut h = Holds::default();
        let (a, b) = (h.id(), h.id());
        h.set(a, Some((10, t(0))));
        h.set(b, Some((20, t(500))));
        assert_eq!(h.min(t(600), 1_000_000_000), Some(10));
        h.set(a, Some((30, t(700))));
        assert_eq!(h.min(t(800), 1_000_000_000), Some(20));
        // b's hold is too old at t = 1600: dropped, and not taken again.
        assert_eq!(h.min(t(1600), 1_000_000_000), Some(30));
        h.set(b, Some((20, t(500))));
        assert_eq!(h.len(), 1);
        h.set(b, Some((40, t(1600))));
        assert_eq!(h.min(t(1600), 1_000_000_000), Some(30));
        h.remove(a);
        assert_eq!(h.min(t(1600), 1_000_000_000), Some(40));
        h.remove(b);
        assert_eq!(h.min(t(1600), 1_000_000_000), None);
    }
}
