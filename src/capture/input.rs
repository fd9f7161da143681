//! The byte source under every format reader.
//!
//! [`Input`] is a large [`BufReader`] over the (possibly gunzipped) data that
//! knows its offset, so format readers can say where a record starts and how
//! much of it was there. It also holds the helpers shared by the readers:
//! byte-order decoding ([`Endian`]) and the [`Record`] they hand back.
//! No format logic lives here.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{CaptureError, LinkType, Timestamp};

/// Buffer size for reading capture data: large enough that a read system
/// call (or an inflate call) moves many frames at once.
pub(crate) const BUF_SIZE: usize = 256 * 1024;

/// What a format reader returns for one packet; the bytes are the first
/// `len` bytes of the caller's frame buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record {
    pub ts: Timestamp,
    pub link: LinkType,
    pub len: usize,
    pub orig_len: u32,
}

/// The record or block being read, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unit {
    /// E.g. "pcap record".
    pub what: &'static str,
    /// Offset of its first byte.
    pub start: u64,
    /// Its full length in bytes, when known.
    pub len: u64,
    /// Frames returned before it.
    pub after_frame: u64,
}

impl Unit {
    /// A `Malformed` error about this unit.
    pub fn malformed(&self, what: &'static str, value: u64) -> CaptureError {
        CaptureError::Malformed {
            offset: self.start,
            after_frame: self.after_frame,
            what,
            value,
        }
    }
    /// A `TooLarge` error about this unit.
    pub fn too_large(&self, what: &'static str, len: u64, max: usize) -> CaptureError {
        CaptureError::TooLarge {
            offset: self.start,
            after_frame: self.after_frame,
            what,
            len,
            max: max as u64,
        }
    }
}

/// Counts the bytes pulled from the raw (possibly compressed) input.
pub(crate) struct Counting<R> {
    pub inner: R,
    pub count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads up to 8 bytes from the front of `r` and returns them with a reader
/// that yields the same bytes again followed by the rest of `r`.
pub(crate) fn peek(
    mut r: Box<dyn Read + Send>,
) -> io::Result<([u8; 8], usize, Box<dyn Read + Send>)> {
    let mut magic = [0u8; 8];
    let n = read_full(&mut r, &mut magic)?;
    let front = io::Cursor::new(magic[..n].to_vec());
    Ok((magic, n, Box::new(front.chain(r))))
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Buffered capture data with its current offset.
pub(crate) struct Input {
    r: BufReader<Box<dyn Read + Send>>,
    pos: u64,
}

impl Input {
    pub fn new(r: Box<dyn Read + Send>) -> Self {
        Input {
            r: BufReader::with_capacity(BUF_SIZE, r),
            pos: 0,
        }
    }

    /// Offset of the next byte in the capture data.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    fn io_error(&self, source: io::Error) -> CaptureError {
        CaptureError::Io {
            offset: self.pos,
            source,
        }
    }

    fn truncated(&self, unit: Unit, wanted: u64) -> CaptureError {
        CaptureError::Truncated {
            offset: unit.start,
            after_frame: unit.after_frame,
            what: unit.what,
            wanted: wanted.max(unit.len),
            got: self.pos - unit.start,
        }
    }

    /// Reads the first bytes of a record. `Ok(false)` when the input ends
    /// cleanly before it; a truncation error when it ends inside it.
    pub fn header(&mut self, buf: &mut [u8], unit: Unit) -> Result<bool, CaptureError> {
        let n = read_full(&mut self.r, buf).map_err(|e| self.io_error(e))?;
        self.pos += n as u64;
        if n == 0 {
            Ok(false)
        } else if n < buf.len() {
            let wanted = (self.pos - unit.start) + (buf.len() - n) as u64;
            Err(self.truncated(unit, wanted))
        } else {
            Ok(true)
        }
    }

    /// Fills `buf`, part of `unit`; the input ending first is a truncation.
    pub fn exact(&mut self, buf: &mut [u8], unit: Unit) -> Result<(), CaptureError> {
        let n = read_full(&mut self.r, buf).map_err(|e| self.io_error(e))?;
        self.pos += n as u64;
        if n < buf.len() {
            let wanted = (self.pos - unit.start) + (buf.len() - n) as u64;
            return Err(self.truncated(unit, wanted));
        }
        Ok(())
    }

    /// Reads `len` bytes into the front of `buf`, growing it only when a
    /// frame is larger than any before (so steady state never allocates).
    /// The caller has checked `len` against `Limits::max_frame`.
    pub fn exact_into(
        &mut self,
        buf: &mut Vec<u8>,
        len: usize,
        unit: Unit,
    ) -> Result<(), CaptureError> {
        if buf.len() < len {
            buf.resize(len, 0);
        }
        self.exact(&mut buf[..len], unit)
    }

    /// Skips `n` bytes of `unit`.
    pub fn skip(&mut self, n: u64, unit: Unit) -> Result<(), CaptureError> {
        let mut left = n;
        while left > 0 {
            let avail = match self.r.fill_buf() {
                Ok(b) => b.len(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(e)),
            };
            if avail == 0 {
                return Err(self.truncated(unit, (self.pos - unit.start) + left));
            }
            let k = avail.min(usize::try_from(left).unwrap_or(usize::MAX));
            self.r.consume(k);
            self.pos += k as u64;
            left -= k as u64;
        }
        Ok(())
    }
}

/// Byte order of a file, section or record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    /// Reads a u16 at `at`; callers pass fixed-size headers, so `at + 2` is
    /// always in range.
    pub fn u16(self, b: &[u8], at: usize) -> u16 {
        let a = [b[at], b[at + 1]];
        match self {
            Endian::Little => u16::from_le_bytes(a),
            Endian::Big => u16::from_be_bytes(a),
        }
    }
    /// Reads a u32 at `at` (in range, as for [`Endian::u16`]).
    pub fn u32(self, b: &[u8], at: usize) -> u32 {
        let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        match self {
            Endian::Little => u32::from_le_bytes(a),
            Endian::Big => u32::from_be_bytes(a),
        }
    }
    /// Reads a u64 at `at` (in range, as for [`Endian::u16`]).
    pub fn u64(self, b: &[u8], at: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at..at + 8]);
        match self {
            Endian::Little => u64::from_le_bytes(a),
            Endian::Big => u64::from_be_bytes(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte per call, like a slow pipe.
    struct Trickle(Vec<u8>, usize);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.1 >= self.0.len() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[self.1];
            self.1 += 1;
            Ok(1)
        }
    }

    fn unit() -> Unit {
        Unit {
            what: "test unit",
            start: 0,
            len: 0,
            after_frame: 0,
        }
    }

    #[test]
    fn peek_returns_bytes_and_replays_them() {
        let (magic, n, mut r) = peek(Box::new(Trickle(b"0123456789".to_vec(), 0))).unwrap();
        assert_eq!((&magic, n), (b"01234567", 8));
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"0123456789");
    }

    #[test]
    fn peek_short_input() {
        let (_, n, mut r) = peek(Box::new(io::Cursor::new(b"ab".to_vec()))).unwrap();
        assert_eq!(n, 2);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"ab");
    }

    #[test]
    fn header_distinguishes_clean_end_from_truncation() {
        let mut input = Input::new(Box::new(io::Cursor::new(vec![1, 2, 3])));
        let mut b = [0u8; 2];
        assert!(input.header(&mut b, unit()).unwrap());
        match input.header(&mut b, Unit { start: 2, ..unit() }) {
            Err(CaptureError::Truncated { wanted, got, .. }) => assert_eq!((wanted, got), (2, 1)),
            other => panic!("{other:?}"),
        }
        assert!(!input.header(&mut b, unit()).unwrap());
    }

    #[test]
    fn skip_past_end_is_truncation() {
        let mut input = Input::new(Box::new(io::Cursor::new(vec![0; 10])));
        input.skip(4, unit()).unwrap();
        assert_eq!(input.pos(), 4);
        match input.skip(100, unit()) {
            Err(CaptureError::Truncated { wanted, got, .. }) => {
                assert_eq!((wanted, got), (104, 10))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn counting_counts() {
        let count = Arc::new(AtomicU64::new(0));
        let mut c = Counting {
            inner: io::Cursor::new(vec![0; 1000]),
            count: count.clone(),
        };
        io::copy(&mut c, &mut io::sink()).unwrap();
        assert_eq!(count.load(Ordering::Relaxed), 1000);
    }

    #[test]
    fn endian_reads() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(Endian::Little.u16(&b, 0), 0x0201);
        assert_eq!(Endian::Big.u32(&b, 1), 0x0203_0405);
        assert_eq!(Endian::Big.u64(&b, 0), 0x0102_0304_0506_0708);
    }
}
