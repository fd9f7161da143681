//! Record marking (RFC 5531 section 11): how RPC messages are framed on TCP.
//!
//! Each record is one or more fragments, each preceded by a 4-byte mark: the
//! high bit says "last fragment", the low 31 bits give the fragment length.
//! [`RecordMark`] parses and emits one mark; [`encode_record`] frames a
//! message; [`RecordReader`] is the streaming decoder, fed TCP payload and
//! gaps in stream order, which hands out whole records with their marks
//! removed. Message parsing never sees a mark, and UDP never invents one.
//!
//! Contract for the reader: it never panics, never reads a clock and never
//! does I/O. Memory is bounded whatever the stream holds: a record keeps at
//! most `Limits::record_keep` bytes, resynchronisation buffers at most
//! `Limits::resync_window` bytes (plus a few hundred for the next header),
//! and a replay of buffered bytes after a resync never exceeds that window.
//! A record mark larger than `max_record`, more than `max_record_fragments`
//! fragments, or a gap over a mark loses framing ([`RecordEvent::LostSync`]);
//! the reader then searches for a mark followed by a plausible RPC header
//! whose successor mark also chains, and reports [`RecordEvent::Resynced`].

use super::error::RpcError;

mod assembler;
mod reader;
mod resync;

pub use assembler::{RecordAssembler, RecordError};
pub use reader::{RecordEvent, RecordReader};

/// One record mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RecordMark {
    /// This is the record's last fragment.
    pub last: bool,
    /// Fragment length, at most [`RecordMark::MAX_LEN`].
    pub len: u32,
}

impl RecordMark {
    /// Bytes of a mark on the wire.
    pub const SIZE: usize = 4;
    /// Largest fragment length a mark can carry (31 bits).
    pub const MAX_LEN: u32 = 0x7fff_ffff;
    const LAST: u32 = 0x8000_0000;

    /// Decode a mark from its four bytes.
    pub fn from_bytes(b: [u8; 4]) -> Self {
        let v = u32::from_be_bytes(b);
        RecordMark {
            last: v & Self::LAST != 0,
            len: v & Self::MAX_LEN,
        }
    }

    /// Decode the mark at the start of `buf`.
    pub fn parse(buf: &[u8]) -> Result<Self, RpcError> {
        match buf.get(..4) {
            Some(b) => Ok(Self::from_bytes([b[0], b[1], b[2], b[3]])),
            None => Err(RpcError::truncated("record_mark", 0, 4 - buf.len())),
        }
    }

    /// The four bytes of this mark (a `len` over 31 bits is cut to 31).
    pub fn to_bytes(self) -> [u8; 4] {
        let last = if self.last { Self::LAST } else { 0 };
        (last | (self.len & Self::MAX_LEN)).to_be_bytes()
    }

    /// Append this mark.
    pub fn emit(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }
}

/// Frame `message` as one record of fragments of at most `max_fragment`
/// bytes (clamped to 1..=[`RecordMark::MAX_LEN`]), the last one marked last.
/// An empty message is one empty last fragment.
pub fn encode_record(message: &[u8], max_fragment: usize, out: &mut Vec<u8>) {
    let max = max_fragment.clamp(1, RecordMark::MAX_LEN as usize);
    out.reserve(message.len() + 4 * message.len().div_ceil(max).max(1));
    let mut chunks = message.chunks(max).peekable();
    if chunks.peek().is_none() {
        RecordMark { last: true, len: 0 }.emit(out);
    }
    while let Some(chunk) = chunks.next() {
        RecordMark {
            last: chunks.peek().is_none(),
            len: chunk.len() as u32,
        }
        .emit(out);
        out.extend_from_slice(chunk);
    }
}

#[cfg(test)]
#[cfg(test)]
mod tests;
