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

fn row<'a>(s: &'a Stats, prog: u32, proc_: u32) -> &'a StatsRow {
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
