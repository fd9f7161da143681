//! Where `read` and `stats` get frames: a file, read in the loop, or standard
//! input, read on its own thread so the loop never blocks with output still
//! in its buffer.
//!
//! `read -` must stream: `(cat f.pcap; sleep 5) | rpcscope read -` prints the
//! records of `f.pcap` at once, not after the sleep. The stdin thread parses
//! frames and hands them over in a bounded channel; when the channel is empty
//! (the batch that arrived has been decoded) the loop calls its `idle`
//! callback, which flushes the output, and then waits, checking the stop flag
//! every [`WAIT_SLICE`]. Files never wait, so they are read directly.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::signals::Stop;
use crate::capture::{CaptureFormat, CaptureReader, Frame, LinkType, Timestamp};
use crate::limits::Limits;

/// How long the loop waits for stdin before checking the stop flag again.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// Bytes of frames the stdin thread may parse ahead of the decoder
/// ([`crate::limits::STDIN_AHEAD_BYTES`]).
const AHEAD: usize = crate::limits::STDIN_AHEAD_BYTES;

/// Bytes parsed but not yet decoded, and a wake-up for the reader thread.
type Credit = Arc<(Mutex<usize>, Condvar)>;

fn give_back(credit: &Credit, n: usize) {
    let (m, cv) = &**credit;
    let mut used = m.lock().unwrap_or_else(|e| e.into_inner());
    *used = used.saturating_sub(n);
    cv.notify_one();
}

/// One frame, owned, sent from the stdin thread.
pub struct OwnedFrame {
    number: u64,
    ts: Timestamp,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

pub enum Msg {
    Frame(OwnedFrame),
    /// The input could not be read (once, then the thread ends).
    Error(String),
}

/// A source of frames.
pub enum Source {
    File(Box<CaptureReader>),
    Stdin {
        rx: Receiver<Msg>,
        format: Option<CaptureFormat>,
        cur: Option<OwnedFrame>,
        credit: Credit,
    },
}

/// What [`Source::next`] yields.
pub enum Next<'a> {
    Frame(Frame<'a>),
    End,
    /// The stop flag was raised while waiting.
    Stopped,
}

impl Source {
    /// Opens `path` (`-`: standard input, on a thread).
    pub fn open(path: &Path, limits: &Limits) -> Result<Source, String> {
        if path.as_os_str() != "-" {
            let r = CaptureReader::open(path, limits).map_err(|e| e.to_string())?;
            return Ok(Source::File(Box::new(r)));
        }
        let (tx, rx) = mpsc::channel::<Msg>();
        let (ftx, frx) = mpsc::sync_channel::<Result<CaptureFormat, String>>(1);
        let credit: Credit = Arc::new((Mutex::new(0), Condvar::new()));
        let thread_credit = Arc::clone(&credit);
        let limits = limits.clone();
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                let mut r = match CaptureReader::open(Path::new("-"), &limits) {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ftx.send(Err(e.to_string()));
                        return;
                    }
                };
                if ftx.send(Ok(r.format())).is_err() {
                    return;
                }
                loop {
                    let msg = match r.next_frame() {
                        Ok(Some(f)) => Msg::Frame(OwnedFrame {
                            number: f.number,
                            ts: f.ts,
                            link: f.link,
                            data: f.data.to_vec(),
                            orig_len: f.orig_len,
                        }),
                        Ok(None) => return,
                        Err(e) => Msg::Error(e.to_string()),
                    };
                    let last = matches!(msg, Msg::Error(_));
                    if let Msg::Frame(f) = &msg {
                        // Wait while the decoder is AHEAD bytes behind.
                        let (m, cv) = &*thread_credit;
                        let mut used = m.lock().unwrap_or_else(|e| e.into_inner());
                        while *used > 0 && *used + f.data.len() > AHEAD {
                            used = cv.wait(used).unwrap_or_else(|e| e.into_inner());
                        }
                        *used += f.data.len();
                    }
                    if tx.send(msg).is_err() || last {
                        return;
                    }
                }
            })
            .map_err(|e| format!("cannot start the standard input reader: {e}"))?;
        let format = match frx.recv() {
            Ok(Ok(f)) => Some(f),
            Ok(Err(e)) => return Err(e),
            Err(_) => None,
        };
        Ok(Source::Stdin {
            rx,
            format,
            cur: None,
            credit,
        })
    }

    /// The container format.
    pub fn format(&self) -> Option<CaptureFormat> {
        match self {
            Source::File(r) => Some(r.format()),
            Source::Stdin { format, .. } => *format,
        }
    }

    /// Bytes of the input read so far (files only: progress bars).
    pub fn bytes_read(&self) -> u64 {
        match self {
            Source::File(r) => r.bytes_read(),
            Source::Stdin { .. } => 0,
        }
    }

    /// The next frame. Before waiting for standard input, `idle` is called
    /// (the caller flushes its output there); while waiting, `stop` is
    /// checked every [`WAIT_SLICE`].
    pub fn next(&mut self, stop: &Stop, idle: &mut dyn FnMut()) -> Result<Next<'_>, String> {
        match self {
            Source::File(r) => match r.next_frame() {
                Ok(Some(f)) => Ok(Next::Frame(f)),
                Ok(None) => Ok(Next::End),
                Err(e) => Err(e.to_string()),
            },
            Source::Stdin {
                rx, cur, credit, ..
            } => {
                if let Some(done) = cur.take() {
                    give_back(credit, done.data.len());
                }
                let msg = match rx.try_recv() {
                    Ok(m) => Some(m),
                    Err(TryRecvError::Disconnected) => None,
                    Err(TryRecvError::Empty) => {
                        idle();
                        loop {
                            if stop.requested() {
                                return Ok(Next::Stopped);
                            }
                            match rx.recv_timeout(WAIT_SLICE) {
                                Ok(m) => break Some(m),
                                Err(RecvTimeoutError::Timeout) => continue,
                                Err(RecvTimeoutError::Disconnected) => break None,
                            }
                        }
                    }
                };
                match msg {
                    None => Ok(Next::End),
                    Some(Msg::Error(e)) => Err(e),
                    Some(Msg::Frame(f)) => {
                        let f = cur.insert(f);
                        Ok(Next::Frame(Frame {
                            number: f.number,
                            ts: f.ts,
                            link: f.link,
                            data: &f.data,
                            orig_len: f.orig_len,
                        }))
                    }
                }
            }
        }
    }
}

/// What the decoding loop reads frames from: one [`Source`], or several
/// merged in time order ([`super::merge::Merged`]).
pub trait Frames {
    /// The next frame (see [`Source::next`]).
    fn next(&mut self, stop: &Stop, idle: &mut dyn FnMut()) -> Result<Next<'_>, String>;
    /// Bytes of the input read so far (progress).
    fn bytes_read(&self) -> u64;
    /// True when the first frame's link type is that of every frame (pcap,
    /// snoop, and a stream not yet known to be pcapng): an unsupported one
    /// fails the input at once.
    fn link_is_global(&self) -> bool;
}

impl Frames for Source {
    fn next(&mut self, stop: &Stop, idle: &mut dyn FnMut()) -> Result<Next<'_>, String> {
        Source::next(self, stop, idle)
    }

    fn bytes_read(&self) -> u64 {
        Source::bytes_read(self)
    }

    fn link_is_global(&self) -> bool {
        super::reader_format_is_global(self.format())
    }
}
