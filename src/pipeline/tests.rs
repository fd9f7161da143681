//! The pipeline's own contracts: time as an input (`handle_timeout`),
//! anomaly records with where and why.

use super::*;
use crate::capture::LinkType;
use crate::event::ExchangeKind;
use crate::limits::NS_PER_SEC;
use crate::net::testutil::{eth_udp4, tcp4, Flags};
use crate::rpc::message::tests::CALL_AUTH_SYS;

fn secs(s: i64) -> Timestamp {
    Timestamp(1_700_000_000 * NS_PER_SEC as i64 + s * NS_PER_SEC as i64)
}

fn frame(number: u64, ts: Timestamp, link: LinkType, data: &[u8]) -> Frame<'_> {
    Frame {
        number,
        ts,
        link,
        data,
        orig_len: data.len() as u32,
    }
}

type Seen = Vec<(ExchangeKind, u32, u64)>;

fn push(seen: &mut Seen) -> impl FnMut(Event<'_>) + '_ {
    |ev: Event<'_>| seen.push((ev.kind, ev.exchange.xid, ev.frame))
}

/// Regression (issue 11): a quiet live link never reported its unanswered
/// calls until the next RPC message or exit. Time is an input too: with no
/// frame at all, a call times out at its capture-time deadline.
#[test]
fn handle_timeout_expires_calls_on_a_quiet_link() {
    let limits = Limits::default();
    let mut p = Pipeline::new(&limits);
    let mut seen = Seen::new();
    let dgram = eth_udp4([10, 0, 0, 1], [10, 0, 0, 2], 800, 2049, CALL_AUTH_SYS);
    p.handle_frame(
        &frame(1, secs(0), LinkType::ETHERNET, &dgram),
        &mut push(&mut seen),
    );
    assert_eq!(seen, [(ExchangeKind::CallSeen, 0x1234_5678, 1)]);
    let timeout = (limits.call_timeout_ns / NS_PER_SEC) as i64;
    p.handle_timeout(secs(timeout - 1), &mut push(&mut seen));
    assert_eq!(seen.len(), 1, "not yet");
    p.handle_timeout(secs(timeout + 1), &mut push(&mut seen));
    assert_eq!(seen[1], (ExchangeKind::Unmatched, 0x1234_5678, 1));
    assert_eq!(p.track_stats().unmatched_calls, 1);
    // Time does not go back.
    p.handle_timeout(secs(5), &mut push(&mut seen));
    p.finish(&mut push(&mut seen));
    assert_eq!(seen.len(), 2, "reported once");
}

/// A message held for capture order goes on when the window passes, on a
/// quiet link too: a call behind a record that never completes on another
/// stream is not held back for ever.
#[test]
fn handle_timeout_releases_messages_held_for_capture_order() {
    let limits = Limits::default();
    let mut p = Pipeline::new(&limits);
    let mut seen = Seen::new();
    // Stream A (at its SYN) starts a 1000-byte record and stops.
    let syn = tcp4(
        1,
        2,
        900,
        2049,
        99,
        Flags {
            syn: true,
            ..Flags::default()
        },
        &[],
    );
    let mut start = vec![0x80, 0, 0x03, 0xe8];
    start.extend_from_slice(&CALL_AUTH_SYS[..40]);
    let part = tcp4(1, 2, 900, 2049, 100, Flags::default(), &start);
    // A UDP call, later.
    let dgram = eth_udp4([10, 0, 0, 3], [10, 0, 0, 2], 800, 2049, CALL_AUTH_SYS);
    p.handle_frame(
        &frame(1, secs(0), LinkType::RAW, &syn),
        &mut push(&mut seen),
    );
    p.handle_frame(
        &frame(2, secs(0), LinkType::RAW, &part),
        &mut push(&mut seen),
    );
    p.handle_frame(
        &frame(3, secs(1), LinkType::ETHERNET, &dgram),
        &mut push(&mut seen),
    );
    assert_eq!(seen, [], "held: stream A may still report at frame 2");
    assert_eq!(p.held_messages(), 1);
    let window = (limits.reorder_window_ns / NS_PER_SEC) as i64;
    p.handle_timeout(secs(window + 2), &mut push(&mut seen));
    assert_eq!(seen, [(ExchangeKind::CallSeen, 0x1234_5678, 3)]);
    assert_eq!(p.held_messages(), 0);
}

/// Anomalies come with where and why: a record that never ends on an RPC
/// stream names the flow, the frame, the record's start and the reason.
#[test]
fn anomaly_records_say_where_and_why() {
    let limits = Limits {
        max_record_fragments: 8,
        ..Limits::default()
    };
    let mut p = Pipeline::new(&limits);
    let mut seen = Seen::new();
    let syn = tcp4(
        1,
        2,
        900,
        2049,
        99,
        Flags {
            syn: true,
            ..Flags::default()
        },
        &[],
    );
    p.handle_frame(
        &frame(1, secs(0), LinkType::RAW, &syn),
        &mut push(&mut seen),
    );
    // A call record, then a record of 16-byte fragments that never ends,
    // whose first fragment starts like a call.
    let mut wire = Vec::new();
    crate::rpc::encode_record(CALL_AUTH_SYS, 1 << 20, &mut wire);
    let flood_at = wire.len() as u64;
    crate::rpc::RecordMark {
        last: false,
        len: 16,
    }
    .emit(&mut wire);
    wire.extend_from_slice(&CALL_AUTH_SYS[..16]);
    for _ in 0..20 {
        crate::rpc::RecordMark {
            last: false,
            len: 16,
        }
        .emit(&mut wire);
        wire.extend_from_slice(&[0xee; 16]);
    }
    let seg = tcp4(1, 2, 900, 2049, 100, Flags::default(), &wire);
    p.handle_frame(
        &frame(2, secs(1), LinkType::RAW, &seg),
        &mut push(&mut seen),
    );
    let mut recs = Vec::new();
    p.drain_anomalies(&mut |a| recs.push(a.clone()));
    let r = recs
        .iter()
        .find(|r| r.kind == crate::anomaly::Anomaly::RecordUnterminated)
        .expect("record_unterminated reported");
    assert_eq!(r.frame, 2);
    assert_eq!(r.detail.layer, Some("record"));
    assert_eq!(r.detail.offset, Some(flood_at));
    assert_eq!(r.detail.len, Some(8 * 16));
    let (t, f) = r.flow.expect("flow");
    assert_eq!((t, f.src.port, f.dst.port), (Transport::Tcp, 900, 2049));
    assert!(
        r.detail
            .reason
            .as_deref()
            .is_some_and(|s| s.starts_with("too many record fragments")),
        "{r:?}"
    );
    assert_eq!(p.anomalies().get("record_unterminated"), 1);
}
