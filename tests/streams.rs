//! Whole-pipeline behaviour on synthetic TCP streams: the same records under
//! many segmentations and orders, captures that start mid-record, and
//! multi-fragment records, checked against tshark's own heuristic where it
//! has one.

mod common;

use std::collections::BTreeSet;

use common::synth::*;
use common::*;
use rpcscope::event::{ExchangeKind, ReplyStatus};
use rpcscope::rpc::AcceptBody;

/// Calls of many sizes (some multi-fragment) and their replies.
fn workload() -> (Vec<u8>, Vec<u8>, BTreeSet<(u32, u32)>) {
    let (mut calls, mut replies, mut expect) = (Vec::new(), Vec::new(), BTreeSet::new());
    for i in 0..40u32 {
        let size = [0usize, 4, 100, 1500, 9000, 20_000][i as usize % 6];
        let payload: Vec<u8> = (0..size).map(|b| (b as u32 * 7 + i) as u8).collect();
        let frag = [1 << 20, 512, 1000, 4096][i as usize % 4];
        // A program without a body definition: this test is about framing.
        calls.extend(record(
            &call(0x1000 + i, 0x2000_0123, 3, i % 22, &payload),
            frag,
        ));
        replies.extend(record(
            &reply(0x1000 + i, AcceptBody::Success, &payload[..size.min(64)]),
            1 << 20,
        ));
        expect.insert((0x1000 + i, i % 22));
    }
    (calls, replies, expect)
}

fn exchanges(c: &Collect) -> BTreeSet<(u32, u32)> {
    c.events
        .iter()
        .filter(|e| e.kind == ExchangeKind::Complete)
        .filter(|e| {
            e.exchange
                .reply
                .is_some_and(|r| r.status == ReplyStatus::Accepted(AcceptBody::Success))
        })
        .map(|e| (e.exchange.xid, e.exchange.call.unwrap().procedure.unwrap()))
        .collect()
}

#[test]
fn same_records_under_many_segmentations_and_orders() {
    let (calls, replies, expect) = workload();
    let mut rng = Rng(0x5eed);
    for round in 0..40 {
        let with_syn = round % 2 == 0;
        let (isn_c, isn_s) = (0xffff_f000u32.wrapping_add(round * 977), 77_000 + round);
        let mut cut = |len: usize| -> Vec<usize> {
            let max_seg = [1usize, 3, 100, 1448, 9000][round as usize % 5];
            let mut v = Vec::new();
            let mut at = 0;
            while at < len {
                at += 1 + rng.below(max_seg.max(2));
                v.push(at);
            }
            v
        };
        let c_cuts = cut(calls.len());
        let s_cuts = cut(replies.len());
        let mut client = segments(CLIENT, SERVER, isn_c, &calls, &c_cuts);
        let server = segments(SERVER, CLIENT, isn_s, &replies, &s_cuts);
        // Local reordering and duplication of the client's segments. Without
        // a SYN the first captured segment defines where the stream starts
        // (bytes before it are before the capture), so it stays first.
        let first = usize::from(!with_syn);
        for i in first..client.len().saturating_sub(1) {
            if rng.below(5) == 0 {
                client.swap(i, i + 1);
            }
        }
        for _ in 0..(client.len() / 10) {
            let i = first + rng.below(client.len() - first);
            let dup = client[i].clone();
            client.insert(i + rng.below(3).min(client.len() - i), dup);
        }
        let mut frames = Vec::new();
        if with_syn {
            frames.push(tcp(CLIENT, SERVER, isn_c.wrapping_sub(1), 0, true, &[]));
        }
        frames.extend(client);
        frames.extend(server);
        let got = decode_bytes(pcap(&timed(frames), 65535));
        assert_eq!(exchanges(&got), expect, "round {round} (syn {with_syn})");
        assert_eq!(got.summary.track.exchanges, 40, "round {round}");
        assert_eq!(
            got.summary.anomalies.total(),
            0,
            "round {round}: {:?}",
            got.summary.anomalies
        );
    }
}

/// A capture that starts inside a 300 KB record of 16 KiB fragments: every
/// later message is found, and everything tshark's `rpc.find_fragment_start`
/// heuristic finds on the same file is found at the same frame.
#[test]
fn capture_starting_mid_multi_fragment_record() {
    let mut stream = Vec::new();
    let mut starts = Vec::new();
    for i in 0..12u32 {
        starts.push((stream.len(), 0x2000 + i));
        let size = if i % 3 == 0 {
            300_000
        } else {
            200 + i as usize * 10
        };
        let payload: Vec<u8> = (0..size).map(|b| (b % 251) as u8).collect();
        stream.extend(record(&call(0x2000 + i, 100003, 3, 7, &payload), 16 * 1024));
    }
    let cuts: Vec<usize> = (1..)
        .map(|k| k * 1448)
        .take_while(|c| *c < stream.len())
        .collect();
    let isn = 1_000_000u32;
    let all = segments(CLIENT, SERVER, isn, &stream, &cuts);
    // Start the capture 40 segments in: inside the first 300 KB record.
    let first_seg = 40;
    let start_byte = first_seg * 1448;
    let frames = timed(all[first_seg..].to_vec());
    let file = pcap(&frames, 65535);
    let got = decode_bytes(file.clone());
    let ours = got.messages();
    let expected: BTreeSet<u32> = starts
        .iter()
        .filter(|(s, _)| *s >= start_byte)
        .map(|(_, x)| *x)
        .collect();
    let found: BTreeSet<u32> = ours.keys().map(|k| k.1).collect();
    assert_eq!(found, expected, "every message after the capture start");

    let path = temp_file("mid-record.pcap", &file);
    let p = path.to_string_lossy();
    let Some(tsv) = tshark(
        &[
            &[
                "-r",
                &p,
                "-o",
                "rpc.find_fragment_start:TRUE",
                "-d",
                "tcp.port==2049,rpc",
            ][..],
            TSHARK_FIELDS,
        ]
        .concat(),
    ) else {
        return;
    };
    let reference = tshark_messages(&tsv);
    assert!(
        !reference.is_empty(),
        "tshark found nothing: the comparison would be empty"
    );
    // tshark's heuristic shows a multi-fragment record at the frame of the
    // fragment it found (the first), not the frame that completes it, so
    // compare the messages found, by XID and type.
    let theirs: BTreeSet<(u32, u8)> = reference.keys().map(|k| (k.1, k.2)).collect();
    let mine: BTreeSet<(u32, u8)> = ours.keys().map(|k| (k.1, k.2)).collect();
    assert!(
        theirs.is_subset(&mine),
        "tshark {reference:?}\nours {ours:?}"
    );
}

/// UDP retransmissions and a capture holding only replies still give
/// calls, retransmission counts and orphans.
#[test]
fn udp_retransmission_duplicate_reply_and_orphan() {
    let c = call(0x77, 100003, 3, 1, &[0; 8]);
    let r = reply(0x77, AcceptBody::Success, &[]);
    let frames = vec![
        udp(CLIENT, SERVER, &c),
        udp(CLIENT, SERVER, &c),
        udp(SERVER, CLIENT, &r),
        udp(SERVER, CLIENT, &r),
        udp(SERVER, CLIENT, &reply(0x99, AcceptBody::Success, &[])),
    ];
    let got = decode_bytes(pcap(&timed(frames), 65535));
    let t = got.summary.track;
    assert_eq!(
        (
            t.calls,
            t.exchanges,
            t.retransmissions,
            t.duplicate_replies,
            t.orphan_replies
        ),
        (2, 1, 1, 1, 1)
    );
    let ex = got
        .events
        .iter()
        .find(|e| e.kind == ExchangeKind::Complete)
        .unwrap();
    assert_eq!(ex.exchange.retransmit_frames.frames(), &[2]);
    assert_eq!(ex.exchange.call.unwrap().meta.frame, 1);
    assert_eq!(ex.exchange.reply.unwrap().meta.frame, 3);
}
