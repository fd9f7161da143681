//! Tracker behaviour: matching, retransmissions, duplicates, orphans, bounds.

use super::*;
use crate::event::{MsgMeta, ReplyStatus};
use crate::rpc::AcceptBody;
use std::net::{IpAddr, Ipv4Addr};

fn ep(last: u8, port: u16) -> Endpoint {
    Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)), port)
}

fn meta(frame: u64, secs: i64) -> MsgMeta {
    MsgMeta {
        frame,
        ts: Timestamp(secs * 1_000_000_000),
        bytes: 100,
        truncated: false,
        gap: false,
    }
}

fn call(xid: u32, frame: u64, secs: i64) -> CallRec {
    CallRec {
        xid,
        rpcvers: 2,
        program: Some(100003),
        version: Some(3),
        procedure: Some(1),
        auth: None,
        meta: meta(frame, secs),
    }
}

fn reply(xid: u32, frame: u64, secs: i64) -> ReplyRec {
    ReplyRec {
        xid,
        status: ReplyStatus::Accepted(AcceptBody::Success),
        meta: meta(frame, secs),
    }
}

struct Run {
    t: Tracker,
    a: Anomalies,
    events: Vec<Event<'static>>,
}

impl Run {
    fn new(limits: Limits) -> Self {
        Run {
            t: Tracker::new(&limits),
            a: Anomalies::default(),
            events: vec![],
        }
    }
    fn call(&mut self, tr: Transport, from: Endpoint, to: Endpoint, c: CallRec) {
        let ev = &mut self.events;
        self.t
            .on_call(tr, from, to, c, None, &mut self.a, &mut |e| {
                ev.push(e.into_owned())
            });
    }
    fn reply(&mut self, tr: Transport, from: Endpoint, to: Endpoint, r: ReplyRec) {
        let ev = &mut self.events;
        self.t
            .on_reply(tr, from, to, r, None, &mut self.a, &mut |e| {
                ev.push(e.into_owned())
            });
    }
    fn finish(&mut self) {
        let ev = &mut self.events;
        self.t.finish(&mut |e| ev.push(e.into_owned()));
    }
    fn kinds(&self) -> Vec<ExchangeKind> {
        self.events.iter().map(|e| e.kind).collect()
    }
}

#[test]
fn call_then_reply_is_one_exchange_with_latency() {
    let mut r = Run::new(Limits::default());
    let (c, s) = (ep(1, 800), ep(2, 2049));
    r.call(Transport::Tcp, c, s, call(7, 1, 10));
    r.reply(Transport::Tcp, s, c, reply(7, 2, 11));
    assert_eq!(
        r.kinds(),
        vec![ExchangeKind::CallSeen, ExchangeKind::Complete]
    );
    let ex = &r.events[1].exchange;
    assert_eq!((ex.client, ex.server, ex.xid), (c, s, 7));
    assert_eq!(ex.latency_ns(), Some(1_000_000_000));
    assert_eq!(r.t.stats().exchanges, 1);
    assert_eq!(r.t.pending_len(), 0);
}

#[test]
fn reply_from_wrong_direction_does_not_match() {
    let mut r = Run::new(Limits::default());
    let (c, s) = (ep(1, 800), ep(2, 2049));
    r.call(Transport::Tcp, c, s, call(7, 1, 10));
    // The same XID, but a reply travelling client -> server: that would
    // answer a callback from the server, which was never made.
    r.reply(Transport::Tcp, c, s, reply(7, 2, 11));
    assert_eq!(
        r.kinds(),
        vec![ExchangeKind::CallSeen, ExchangeKind::Orphan]
    );
    assert_eq!(r.t.stats().orphan_replies, 1);
    assert_eq!(r.t.pending_len(), 1);
}

#[test]
fn callback_on_same_connection_matches_its_own_reply() {
    let mut r = Run::new(Limits::default());
    let (c, s) = (ep(1, 800), ep(2, 2049));
    r.call(Transport::Tcp, c, s, call(5, 1, 10));
    r.call(Transport::Tcp, s, c, call(5, 2, 10)); // server callback, same xid
    r.reply(Transport::Tcp, c, s, reply(5, 3, 11)); // client answers callback
    r.reply(Transport::Tcp, s, c, reply(5, 4, 12)); // server answers call
    let done: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.kind == ExchangeKind::Complete)
        .collect();
    assert_eq!(done.len(), 2);
    assert_eq!(done[0].exchange.client, s);
    assert_eq!(done[0].exchange.call.unwrap().meta.frame, 2);
    assert_eq!(done[1].exchange.client, c);
    assert_eq!(done[1].exchange.call.unwrap().meta.frame, 1);
}

#[test]
fn udp_retransmission_is_reported_not_double_counted() {
    let mut r = Run::new(Limits::default());
    let (c, s) = (ep(1, 912), ep(2, 2049));
    r.call(Transport::Udp, c, s, call(9, 1, 10));
    r.call(Transport::Udp, c, s, call(9, 5, 11));
    r.reply(Transport::Udp, s, c, reply(9, 6, 12));
    assert_eq!(
        r.kinds(),
        vec![
            ExchangeKind::CallSeen,
            ExchangeKind::Retransmitted,
            ExchangeKind::Complete
        ]
    );
    let ex = &r.events[2].exchange;
    assert_eq!(
        ex.call.unwrap().meta.frame,
        1,
        "latency counts from the first call"
    );
    assert_eq!(ex.retransmit_frames.frames(), &[5]);
    assert!(!ex.duplicate_reply);
    let st = r.t.stats();
    assert_eq!((st.calls, st.exchanges, st.retransmissions), (2, 1, 1));
}

#[test]
fn retransmission_after_reply_then_duplicate_reply() {
    let mut r = Run::new(Limits::default());
    let (c, s) = (ep(1, 912), ep(2, 2049));
    r.call(Transport::Udp, c, s, call(9, 1, 10));
    r.reply(Transport::Udp, s, c, reply(9, 2, 10));
    r.call(Transport::Udp, c, s, call(9, 3, 12));
    r.reply(Transport::Udp, s, c, reply(9, 4, 12));
    r.reply(Transport::Udp, s, c, reply(9, 5, 12)); // yet another copy
    let st = *r.t.stats();
    assert_eq!(st.exchanges, 1);
    assert_eq!(st.duplicate_replies, 2);
    assert_eq!(st.orphan_replies, 0);
    assert!(r.events[3].exchange.duplicate_reply);
    assert_eq!(r.events[3].exchange.retransmit_frames.frames(), &[3]);
    assert!(r.events[4].exchange.duplicate_reply);
}

#[test]
fn unanswered_calls_reported_at_finish_oldest_first() {
    let mut r = Run::new(Limits::default());
    let (c, s) = (ep(1, 700), ep(2, 111));
    for x in 0..3 {
        r.call(Transport::Tcp, c, s, call(x, x as u64 + 1, 1));
    }
    r.events.clear();
    r.finish();
    let xids: Vec<u32> = r.events.iter().map(|e| e.exchange.xid).collect();
    assert_eq!(xids, vec![0, 1, 2]);
    assert!(r.events.iter().all(|e| e.kind == ExchangeKind::Unmatched));
    assert_eq!(r.t.stats().unmatched_calls, 3);
}

#[test]
fn table_full_evicts_oldest_and_counts_it() {
    let limits = Limits {
        max_pending_calls: 2,
        ..Limits::default()
    };
    let mut r = Run::new(limits);
    let (c, s) = (ep(1, 700), ep(2, 111));
    for x in 0..5 {
        r.call(Transport::Tcp, c, s, call(x, x as u64 + 1, 1));
    }
    assert_eq!(r.t.pending_len(), 2);
    assert_eq!(r.a.get("pending_call_evicted"), 3);
    let evicted: Vec<u32> = r
        .events
        .iter()
        .filter(|e| e.kind == ExchangeKind::Unmatched)
        .map(|e| e.exchange.xid)
        .collect();
    assert_eq!(evicted, vec![0, 1, 2]);
}

#[test]
fn calls_time_out_in_capture_time() {
    let limits = Limits {
        call_timeout_ns: 5_000_000_000,
        ..Limits::default()
    };
    let mut r = Run::new(limits);
    let (c, s) = (ep(1, 700), ep(2, 111));
    r.call(Transport::Udp, c, s, call(1, 1, 0));
    r.call(Transport::Udp, c, s, call(2, 2, 3));
    r.call(Transport::Udp, c, s, call(3, 3, 7)); // call 1 is now 7 s old
    let unmatched: Vec<u32> = r
        .events
        .iter()
        .filter(|e| e.kind == ExchangeKind::Unmatched)
        .map(|e| e.exchange.xid)
        .collect();
    assert_eq!(unmatched, vec![1]);
    // The reply to the timed-out call is now an orphan.
    r.reply(Transport::Udp, s, c, reply(1, 4, 8));
    assert_eq!(r.events.last().unwrap().kind, ExchangeKind::Orphan);
}

#[test]
fn servers_are_learned_from_calls() {
    let mut r = Run::new(Limits::default());
    let (c, s) = (ep(1, 700), ep(2, 4000));
    assert!(!r.t.is_rpc_server(Transport::Udp, s));
    r.call(Transport::Udp, c, s, call(1, 1, 0));
    assert!(r.t.is_rpc_server(Transport::Udp, s));
    assert!(r.t.expects_reply(&CallKey {
        transport: Transport::Udp,
        caller: c,
        callee: s,
        xid: 1
    }));
}

/// Runs one NFSv3 LOOKUP exchange (directory handle "D", name "f") whose
/// reply is `res`, in `mode`; returns the complete exchange and anomalies.
fn lookup_in(mode: BodyMode, res: &[u8]) -> (Event<'static>, Anomalies) {
    let limits = Limits::default();
    let mut t = Tracker::with_bodies(&limits, Registry::builtin(), mode);
    let mut a = Anomalies::default();
    let mut events = Vec::new();
    let (c, s) = (ep(1, 700), ep(2, 2049));
    let mut lookup = call(1, 1, 0);
    lookup.procedure = Some(3);
    let args = [
        0, 0, 0, 1, b'D', 0, 0, 0, // dir: data<64> of 1 byte, padded
        0, 0, 0, 1, b'f', 0, 0, 0, // name "f", padded
    ];
    fn body(b: &[u8]) -> Option<Body<'_>> {
        Some(Body::borrowed(
            b,
            b.len() as u64,
            crate::event::Missing::None,
        ))
    }
    t.on_call(
        Transport::Tcp,
        c,
        s,
        lookup,
        body(&args),
        &mut a,
        &mut |e| events.push(e.into_owned()),
    );
    t.on_reply(
        Transport::Tcp,
        s,
        c,
        reply(1, 2, 0),
        body(res),
        &mut a,
        &mut |e| events.push(e.into_owned()),
    );
    let ex = events.pop().unwrap();
    assert_eq!(ex.kind, ExchangeKind::Complete);
    (ex, a)
}

#[test]
fn statistics_decode_only_the_status() {
    // NFS3ERR_NOENT, then bytes that break the type (a bool of 7 where
    // post_op_attr's attributes_follow is).
    let res = [0, 0, 0, 2, 0, 0, 0, 7];
    let (full, a_full) = lookup_in(BodyMode::Full, &res);
    let (stats, a_stats) = lookup_in(BodyMode::Status, &res);
    let (off, a_off) = lookup_in(BodyMode::Off, &res);
    // The status is there for reading and for statistics...
    assert_eq!(full.exchange.facts.status.map(|s| s.value), Some(2));
    assert_eq!(stats.exchange.facts.status.map(|s| s.value), Some(2));
    assert_eq!(off.exchange.facts.status, None);
    // ...but statistics stop at it: the malformed rest is never walked, no
    // argument is kept and no path is looked for.
    assert_eq!(a_full.get("body_malformed"), 1);
    assert_eq!(a_stats.get("body_malformed"), 0);
    assert!(full.exchange.call_body.is_some());
    assert!(stats.exchange.call_body.is_none());
    assert_eq!(a_off.total(), 0);
    // With bodies off, events carry none.
    assert!(off.exchange.call_body.is_none() && off.exchange.reply_body.is_none());
}

/// The exchange of `call` (with arguments `args`) left unanswered at the
/// end, as its arguments were kept while it waited.
fn left_waiting(limits: &Limits, keep_bulk: bool, call: CallRec, args: &[u8]) -> Exchange<'static> {
    let mut t =
        Tracker::with_bodies(limits, Registry::builtin(), BodyMode::Full).keep_bulk(keep_bulk);
    let mut a = Anomalies::default();
    let mut events = Vec::new();
    let body = Body::borrowed(args, args.len() as u64, crate::event::Missing::None);
    t.on_call(
        Transport::Tcp,
        ep(1, 700),
        ep(2, 2049),
        call,
        Some(body),
        &mut a,
        &mut |e| events.push(e.into_owned()),
    );
    t.finish(&mut |e| events.push(e.into_owned()));
    events.pop().expect("the unanswered call").exchange
}

/// A WRITE call waiting for its reply keeps its arguments up to where its
/// payload starts (not `body_keep` bytes of data nobody shows), unless
/// bulk data is wanted (`--data hex`).
#[test]
fn waiting_writes_keep_no_payload_unless_asked() {
    let limits = Limits::default();
    let mut args = vec![0, 0, 0, 1, b'F', 0, 0, 0]; // file: data<64> "F"
    args.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x10, 0]); // offset 4096
    args.extend_from_slice(&[0, 0, 0x10, 0]); // count 4096
    args.extend_from_slice(&[0, 0, 0, 2]); // FILE_SYNC
    let head = args.len() + 4; // up to the payload, after its length
    args.extend_from_slice(&[0, 0, 0x10, 0]);
    args.extend(std::iter::repeat_n(0xab, 4096));
    for (keep_bulk, kept) in [(false, head), (true, 4096 + head)] {
        let mut write = call(1, 1, 0);
        write.procedure = Some(7);
        let ex = &left_waiting(&limits, keep_bulk, write, &args);
        let b = ex.call_body.as_ref().expect("arguments kept");
        assert_eq!(b.data.len(), kept, "keep_bulk {keep_bulk}");
        assert_eq!(b.len, args.len() as u64);
        assert_eq!(ex.facts.fh_hash, Some(crc32fast::hash(b"F")));
    }
}

/// An NFSv4 WRITE waiting for its reply: its data is kept when the
/// operations after it fit `body_keep` (they are shown and walked at the
/// reply); when the data runs past it, what follows would be cut anyway
/// and the arguments are kept up to the data, as NFSv3's are.
#[test]
fn waiting_nfs4_writes_keep_their_data_only_when_what_follows_fits() {
    use crate::programs::nfs4::testdata::{FILE_FH, X};
    let limits = Limits::default();
    let compound = |data: usize| {
        X::new()
            .opaque(b"") // tag
            .u32(1) // minorversion
            .u32(3) // argarray<> count
            .u32(22) // OP_PUTFH
            .opaque(FILE_FH)
            .u32(38) // OP_WRITE
            .u32(0) // stateid.seqid
            .fixed(&[0; 12]) // stateid.other
            .u64(0) // offset
            .u32(2) // FILE_SYNC4
            .opaque(&vec![0xab; data])
            .u32(9) // OP_GETATTR
            .u32(1) // bitmap4<> count
            .u32(0x18) // type, change
            .done()
    };
    // Up to the data: tag, minorversion, count, PUTFH and its handle, WRITE
    // up to its data's length word included.
    let head = 4 + 4 + 4 + (4 + 4 + FILE_FH.len()) + 4 + 16 + 8 + 4 + 4;
    for (data, keep_bulk, kept) in [
        (1000, false, None),
        (64 * 1024, false, Some(head)),
        (64 * 1024, true, Some(limits.body_keep)),
    ] {
        let args = compound(data);
        let mut write = call(1, 1, 0);
        (write.version, write.procedure) = (Some(4), Some(1));
        let ex = &left_waiting(&limits, keep_bulk, write, &args);
        let b = ex.call_body.as_ref().expect("arguments kept");
        assert_eq!(
            b.data.len(),
            kept.unwrap_or(args.len()),
            "{data} {keep_bulk}"
        );
        assert_eq!(b.len, args.len() as u64);
        let ops = ex.facts.compound.as_ref().expect("its operations");
        assert_eq!(ops.ops().len(), 3, "{data} {keep_bulk}");
    }
}
