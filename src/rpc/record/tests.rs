//! Tests for record marking: marks, framing, and the streaming reader under
//! many segmentations, gaps, bad marks, mid-stream starts and non-RPC data.

use super::*;
use crate::limits::Limits;
use crate::rpc::message::tests::{CALL_AUTH_SYS, REPLY_SUCCESS};
use crate::rpc::message::Message;

/// An owned copy of a [`RecordEvent`], for comparing runs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Rec {
        data: Vec<u8>,
        len: u64,
        fragments: u32,
        end: u64,
        gap: bool,
        clipped: bool,
    },
    Lost(u64, &'static str),
    Resynced(u64, u64),
    Abandoned(u64, u64, &'static str),
}

fn own(e: RecordEvent<'_>) -> Ev {
    match e {
        RecordEvent::Record {
            data,
            len,
            fragments,
            end_offset,
            gap,
            clipped,
        } => Ev::Rec {
            data: data.to_vec(),
            len,
            fragments,
            end: end_offset,
            gap,
            clipped,
        },
        RecordEvent::LostSync { offset, reason } => Ev::Lost(offset, reason),
        RecordEvent::Resynced { offset, skipped } => Ev::Resynced(offset, skipped),
        RecordEvent::Abandoned {
            start,
            received,
            reason,
            ..
        } => Ev::Abandoned(start, received, reason),
    }
}

/// Stream operations: bytes or a gap.
enum Op<'a> {
    Data(&'a [u8]),
    Gap(u64),
}

fn run(limits: &Limits, synced: bool, ops: &[Op<'_>]) -> Vec<Ev> {
    let mut r = RecordReader::new(limits, synced);
    let mut evs = Vec::new();
    for op in ops {
        match op {
            Op::Data(d) => r.push(d, &mut |e| evs.push(own(e))),
            Op::Gap(n) => r.push_gap(*n, &mut |e| evs.push(own(e))),
        }
        assert!(r.buffered() <= limits.record_keep + 2 * limits.resync_window + 4096);
    }
    r.finish(&mut |e| evs.push(own(e)));
    evs
}

fn records(evs: &[Ev]) -> Vec<Vec<u8>> {
    evs.iter()
        .filter_map(|e| {
            if let Ev::Rec { data, .. } = e {
                Some(data.clone())
            } else {
                None
            }
        })
        .collect()
}

/// A larger call: CALL_AUTH_SYS with `extra` payload bytes (pattern data).
fn big_call(xid: u32, extra: usize) -> Vec<u8> {
    let mut m = CALL_AUTH_SYS.to_vec();
    m[..4].copy_from_slice(&xid.to_be_bytes());
    m.extend((0..extra).map(|i| (i * 7 + 3) as u8));
    m
}

/// Records: a call, its reply, a 3-fragment call, an empty-payload reply.
fn small_stream() -> (Vec<u8>, Vec<Vec<u8>>) {
    let msgs = vec![
        CALL_AUTH_SYS.to_vec(),
        REPLY_SUCCESS.to_vec(),
        big_call(2, 40),
        REPLY_SUCCESS[..24].to_vec(),
    ];
    let mut stream = Vec::new();
    encode_record(&msgs[0], 1 << 20, &mut stream);
    encode_record(&msgs[1], 1 << 20, &mut stream);
    encode_record(&msgs[2], 40, &mut stream); // 3 fragments, header split
    encode_record(&msgs[3], 1 << 20, &mut stream);
    (stream, msgs)
}

#[test]
fn record_mark_round_trip() {
    #[rustfmt::skip]
    let wire = [
        0x80, 0x00, 0x00, 0x1c, // last fragment, length 28
    ];
    let m = RecordMark::parse(&wire).unwrap();
    assert_eq!(
        m,
        RecordMark {
            last: true,
            len: 28
        }
    );
    assert_eq!(m.to_bytes(), wire);
    let m = RecordMark::from_bytes([0x7f, 0xff, 0xff, 0xff]);
    assert_eq!(
        m,
        RecordMark {
            last: false,
            len: RecordMark::MAX_LEN
        }
    );
    assert!(RecordMark::parse(&[0x80, 0]).unwrap_err().is_truncated());
}

#[test]
fn encode_record_splits_and_marks_the_last() {
    let mut out = Vec::new();
    encode_record(&[1, 2, 3, 4, 5], 2, &mut out);
    #[rustfmt::skip]
    let expect = [
        0x00, 0, 0, 2, 1, 2,    // fragment of 2, not last
        0x00, 0, 0, 2, 3, 4,    // fragment of 2, not last
        0x80, 0, 0, 1, 5,       // last fragment of 1
    ];
    assert_eq!(out, expect);
    out.clear();
    encode_record(&[], 8, &mut out);
    assert_eq!(out, [0x80, 0, 0, 0]);
    out.clear();
    encode_record(&[9], 0, &mut out); // clamped to 1
    assert_eq!(out, [0x80, 0, 0, 1, 9]);
}

#[test]
fn whole_stream_in_one_push() {
    let (stream, msgs) = small_stream();
    let evs = run(&Limits::default(), true, &[Op::Data(&stream)]);
    assert_eq!(records(&evs), msgs);
    let frags: Vec<u32> = evs
        .iter()
        .filter_map(|e| {
            if let Ev::Rec { fragments, .. } = e {
                Some(*fragments)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(frags, [1, 1, 3, 1]);
    let Some(Ev::Rec {
        end,
        len,
        gap,
        clipped,
        ..
    }) = evs.last()
    else {
        panic!()
    };
    assert_eq!(
        (*end, *len, *gap, *clipped),
        (stream.len() as u64, 24, false, false)
    );
    for r in records(&evs) {
        Message::parse(&r, &Limits::default()).unwrap();
    }
}

#[test]
fn every_split_point_gives_the_same_records() {
    let (stream, _) = small_stream();
    let l = Limits::default();
    for synced in [true, false] {
        let reference = run(&l, synced, &[Op::Data(&stream)]);
        for i in 0..=stream.len() {
            let got = run(
                &l,
                synced,
                &[Op::Data(&stream[..i]), Op::Data(&stream[i..])],
            );
            assert_eq!(got, reference, "split at {i}, synced {synced}");
        }
        // Byte at a time: marks split 1+1+1+1, records over hundreds of pushes.
        let ops: Vec<Op<'_>> = stream.chunks(1).map(Op::Data).collect();
        assert_eq!(run(&l, synced, &ops), reference);
        for a in (0..stream.len()).step_by(3) {
            for b in (a..stream.len()).step_by(5) {
                let ops = [
                    Op::Data(&stream[..a]),
                    Op::Data(&stream[a..b]),
                    Op::Data(&stream[b..]),
                ];
                assert_eq!(run(&l, synced, &ops), reference, "splits {a} {b}");
            }
        }
    }
    // Unsynced, the first record is found at position 0 with nothing skipped.
    let evs = run(&l, false, &[Op::Data(&stream)]);
    assert_eq!(evs[0], Ev::Resynced(0, 0));
    assert_eq!(records(&evs), records(&run(&l, true, &[Op::Data(&stream)])));
}

/// xorshift, for reproducible pseudo-random segmentations.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn large_stream_random_segmentations() {
    let mut stream = Vec::new();
    let mut msgs = Vec::new();
    for i in 0..40u32 {
        let m = big_call(i, (i as usize * 997) % 20_000);
        // Fragments of at least 64 bytes: a first fragment holds the header.
        encode_record(&m, 64 + (i as usize * 4093) % 9000, &mut stream);
        msgs.push(m);
        encode_record(REPLY_SUCCESS, 1 << 20, &mut stream);
        msgs.push(REPLY_SUCCESS.to_vec());
    }
    let l = Limits::default();
    let reference = run(&l, true, &[Op::Data(&stream)]);
    let got = records(&reference);
    assert_eq!(got.len(), msgs.len());
    assert!(got == msgs, "records differ");
    let mut seed = 0x1234_5678_9abc_def1u64;
    for _ in 0..30 {
        let mut ops = Vec::new();
        let mut at = 0;
        while at < stream.len() {
            let n = (1 + rng(&mut seed) % 3000) as usize;
            let end = (at + n).min(stream.len());
            ops.push(Op::Data(&stream[at..end]));
            at = end;
        }
        assert!(run(&l, true, &ops) == reference, "synced run differs");
        let unsynced = run(&l, false, &ops);
        assert!(records(&unsynced) == msgs, "unsynced run differs");
    }
}

#[test]
fn record_keep_clips_data_but_not_len() {
    let l = Limits {
        record_keep: 16,
        ..Limits::default()
    };
    let (stream, msgs) = small_stream();
    for ops in [
        vec![Op::Data(&stream[..])],
        stream.chunks(7).map(Op::Data).collect(),
    ] {
        let evs = run(&l, true, &ops);
        for (e, m) in evs.iter().zip(&msgs) {
            let Ev::Rec {
                data, len, clipped, ..
            } = e
            else {
                panic!()
            };
            assert_eq!(data[..], m[..16]);
            assert_eq!((*len, *clipped), (m.len() as u64, true));
        }
    }
}

#[test]
fn gap_inside_a_record_keeps_framing() {
    let (stream, msgs) = small_stream();
    let first_len = 4 + msgs[0].len();
    // Lose 10 bytes in the middle of the first record's payload.
    let cut = 4 + 40;
    let ops = [
        Op::Data(&stream[..cut]),
        Op::Gap(10),
        Op::Data(&stream[cut + 10..]),
    ];
    let evs = run(&Limits::default(), true, &ops);
    assert_eq!(evs.len(), 4);
    let Ev::Rec {
        data,
        len,
        gap,
        end,
        ..
    } = &evs[0]
    else {
        panic!()
    };
    assert_eq!(
        (data.as_slice(), *len, *gap, *end),
        (&msgs[0][..40], msgs[0].len() as u64, true, first_len as u64)
    );
    assert_eq!(records(&evs)[1..], msgs[1..]);
}

#[test]
fn gap_across_a_mark_loses_then_regains_sync() {
    let (stream, msgs) = small_stream();
    let second = 4 + msgs[0].len();
    // Lose the last 4 bytes of record 1 and the first 8 of record 2 (its mark).
    let ops = [
        Op::Data(&stream[..second - 4]),
        Op::Gap(12),
        Op::Data(&stream[second + 8..]),
    ];
    let evs = run(&Limits::default(), true, &ops);
    let Ev::Rec { gap: true, .. } = &evs[0] else {
        panic!("{evs:?}")
    };
    assert_eq!(evs[1], Ev::Lost(second as u64, "gap covers a record mark"));
    let third = second + 4 + msgs[1].len();
    assert_eq!(evs[2], Ev::Resynced(third as u64, (third - second) as u64));
    assert_eq!(records(&evs)[1..], msgs[2..]);
}

#[test]
fn mid_stream_start_inside_a_large_multi_fragment_record() {
    let mut stream = Vec::new();
    let big = big_call(1, 300_000);
    encode_record(&big, 65_536, &mut stream); // 5 fragments
    let after = stream.len();
    let mut msgs = Vec::new();
    for i in 0..5 {
        let m = big_call(10 + i, 100 * i as usize);
        encode_record(&m, 1 << 20, &mut stream);
        msgs.push(m);
    }
    let l = Limits::default();
    for start in [1usize, 3, 5000, 70_000, 200_000, after - 3] {
        let part = &stream[start..];
        for chunk in [part.len(), 1460, 9000] {
            let ops: Vec<Op<'_>> = part.chunks(chunk).map(Op::Data).collect();
            let evs = run(&l, false, &ops);
            assert_eq!(records(&evs), msgs, "start {start} chunk {chunk}");
            assert_eq!(
                evs[0],
                Ev::Resynced((after - start) as u64, (after - start) as u64)
            );
        }
    }
}

#[test]
fn candidate_with_gaps_in_its_body_is_still_verified() {
    let mut stream = Vec::new();
    let m1 = big_call(1, 100_000);
    encode_record(&m1, 1 << 20, &mut stream);
    let second = stream.len();
    encode_record(REPLY_SUCCESS, 1 << 20, &mut stream);
    let ops = [
        Op::Data(&stream[..1000]),
        Op::Gap(50_000),
        Op::Data(&stream[51_000..]),
    ];
    let evs = run(&Limits::default(), false, &ops);
    assert_eq!(evs[0], Ev::Resynced(0, 0));
    let Ev::Rec {
        data,
        gap: true,
        len,
        end,
        ..
    } = &evs[1]
    else {
        panic!("{evs:?}")
    };
    assert_eq!(
        (&data[..], *len, *end),
        (&m1[..996], m1.len() as u64, second as u64)
    );
    assert_eq!(records(&evs)[1], REPLY_SUCCESS);
}

#[test]
fn bad_marks_lose_sync() {
    let l = Limits {
        max_record: 1000,
        max_record_fragments: 4,
        ..Limits::default()
    };
    let (stream, msgs) = small_stream();
    let mut bad = vec![0x80, 0x10, 0, 0]; // last fragment of 1 MiB > max_record
    bad.extend_from_slice(&stream);
    let evs = run(&l, true, &[Op::Data(&bad)]);
    assert_eq!(
        evs[0],
        Ev::Lost(0, "record mark claims more than max_record")
    );
    assert_eq!(evs[1], Ev::Resynced(4, 4));
    assert_eq!(records(&evs), msgs);

    let mut flood = vec![0u8; 4 * 5]; // five empty non-last fragments
    flood.extend_from_slice(&stream);
    let evs = run(&l, true, &[Op::Data(&flood)]);
    // The record given up is reported first: where it started, what came.
    assert_eq!(evs[0], Ev::Abandoned(0, 0, "too many record fragments"));
    assert_eq!(evs[1], Ev::Lost(16, "too many record fragments"));
    assert_eq!(records(&evs), msgs);
}

/// Regression (issue 11): a record that never ends (100,000 fragments of 16
/// bytes, the last-fragment bit never set) was dropped silently. It is
/// reported `Abandoned` where it started, with what arrived, in bounded
/// time and memory, and the records after it are found again.
#[test]
fn record_that_never_ends_is_abandoned_and_reported() {
    let l = Limits::default();
    let (stream, msgs) = small_stream();
    let mut wire = Vec::new();
    for i in 0..100_000u32 {
        RecordMark {
            last: false,
            len: 16,
        }
        .emit(&mut wire);
        wire.extend_from_slice(&[(i % 251) as u8 | 1; 16]);
    }
    let flood_end = wire.len() as u64;
    wire.extend_from_slice(&stream);
    let t = std::time::Instant::now();
    let evs = run(&l, true, &[Op::Data(&wire)]);
    assert!(t.elapsed().as_secs() < 5, "bounded time");
    let frags = u64::from(l.max_record_fragments);
    assert_eq!(
        evs[0],
        Ev::Abandoned(0, frags * 16, "too many record fragments")
    );
    assert_eq!(evs[1], Ev::Lost(frags * 20, "too many record fragments"));
    let abandoned = evs
        .iter()
        .filter(|e| matches!(e, Ev::Abandoned(..)))
        .count();
    assert_eq!(abandoned, 1, "once, not once per fragment");
    assert_eq!(records(&evs), msgs, "found again after {flood_end} bytes");
}

/// Regression (issue 11): a capture ending inside a record reported no
/// anomaly. The reader says the record was abandoned because the input
/// ended, then reports the prefix with a gap.
#[test]
fn input_ending_inside_a_record_is_reported() {
    let l = Limits::default();
    let msg = big_call(7, 3000);
    let mut wire = Vec::new();
    encode_record(&msg, 1000, &mut wire);
    let cut = &wire[..2500];
    let evs = run(&l, true, &[Op::Data(cut)]);
    let n = evs.len();
    assert_eq!(
        evs[n - 2],
        Ev::Abandoned(0, 2500 - 12, "the input ended inside the record")
    );
    match &evs[n - 1] {
        // Its length is what the marks seen announce: three fragments of 1000.
        Ev::Rec { gap, len, .. } => assert!(*gap && *len == 3000, "gap {gap} len {len}"),
        e => panic!("{e:?}"),
    }
}

#[test]
fn finish_emits_partial_and_accepts_a_whole_last_candidate() {
    let (stream, msgs) = small_stream();
    let cut = stream.len() - 5;
    let evs = run(&Limits::default(), true, &[Op::Data(&stream[..cut])]);
    let Some(Ev::Rec {
        gap: true,
        len: 24,
        data,
        ..
    }) = evs.last()
    else {
        panic!("{evs:?}")
    };
    assert_eq!(data[..], msgs[3][..19]);
    // A lone record on an unsynced stream is accepted at the end.
    let mut one = Vec::new();
    encode_record(CALL_AUTH_SYS, 1 << 20, &mut one);
    let evs = run(&Limits::default(), false, &[Op::Data(&one)]);
    assert_eq!(records(&evs), [CALL_AUTH_SYS.to_vec()]);
    // When it is incomplete (the capture ends inside it), its prefix is
    // reported with a gap so the call header is still decoded.
    let evs = run(
        &Limits::default(),
        false,
        &[Op::Data(&one[..one.len() - 1])],
    );
    assert_eq!(records(&evs).len(), 1);
    let Some(Ev::Rec {
        gap: true, data, ..
    }) = evs.last()
    else {
        panic!("{evs:?}")
    };
    assert_eq!(data[..], CALL_AUTH_SYS[..CALL_AUTH_SYS.len() - 1]);
}

#[test]
fn incomplete_reply_at_end_of_unsynced_stream_is_not_trusted() {
    // A reply header is too weak to trust without the next mark chaining.
    let mut one = Vec::new();
    encode_record(REPLY_SUCCESS, 1 << 20, &mut one);
    let evs = run(
        &Limits::default(),
        false,
        &[Op::Data(&one[..one.len() - 1])],
    );
    assert!(!evs.iter().any(|e| matches!(e, Ev::Rec { .. })), "{evs:?}");
}

#[test]
fn non_rpc_stream_never_yields_records() {
    // NetBIOS session messages: type 0, 3-byte length, SMB-like garbage.
    let mut stream = Vec::new();
    let mut seed = 42u64;
    for _ in 0..300 {
        let n = 8 + (rng(&mut seed) % 2000) as usize;
        stream.extend_from_slice(&(n as u32).to_be_bytes());
        stream.extend_from_slice(b"\xffSMB");
        stream.extend((4..n).map(|_| rng(&mut seed) as u8));
    }
    let l = Limits::default();
    for chunk in [stream.len(), 1460, 7] {
        let ops: Vec<Op<'_>> = stream.chunks(chunk).map(Op::Data).collect();
        assert_eq!(run(&l, false, &ops), []);
    }
    // Random bytes and zeros, with gaps, likewise.
    let noise: Vec<u8> = (0..200_000).map(|_| rng(&mut seed) as u8).collect();
    let ops = [
        Op::Data(&noise[..90_000]),
        Op::Gap(77),
        Op::Data(&noise[90_000..]),
        Op::Data(&[0; 5000]),
    ];
    assert!(records(&run(&l, false, &ops)).is_empty());
}

#[test]
fn memory_stays_bounded_on_hostile_input() {
    let l = Limits {
        record_keep: 1024,
        resync_window: 8192,
        ..Limits::default()
    };
    let mut seed = 7u64;
    let mut r = RecordReader::new(&l, false);
    let mut evs = 0;
    // Plausible-looking call headers with huge lengths, never chaining.
    for i in 0..2000u32 {
        let mut m = Vec::new();
        RecordMark {
            last: true,
            len: 0x00ff_0000 + i,
        }
        .emit(&mut m);
        m.extend_from_slice(&CALL_AUTH_SYS[..64]);
        m.extend((0..(rng(&mut seed) % 500)).map(|_| 0xee));
        r.push(&m, &mut |_| evs += 1);
        assert!(r.buffered() <= 1024 + 2 * 8192 + 4096, "{}", r.buffered());
    }
    // At the end, at most the last candidate is reported, with a gap (and
    // as abandoned: the input ended inside it).
    let (mut gaps, mut abandoned) = (0, 0);
    r.finish(&mut |e| match e {
        RecordEvent::Record { gap, .. } => {
            assert!(gap);
            gaps += 1;
        }
        RecordEvent::Abandoned { .. } => abandoned += 1,
        _ => evs += 1,
    });
    assert!(
        gaps <= 1 && evs <= 1 && abandoned == gaps,
        "{gaps} {evs} {abandoned}"
    );
}

/// A 96-byte snapshot keeps 26 bytes of each segment's first record. When a
/// segment holds several records, the gap swallows the next marks: framing
/// is lost, yet the call header at the start of the next segment is still
/// reported (as tshark does), and framing comes back when a chain is seen.
#[test]
fn snaplen_cut_segments_with_several_records_lose_no_first_header() {
    let l = Limits::default();
    let mut call = CALL_AUTH_SYS.to_vec();
    call.resize(196, 0xaa);
    let mut rec = Vec::new();
    encode_record(&call, 1 << 20, &mut rec);
    let mut r = RecordReader::new(&l, true);
    let mut evs = Vec::new();
    let mut p = |e: RecordEvent<'_>| evs.push(format!("{e:?}"));
    // Segments of 4, 3, 1 and 1 records (200 bytes each), 30 bytes captured.
    for records in [4u64, 3, 1, 1] {
        r.push(&rec[..30], &mut p);
        r.push_gap(records * 200 - 30, &mut p);
    }
    r.finish(&mut p);
    let recs: Vec<&String> = evs.iter().filter(|e| e.starts_with("Record")).collect();
    assert_eq!(recs.len(), 4, "{evs:#?}");
    assert!(recs
        .iter()
        .all(|e| e.contains("gap: true") && e.contains("len: 196")));
    assert!(evs.iter().any(|e| e.starts_with("LostSync")));
    assert!(
        evs.iter().any(|e| e.starts_with("Resynced { offset: 1400")),
        "{evs:#?}"
    );
}

/// `settle_call` finds a whole call with the reply's xid in the bytes kept
/// for rescanning, even behind a position the scan waits at; and scanning
/// for it costs work in proportion to the stream's own bytes: a reply that
/// asks for nothing there uses up the allowance until more bytes come.
#[test]
fn settle_finds_the_call_and_its_scans_are_paid_for_by_the_stream() {
    let l = Limits::default();
    // A plausible-looking header whose record never ends stalls the scan;
    // the whole call (xid 0x42) follows it.
    let mut stall = vec![0x80, 0x01, 0, 0]; // last fragment, 65536 bytes
    stall.extend_from_slice(&CALL_AUTH_SYS[..24]);
    let mut wire = stall.clone();
    let mut call = CALL_AUTH_SYS.to_vec();
    call[..4].copy_from_slice(&0x42u32.to_be_bytes());
    encode_record(&call, 1 << 20, &mut wire);
    let mut r = RecordReader::new(&l, false);
    let mut evs = Vec::new();
    r.push(&wire, &mut |e| evs.push(own(e)));
    assert!(
        records(&evs).is_empty(),
        "waiting for the stalled candidate"
    );
    // Replies for other xids scan the buffer in vain and spend the
    // allowance (twice the bytes taken in).
    assert!(!r.settle_call(0x99, &mut |e| evs.push(own(e))));
    assert!(!r.settle_call(0x98, &mut |e| evs.push(own(e))));
    assert!(
        !r.settle_call(0x42, &mut |e| evs.push(own(e))),
        "allowance spent"
    );
    // The stream's next bytes (as many again) pay for another scan: the
    // call is found.
    r.push(&[0u8; 400], &mut |e| evs.push(own(e)));
    assert!(r.settle_call(0x42, &mut |e| evs.push(own(e))));
    assert_eq!(records(&evs), [call]);
}
