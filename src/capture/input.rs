//! The byte source under every format reader.
//!
//! [`Input`] is either a memory-mapped file ([`Mapped`]: frames are handed
//! out without a copy, [`Place::Map`]) or a large [`BufReader`] over a
//! stream (a pipe, stdin, gunzipped data; frames are copied into the
//! caller's buffer, [`Place::Buf`]). Either way it knows its offset, so
//! format readers can say where a record starts and how much of it was
//! there. Gzip is inflated on a thread of its own ([`inflate_ahead`]). It also holds the helpers shared by the readers:
//! byte-order decoding ([`Endian`]) and the [`Record`] they hand back.
//! No format logic lives here.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::mapped::Mapped;
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
    /// Where its bytes are.
    pub at: Place,
}

/// Where a frame's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// At the front of the caller's frame buffer.
    Buf,
    /// At this offset of the mapped file.
    Map(usize),
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

/// Where the bytes come from.
enum Src {
    Stream(BufReader<Box<dyn Read + Send>>),
    Mapped(Mapped),
}

/// Capture data with its current offset.
pub(crate) struct Input {
    src: Src,
    pos: u64,
}

impl Input {
    pub fn new(r: Box<dyn Read + Send>) -> Self {
        Input {
            src: Src::Stream(BufReader::with_capacity(BUF_SIZE, r)),
            pos: 0,
        }
    }

    /// A mapped file, read from its first byte.
    pub fn mapped(m: Mapped) -> Self {
        Input {
            src: Src::Mapped(m),
            pos: 0,
        }
    }

    /// Offset of the next byte in the capture data.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// The mapped file's bytes (empty for a stream).
    pub fn map_bytes(&self) -> &[u8] {
        match &self.src {
            Src::Mapped(m) => m.bytes(),
            Src::Stream(_) => &[],
        }
    }

    /// Whether the input is a mapped file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.src, Src::Mapped(_))
    }

    /// The bytes before offset `upto` will not be needed again.
    pub fn release(&mut self, upto: usize) {
        if let Src::Mapped(m) = &mut self.src {
            m.release_before(upto);
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

    /// Copies up to `buf.len()` bytes; the count copied.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, CaptureError> {
        let n = match &mut self.src {
            Src::Stream(r) => read_full(r, buf).map_err(|e| CaptureError::Io {
                offset: self.pos,
                source: e,
            })?,
            Src::Mapped(m) => {
                let at = (self.pos as usize).min(m.bytes().len());
                let n = buf.len().min(m.bytes().len() - at);
                buf[..n].copy_from_slice(&m.bytes()[at..at + n]);
                n
            }
        };
        self.pos += n as u64;
        Ok(n)
    }

    /// Reads the first bytes of a record. `Ok(false)` when the input ends
    /// cleanly before it; a truncation error when it ends inside it.
    pub fn header(&mut self, buf: &mut [u8], unit: Unit) -> Result<bool, CaptureError> {
        let n = self.fill(buf)?;
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
        let n = self.fill(buf)?;
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

    /// The `len` bytes of a frame: left in place in a mapped file, else
    /// read into the front of `buf` (as [`Input::exact_into`]).
    pub fn frame(
        &mut self,
        buf: &mut Vec<u8>,
        len: usize,
        unit: Unit,
    ) -> Result<Place, CaptureError> {
        if let Src::Mapped(m) = &self.src {
            let at = self.pos as usize;
            let have = m.bytes().len().saturating_sub(at);
            if have < len {
                self.pos += have as u64;
                let wanted = (self.pos - unit.start) + (len - have) as u64;
                return Err(self.truncated(unit, wanted));
            }
            self.pos += len as u64;
            return Ok(Place::Map(at));
        }
        self.exact_into(buf, len, unit)?;
        Ok(Place::Buf)
    }

    /// Skips `n` bytes of `unit`.
    pub fn skip(&mut self, n: u64, unit: Unit) -> Result<(), CaptureError> {
        let r = match &mut self.src {
            Src::Stream(r) => r,
            Src::Mapped(m) => {
                let have = (m.bytes().len() as u64).saturating_sub(self.pos);
                if have < n {
                    self.pos += have;
                    return Err(self.truncated(unit, (self.pos - unit.start) + (n - have)));
                }
                self.pos += n;
                return Ok(());
            }
        };
        let mut left = n;
        while left > 0 {
            let avail = match r.fill_buf() {
                Ok(b) => b.len(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(CaptureError::Io {
                        offset: self.pos,
                        source: e,
                    })
                }
            };
            if avail == 0 {
                return Err(self.truncated(unit, (self.pos - unit.start) + left));
            }
            let k = avail.min(usize::try_from(left).unwrap_or(usize::MAX));
            r.consume(k);
            self.pos += k as u64;
            left -= k as u64;
        }
        Ok(())
    }
}

/// Chunks of inflated data queued ahead of the reader by [`inflate_ahead`]:
/// 4 x 256 KiB, so the inflating thread runs ahead by at most 1 MiB.
const INFLATE_AHEAD_CHUNKS: usize = 4;

/// Runs `r` (a gzip decoder) on a thread of its own and returns a reader of
/// its output: inflating (~40% of the time of reading a gzipped capture)
/// then overlaps with decoding. Errors reach the reader in order; the
/// thread ends at the end of the data, after an error, or when the reader
/// is dropped. Falls back to reading `r` in place if no thread can be made.
pub(crate) fn inflate_ahead(r: Box<dyn Read + Send>) -> Box<dyn Read + Send> {
    use std::sync::mpsc;
    let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(INFLATE_AHEAD_CHUNKS);
    let (give, spares) = mpsc::sync_channel::<Vec<u8>>(INFLATE_AHEAD_CHUNKS + 2);
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(r)));
    let theirs = slot.clone();
    let spawned = std::thread::Builder::new()
        .name("rpcscope-gunzip".into())
        .spawn(move || {
            let Some(mut r) = theirs.lock().ok().and_then(|mut g| g.take()) else {
                return;
            };
            loop {
                let mut chunk = spares.try_recv().unwrap_or_default();
                chunk.resize(BUF_SIZE, 0);
                match read_full(&mut r, &mut chunk) {
                    Ok(n) => {
                        chunk.truncate(n);
                        let end = n == 0;
                        if tx.send(Ok(chunk)).is_err() || end {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        });
    if spawned.is_err() {
        if let Some(r) = slot.lock().ok().and_then(|mut g| g.take()) {
            return r;
        }
    }
    Box::new(Ahead {
        rx,
        give,
        cur: Vec::new(),
        at: 0,
        done: false,
    })
}

/// The reading side of [`inflate_ahead`].
struct Ahead {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    give: std::sync::mpsc::SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    at: usize,
    done: bool,
}

impl Read for Ahead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.cur.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let old = std::mem::replace(&mut self.cur, chunk);
                    let _ = self.give.try_send(old);
                    self.at = 0;
                    if self.cur.is_empty() {
                        self.done = true;
                    }
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other("the gzip thread ended early"));
                }
            }
        }
        let n = buf.len().min(self.cur.len() - self.at);
        buf[..n].copy_from_slice(&self.cur[self.at..self.at + n]);
        self.at += n;
        Ok(n)
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
