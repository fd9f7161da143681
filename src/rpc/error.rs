//! [`RpcError`]: why and where an XDR or RPC decode failed.
//!
//! Every error names the field being read (a dotted path such as
//! `cred.body.machinename`), the byte offset of that field from the start of
//! the buffer handed to the parser, and one of three reasons: the input ended
//! ([`RpcErrorKind::Truncated`]), a value is outside the fixed set the
//! protocol allows ([`RpcErrorKind::Invalid`]), or a length or count is
//! beyond a bound from [`crate::limits::Limits`] ([`RpcErrorKind::TooLarge`]).
//! `Display` is one line, suitable for an anomaly record.

use core::fmt;

/// Why a decode failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RpcErrorKind {
    /// The input ended; `needed` more bytes would let the field be read.
    Truncated {
        /// Bytes missing for the field that was being read.
        needed: usize,
    },
    /// The value is not one the protocol allows here (an unknown enum
    /// discriminant, a non-zero length where zero is required, ...).
    Invalid {
        /// The offending value as read from the wire.
        value: u64,
    },
    /// A length or count is larger than its bound.
    TooLarge {
        /// The length or count read from the wire.
        value: u64,
        /// The bound it exceeds.
        max: u64,
    },
}

/// A decode or encode error, with the field and the byte offset it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RpcError {
    /// Why the decode failed.
    pub kind: RpcErrorKind,
    /// Dotted path of the field being read, e.g. `cred.length`.
    pub field: &'static str,
    /// Offset of the field from the start of the parsed buffer.
    pub offset: usize,
}

impl RpcError {
    /// The input ended `needed` bytes short of `field` at `offset`.
    pub fn truncated(field: &'static str, offset: usize, needed: usize) -> Self {
        RpcError {
            kind: RpcErrorKind::Truncated { needed },
            field,
            offset,
        }
    }

    /// `field` at `offset` holds a value the protocol does not allow.
    pub fn invalid(field: &'static str, offset: usize, value: impl Into<u64>) -> Self {
        RpcError {
            kind: RpcErrorKind::Invalid {
                value: value.into(),
            },
            field,
            offset,
        }
    }

    /// `field` at `offset` is a length or count beyond `max`.
    pub fn too_large(field: &'static str, offset: usize, value: u64, max: u64) -> Self {
        RpcError {
            kind: RpcErrorKind::TooLarge { value, max },
            field,
            offset,
        }
    }

    /// True when the input simply ended: more bytes could make it decode.
    pub fn is_truncated(&self) -> bool {
        matches!(self.kind, RpcErrorKind::Truncated { .. })
    }

    /// The same error with its offset moved by `by` bytes, for errors found
    /// inside a nested buffer (an auth body inside a message).
    pub fn shifted(mut self, by: usize) -> Self {
        self.offset = self.offset.saturating_add(by);
        self
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (field, offset) = (self.field, self.offset);
        match self.kind {
            RpcErrorKind::Truncated { needed } => write!(
                f,
                "truncated at byte {offset} reading {field}: need {needed} more bytes"
            ),
            RpcErrorKind::Invalid { value } => {
                write!(f, "invalid value {value} at byte {offset} in {field}")
            }
            RpcErrorKind::TooLarge { value, max } => {
                write!(
                    f,
                    "too large at byte {offset} in {field}: {value} > max {max}"
                )
            }
        }
    }
}

impl std::error::Error for RpcError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_field_and_offset() {
        let e = RpcError::truncated("cred.length", 28, 4);
        assert_eq!(
            e.to_string(),
            "truncated at byte 28 reading cred.length: need 4 more bytes"
        );
        let e = RpcError::invalid("msg_type", 4, 7u32);
        assert_eq!(e.to_string(), "invalid value 7 at byte 4 in msg_type");
        let e = RpcError::too_large("cred.length", 28, 5000, 400);
        assert_eq!(
            e.to_string(),
            "too large at byte 28 in cred.length: 5000 > max 400"
        );
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn shifted_moves_offset_and_saturates() {
        let e = RpcError::invalid("x", 3, 1u32).shifted(10);
        assert_eq!(e.offset, 13);
        assert_eq!(
            RpcError::invalid("x", usize::MAX, 1u32).shifted(1).offset,
            usize::MAX
        );
        assert!(RpcError::truncated("x", 0, 1).is_truncated());
    }
}
