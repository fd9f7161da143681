//! Strict server-side record assembly: TCP bytes in, whole call records out.
//!
//! The analyzer's [`crate::rpc::RecordReader`] is built for captures: it
//! clips, tolerates gaps and resynchronises. A server must do the opposite:
//! trust nothing, and on the first violation stop reading the connection.
//! [`RecordAssembler`] reuses [`RecordMark`] for the wire format and
//! enforces two bounds from [`Limits`]:
//!
//! * a fragment whose mark would take the record past `server_max_record` is
//!   refused as soon as its mark is read, before any byte of it is buffered
//!   (the record buffer only ever grows by bytes actually received);
//! * a record of more than `server_max_fragments` fragments is refused.
//!
//! Contract: sans-IO (bytes in, records out through a callback), never
//! panics, memory bounded by `server_max_record` plus four bytes. After an
//! error the assembler stays failed: the connection must be closed.

use core::fmt;

use crate::limits::Limits;
use crate::rpc::RecordMark;

/// Why a connection's framing was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordError {
    /// A fragment mark would make the record longer than the limit.
    TooLarge {
        /// Bytes the record would hold with this fragment.
        claimed: u64,
        /// `server_max_record`.
        max: u32,
        /// Offset of the offending mark in the connection's byte stream.
        offset: u64,
    },
    /// The record has more fragments than the limit.
    TooManyFragments {
        /// `server_max_fragments`.
        max: u32,
        /// Offset of the offending mark in the connection's byte stream.
        offset: u64,
    },
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RecordError::TooLarge {
                claimed,
                max,
                offset,
            } => write!(
                f,
                "record mark at stream byte {offset} makes the record {claimed} bytes > max {max}"
            ),
            RecordError::TooManyFragments { max, offset } => write!(
                f,
                "record mark at stream byte {offset} is fragment {} of one record > max {max}",
                max as u64 + 1
            ),
        }
    }
}

impl std::error::Error for RecordError {}

/// Assembles records from one TCP connection's byte stream.
#[derive(Debug)]
pub struct RecordAssembler {
    max_record: u32,
    max_fragments: u32,
    mark: [u8; 4],
    mark_have: usize,
    /// Bytes still to come of the current fragment.
    frag_left: u32,
    /// The current fragment is the record's last.
    last: bool,
    fragments: u32,
    record: Vec<u8>,
    /// Bytes consumed from the stream so far (for error offsets).
    offset: u64,
    failed: Option<RecordError>,
}

impl RecordAssembler {
    /// A fresh assembler with the server bounds of `limits`.
    pub fn new(limits: &Limits) -> Self {
        RecordAssembler {
            max_record: limits.server_max_record,
            max_fragments: limits.server_max_fragments,
            mark: [0; 4],
            mark_have: 0,
            frag_left: 0,
            last: false,
            fragments: 0,
            record: Vec::new(),
            offset: 0,
            failed: None,
        }
    }

    /// True while part of a record (even part of its first mark) has been
    /// received but not the whole record: the record deadline is running.
    pub fn in_record(&self) -> bool {
        self.mark_have > 0 || self.fragments > 0
    }

    /// Feed the next bytes of the stream. Each completed record is passed to
    /// `on_record`; when it returns `false` feeding stops (the caller is
    /// closing the connection) and `Ok(false)` is returned. A framing
    /// violation is returned as an error, and every later call repeats it.
    pub fn push(
        &mut self,
        mut data: &[u8],
        mut on_record: impl FnMut(&[u8]) -> bool,
    ) -> Result<bool, RecordError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        while !data.is_empty() {
            if self.frag_left == 0 && self.mark_have < 4 {
                let take = (4 - self.mark_have).min(data.len());
                self.mark[self.mark_have..self.mark_have + take].copy_from_slice(&data[..take]);
                self.mark_have += take;
                data = &data[take..];
                self.offset += take as u64;
                if self.mark_have < 4 {
                    break;
                }
                let mark = RecordMark::from_bytes(self.mark);
                let mark_at = self.offset - 4;
                if self.fragments >= self.max_fragments {
                    return Err(self.fail(RecordError::TooManyFragments {
                        max: self.max_fragments,
                        offset: mark_at,
                    }));
                }
                let claimed = self.record.len() as u64 + u64::from(mark.len);
                if claimed > u64::from(self.max_record) {
                    return Err(self.fail(RecordError::TooLarge {
                        claimed,
                        max: self.max_record,
                        offset: mark_at,
                    }));
                }
                self.fragments += 1;
                self.frag_left = mark.len;
                self.last = mark.last;
            } else {
                let take = (self.frag_left as usize).min(data.len());
                self.record.extend_from_slice(&data[..take]);
                self.frag_left -= take as u32;
                data = &data[take..];
                self.offset += take as u64;
            }
            if self.frag_left == 0 && self.mark_have == 4 {
                // Fragment complete: the next bytes are a mark.
                self.mark_have = 0;
                if self.last {
                    let keep_going = on_record(&self.record);
                    self.record.clear();
                    self.fragments = 0;
                    self.last = false;
                    if !keep_going {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }

    fn fail(&mut self, e: RecordError) -> RecordError {
        self.failed = Some(e);
        self.record = Vec::new();
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::encode_record;

    fn limits(max_record: u32, max_fragments: u32) -> Limits {
        Limits {
            server_max_record: max_record,
            server_max_fragments: max_fragments,
            ..Limits::default()
        }
    }

    fn collect(a: &mut RecordAssembler, data: &[u8]) -> Result<Vec<Vec<u8>>, RecordError> {
        let mut out = Vec::new();
        a.push(data, |r| {
            out.push(r.to_vec());
            true
        })?;
        Ok(out)
    }

    #[test]
    fn records_survive_every_segmentation() {
        let mut stream = Vec::new();
        encode_record(b"first message", 4, &mut stream);
        encode_record(b"", 4, &mut stream);
        encode_record(&[7u8; 100], 1000, &mut stream);
        let want = vec![b"first message".to_vec(), vec![], vec![7u8; 100]];
        for chunk in 1..=stream.len() {
            let mut a = RecordAssembler::new(&limits(1000, 100));
            let mut got = Vec::new();
            for piece in stream.chunks(chunk) {
                got.extend(collect(&mut a, piece).unwrap());
            }
            assert_eq!(got, want, "chunk size {chunk}");
            assert!(!a.in_record());
        }
    }

    #[test]
    fn oversized_mark_is_refused_before_buffering() {
        let mut a = RecordAssembler::new(&limits(1000, 100));
        // last fragment, length 0x7fffffff, then a few bytes.
        let e = collect(&mut a, &[0xff, 0xff, 0xff, 0xff, 1, 2, 3]).unwrap_err();
        assert_eq!(
            e,
            RecordError::TooLarge {
                claimed: 0x7fff_ffff,
                max: 1000,
                offset: 0
            }
        );
        assert_eq!(a.record.capacity(), 0);
        // Failed for good.
        assert_eq!(collect(&mut a, &[0, 0, 0, 0]).unwrap_err(), e);
    }

    #[test]
    fn fragments_summing_past_the_limit_are_refused() {
        let mut a = RecordAssembler::new(&limits(10, 100));
        let mut s = Vec::new();
        encode_record(&[1u8; 11], 6, &mut s); // fragments of 6 and 5
        let e = collect(&mut a, &s).unwrap_err();
        assert_eq!(
            e,
            RecordError::TooLarge {
                claimed: 11,
                max: 10,
                offset: 10
            }
        );
        assert!(e.to_string().contains("stream byte 10"));
    }

    #[test]
    fn too_many_fragments_are_refused() {
        let mut a = RecordAssembler::new(&limits(1000, 3));
        let mut s = Vec::new();
        encode_record(&[1u8; 3], 1, &mut s); // exactly 3 fragments: fine
        assert_eq!(collect(&mut a, &s).unwrap(), vec![vec![1u8; 3]]);
        let zero_frag = [0u8, 0, 0, 0]; // not last, length 0
        let e = collect(
            &mut a,
            &[zero_frag, zero_frag, zero_frag, zero_frag].concat(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            RecordError::TooManyFragments {
                max: 3,
                offset: 15 + 12 // 3 one-byte fragments, then 3 empty ones
            }
        );
    }

    #[test]
    fn in_record_tracks_partial_marks_and_bodies() {
        let mut a = RecordAssembler::new(&limits(1000, 10));
        assert!(!a.in_record());
        collect(&mut a, &[0x80]).unwrap();
        assert!(a.in_record());
        collect(&mut a, &[0, 0, 2, 9]).unwrap();
        assert!(a.in_record());
        assert_eq!(collect(&mut a, &[9]).unwrap(), vec![vec![9, 9]]);
        assert!(!a.in_record());
    }

    #[test]
    fn callback_can_stop_feeding() {
        let mut a = RecordAssembler::new(&limits(1000, 10));
        let mut s = Vec::new();
        encode_record(b"a", 10, &mut s);
        encode_record(b"b", 10, &mut s);
        let mut n = 0;
        assert_eq!(
            a.push(&s, |_| {
                n += 1;
                false
            }),
            Ok(false)
        );
        assert_eq!(n, 1);
    }
}
