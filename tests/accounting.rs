//! Matching and accounting: every call message is counted exactly once (as a
//! call or a retransmission), and a call reaches the tracker before any later
//! frame's reply whatever held it back.

mod common;

use std::collections::BTreeMap;

use common::synth::*;
use common::*;
use rpcscope::event::ExchangeKind;
use rpcscope::output::stats::{GroupBy, Stats, StatsRow};
use rpcscope::rpc::AcceptBody;

fn stats_of(c: &Collect) -> Stats {
    let mut s = Stats::new(GroupBy::Procedure, 4096);
    for ev in &c.events {
        s.add(ev);
    }
    s
}

fn row(s: &Stats, prog: u32, proc_: u32) -> &StatsRow {
    s.rows()
        .into_iter()
        .find(|(k, _)| k.program == Some(prog) && k.procedure == Some(proc_))
        .map(|(_, r)| r)
        .unwrap_or_else(|| panic!("no row {prog}/{proc_}"))
}

/// Regression (issue 11): a UDP call retransmitted after its first reply (a
/// slow server) showed in `retransmit_frames` of the duplicate-reply object,
/// but `stats` counted 0 retransmissions, and one re-sent after its answer
/// with no second reply counted as a new unanswered call.
#[test]
fn every_call_message_is_counted_once_as_call_or_retransmission() {
    let c = |x| udp(CLIENT, SERVER, &call(x, 100003, 3, 7, &[0; 16]));
    let r = |x| udp(SERVER, CLIENT, &reply(x, AcceptBody::Success, &[0; 8]));
    let frames = vec![
        // A: answered, re-sent, answered again (a duplicate reply).
        c(0xa),
        r(0xa),
        c(0xa),
        r(0xa),
        // B: re-sent before its reply.
        c(0xb),
        c(0xb),
        r(0xb),
        // C: answered, re-sent, the second reply lost.
        c(0xc),
        r(0xc),
        c(0xc),
        // D: never answered, sent three times.
        c(0xd),
        c(0xd),
        c(0xd),
    ];
    let col = decode_bytes(pcap(&timed(frames), 65535));
    let call_messages = 9;
    assert_eq!(col.summary.track.calls, call_messages);
    let s = stats_of(&col);
    let w = row(&s, 100003, 7);
    assert_eq!(w.calls, 4, "one per exchange");
    assert_eq!(w.retransmissions, 5, "A 1, B 1, C 1, D 2");
    assert_eq!(w.calls + w.retransmissions, call_messages);
    assert_eq!(w.unanswered, 1, "only D: C was answered");
    assert_eq!(
        w.replies, 3,
        "the duplicate reply of A is not counted again"
    );
    assert_eq!(w.latency.count(), 3);
}

/// On every public capture, `calls + retransmissions` summed over the stats
/// rows is the number of call messages rpcscope reports; on the capture
/// with UDP retransmissions after the reply it is tshark's count plus the
/// one call tshark cannot decode (cut by the snapshot length).
#[test]
fn public_corpus_stats_count_every_call_message() {
    let Some(shared) = shared_dir() else {
        return;
    };
    for name in public_captures(&shared) {
        let (col, _) = decode(&shared.join("captures/public").join(&name));
        let s = stats_of(&col);
        let counted: u64 = s
            .rows()
            .iter()
            .map(|(_, r)| r.calls + r.retransmissions)
            .sum();
        assert_eq!(counted, col.summary.track.calls, "{name}");
    }
    let name = "nfstrace-eth-ipv4-udp-nfsv3-dup-retransm.pcap";
    let (col, _) = decode(&shared.join("captures/public").join(name));
    let tsv =
        std::fs::read_to_string(shared.join("refs/public").join(format!("{name}.tsv"))).unwrap();
    let reference = tshark_messages(&tsv);
    let ours = col.messages();
    let tshark_calls: u64 = reference
        .iter()
        .filter(|(k, _)| k.2 == 0)
        .map(|(_, n)| *n as u64)
        .sum();
    let extra: Vec<_> = ours
        .keys()
        .filter(|k| k.2 == 0 && !reference.contains_key(k))
        .collect();
    assert_eq!(tshark_calls, 15);
    assert_eq!(extra.len(), 1, "{extra:?}");
    let s = stats_of(&col);
    let w = row(&s, 100003, 7);
    assert_eq!(w.calls + w.retransmissions, tshark_calls + 1);
    assert_eq!(w.retransmissions, 3, "frames 93, 168 and 185");
}

/// Completed exchanges as (xid, call frame, reply frame).
fn completed(c: &Collect) -> BTreeMap<u32, (u64, u64)> {
    c.events
        .iter()
        .filter(|e| e.kind == ExchangeKind::Complete)
        .map(|e| {
            let ex = &e.exchange;
            (
                ex.xid,
                (ex.call.unwrap().meta.frame, ex.reply.unwrap().meta.frame),
            )
        })
        .collect()
}

/// Client and server segments of one TCP connection, from the client's
/// bytes and the server's replies interleaved as given: (from client?, bytes).
fn connection(syn: bool, parts: &[(bool, Vec<u8>)]) -> Vec<Vec<u8>> {
    let (mut c, mut s) = (1000u32, 5000u32);
    let mut frames = Vec::new();
    if syn {
        frames.push(tcp(CLIENT, SERVER, c - 1, 0, true, &[]));
        frames.push(tcp(SERVER, CLIENT, s - 1, c, true, &[]));
    }
    for (from_client, bytes) in parts {
        if *from_client {
            frames.push(tcp(CLIENT, SERVER, c, s, false, bytes));
            c = c.wrapping_add(bytes.len() as u32);
        } else {
            frames.push(tcp(SERVER, CLIENT, s, c, false, bytes));
            s = s.wrapping_add(bytes.len() as u32);
        }
    }
    frames
}

/// Regression (issue 11): a valid call that shares a TCP segment with a
/// record that is empty or malformed before it (a zero-length record, a call
/// whose credential length lies, a few bytes of junk) reached the tracker
/// after its reply (or never): the reply was printed as "no call seen" and
/// the call as unanswered. With or without the SYN, with or without more
/// traffic after, each call reaches the tracker before its reply.
#[test]
fn call_reaches_the_tracker_before_its_reply_after_a_bad_record() {
    let mut lying = call(0x41, 100003, 3, 1, &[0; 8]);
    lying[28..32].copy_from_slice(&1000u32.to_be_bytes()); // cred length 1000
    let prefixes: [(&str, Vec<u8>); 3] = [
        ("empty record", vec![0x80, 0, 0, 0]),
        ("lying credential length", record(&lying, 1 << 20)),
        ("junk record", record(&[1, 2, 3, 4, 5, 6, 7, 8], 1 << 20)),
    ];
    for (what, prefix) in &prefixes {
        for syn in [true, false] {
            for more in [false, true] {
                let mut seg = prefix.clone();
                seg.extend(record(&call(0x42, 100003, 3, 1, &[0; 8]), 1 << 20));
                let mut parts = vec![
                    (true, seg),
                    (
                        false,
                        record(&reply(0x42, AcceptBody::Success, &[0; 4]), 1 << 20),
                    ),
                ];
                if more {
                    parts.push((true, record(&call(0x43, 100003, 3, 4, &[0; 8]), 1 << 20)));
                    parts.push((
                        false,
                        record(&reply(0x43, AcceptBody::Success, &[0; 4]), 1 << 20),
                    ));
                }
                let frames = connection(syn, &parts);
                let first = if syn { 3 } else { 1 };
                let col = decode_bytes(pcap(&timed(frames), 65535));
                let case = format!("{what}, syn {syn}, more traffic {more}");
                let done = completed(&col);
                assert_eq!(done.get(&0x42), Some(&(first, first + 1)), "{case}");
                if more {
                    assert_eq!(done.get(&0x43), Some(&(first + 2, first + 3)), "{case}");
                }
                let t = col.summary.track;
                assert_eq!((t.orphan_replies, t.unmatched_calls), (0, 0), "{case}");
                // Events in capture order: the call's line before its reply's.
                let frames: Vec<u64> = col
                    .events
                    .iter()
                    .filter(|e| e.kind != ExchangeKind::Unmatched)
                    .map(|e| e.frame)
                    .collect();
                assert!(
                    frames.windows(2).all(|w| w[0] <= w[1]),
                    "{case}: {frames:?}"
                );
            }
        }
    }
}

/// Capture order across streams: a record whose middle segment was lost is
/// only decided when the peer's ACK declares the gap, frames later; the
/// exchanges of another connection meanwhile still come out after it, and
/// its call before its reply.
#[test]
fn messages_held_by_a_gap_keep_capture_order_across_streams() {
    const OTHER: ([u8; 4], u16) = ([10, 1, 0, 3], 802);
    let big = record(&call(0x50, 100003, 3, 7, &vec![7u8; 3000]), 1 << 20);
    let (c0, s0) = (1000u32, 5000u32);
    let frames = vec![
        tcp(CLIENT, SERVER, c0, s0, false, &big[..1000]),
        // big[1000..2000] is lost.
        tcp(
            OTHER,
            SERVER,
            77,
            88,
            false,
            &record(&call(0x60, 100003, 3, 1, &[]), 1 << 20),
        ),
        tcp(CLIENT, SERVER, c0 + 2000, s0, false, &big[2000..]),
        tcp(
            SERVER,
            OTHER,
            88,
            77 + 44,
            false,
            &record(&reply(0x60, AcceptBody::Success, &[]), 1 << 20),
        ),
        // The server acknowledges everything: the hole is lost for good.
        tcp(
            SERVER,
            CLIENT,
            s0,
            c0 + big.len() as u32,
            false,
            &record(&reply(0x50, AcceptBody::Success, &[]), 1 << 20),
        ),
    ];
    let col = decode_bytes(pcap(&timed(frames), 65535));
    let seen: Vec<(ExchangeKind, u32, u64)> = col
        .events
        .iter()
        .map(|e| (e.kind, e.exchange.xid, e.frame))
        .collect();
    assert_eq!(
        seen,
        [
            (ExchangeKind::CallSeen, 0x50, 1),
            (ExchangeKind::CallSeen, 0x60, 2),
            (ExchangeKind::Complete, 0x60, 4),
            (ExchangeKind::Complete, 0x50, 5),
        ],
        "the call cut by the gap is reported at its first frame, first"
    );
    assert!(col.events[0].exchange.call.unwrap().meta.gap);
}
