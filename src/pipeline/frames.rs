//! Which frame completed a record: stream offsets mapped back to frames.
//!
//! A record can be reported after the frame that completed it (the record
//! reader may wait for the next record mark before it trusts a resync). The
//! ring remembers, for the last [`RING`] deliveries of a TCP direction, the
//! stream offset each one reached and its frame, so a record's end offset
//! gives the frame tshark shows it at. Fixed size: no allocation.

use crate::capture::Timestamp;

/// Deliveries remembered per direction (see [`crate::limits::FRAME_RING`]).
pub const RING: usize = crate::limits::FRAME_RING;

#[derive(Debug, Clone)]
pub struct FrameRing {
    ends: [u64; RING],
    frames: [u64; RING],
    times: [Timestamp; RING],
    /// Next slot to write.
    head: usize,
    len: usize,
}

impl FrameRing {
    pub fn new() -> Self {
        FrameRing {
            ends: [0; RING],
            frames: [0; RING],
            times: [Timestamp(0); RING],
            head: 0,
            len: 0,
        }
    }

    /// The stream reached offset `end` at `frame`.
    pub fn push(&mut self, end: u64, frame: u64, ts: Timestamp) {
        if self.len > 0 {
            let last = (self.head + RING - 1) % RING;
            if self.frames[last] == frame && self.ends[last] <= end {
                self.ends[last] = end;
                return;
            }
        }
        self.ends[self.head] = end;
        self.frames[self.head] = frame;
        self.times[self.head] = ts;
        self.head = (self.head + 1) % RING;
        self.len = (self.len + 1).min(RING);
    }

    /// The frame (and time) at which the stream first reached offset `end`;
    /// the oldest remembered one if that was forgotten, the newest if `end`
    /// lies beyond every delivery.
    pub fn lookup(&self, end: u64) -> (u64, Timestamp) {
        if self.len == 0 {
            return (0, Timestamp(0));
        }
        let newest = (self.head + RING - 1) % RING;
        // Walk from the newest backwards while the previous delivery still
        // reached `end`.
        let mut best = newest;
        for i in 1..self.len {
            let idx = (self.head + RING - 1 - i) % RING;
            if self.ends[idx] >= end {
                best = idx;
            } else {
                break;
            }
        }
        (self.frames[best], self.times[best])
    }
}

impl Default for FrameRing {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_end_maps_to_the_frame_that_reached_it() {
        let mut r = FrameRing::new();
        r.push(100, 1, Timestamp(10));
        r.push(250, 2, Timestamp(20));
        r.push(400, 5, Timestamp(50));
        assert_eq!(r.lookup(100).0, 1);
        assert_eq!(r.lookup(101).0, 2);
        assert_eq!(r.lookup(250).0, 2);
        assert_eq!(r.lookup(300), (5, Timestamp(50)));
        assert_eq!(r.lookup(999).0, 5, "beyond every delivery: newest");
    }

    #[test]
    fn same_frame_deliveries_merge_and_old_ones_are_forgotten() {
        let mut r = FrameRing::new();
        r.push(10, 1, Timestamp(1));
        r.push(20, 1, Timestamp(1));
        assert_eq!(r.len, 1);
        for i in 0..(RING as u64 * 2) {
            r.push(100 + i * 10, 2 + i, Timestamp(0));
        }
        assert_eq!(r.len, RING);
        // Offset 10 was forgotten: the oldest remembered frame answers.
        assert_eq!(r.lookup(10).0, 2 + RING as u64);
    }
}
