//! [`RecordReader`]: the streaming record-marking decoder (see [`super::record`]
//! for the contract). This file holds the framed ("synced") state machine
//! and the public entry points; `resync.rs` holds the search for framing.

use std::collections::VecDeque;
use std::sync::Arc;

use super::resync::Search;
use super::RecordMark;
use crate::limits::Limits;

/// What the reader reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordEvent<'a> {
    /// One record, fragments joined and marks removed. `data` is the first
    /// `min(len, record_keep)` bytes (a slice of the pushed input when the
    /// whole record is one fragment inside one push, else the reader's
    /// buffer); `len` is the record's full length; `end_offset` the stream
    /// offset just past its last byte; `gap`: some bytes inside the record
    /// were never captured (`data` holds the bytes before the first gap);
    /// `clipped`: `len > record_keep`.
    Record {
        /// Kept bytes of the record.
        data: &'a [u8],
        /// Full record length (fragment lengths summed).
        len: u64,
        /// Fragments the record was made of.
        fragments: u32,
        /// Stream offset just past the record's last byte.
        end_offset: u64,
        /// Bytes inside the record were missing from the capture.
        gap: bool,
        /// The record is longer than `record_keep`.
        clipped: bool,
    },
    /// Framing lost at stream `offset`; the reader is now searching.
    LostSync {
        /// Stream offset of the mark that could not be trusted or was lost.
        offset: u64,
        /// Why.
        reason: &'static str,
    },
    /// Framing found again at the record mark at `offset`; `skipped` bytes
    /// were discarded while searching.
    Resynced {
        /// Stream offset of the first record mark trusted again.
        offset: u64,
        /// Bytes between the loss of framing (or stream start) and `offset`.
        skipped: u64,
    },
    /// The record in progress will never be whole: it broke a bound (too
    /// many fragments, longer than `max_record`: then `LostSync` follows and
    /// its bytes are dropped), or the stream ended inside it (then it is
    /// still reported, as a `Record` with `gap`). Where and why, for the
    /// anomaly report.
    Abandoned {
        /// Stream offset of the record's first mark.
        start: u64,
        /// Record bytes that arrived (marks not counted).
        received: u64,
        /// Fragments begun.
        fragments: u32,
        /// The first kept bytes of the record (to tell whether it was RPC).
        data: &'a [u8],
        /// Why it is abandoned.
        reason: &'static str,
    },
}

/// Bytes waiting to be fed again after a resync (already-seen stream bytes).
pub(super) enum Replay {
    Bytes(Vec<u8>),
    Gap(u64),
}

/// The record being assembled in synced mode.
#[derive(Default)]
pub(super) struct Partial {
    pub(super) data: Vec<u8>,
    pub(super) len: u64,
    pub(super) fragments: u32,
    pub(super) gap: bool,
    /// Stream offset of the record's first mark.
    pub(super) start: u64,
    /// Record bytes received so far (after a gap, counted as received).
    pub(super) received: u64,
}

/// A record buffer grown past this is freed after its record, not kept for
/// the next: a stream that once carried a large record must not hold
/// `record_keep` bytes for ever (the pipeline's stream budget counts them).
const KEEP_CAPACITY: usize = 4096;

impl Partial {
    fn reset(&mut self) {
        if self.data.capacity() > KEEP_CAPACITY {
            self.data = Vec::new();
        }
        self.data.clear();
        self.len = 0;
        self.fragments = 0;
        self.gap = false;
        self.start = 0;
        self.received = 0;
    }
}

/// Streaming record-marking decoder for one direction of a TCP connection.
pub struct RecordReader {
    /// Shared by every reader of a pipeline (one copy, not one per stream).
    pub(super) limits: Arc<Limits>,
    /// Stream offset of the next byte to process.
    pub(super) offset: u64,
    pub(super) synced: bool,
    mark: [u8; 4],
    mark_have: usize,
    /// Bytes left in the current fragment; 0 between fragments.
    frag_left: u64,
    frag_len: u64,
    frag_last: bool,
    pub(super) rec: Partial,
    pub(super) search: Search,
    pub(super) replay: VecDeque<Replay>,
}

impl RecordReader {
    /// A reader; `synced` when the stream is known to start at a record
    /// boundary (the TCP SYN was seen).
    pub fn new(limits: &Limits, synced: bool) -> Self {
        Self::at(limits, synced, 0)
    }

    /// A reader whose first byte is stream offset `offset` (a reader
    /// replaced mid-stream, so that offsets keep mapping to frames).
    pub fn at(limits: &Limits, synced: bool, offset: u64) -> Self {
        Self::shared(Arc::new(limits.clone()), synced, offset)
    }

    /// [`RecordReader::at`] with limits shared with other readers.
    pub fn shared(limits: Arc<Limits>, synced: bool, offset: u64) -> Self {
        RecordReader {
            limits,
            offset,
            synced,
            mark: [0; 4],
            mark_have: 0,
            frag_left: 0,
            frag_len: 0,
            frag_last: false,
            rec: Partial::default(),
            search: Search::new(offset, offset),
            replay: VecDeque::new(),
        }
    }

    /// The smallest stream offset whose frame a message not yet reported
    /// may still be reported at (a record in progress, or a resync
    /// candidate waiting for its successor), or `None` when nothing is
    /// pending. A message is reported at the frame that completed it or, when
    /// bytes of it are missing, the frame that carried the prefix before
    /// the gap: never before this offset. The pipeline uses it to hand
    /// messages on in capture order.
    pub fn hold_offset(&self) -> Option<u64> {
        if self.synced {
            (self.rec.fragments > 0).then(|| self.rec.start + 4 + self.rec.data.len() as u64)
        } else {
            self.search_hold()
        }
    }

    /// True while framing is known.
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Bytes currently buffered (record prefix, search window, replay):
    /// bounded by about `record_keep + 2 * resync_window`.
    pub fn buffered(&self) -> usize {
        let replay: usize = self
            .replay
            .iter()
            .map(|r| if let Replay::Bytes(b) = r { b.len() } else { 0 })
            .sum();
        self.rec.data.len() + self.search.held() + replay
    }

    /// The stream will bring no more bytes, but the reader is not finished
    /// yet: a resync candidate or buffered bytes are decided now (as
    /// [`RecordReader::finish`] would), so that the other direction can
    /// still settle its replies against this one before both finish.
    pub fn end_search(&mut self, out: &mut dyn FnMut(RecordEvent<'_>)) {
        if !self.synced && self.search_finish(out) {
            self.drain_replay(out);
        }
    }

    /// Heap bytes the reader holds (buffer capacities): what the pipeline's
    /// budget of stream buffers counts.
    pub fn heap_bytes(&self) -> usize {
        let replay: usize = self
            .replay
            .iter()
            .map(|r| {
                if let Replay::Bytes(b) = r {
                    b.capacity()
                } else {
                    0
                }
            })
            .sum();
        self.rec.data.capacity() + self.search.heap_bytes() + replay
    }

    /// Stream offset of the next byte expected.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Feed the next bytes of the stream.
    pub fn push(&mut self, mut data: &[u8], out: &mut dyn FnMut(RecordEvent<'_>)) {
        while !data.is_empty() {
            let n = self.step(data, out);
            data = &data[n..];
            self.drain_replay(out);
        }
    }

    /// The next `len` bytes of the stream were not captured.
    pub fn push_gap(&mut self, len: u64, out: &mut dyn FnMut(RecordEvent<'_>)) {
        if len > 0 {
            self.gap(len, out);
            self.drain_replay(out);
        }
    }

    /// End of stream: a record in progress is reported `Abandoned`, then
    /// emitted with `gap = true`; a resync candidate whose whole record
    /// arrived counts as chained.
    pub fn finish(&mut self, out: &mut dyn FnMut(RecordEvent<'_>)) {
        if !self.synced && self.search_finish(out) {
            self.drain_replay(out);
        }
        if self.synced && self.rec.fragments > 0 {
            self.abandon("the input ended inside the record", out);
            self.rec.gap = true;
            self.emit_record(self.offset, out);
        }
        self.mark_have = 0;
        self.frag_left = 0;
    }

    /// Process a prefix of `data`, returning how much was consumed. It
    /// consumes at least one byte unless the mode changed.
    fn step(&mut self, data: &[u8], out: &mut dyn FnMut(RecordEvent<'_>)) -> usize {
        if self.synced {
            self.sync_step(data, out)
        } else {
            self.search_step(data, out)
        }
    }

    fn gap(&mut self, len: u64, out: &mut dyn FnMut(RecordEvent<'_>)) {
        if self.synced {
            self.sync_gap(len, out)
        } else {
            self.search_gap(len, out)
        }
    }

    /// Feed queued replay bytes, in order, before any new input. A resync
    /// during the replay queues its own replay in front of what remains.
    pub(super) fn drain_replay(&mut self, out: &mut dyn FnMut(RecordEvent<'_>)) {
        while let Some(item) = self.replay.pop_front() {
            let rest = std::mem::take(&mut self.replay);
            match item {
                Replay::Gap(len) => self.gap(len, out),
                Replay::Bytes(bytes) => {
                    let mut pos = 0;
                    while pos < bytes.len() {
                        pos += self.step(&bytes[pos..], out);
                        if !self.replay.is_empty() && pos < bytes.len() {
                            self.replay.push_back(Replay::Bytes(bytes[pos..].to_vec()));
                            break;
                        }
                    }
                }
            }
            self.replay.extend(rest);
        }
    }

    fn sync_step(&mut self, data: &[u8], out: &mut dyn FnMut(RecordEvent<'_>)) -> usize {
        if self.frag_left == 0 {
            let take = (4 - self.mark_have).min(data.len());
            self.mark[self.mark_have..self.mark_have + take].copy_from_slice(&data[..take]);
            self.mark_have += take;
            self.offset += take as u64;
            if self.mark_have == 4 {
                self.mark_have = 0;
                self.start_fragment(out);
            }
            return take;
        }
        let n = self.frag_left.min(data.len() as u64) as usize;
        let keep = self.limits.record_keep;
        self.rec.received += n as u64;
        if self.rec.fragments == 1
            && self.frag_last
            && self.frag_left == self.frag_len
            && n as u64 == self.frag_left
        {
            // The whole record is in this push: hand out a borrowed slice.
            self.offset += n as u64;
            let len = self.rec.len;
            out(RecordEvent::Record {
                data: &data[..n.min(keep)],
                len,
                fragments: 1,
                end_offset: self.offset,
                gap: self.rec.gap,
                clipped: len > keep as u64,
            });
            self.rec.reset();
            self.frag_left = 0;
            return n;
        }
        if !self.rec.gap {
            let room = keep.saturating_sub(self.rec.data.len());
            self.rec.data.extend_from_slice(&data[..n.min(room)]);
        }
        self.frag_left -= n as u64;
        self.offset += n as u64;
        if self.frag_left == 0 && self.frag_last {
            self.emit_record(self.offset, out);
        }
        n
    }

    /// A whole mark was read; `self.offset` is just past it.
    fn start_fragment(&mut self, out: &mut dyn FnMut(RecordEvent<'_>)) {
        let at = self.offset - 4;
        let m = RecordMark::from_bytes(self.mark);
        let reason = if m.len > self.limits.max_record {
            Some("record mark claims more than max_record")
        } else if self.rec.fragments >= self.limits.max_record_fragments {
            Some("too many record fragments")
        } else if self.rec.len + u64::from(m.len) > u64::from(self.limits.max_record) {
            Some("record longer than max_record")
        } else {
            None
        };
        if let Some(reason) = reason {
            // The record's framing is broken, so its bytes are not trusted.
            if self.rec.fragments > 0 {
                self.abandon(reason, out);
            }
            self.rec = Partial::default();
            let mark = self.mark;
            self.lose_sync(at, reason, out);
            // The mark's own bytes after its first may still start a record.
            self.search = Search::new(at, at + 1);
            self.search.buf.extend_from_slice(&mark[1..]);
            return;
        }
        if self.rec.fragments == 0 {
            self.rec.start = at;
        }
        self.rec.fragments += 1;
        self.rec.len += u64::from(m.len);
        self.frag_len = m.len.into();
        self.frag_left = m.len.into();
        self.frag_last = m.last;
        if m.len == 0 && m.last {
            self.emit_record(self.offset, out);
        }
    }

    fn sync_gap(&mut self, len: u64, out: &mut dyn FnMut(RecordEvent<'_>)) {
        if self.frag_left >= len {
            // Inside a known fragment: framing survives.
            self.rec.received += len;
            self.frag_left -= len;
            self.offset += len;
            self.rec.gap = true;
            if self.frag_left == 0 && self.frag_last {
                self.emit_record(self.offset, out);
            }
            return;
        }
        // The gap reaches a mark: finish what we know of the record, if any.
        let in_fragment = self.frag_left;
        self.offset += in_fragment;
        if self.rec.fragments > 0 {
            self.rec.gap = true;
            self.emit_record(self.offset, out);
        }
        let at = self.offset - self.mark_have as u64;
        self.offset += len - in_fragment;
        self.lose_sync(at, "gap covers a record mark", out);
        self.search = Search::new(at, self.offset);
    }

    pub(super) fn emit_record(&mut self, end_offset: u64, out: &mut dyn FnMut(RecordEvent<'_>)) {
        let keep = self.limits.record_keep as u64;
        out(RecordEvent::Record {
            data: &self.rec.data,
            len: self.rec.len,
            fragments: self.rec.fragments,
            end_offset,
            gap: self.rec.gap,
            clipped: self.rec.len > keep,
        });
        self.rec.reset();
    }

    /// Reports the record in progress as [`RecordEvent::Abandoned`].
    fn abandon(&mut self, reason: &'static str, out: &mut dyn FnMut(RecordEvent<'_>)) {
        out(RecordEvent::Abandoned {
            start: self.rec.start,
            received: self.rec.received,
            fragments: self.rec.fragments,
            data: &self.rec.data,
            reason,
        });
    }

    fn lose_sync(&mut self, at: u64, reason: &'static str, out: &mut dyn FnMut(RecordEvent<'_>)) {
        self.synced = false;
        self.mark_have = 0;
        self.frag_left = 0;
        self.rec = Partial::default();
        out(RecordEvent::LostSync { offset: at, reason });
    }

    /// Enter synced mode at a trusted record start (called by the search).
    pub(super) fn enter_sync(
        &mut self,
        first: Partial,
        last: bool,
        end: u64,
        out: &mut dyn FnMut(RecordEvent<'_>),
    ) {
        self.synced = true;
        self.mark_have = 0;
        self.frag_left = 0;
        self.rec = first;
        if last {
            self.emit_record(end, out);
        }
    }
}
