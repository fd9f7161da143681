//! [`CaptureReader`]: opens a file or stream, detects gzip and the capture
//! format by content, and yields frames one at a time from a reused buffer.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;

use super::input::{inflate_ahead, peek, Counting, Input, Place, BUF_SIZE};
use super::mapped::Mapped;
use super::pcap::{is_pcap, PcapReader};
use super::pcapng::{is_pcapng, PcapngReader};
use super::snoop::{is_snoop, SnoopReader};
use super::{CaptureError, Frame};
use crate::limits::Limits;

/// The container format of a capture, told apart by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptureFormat {
    /// libpcap (any byte order, micro- or nanosecond).
    Pcap,
    /// pcapng (one or more sections).
    Pcapng,
    /// Sun snoop version 2.
    Snoop,
}

impl fmt::Display for CaptureFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaptureFormat::Pcap => "pcap",
            CaptureFormat::Pcapng => "pcapng",
            CaptureFormat::Snoop => "snoop",
        })
    }
}

/// A mapped reader releases the pages it read and updates its progress
/// every this many frames (a cheap check; the release is a system call
/// every 2 MiB at most).
const RELEASE_EVERY: u64 = 1024;

/// The format-specific record reader.
#[derive(Debug)]
enum Decoder {
    Pcap(PcapReader),
    Pcapng(PcapngReader),
    Snoop(SnoopReader),
}

/// A streaming reader of pcap, pcapng and snoop captures, gzipped or not.
///
/// Memory is constant: one input buffer, one frame buffer as large as the
/// largest frame so far (at most `Limits::max_frame`), and the pcapng
/// interface table (at most `Limits::max_capture_interfaces` entries).
pub struct CaptureReader {
    input: Input,
    decoder: Decoder,
    format: CaptureFormat,
    gzipped: bool,
    raw_bytes: Arc<AtomicU64>,
    buf: Vec<u8>,
    frames: u64,
    done: bool,
}

impl fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureReader")
            .field("format", &self.format)
            .field("gzipped", &self.gzipped)
            .field("frames", &self.frames)
            .field("offset", &self.input.pos())
            .field("done", &self.done)
            .finish()
    }
}

impl CaptureReader {
    /// Opens a capture file; the path `-` reads standard input. A regular
    /// file that is not gzipped is memory-mapped (frames then borrow the
    /// mapping, no copy); anything else is streamed.
    pub fn open(path: &Path, limits: &Limits) -> Result<Self, CaptureError> {
        if path.as_os_str() == "-" {
            return Self::from_reader(Box::new(io::stdin()), limits);
        }
        let file = File::open(path).map_err(CaptureError::Open)?;
        // A mapping that fails (an exotic file system) is no error: stream.
        if let Ok(Some(m)) = Mapped::open(&file) {
            if !m.bytes().starts_with(&[0x1f, 0x8b]) {
                return Self::from_mapped(m, limits);
            }
        }
        Self::from_reader(Box::new(file), limits)
    }

    /// Reads a mapped, uncompressed capture.
    fn from_mapped(m: Mapped, limits: &Limits) -> Result<Self, CaptureError> {
        let n = m.bytes().len().min(8);
        let mut magic = [0u8; 8];
        magic[..n].copy_from_slice(&m.bytes()[..n]);
        Self::with_input(Input::mapped(m), magic, n, false, Arc::default(), limits)
    }

    /// Reads a capture from any byte stream (a pipe, a socket, memory).
    /// Reads the format's file header before returning.
    pub fn from_reader(r: Box<dyn Read + Send>, limits: &Limits) -> Result<Self, CaptureError> {
        let io_err = |source| CaptureError::Io { offset: 0, source };
        let raw_bytes = Arc::new(AtomicU64::new(0));
        let counted: Box<dyn Read + Send> = Box::new(Counting {
            inner: r,
            count: raw_bytes.clone(),
        });
        let (magic, n, r) = peek(counted).map_err(io_err)?;
        let gzipped = magic[..n].starts_with(&[0x1f, 0x8b]);
        let (magic, n, r) = if gzipped {
            let gz = MultiGzDecoder::new(BufReader::with_capacity(BUF_SIZE, r));
            peek(inflate_ahead(Box::new(gz))).map_err(io_err)?
        } else {
            (magic, n, r)
        };
        Self::with_input(Input::new(r), magic, n, gzipped, raw_bytes, limits)
    }

    /// Reads the format's file header from `input`, whose first `n` bytes
    /// are `magic`.
    fn with_input(
        mut input: Input,
        magic: [u8; 8],
        n: usize,
        gzipped: bool,
        raw_bytes: Arc<AtomicU64>,
        limits: &Limits,
    ) -> Result<Self, CaptureError> {
        let head = &magic[..n];
        let max = limits.max_frame;
        let (format, decoder) = if is_pcap(head) {
            let d = PcapReader::open(&mut input, max)?;
            (CaptureFormat::Pcap, Decoder::Pcap(d))
        } else if is_pcapng(head) {
            let d = PcapngReader::open(&mut input, max, limits.max_capture_interfaces)?;
            (CaptureFormat::Pcapng, Decoder::Pcapng(d))
        } else if is_snoop(head) {
            let d = SnoopReader::open(&mut input, max)?;
            (CaptureFormat::Snoop, Decoder::Snoop(d))
        } else {
            return Err(CaptureError::NotACapture {
                first_bytes: magic,
                len: n as u8,
                gzipped,
            });
        };
        Ok(CaptureReader {
            input,
            decoder,
            format,
            gzipped,
            raw_bytes,
            buf: Vec::new(),
            frames: 0,
            done: false,
        })
    }

    /// The container format.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// True when the input was gzip-compressed.
    pub fn gzipped(&self) -> bool {
        self.gzipped
    }

    /// Frames returned so far.
    pub fn frames_read(&self) -> u64 {
        self.frames
    }

    /// The next frame, `Ok(None)` at the end. The frame borrows a buffer
    /// that is reused for every frame (no allocation per frame).
    ///
    /// A truncated or corrupt record is reported once as `Err`, after every
    /// frame before it; every call after an `Err` returns `Ok(None)`.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let (input, buf, after) = (&mut self.input, &mut self.buf, self.frames);
        let result = match &mut self.decoder {
            Decoder::Pcap(d) => d.next(input, buf, after),
            Decoder::Pcapng(d) => d.next(input, buf, after),
            Decoder::Snoop(d) => d.next(input, buf, after),
        };
        match result {
            Ok(Some(rec)) => {
                self.frames += 1;
                let data = match rec.at {
                    Place::Buf => &self.buf[..rec.len],
                    Place::Map(at) => {
                        if self.frames.is_multiple_of(RELEASE_EVERY) {
                            self.input.release(at);
                            self.raw_bytes.store(self.input.pos(), Ordering::Relaxed);
                        }
                        &self.input.map_bytes()[at..at + rec.len]
                    }
                };
                Ok(Some(Frame {
                    number: self.frames,
                    ts: rec.ts,
                    link: rec.link,
                    data,
                    orig_len: rec.orig_len,
                }))
            }
            Ok(None) => {
                self.done = true;
                if self.input.is_mapped() {
                    self.raw_bytes.store(self.input.pos(), Ordering::Relaxed);
                }
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// Bytes of the underlying (possibly compressed) input consumed so far,
    /// for progress bars. Runs ahead of the frames by up to two read buffers
    /// (a few chunks more for gzip), behind by up to `RELEASE_EVERY`
    /// frames for a mapped file.
    pub fn bytes_read(&self) -> u64 {
        self.raw_bytes.load(Ordering::Relaxed)
    }

    /// True when the file is memory-mapped.
    pub fn is_mapped(&self) -> bool {
        self.input.is_mapped()
    }
}
