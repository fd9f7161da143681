//! XDR (RFC 4506), written once: [`XdrReader`] decodes and [`XdrWriter`]
//! encodes the primitive types every RPC header and program body is made of.
//!
//! Padding to a multiple of four bytes, length caps, counted arrays and
//! optional-data live here and nowhere else, so a body decoder reads like its
//! `.x` file, one line per field:
//!
//! ```
//! # use rpcscope::rpc::xdr::XdrReader;
//! // struct { unsigned int uid; string name<8>; }
//! let wire = [0, 0, 0, 7, 0, 0, 0, 3, b'b', b'o', b'b', 0];
//! let mut r = XdrReader::new(&wire);
//! let uid = r.u32("uid")?;
//! let name = r.string(8, "name")?;
//! assert_eq!((uid, name), (7, &b"bob"[..]));
//! # Ok::<(), rpcscope::rpc::RpcError>(())
//! ```
//!
//! Contract: the reader never panics and never allocates more than a bounded
//! multiple of its input (variable data is borrowed, not copied; arrays
//! pre-allocate at most one slot per four remaining input bytes). Every error
//! carries the field name and its byte offset. The writer appends to a
//! `Vec<u8>` and cannot fail. The reader is built on `nom` streaming parsers,
//! which stay private to this module.

use nom::bytes::streaming::take;
use nom::error::Error as NomError;
use nom::number::streaming::{be_u32, be_u64};
use nom::{Err as NomErr, Needed, Parser};

use super::error::RpcError;

/// Bytes of zero padding after `len` bytes of opaque data.
pub const fn pad_len(len: usize) -> usize {
    (4 - (len % 4)) % 4
}

/// `len` rounded up to a multiple of four: the wire size of `opaque[len]`.
pub const fn padded(len: usize) -> usize {
    len + pad_len(len)
}

/// A cursor over XDR-encoded bytes. Borrowed results point into the input.
#[derive(Debug, Clone)]
pub struct XdrReader<'a> {
    input: &'a [u8],
    pos: usize,
    base: usize,
    strict_padding: bool,
}

type In<'a> = &'a [u8];

impl<'a> XdrReader<'a> {
    /// A reader at the start of `input`; error offsets count from its start.
    pub fn new(input: &'a [u8]) -> Self {
        Self::with_base(input, 0)
    }

    /// A reader whose error offsets are reported as `base` plus the position
    /// in `input` (for buffers nested inside a larger message).
    pub fn with_base(input: &'a [u8], base: usize) -> Self {
        XdrReader {
            input,
            pos: 0,
            base,
            strict_padding: false,
        }
    }

    /// Reject non-zero padding bytes as `Invalid`. By default padding is only
    /// required to be present: RFC 4506 says it is zero, but common
    /// implementations (Linux sunrpc, libtirpc) do not check it either.
    pub fn strict(mut self) -> Self {
        self.strict_padding = true;
        self
    }

    /// Offset of the next byte, as reported in errors.
    pub fn offset(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not consumed yet.
    pub fn remaining(&self) -> &'a [u8] {
        &self.input[self.pos..]
    }

    /// True when every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// Consume and return every remaining byte.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.remaining();
        self.pos = self.input.len();
        rest
    }

    /// Run a nom parser on the remaining input, mapping its outcome to ours.
    fn run<T>(
        &mut self,
        field: &'static str,
        mut parser: impl Parser<In<'a>, Output = T, Error = NomError<In<'a>>>,
    ) -> Result<T, RpcError> {
        match parser.parse(self.remaining()) {
            Ok((rest, value)) => {
                self.pos = self.input.len() - rest.len();
                Ok(value)
            }
            Err(NomErr::Incomplete(Needed::Size(n))) => {
                Err(RpcError::truncated(field, self.offset(), n.get()))
            }
            Err(NomErr::Incomplete(Needed::Unknown)) => {
                Err(RpcError::truncated(field, self.offset(), 1))
            }
            // Our parsers only fail by running out of input.
            Err(NomErr::Error(_) | NomErr::Failure(_)) => {
                Err(RpcError::invalid(field, self.offset(), 0u32))
            }
        }
    }

    /// `unsigned int`.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, RpcError> {
        self.run(field, be_u32)
    }

    /// `int`.
    pub fn i32(&mut self, field: &'static str) -> Result<i32, RpcError> {
        self.run(field, be_u32.map(|v| v as i32))
    }

    /// `unsigned hyper`.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, RpcError> {
        self.run(field, be_u64)
    }

    /// `hyper`.
    pub fn i64(&mut self, field: &'static str) -> Result<i64, RpcError> {
        self.run(field, be_u64.map(|v| v as i64))
    }

    /// `bool`: 0 or 1; anything else is `Invalid`.
    pub fn bool(&mut self, field: &'static str) -> Result<bool, RpcError> {
        let at = self.offset();
        match self.u32(field)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(RpcError::invalid(field, at, v)),
        }
    }

    /// An `enum` read into its newtype. Whether the value is allowed is the
    /// caller's decision (open number spaces keep unknown values).
    pub fn enumeration<T: From<u32>>(&mut self, field: &'static str) -> Result<T, RpcError> {
        self.u32(field).map(T::from)
    }

    /// `opaque[len]`: `len` bytes and their padding.
    pub fn opaque_fixed(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], RpcError> {
        let data = self.run(field, take(len))?;
        self.padding(len, field)?;
        Ok(data)
    }

    /// `opaque<max>`: a length, at most `max`, then the bytes and padding.
    pub fn opaque_var(&mut self, max: u32, field: &'static str) -> Result<&'a [u8], RpcError> {
        let at = self.offset();
        let len = self.u32(field)?;
        if len > max {
            return Err(RpcError::too_large(field, at, len.into(), max.into()));
        }
        self.opaque_fixed(len as usize, field)
    }

    /// `string<max>`: like `opaque<max>`; the bytes are returned as they are
    /// (XDR strings are ASCII by convention only).
    pub fn string(&mut self, max: u32, field: &'static str) -> Result<&'a [u8], RpcError> {
        self.opaque_var(max, field)
    }

    /// `T name<max>`: a count, at most `max`, then `count` elements.
    pub fn array<T>(
        &mut self,
        max: u32,
        field: &'static str,
        mut element: impl FnMut(&mut Self) -> Result<T, RpcError>,
    ) -> Result<Vec<T>, RpcError> {
        let count = self.count(max, field)?;
        // Bound the allocation by the input, not by the claimed count.
        let mut items = Vec::with_capacity(count.min(self.remaining().len() / 4));
        for _ in 0..count {
            items.push(element(self)?);
        }
        Ok(items)
    }

    /// `unsigned int name<max>`, borrowed: no allocation, decoded on access.
    pub fn u32_array(&mut self, max: u32, field: &'static str) -> Result<U32Array<'a>, RpcError> {
        let count = self.count(max, field)?;
        let len = count.saturating_mul(4);
        let raw = self.run(field, take(len))?;
        Ok(U32Array { raw })
    }

    /// `T *name` (optional-data): a bool, then the value when it is true.
    pub fn optional<T>(
        &mut self,
        field: &'static str,
        value: impl FnOnce(&mut Self) -> Result<T, RpcError>,
    ) -> Result<Option<T>, RpcError> {
        if self.bool(field)? {
            value(self).map(Some)
        } else {
            Ok(None)
        }
    }

    fn count(&mut self, max: u32, field: &'static str) -> Result<usize, RpcError> {
        let at = self.offset();
        let count = self.u32(field)?;
        if count > max {
            return Err(RpcError::too_large(field, at, count.into(), max.into()));
        }
        Ok(count as usize)
    }

    /// The one place padding is read: present always, zero when strict.
    fn padding(&mut self, len: usize, field: &'static str) -> Result<(), RpcError> {
        let at = self.offset();
        let pad = self.run(field, take(pad_len(len)))?;
        if self.strict_padding {
            if let Some(&b) = pad.iter().find(|&&b| b != 0) {
                return Err(RpcError::invalid(field, at, b));
            }
        }
        Ok(())
    }
}

/// A borrowed `unsigned int<>` array, decoded on access.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct U32Array<'a> {
    raw: &'a [u8],
}

impl<'a> U32Array<'a> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.raw.len() / 4
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.raw.len() < 4
    }

    /// The elements in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u32> + Clone + 'a {
        self.raw
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
}

impl core::fmt::Debug for U32Array<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Appends XDR encodings to a byte vector.
#[derive(Debug)]
pub struct XdrWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> XdrWriter<'a> {
    /// A writer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        XdrWriter { out }
    }

    /// `unsigned int`.
    pub fn put_u32(&mut self, v: u32) -> &mut Self {
        self.out.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// `int`.
    pub fn put_i32(&mut self, v: i32) -> &mut Self {
        self.out.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// `unsigned hyper`.
    pub fn put_u64(&mut self, v: u64) -> &mut Self {
        self.out.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// `hyper`.
    pub fn put_i64(&mut self, v: i64) -> &mut Self {
        self.out.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// `bool`.
    pub fn put_bool(&mut self, v: bool) -> &mut Self {
        self.put_u32(v as u32)
    }

    /// An `enum` from its newtype.
    pub fn put_enum(&mut self, v: impl Into<u32>) -> &mut Self {
        self.put_u32(v.into())
    }

    /// `opaque[n]`: the bytes and their padding.
    pub fn put_opaque_fixed(&mut self, data: &[u8]) -> &mut Self {
        self.out.extend_from_slice(data);
        self.pad(data.len())
    }

    /// `opaque<>`: length, bytes, padding. Lengths past `u32::MAX` cannot be
    /// encoded; callers bound their data long before that.
    pub fn put_opaque_var(&mut self, data: &[u8]) -> &mut Self {
        self.put_u32(data.len() as u32).put_opaque_fixed(data)
    }

    /// `string<>`.
    pub fn put_string(&mut self, s: &[u8]) -> &mut Self {
        self.put_opaque_var(s)
    }

    /// `T name<>`: the count, then each element.
    pub fn put_array<T>(
        &mut self,
        items: &[T],
        mut element: impl FnMut(&mut Self, &T),
    ) -> &mut Self {
        self.put_u32(items.len() as u32);
        for item in items {
            element(self, item);
        }
        self
    }

    /// `unsigned int name<>` from any sized iterator.
    pub fn put_u32_array(&mut self, items: impl ExactSizeIterator<Item = u32>) -> &mut Self {
        self.put_u32(items.len() as u32);
        for v in items {
            self.put_u32(v);
        }
        self
    }

    /// `T *name`: false, or true and the value.
    pub fn put_optional<T>(
        &mut self,
        v: Option<&T>,
        value: impl FnOnce(&mut Self, &T),
    ) -> &mut Self {
        self.put_bool(v.is_some());
        if let Some(v) = v {
            value(self, v);
        }
        self
    }

    /// The one place padding is written.
    fn pad(&mut self, len: usize) -> &mut Self {
        self.out.extend_from_slice(&[0u8; 3][..pad_len(len)]);
        self
    }
}

/// An owned XDR encoder chained by value, for building messages field by
/// field in tests, examples and tools:
/// `XdrBuf::new().u32(3).opaque(b"name").done()`. Every value is written by
/// [`XdrWriter`], so padding is written in one place.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct XdrBuf(pub Vec<u8>);

impl XdrBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        XdrBuf(Vec::new())
    }
    /// `unsigned int`.
    pub fn u32(mut self, v: u32) -> Self {
        XdrWriter::new(&mut self.0).put_u32(v);
        self
    }
    /// `unsigned hyper`.
    pub fn u64(mut self, v: u64) -> Self {
        XdrWriter::new(&mut self.0).put_u64(v);
        self
    }
    /// `opaque<>` or `string<>`: length, bytes, padding.
    pub fn opaque(mut self, b: &[u8]) -> Self {
        XdrWriter::new(&mut self.0).put_opaque_var(b);
        self
    }
    /// `opaque[n]`: bytes and padding.
    pub fn fixed(mut self, b: &[u8]) -> Self {
        XdrWriter::new(&mut self.0).put_opaque_fixed(b);
        self
    }
    /// Bytes already encoded (a nested body), as they are.
    pub fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    /// The encoded bytes.
    pub fn done(self) -> Vec<u8> {
        self.0
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for U32Array<'a> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let raw: &'a [u8] = u.arbitrary()?;
        Ok(U32Array {
            raw: &raw[..raw.len() / 4 * 4],
        })
    }
}

#[cfg(test)]
#[path = "xdr_tests.rs"]
mod tests;
