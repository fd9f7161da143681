//! Finding record framing in a stream that lost it (a gap over a mark, a
//! bad mark) or never had it (a capture that starts mid-connection).
//!
//! The search scans for a position `p` holding a record mark (length at
//! least 8, at most `max_record`) followed by a plausible RPC header
//! ([`plausible_within`]). That is a candidate; it is trusted only when the
//! next mark, at `p + 4 + len`, also chains: a sane mark and, when it starts
//! a new record, a plausible header after it. The candidate's body may be
//! large and may contain gaps: its first `record_keep` bytes are kept, the
//! rest skipped, and the check waits for the bytes after it. If the chain
//! fails, scanning resumes at `p + 1` over the bytes still buffered
//! (at most `resync_window`). Position 0 of an unsynced stream is tried
//! first, as most mid-stream captures begin on a segment that starts a
//! record. At end of stream a candidate whose last fragment arrived whole
//! counts as chained.

use super::reader::{Partial, RecordEvent, RecordReader, Replay};
use super::RecordMark;
use crate::limits::Limits;
use crate::rpc::prefix::{plausible_start, plausible_within, Plausible};
use crate::rpc::xdr::padded;

/// Search state: a window of recent bytes and at most one candidate.
pub(super) struct Search {
    /// Where framing was lost (or 0): `skipped` counts from here.
    origin: u64,
    /// Buffered bytes, contiguous from stream offset `base`.
    pub(super) buf: Vec<u8>,
    base: u64,
    /// Bytes after `buf` were lost (gap or window full): `buf` can no
    /// longer grow and is rescanned, then dropped.
    detached: bool,
    /// Positions before `scan` are ruled out.
    scan: u64,
    /// Boxed: most streams never search, and the box keeps them small.
    cand: Option<Box<Candidate>>,
    /// Where captured bytes resumed after the last gap: with a snapshot
    /// length, the start of a segment, which often starts a record.
    resume: Option<u64>,
    /// The same, for the gap before the last one.
    prev_resume: Option<u64>,
    /// The stream ended: a position that needs more bytes is ruled out.
    ending: bool,
    /// Bytes [`RecordReader::settle_call`] may still scan: grows by twice
    /// the bytes the search takes in (up to twice the window), so replies
    /// asking to settle cost work in proportion to this stream's own
    /// bytes, however many of them come.
    settle_allowance: usize,
}

impl Search {
    /// Heap bytes of the search buffer and candidate (capacities).
    pub(super) fn heap_bytes(&self) -> usize {
        self.buf.capacity()
            + self.cand.as_ref().map_or(0, |c| {
                std::mem::size_of::<Candidate>() + c.data.capacity() + c.next.capacity()
            })
    }

    /// Bytes held by the search buffer and candidate.
    pub(super) fn held(&self) -> usize {
        self.buf.len()
            + self
                .cand
                .as_ref()
                .map_or(0, |c| c.data.len() + c.next.len())
    }

    pub(super) fn new(origin: u64, base: u64) -> Self {
        Search {
            origin,
            buf: Vec::new(),
            base,
            detached: false,
            scan: base,
            cand: None,
            // Searching starts where bytes resume after a loss (or at the
            // first byte seen).
            resume: Some(base),
            prev_resume: None,
            ending: false,
            settle_allowance: 0,
        }
    }
}

/// A mark at `at` followed by a plausible header, waiting for its successor.
struct Candidate {
    at: u64,
    last: bool,
    len: u32,
    end: u64,
    data: Vec<u8>,
    gap: bool,
    /// Bytes from `end` on: the next mark and the start of what follows.
    next: Vec<u8>,
    /// A gap followed `next`: it will not grow (a snapshot length cut the
    /// next header), so it is judged on what it holds.
    next_cut: bool,
}

enum Verdict {
    Accept,
    Reject,
    Wait,
}

/// Bytes `plausible_within` may need to decide on a header.
fn header_need(limits: &Limits) -> usize {
    40 + padded(limits.max_auth_bytes as usize)
}

fn next_cap(limits: &Limits) -> usize {
    RecordMark::SIZE + header_need(limits)
}

fn window(limits: &Limits) -> usize {
    limits.resync_window.max(4 * next_cap(limits))
}

/// Whether a fragment starting with `body` (all or part of its `m.len`
/// bytes) plausibly starts a message. A first fragment that is not the last
/// may end inside the header: it is plausible when what it holds is.
fn fragment_plausible(body: &[u8], m: RecordMark, limits: &Limits) -> Plausible {
    if m.last {
        return plausible_within(body, m.len as usize, limits);
    }
    let body = &body[..body.len().min(m.len as usize)];
    match plausible_start(body, limits) {
        Plausible::NeedMore if body.len() == m.len as usize => Plausible::Call,
        v => v,
    }
}

/// The fixed fields of a header cut short by a gap: msg_type CALL with
/// rpcvers 2, or msg_type REPLY with a valid reply_stat. Weak alone; a
/// candidate found this way is still trusted only when the chain holds.
fn fixed_fields(body: &[u8]) -> Plausible {
    let Some(b) = body.get(..12) else {
        return Plausible::NeedMore;
    };
    let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    match (word(4), word(8)) {
        (0, 2) => Plausible::Call,
        (1, 0 | 1) => Plausible::Reply,
        _ => Plausible::No,
    }
}

/// A candidate whose chain a gap made impossible to check is still
/// reported, alone and with a gap, when it is a call header starting right
/// where captured bytes resumed after an earlier gap (with a snapshot length:
/// a segment start), as tshark does. Framing stays unknown after it.
fn lone_call(
    c: &Candidate,
    resumed_at: Option<u64>,
    keep: usize,
    out: &mut dyn FnMut(RecordEvent<'_>),
) {
    if resumed_at == Some(c.at) && c.data.len() >= 24 && fixed_fields(&c.data) == Plausible::Call {
        out(RecordEvent::Record {
            data: &c.data,
            len: c.len.into(),
            fragments: 1,
            end_offset: c.end,
            gap: true,
            clipped: u64::from(c.len) > keep as u64,
        });
    }
}

impl Candidate {
    /// Take the bytes of `bytes` (at stream offset `off`) that extend the
    /// kept body prefix or the `next` bytes contiguously.
    fn feed(&mut self, off: u64, bytes: &[u8], keep: usize, cap: usize) {
        let hi = off + bytes.len() as u64;
        let body_lo = off.max(self.at + 4);
        let body_hi = hi.min(self.end);
        if body_lo < body_hi && !self.gap {
            if body_lo != self.at + 4 + self.data.len() as u64 {
                self.gap = self.data.len() < keep;
            } else {
                let room = keep.saturating_sub(self.data.len());
                let s = &bytes[(body_lo - off) as usize..(body_hi - off) as usize];
                self.data.extend_from_slice(&s[..s.len().min(room)]);
            }
        }
        let next_lo = off.max(self.end);
        if next_lo < hi && next_lo == self.end + self.next.len() as u64 {
            let s = &bytes[(next_lo - off) as usize..];
            let room = cap.saturating_sub(self.next.len());
            self.next.extend_from_slice(&s[..s.len().min(room)]);
        }
    }

    /// Bytes `[off, off + len)` are missing. False when that makes the
    /// chain impossible to check (the gap reaches the next mark).
    fn gap(&mut self, off: u64, len: u64) -> bool {
        if off >= self.end {
            // After the body: fine once the whole next mark is known.
            if off < self.end + RecordMark::SIZE as u64 || off > self.end + self.next.len() as u64 {
                return false;
            }
            self.next_cut = true;
            return true;
        }
        if off + len > self.end {
            return false;
        }
        self.gap = true;
        true
    }

    fn verdict(&self, limits: &Limits) -> Verdict {
        let Ok(m) = RecordMark::parse(&self.next) else {
            return Verdict::Wait;
        };
        if m.len > limits.max_record {
            return Verdict::Reject;
        }
        if !self.last {
            return Verdict::Accept;
        }
        match fragment_plausible(&self.next[4..], m, limits) {
            Plausible::Call | Plausible::Reply => Verdict::Accept,
            Plausible::No => Verdict::Reject,
            Plausible::NeedMore if self.next_cut => match fixed_fields(&self.next[4..]) {
                Plausible::Call | Plausible::Reply => Verdict::Accept,
                _ => Verdict::Reject,
            },
            Plausible::NeedMore if self.next.len() >= next_cap(limits) => Verdict::Reject,
            Plausible::NeedMore => Verdict::Wait,
        }
    }
}

impl RecordReader {
    /// [`RecordReader::hold_offset`] while searching: a candidate reports at
    /// or after the end of its kept prefix; buffered bytes not yet ruled
    /// out may still hold a candidate.
    pub(super) fn search_hold(&self) -> Option<u64> {
        let s = &self.search;
        if let Some(c) = &s.cand {
            return Some(c.at + 4 + c.data.len() as u64);
        }
        let buf_end = s.base + s.buf.len() as u64;
        let scan = s.scan.max(s.base);
        (scan + 4 <= buf_end).then_some(scan + 4)
    }

    /// Accepts the waiting candidate at once when its whole record arrived
    /// and decodes as a call with `xid`: the reply to it, seen on the other
    /// direction, is the proof of framing the next record mark would have
    /// been. True when it was accepted (its records were reported).
    pub fn settle_call(&mut self, xid: u32, out: &mut dyn FnMut(RecordEvent<'_>)) -> bool {
        if self.synced {
            return false;
        }
        let Some(c) = &self.search.cand else {
            return self.settle_in_buffer(xid, out);
        };
        let whole = c.last && self.offset >= c.end && !c.gap;
        let is_call = c.data.len() >= 12
            && c.data[..4] == xid.to_be_bytes()
            && c.data[4..8] == [0, 0, 0, 0]
            && plausible_within(&c.data, c.len as usize, &self.limits) == Plausible::Call;
        if !(whole && is_call) {
            // The candidate is something else: the call may be a whole
            // record further on in the bytes kept for rescanning.
            return self.settle_in_buffer(xid, out);
        }
        self.accept(out);
        self.drain_replay(out);
        true
    }

    /// [`RecordReader::settle_call`] with no candidate yet (the scan waits
    /// at an earlier position that needs more bytes): a whole record in the
    /// buffered bytes that is a plausible call with `xid` becomes the
    /// candidate and is accepted.
    fn settle_in_buffer(&mut self, xid: u32, out: &mut dyn FnMut(RecordEvent<'_>)) -> bool {
        let (keep, cap) = (self.limits.record_keep, next_cap(&self.limits));
        let s = &mut self.search;
        let buf_end = s.base + s.buf.len() as u64;
        let mut p = s.scan.max(s.base);
        let work = (buf_end.saturating_sub(p)) as usize;
        if work > s.settle_allowance {
            return false;
        }
        s.settle_allowance -= work;
        let s = &self.search;
        let found = loop {
            if p + 16 > buf_end {
                break None;
            }
            let i = (p - s.base) as usize;
            let m = RecordMark::from_bytes([s.buf[i], s.buf[i + 1], s.buf[i + 2], s.buf[i + 3]]);
            let end = p + 4 + u64::from(m.len);
            if m.last && m.len >= 8 && m.len <= self.limits.max_record && end <= buf_end {
                let body = &s.buf[i + 4..(end - s.base) as usize];
                if body[..4] == xid.to_be_bytes()
                    && body[4..8] == [0, 0, 0, 0]
                    && plausible_within(body, body.len(), &self.limits) == Plausible::Call
                {
                    break Some(Candidate {
                        at: p,
                        last: true,
                        len: m.len,
                        end,
                        data: body[..body.len().min(keep)].to_vec(),
                        gap: false,
                        next: s.buf[(end - s.base) as usize..]
                            [..((buf_end - end) as usize).min(cap)]
                            .to_vec(),
                        next_cut: false,
                    });
                }
            }
            p += 1;
        };
        let Some(c) = found else {
            return false;
        };
        self.search.cand = Some(Box::new(c));
        self.accept(out);
        self.drain_replay(out);
        true
    }

    /// Search-mode counterpart of `sync_step`.
    pub(super) fn search_step(
        &mut self,
        data: &[u8],
        out: &mut dyn FnMut(RecordEvent<'_>),
    ) -> usize {
        let (keep, cap) = (self.limits.record_keep, next_cap(&self.limits));
        let cur = self.offset;
        if let Some(c) = &self.search.cand {
            let want = if cur < c.end {
                c.end - cur
            } else {
                (cap - c.next.len()) as u64
            };
            let n = want.min(data.len() as u64).max(1) as usize;
            let trim = c.at + 1;
            self.buffer(&data[..n], trim);
            if let Some(c) = &mut self.search.cand {
                c.feed(cur, &data[..n], keep, cap);
            }
            self.offset += n as u64;
            if self.decide(out) {
                self.scan(out);
            }
            return n;
        }
        // No candidate: the buffer is attached (it ends at `cur`).
        let win = window(&self.limits);
        let s = &mut self.search;
        let drop = (s.scan.saturating_sub(s.base) as usize).min(s.buf.len());
        s.buf.drain(..drop);
        s.base += drop as u64;
        if s.buf.len() >= win {
            // Cannot happen with a window of four headers; stay bounded anyway.
            let half = s.buf.len() / 2;
            s.buf.drain(..half);
            s.base += half as u64;
            s.scan = s.scan.max(s.base);
        }
        let n = (win - s.buf.len()).min(data.len());
        s.buf.extend_from_slice(&data[..n]);
        s.settle_allowance = (s.settle_allowance + 2 * n).min(2 * win);
        self.offset += n as u64;
        self.scan(out);
        n
    }

    /// Append to the search buffer, dropping positions before `trim`;
    /// when the window is full, the rest is lost (`detached`).
    fn buffer(&mut self, bytes: &[u8], trim: u64) {
        let s = &mut self.search;
        if s.detached {
            return;
        }
        let drop = (trim.saturating_sub(s.base) as usize).min(s.buf.len());
        s.buf.drain(..drop);
        s.base += drop as u64;
        if s.buf.is_empty() {
            s.base = self.offset;
        }
        let room = window(&self.limits).saturating_sub(s.buf.len());
        let take = room.min(bytes.len());
        s.buf.extend_from_slice(&bytes[..take]);
        s.settle_allowance = (s.settle_allowance + 2 * take).min(2 * window(&self.limits));
        if take < bytes.len() {
            s.detached = true;
        }
    }
}

impl RecordReader {
    /// Test positions from `scan` on until a candidate is pending, accepted,
    /// or more bytes are needed. A detached buffer is then dropped.
    fn scan(&mut self, out: &mut dyn FnMut(RecordEvent<'_>)) {
        let (keep, cap) = (self.limits.record_keep, next_cap(&self.limits));
        loop {
            let s = &mut self.search;
            if s.cand.is_some() {
                return;
            }
            let buf_end = s.base + s.buf.len() as u64;
            let p = s.scan.max(s.base);
            s.scan = p;
            if p + 4 > buf_end {
                break;
            }
            let i = (p - s.base) as usize;
            let m = RecordMark::from_bytes([s.buf[i], s.buf[i + 1], s.buf[i + 2], s.buf[i + 3]]);
            if m.len < 8 || m.len > self.limits.max_record {
                s.scan = p + 1;
                continue;
            }
            let body = &s.buf[i + 4..s.buf.len().min(i + 4 + m.len as usize)];
            match fragment_plausible(body, m, &self.limits) {
                Plausible::No => {
                    s.scan = p + 1;
                    continue;
                }
                // The header is cut by a gap: judge its fixed fields.
                Plausible::NeedMore if s.detached && fixed_fields(body) == Plausible::No => {
                    s.scan = p + 1;
                    continue;
                }
                Plausible::NeedMore if s.detached && fixed_fields(body) == Plausible::NeedMore => {
                    s.scan = p + 1;
                    continue;
                }
                Plausible::NeedMore if s.detached => {}
                // The stream ended: no more bytes will decide it.
                Plausible::NeedMore if s.ending => {
                    s.scan = p + 1;
                    continue;
                }
                Plausible::NeedMore => break,
                Plausible::Call | Plausible::Reply => {}
            }
            let mut c = Candidate {
                at: p,
                last: m.last,
                len: m.len,
                end: p + 4 + u64::from(m.len),
                data: Vec::new(),
                gap: false,
                next: Vec::new(),
                next_cut: false,
            };
            c.feed(p + 4, &s.buf[i + 4..], keep, cap);
            if buf_end < self.offset && !c.gap(buf_end, self.offset - buf_end) {
                s.scan = p + 1;
                lone_call(&c, s.prev_resume, self.limits.record_keep, out);
                continue;
            }
            s.cand = Some(Box::new(c));
            if !self.decide(out) {
                return;
            }
        }
        let s = &mut self.search;
        if s.detached {
            s.buf.clear();
            s.base = self.offset;
            s.scan = self.offset;
            s.detached = false;
        }
    }

    /// Judge the pending candidate: accept it, keep waiting, or drop it and
    /// set the scan to the position after it. True when it was dropped (the
    /// caller then scans on; no recursion, so no depth limit to reach).
    fn decide(&mut self, out: &mut dyn FnMut(RecordEvent<'_>)) -> bool {
        let Some(c) = &self.search.cand else {
            return false;
        };
        match c.verdict(&self.limits) {
            Verdict::Wait => false,
            Verdict::Accept => {
                self.accept(out);
                false
            }
            Verdict::Reject => {
                self.search.scan = c.at + 1;
                self.search.cand = None;
                true
            }
        }
    }

    /// Trust the candidate: report the resync, its record if complete, and
    /// queue the bytes after it for the synced reader.
    fn accept(&mut self, out: &mut dyn FnMut(RecordEvent<'_>)) {
        let s = std::mem::replace(&mut self.search, Search::new(0, 0));
        let Some(c) = s.cand.map(|c| *c) else {
            return;
        };
        out(RecordEvent::Resynced {
            offset: c.at,
            skipped: c.at.saturating_sub(s.origin),
        });
        let buf_end = s.base + s.buf.len() as u64;
        let (bytes, known_end) = if s.base <= c.end && c.end + c.next.len() as u64 <= buf_end {
            (s.buf[(c.end - s.base) as usize..].to_vec(), buf_end)
        } else {
            let known_end = c.end + c.next.len() as u64;
            (c.next, known_end)
        };
        let lost = self.offset.saturating_sub(known_end);
        let received = c.end.min(self.offset).saturating_sub(c.at + 4);
        let first = Partial {
            data: c.data,
            len: c.len.into(),
            fragments: 1,
            gap: c.gap,
            start: c.at,
            received,
        };
        self.offset = c.end;
        self.enter_sync(first, c.last, c.end, out);
        if !bytes.is_empty() {
            self.replay.push_back(Replay::Bytes(bytes));
        }
        if lost > 0 {
            self.replay.push_back(Replay::Gap(lost));
        }
    }

    /// Search-mode counterpart of `sync_gap`.
    pub(super) fn search_gap(&mut self, len: u64, out: &mut dyn FnMut(RecordEvent<'_>)) {
        let off = self.offset;
        self.offset += len;
        let s = &mut self.search;
        if !s.buf.is_empty() {
            s.detached = true;
        }
        s.prev_resume = s.resume;
        s.resume = Some(self.offset);
        if let Some(c) = &mut s.cand {
            if !c.gap(off, len) {
                let Some(c) = s.cand.take() else { return };
                s.scan = c.at + 1;
                lone_call(&c, s.prev_resume, self.limits.record_keep, out);
                self.scan(out);
            } else if self.decide(out) {
                self.scan(out);
            }
            return;
        }
        if s.buf.is_empty() {
            s.base = self.offset;
            s.scan = self.offset;
        } else {
            self.scan(out);
        }
    }

    /// End of stream while searching: a candidate whose last fragment
    /// arrived whole counts as chained. True when it was accepted.
    ///
    /// A candidate the stream ended inside of (a capture that holds only the
    /// start of its last record) is reported as a record with a gap, so its
    /// header is decoded, when that header is plausibly a call: replies are
    /// too weak to trust without the chain.
    pub(super) fn search_finish(&mut self, out: &mut dyn FnMut(RecordEvent<'_>)) -> bool {
        if self.search.cand.is_none() {
            // Positions that waited for more bytes are decided now: a whole
            // record after them may still be found.
            self.search.ending = true;
            self.scan(out);
        }
        match &self.search.cand {
            Some(c) if c.last && self.offset >= c.end => {
                self.accept(out);
                true
            }
            Some(c)
                if self.offset < c.end
                    && plausible_start(&c.data, &self.limits) == Plausible::Call =>
            {
                out(RecordEvent::Resynced {
                    offset: c.at,
                    skipped: c.at.saturating_sub(self.search.origin),
                });
                out(RecordEvent::Abandoned {
                    start: c.at,
                    received: self.offset.saturating_sub(c.at + 4),
                    fragments: 1,
                    data: &c.data,
                    reason: "the input ended inside the record",
                });
                out(RecordEvent::Record {
                    data: &c.data,
                    len: c.len.into(),
                    fragments: 1,
                    end_offset: c.end,
                    gap: true,
                    clipped: u64::from(c.len) > self.limits.record_keep as u64,
                });
                // The rest of the stream is inside that record: nothing
                // else to find (and a second call finds it no more).
                self.search.scan = c.end;
                self.search.cand = None;
                false
            }
            _ => false,
        }
    }
}
