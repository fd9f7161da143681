//! [`CaptureReader`]: opens a file or stream, detects gzip and the capture
//! format by content, and yields frames one at a time from a reused buffer.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;

use super::input::{peek, Counting, Input, BUF_SIZE};
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
    /// Opens a capture file; the path `-` reads standard input.
    pub fn open(path: &Path, limits: &Limits) -> Result<Self, CaptureError> {
        if path.as_os_str() == "-" {
            return Self::from_reader(Box::new(io::stdin()), limits);
        }
        let file = File::open(path).map_err(CaptureError::Open)?;
        Self::from_reader(Box::new(file), limits)
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
            peek(Box::new(gz)).map_err(io_err)?
        } else {
            (magic, n, r)
        };
        let head = &magic[..n];
        let mut input = Input::new(r);
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
                Ok(Some(Frame {
                    number: self.frames,
                    ts: rec.ts,
                    link: rec.link,
                    data: &self.buf[..rec.len],
                    orig_len: rec.orig_len,
                }))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// Bytes of the underlying (possibly compressed) input consumed so far,
    /// for progress bars. Runs ahead of the frames by up to two read buffers.
    pub fn bytes_read(&self) -> u64 {
        self.raw_bytes.load(Ordering::Relaxed)
    }
}
