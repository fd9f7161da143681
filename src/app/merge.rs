//! `--merge`: several capture files decoded as one capture, their frames in
//! time order, the way `mergecap` merges them.
//!
//! Without it, `read a.pcap b.pcap` decodes each file on its own (a fresh
//! pipeline per file, frames numbered per file). With it, one pipeline sees
//! the frames of all inputs in capture-time order: a call captured on one
//! interface meets its reply captured on another, and retransmissions
//! across the files are seen as such. Frames are numbered in the merged
//! order, and the earliest frame goes first; of frames with the same time
//! stamp, the one of the input named first on the command line goes first
//! (clocks of 10 ms resolution make such ties common, and a user naming the
//! client-side capture first expects its calls before the replies). Within
//! one input the capture order is kept as it is, even where its time stamps
//! go back. `mergecap` breaks ties the other way round (the input named
//! last first), so `--merge a b` decodes exactly as the file
//! `mergecap -w m.pcapng b a` does (`tests/merge.rs` holds it to that).
//!
//! Each input holds its next frame in a buffer of its own (a frame borrows
//! its reader, so the waiting one is copied: one copy per frame, cheap
//! next to decoding it; each buffer is at most `Limits::max_frame`, the
//! reader's own bound); the earliest is found by a scan over the inputs,
//! which is fine for the handful of files a merge is for. An input that
//! fails (unreadable, corrupt, unsupported link type) is reported once and
//! the others go on.

use std::path::Path;

use super::signals::Stop;
use super::source::{Frames, Next, Source};
use crate::capture::{Frame, LinkType, Timestamp};
use crate::limits::Limits;
use crate::net::is_supported_link;

/// The inputs, merged. See the module docs.
pub struct Merged {
    inputs: Vec<Input>,
    /// Every input has been asked for its first frame.
    primed: bool,
    /// The input whose frame was handed out last: it is asked for its next
    /// frame on the following call, once the caller is done with that one.
    last: Option<usize>,
    /// Frames handed out so far (the merged frame number).
    number: u64,
    /// Inputs that failed while being read: (name, why).
    failed: Vec<(String, String)>,
}

struct Input {
    name: String,
    source: Source,
    first: bool,
    /// The frame waiting to go; `None` once the input has ended or failed.
    held: Option<Held>,
}

/// A frame copied out of its reader.
struct Held {
    ts: Timestamp,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

/// How asking an input for its next frame went.
enum Refill {
    Ready,
    Stopped,
}

impl Merged {
    /// Opens `files` (their display names beside them); those that cannot
    /// be opened are returned as (name, why) and left out.
    pub fn open(files: &[(&Path, String)], limits: &Limits) -> (Merged, Vec<(String, String)>) {
        let mut inputs = Vec::new();
        let mut failed = Vec::new();
        for (path, name) in files {
            match Source::open(path, limits) {
                Ok(source) => inputs.push(Input {
                    name: name.clone(),
                    source,
                    first: true,
                    held: None,
                }),
                Err(why) => failed.push((name.clone(), why)),
            }
        }
        let merged = Merged {
            inputs,
            primed: false,
            last: None,
            number: 0,
            failed: Vec::new(),
        };
        (merged, failed)
    }

    /// The inputs opened.
    pub fn inputs(&self) -> usize {
        self.inputs.len()
    }

    /// The inputs that failed while being read, as (name, why), in the
    /// order they failed.
    pub fn take_failed(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.failed)
    }

    /// Asks input `i` for its next frame and holds a copy of it.
    fn refill(&mut self, i: usize, stop: &Stop, idle: &mut dyn FnMut()) -> Refill {
        let input = &mut self.inputs[i];
        let mut buf = input.held.take().map(|h| h.data).unwrap_or_default();
        // A container with one link type for all its frames (pcap, snoop)
        // fails at its first frame if that type is unknown.
        let check_link = input.first && input.source.link_is_global();
        match input.source.next(stop, idle) {
            Ok(Next::Frame(f)) => {
                if check_link && !is_supported_link(f.link) {
                    let why = format!("unsupported link type {}", f.link);
                    self.failed.push((input.name.clone(), why));
                    return Refill::Ready;
                }
                input.first = false;
                buf.clear();
                buf.extend_from_slice(f.data);
                input.held = Some(Held {
                    ts: f.ts,
                    link: f.link,
                    data: buf,
                    orig_len: f.orig_len,
                });
                Refill::Ready
            }
            Ok(Next::End) => Refill::Ready,
            Ok(Next::Stopped) => Refill::Stopped,
            Err(why) => {
                self.failed.push((input.name.clone(), why));
                Refill::Ready
            }
        }
    }

    /// The input whose held frame goes next: the earliest, the first input
    /// on a tie.
    fn earliest(&self) -> Option<usize> {
        let mut best: Option<(Timestamp, usize)> = None;
        for (i, input) in self.inputs.iter().enumerate() {
            if let Some(h) = &input.held {
                if best.is_none_or(|(ts, _)| h.ts < ts) {
                    best = Some((h.ts, i));
                }
            }
        }
        best.map(|(_, i)| i)
    }
}

impl Frames for Merged {
    fn next(&mut self, stop: &Stop, idle: &mut dyn FnMut()) -> Result<Next<'_>, String> {
        if !self.primed {
            for i in 0..self.inputs.len() {
                if let Refill::Stopped = self.refill(i, stop, idle) {
                    return Ok(Next::Stopped);
                }
            }
            self.primed = true;
        } else if let Some(i) = self.last.take() {
            if let Refill::Stopped = self.refill(i, stop, idle) {
                return Ok(Next::Stopped);
            }
        }
        let Some(i) = self.earliest() else {
            return Ok(Next::End);
        };
        self.last = Some(i);
        self.number += 1;
        let Some(h) = &self.inputs[i].held else {
            return Ok(Next::End);
        };
        Ok(Next::Frame(Frame {
            number: self.number,
            ts: h.ts,
            link: h.link,
            data: &h.data,
            orig_len: h.orig_len,
        }))
    }

    fn bytes_read(&self) -> u64 {
        self.inputs.iter().map(|i| i.source.bytes_read()).sum()
    }

    fn link_is_global(&self) -> bool {
        // Each input's link type is checked at its own first frame.
        false
    }
}
