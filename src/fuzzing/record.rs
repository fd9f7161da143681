//! [`record_stream`]: record marking under every segmentation.

use super::{small_limits, Input};
use crate::limits::Limits;
use crate::rpc::{encode_record, RecordEvent, RecordReader};

/// A NULL call header (xid patched in), for records that carry a message.
const NULL_CALL: [u8; 40] = [
    0, 0, 0, 0, // xid
    0, 0, 0, 0, // CALL
    0, 0, 0, 2, // rpcvers 2
    0, 1, 0x86, 0xa0, // portmapper
    0, 0, 0, 2, // version 2
    0, 0, 0, 0, // NULL
    0, 0, 0, 0, 0, 0, 0, 0, // cred AUTH_NONE, length 0
    0, 0, 0, 0, 0, 0, 0, 0, // verf AUTH_NONE, length 0
];

/// An owned [`RecordEvent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rec {
    Record {
        data: Vec<u8>,
        len: u64,
        fragments: u32,
        end_offset: u64,
        gap: bool,
        clipped: bool,
    },
    LostSync(u64),
    Resynced(u64, u64),
    Abandoned(u64),
}

impl Rec {
    pub(crate) fn of(ev: RecordEvent<'_>) -> Rec {
        match ev {
            RecordEvent::Record {
                data,
                len,
                fragments,
                end_offset,
                gap,
                clipped,
            } => Rec::Record {
                data: data.to_vec(),
                len,
                fragments,
                end_offset,
                gap,
                clipped,
            },
            RecordEvent::LostSync { offset, .. } => Rec::LostSync(offset),
            RecordEvent::Resynced { offset, skipped } => Rec::Resynced(offset, skipped),
            RecordEvent::Abandoned { start, .. } => Rec::Abandoned(start),
        }
    }
}

/// The records of a stream, built from fuzzer bytes.
pub(crate) struct Stream {
    /// The record-marked bytes.
    pub wire: Vec<u8>,
    /// What a synced reader must report for them.
    pub expected: Vec<Rec>,
}

/// Input layout: `count` (low 3 bits: 1 to 8 records), then per record
/// `kind` (bit 0: starts with a NULL call header), `fragment` (max fragment
/// size - 1), `len` (u16, mod 1024) and `len` content bytes.
pub(crate) fn build_stream(inp: &mut Input<'_>, limits: &Limits) -> Stream {
    let count = (inp.u8() & 7) as usize + 1;
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for i in 0..count {
        let kind = inp.u8();
        let fragment = inp.u8() as usize + 1;
        let len = (inp.u16() % 1024) as usize;
        let mut content = Vec::new();
        if kind & 1 == 1 {
            content.extend_from_slice(&NULL_CALL);
            content[..4].copy_from_slice(&(i as u32).to_be_bytes());
        }
        content.extend_from_slice(inp.bytes(len));
        // Stay within max_record_fragments: the reader would rightly lose sync.
        let cap = limits.max_record_fragments as usize;
        let fragment = fragment.max(content.len().div_ceil(cap));
        encode_record(&content, fragment, &mut wire);
        let keep = content.len().min(limits.record_keep);
        expected.push(Rec::Record {
            data: content[..keep].to_vec(),
            len: content.len() as u64,
            fragments: content.len().div_ceil(fragment).max(1) as u32,
            end_offset: wire.len() as u64,
            gap: false,
            clipped: content.len() > limits.record_keep,
        });
    }
    Stream { wire, expected }
}

/// Cut `wire` into pushes by `schedule` (each byte a push length, 0 an
/// empty push; the schedule repeats; an empty schedule is one push).
pub(crate) fn chunks<'w>(wire: &'w [u8], schedule: &[u8]) -> Vec<&'w [u8]> {
    let mut out = Vec::new();
    if schedule.is_empty() {
        out.push(wire);
        return out;
    }
    let (mut at, mut i, mut empties) = (0, 0, 0);
    while at < wire.len() {
        let mut n = schedule[i % schedule.len()] as usize;
        i += 1;
        if n == 0 {
            // Empty pushes are legal; a few are enough to check them.
            empties += 1;
            n = if empties <= 16 { 0 } else { 1 };
        }
        let end = (at + n).min(wire.len());
        out.push(&wire[at..end]);
        at = end;
    }
    out
}

/// Valid records (single and multi-fragment, with and without an RPC
/// header, some longer than `record_keep`) cut by an arbitrary segmentation
/// schedule must give exactly the records of a one-shot push: same bytes,
/// lengths, fragment counts and offsets, no loss of sync. The same stream
/// with some pushes replaced by gaps, and read by a reader that starts
/// unsynced, must not panic and must stay within its memory bound.
pub fn record_stream(data: &[u8]) {
    let limits = small_limits();
    let mut inp = Input::new(data);
    let stream = build_stream(&mut inp, &limits);
    let schedule = inp.rest();

    let one_shot = read(&limits, true, [&stream.wire[..]]);
    assert_eq!(one_shot, stream.expected, "one-shot push");
    let cut = chunks(&stream.wire, schedule);
    let segmented = read(&limits, true, cut.iter().copied());
    assert_eq!(segmented, stream.expected, "segmented push");

    // Robustness: start unsynced, and lose the pushes whose schedule byte
    // is odd and over 200.
    let bound = limits.record_keep + 2 * limits.resync_window + 1024;
    for synced in [false, true] {
        let mut r = RecordReader::new(&limits, synced);
        let mut sink = |ev: RecordEvent<'_>| check_event(ev, &limits);
        for (i, c) in cut.iter().enumerate() {
            let s = schedule
                .get(i % schedule.len().max(1))
                .copied()
                .unwrap_or(0);
            if s > 200 && s & 1 == 1 {
                r.push_gap(c.len() as u64, &mut sink);
            } else {
                r.push(c, &mut sink);
            }
            assert!(r.buffered() <= bound, "reader holds {} bytes", r.buffered());
        }
        r.finish(&mut sink);
    }
}

fn check_event(ev: RecordEvent<'_>, limits: &Limits) {
    if let RecordEvent::Record {
        data, len, clipped, ..
    } = ev
    {
        assert!(data.len() <= limits.record_keep);
        assert!(data.len() as u64 <= len);
        assert_eq!(clipped, len > limits.record_keep as u64);
    }
}

/// Push every chunk into a fresh reader, then finish; collect the events.
pub(crate) fn read<'c>(
    limits: &Limits,
    synced: bool,
    chunks: impl IntoIterator<Item = &'c [u8]>,
) -> Vec<Rec> {
    let mut r = RecordReader::new(limits, synced);
    let mut out = Vec::new();
    for c in chunks {
        r.push(c, &mut |ev| out.push(Rec::of(ev)));
    }
    r.finish(&mut |ev| out.push(Rec::of(ev)));
    out
}
