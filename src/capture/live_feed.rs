//! The capture thread of `live`: libpcap is read on a thread of its own,
//! which copies frames into batches and hands them to the decoding thread
//! through a bounded channel.
//!
//! Why a thread: the kernel ring drains only while someone reads it. With
//! one thread, every microsecond spent decoding, writing JSON or waiting on
//! a slow terminal is a microsecond the ring fills, and a burst from a
//! loopback client (hundreds of thousands of packets a second) overruns it.
//! Here the capture thread does nothing but copy bytes, so the ring is
//! emptied at memory speed, and the decoder's pauses are absorbed by the
//! queue of batches and then by the ring (bounded both: when both are full,
//! the kernel drops and counts it).
//!
//! Contract:
//! - Frames come out in capture order, numbered from 1, each batch's frames
//!   with their capture timestamps and original lengths, as
//!   [`LiveCapture::next_frame`] gave them.
//! - Memory is bounded: at most [`Limits::live_queue_batches`] + 2 batches
//!   exist at once (queued, being filled, being decoded; batches are
//!   recycled), each of at most [`Limits::live_batch_frames`] frames and
//!   [`Limits::live_batch_bytes`] bytes plus one frame.
//! - A batch is handed over when full, when [`Limits::live_batch_age_ms`]
//!   passed since its first frame, or when the ring is empty (the read
//!   timed out), so a quiet link still shows its records promptly.
//! - The kernel's counts come every [`Limits::live_counts_ms`], so drops
//!   can be shown while the capture runs, and once more at the end
//!   ([`LiveFeed::stop`]).
//! - The thread ends when asked ([`LiveFeed::stop`], within one idle
//!   sleep, [`Limits::live_idle_sleep_us`]), when the decoder is gone, or after a capture error (sent as
//!   [`Feed::Failed`]).
//!
//! The thread is started by the caller after the sandbox is entered, so it
//! inherits the seccomp filter and the dropped privileges (see
//! [`crate::sandbox`]); it makes no system call the decoding thread does
//! not make (poll, getsockopt on the capture socket, futex, nanosleep).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::live::{LiveCapture, LiveError};
use super::{Frame, LinkType, Timestamp};
use crate::limits::Limits;
use crate::output::CaptureCounts;

/// Where one frame of a [`Batch`] is.
#[derive(Debug, Clone, Copy)]
struct Slot {
    number: u64,
    ts: Timestamp,
    orig_len: u32,
    /// End of its bytes in `Batch::data` (the start is the previous end).
    end: usize,
}

/// Frames copied out of the capture ring, back to back.
#[derive(Debug, Default)]
pub struct Batch {
    data: Vec<u8>,
    slots: Vec<Slot>,
}

impl Batch {
    fn push(&mut self, f: &Frame<'_>) {
        self.data.extend_from_slice(f.data);
        self.slots.push(Slot {
            number: f.number,
            ts: f.ts,
            orig_len: f.orig_len,
            end: self.data.len(),
        });
    }

    fn clear(&mut self) {
        self.data.clear();
        self.slots.clear();
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// No frame.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The frames, in capture order, on link type `link`.
    pub fn frames(&self, link: LinkType) -> impl Iterator<Item = Frame<'_>> + '_ {
        let mut start = 0;
        self.slots.iter().map(move |s| {
            let data = &self.data[start..s.end];
            start = s.end;
            Frame {
                number: s.number,
                ts: s.ts,
                link,
                data,
                orig_len: s.orig_len,
            }
        })
    }
}

/// What the capture thread sends.
#[derive(Debug)]
pub enum Feed {
    /// Frames; give the batch back with [`LiveFeed::recycle`] once decoded.
    Frames(Batch),
    /// The kernel's counts so far, and how many times so far the capture
    /// thread found the batch queue full and waited for the decoder (while
    /// it waits, the kernel ring fills: drops with no such wait mean the
    /// capture thread itself did not get the CPU in time).
    Counts(CaptureCounts, u64),
    /// The capture failed (e.g. the interface went away); nothing follows.
    Failed(LiveError),
}

/// The decoding side of a running capture thread.
#[derive(Debug)]
pub struct LiveFeed {
    rx: Receiver<Feed>,
    spare: SyncSender<Batch>,
    quit: Arc<AtomicBool>,
    thread: JoinHandle<Result<CaptureCounts, LiveError>>,
    link: LinkType,
}

/// The capture thread has ended and everything it sent was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended;

impl LiveFeed {
    /// Starts the capture thread on `cap`. Fails only if the thread cannot
    /// be created.
    pub fn start(cap: LiveCapture, limits: &Limits) -> std::io::Result<LiveFeed> {
        let link = cap.link();
        let (tx, rx) = mpsc::sync_channel(limits.live_queue_batches.max(1));
        let (spare, spares) = mpsc::sync_channel(limits.live_queue_batches.max(1) + 2);
        let quit = Arc::new(AtomicBool::new(false));
        let cfg = Config {
            max_frames: limits.live_batch_frames.max(1),
            max_bytes: limits.live_batch_bytes.max(1),
            max_age: Duration::from_millis(limits.live_batch_age_ms.into()),
            counts_every: Duration::from_millis(limits.live_counts_ms.into()),
            idle_sleep: Duration::from_micros(limits.live_idle_sleep_us.into()),
        };
        let q = quit.clone();
        let thread = std::thread::Builder::new()
            .name("rpcscope-capture".into())
            .spawn(move || capture_loop(cap, cfg, &tx, &spares, &q))?;
        Ok(LiveFeed {
            rx,
            spare,
            quit,
            thread,
            link,
        })
    }

    /// The capture's link type.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// The next message if one is waiting.
    pub fn try_next(&self) -> Result<Option<Feed>, Ended> {
        match self.rx.try_recv() {
            Ok(f) => Ok(Some(f)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(Ended),
        }
    }

    /// The next message, waiting at most `wait`; `Ok(None)` if none came.
    pub fn next(&self, wait: Duration) -> Result<Option<Feed>, Ended> {
        match self.rx.recv_timeout(wait) {
            Ok(f) => Ok(Some(f)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(Ended),
        }
    }

    /// Gives a decoded batch back to the capture thread for reuse.
    pub fn recycle(&self, mut b: Batch) {
        b.clear();
        // Full (or the thread is gone): let it go.
        let _ = self.spare.try_send(b);
    }

    /// Stops the capture thread (within one idle sleep) and returns the
    /// kernel's final counts. Frames still queued are discarded: call it
    /// once the caller wants no more.
    pub fn stop(self) -> Result<CaptureCounts, LiveError> {
        self.quit.store(true, Ordering::Relaxed);
        // Unblocks a thread waiting for room in the queue.
        drop(self.rx);
        self.thread
            .join()
            .unwrap_or_else(|_| Err(LiveError("the capture thread panicked".into())))
    }
}

#[derive(Debug, Clone, Copy)]
struct Config {
    max_frames: usize,
    max_bytes: usize,
    max_age: Duration,
    counts_every: Duration,
    idle_sleep: Duration,
}

/// The capture thread: read, copy, send; until asked to stop or the
/// decoder is gone. Returns the final counts.
fn capture_loop(
    mut cap: LiveCapture,
    cfg: Config,
    tx: &SyncSender<Feed>,
    spares: &Receiver<Batch>,
    quit: &AtomicBool,
) -> Result<CaptureCounts, LiveError> {
    let fresh = |spares: &Receiver<Batch>| spares.try_recv().unwrap_or_default();
    let mut batch = fresh(spares);
    let mut first_at = Instant::now();
    let mut counts_at = Instant::now();
    let mut last_counts = CaptureCounts::default();
    let mut queue_waits = 0u64;
    while !quit.load(Ordering::Relaxed) {
        let send_now = match cap.next_frame() {
            Ok(Some(f)) => {
                if batch.is_empty() {
                    first_at = Instant::now();
                }
                batch.push(&f);
                batch.len() >= cfg.max_frames
                    || batch.data.len() >= cfg.max_bytes
                    || first_at.elapsed() >= cfg.max_age
            }
            Ok(None) if batch.is_empty() => {
                std::thread::sleep(cfg.idle_sleep);
                false
            }
            Ok(None) => true,
            Err(e) => {
                if !batch.is_empty() {
                    let _ = tx.send(Feed::Frames(batch));
                }
                let _ = tx.send(Feed::Failed(e.clone()));
                return Err(e);
            }
        };
        if send_now {
            let full = std::mem::replace(&mut batch, fresh(spares));
            let sent = match tx.try_send(Feed::Frames(full)) {
                Ok(()) => true,
                Err(TrySendError::Full(f)) => {
                    queue_waits += 1;
                    tx.send(f).is_ok()
                }
                Err(TrySendError::Disconnected(_)) => false,
            };
            if !sent {
                break;
            }
        }
        if counts_at.elapsed() >= cfg.counts_every {
            counts_at = Instant::now();
            if let Ok(c) = cap.counts() {
                if c != last_counts {
                    last_counts = c;
                    if tx.send(Feed::Counts(c, queue_waits)).is_err() {
                        break;
                    }
                }
            }
        }
    }
    cap.counts()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(number: u64, data: &[u8]) -> Frame<'_> {
        Frame {
            number,
            ts: Timestamp(number as i64 * 1000),
            link: LinkType::RAW,
            data,
            orig_len: data.len() as u32 + 7,
        }
    }

    #[test]
    fn a_batch_gives_back_each_frame_with_its_bytes_and_metadata() {
        let mut b = Batch::default();
        b.push(&frame(1, b"abc"));
        b.push(&frame(2, b""));
        b.push(&frame(3, b"defgh"));
        assert_eq!(b.len(), 3);
        let got: Vec<_> = b
            .frames(LinkType::ETHERNET)
            .map(|f| (f.number, f.ts.0, f.link, f.data.to_vec(), f.orig_len))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 1000, LinkType::ETHERNET, b"abc".to_vec(), 10),
                (2, 2000, LinkType::ETHERNET, Vec::new(), 7),
                (3, 3000, LinkType::ETHERNET, b"defgh".to_vec(), 12),
            ]
        );
        b.clear();
        assert!(b.is_empty());
        assert_eq!(b.frames(LinkType::RAW).count(), 0);
        // Reused: the old bytes are gone.
        b.push(&frame(4, b"xy"));
        let f: Vec<_> = b.frames(LinkType::RAW).map(|f| f.data.to_vec()).collect();
        assert_eq!(f, vec![b"xy".to_vec()]);
    }
}
