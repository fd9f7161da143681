//! Why reading a capture failed, and where.
//!
//! Every variant carries the byte offset in the capture data (after gzip
//! decompression, if any) and how many frames were returned before it, so
//! that a message reads "truncated pcap record data at offset 1234 (after
//! frame 12): needed 1514 bytes, got 200". The caller prefixes the file name.

use std::fmt;
use std::io;

/// An error from [`CaptureReader`](super::CaptureReader).
#[derive(Debug)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file could not be opened.
    Open(io::Error),
    /// Reading the input failed (including a corrupt gzip stream).
    Io {
        /// Offset in the capture data where the read started.
        offset: u64,
        /// The underlying error.
        source: io::Error,
    },
    /// The input does not start with a pcap, pcapng, snoop or gzip magic.
    NotACapture {
        /// The first bytes of the input (of the decompressed data if gzipped).
        first_bytes: [u8; 8],
        /// How many of `first_bytes` are valid (the input may be shorter).
        len: u8,
        /// True when the bytes come from inside a gzip stream.
        gzipped: bool,
    },
    /// The input ends in the middle of a header, record or block.
    Truncated {
        /// Offset where the unit that could not be read completely starts.
        offset: u64,
        /// Frames returned before the error.
        after_frame: u64,
        /// What was being read, e.g. "pcap record data".
        what: &'static str,
        /// Bytes needed.
        wanted: u64,
        /// Bytes that were there.
        got: u64,
    },
    /// A length field is larger than `Limits::max_frame` (or than 32 bits).
    TooLarge {
        /// Offset of the record or block carrying the length.
        offset: u64,
        /// Frames returned before the error.
        after_frame: u64,
        /// Which length, e.g. "pcapng block length".
        what: &'static str,
        /// The length found.
        len: u64,
        /// The largest length accepted.
        max: u64,
    },
    /// A field has a value the format does not allow.
    Malformed {
        /// Offset of the record or block carrying the field.
        offset: u64,
        /// Frames returned before the error.
        after_frame: u64,
        /// What is wrong, e.g. "pcapng block length below the minimum".
        what: &'static str,
        /// The offending value.
        value: u64,
    },
}

/// Writes " (before the first frame)" or " (after frame N)".
fn position(f: &mut fmt::Formatter<'_>, offset: u64, after_frame: u64) -> fmt::Result {
    if after_frame == 0 {
        write!(f, " at offset {offset} (before the first frame)")
    } else {
        write!(f, " at offset {offset} (after frame {after_frame})")
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Open(source) => write!(f, "cannot open: {source}"),
            CaptureError::Io { offset, source } => {
                write!(f, "read error at offset {offset}: {source}")
            }
            CaptureError::NotACapture {
                first_bytes,
                len,
                gzipped,
            } => {
                let bytes = &first_bytes[..usize::from(*len).min(first_bytes.len())];
                let inside = if *gzipped { "gzip data holding " } else { "" };
                if bytes.is_empty() {
                    return write!(f, "not a capture file: {inside}no data at all");
                }
                write!(f, "not a capture file: {inside}first bytes are")?;
                for b in bytes {
                    write!(f, " {b:02x}")?;
                }
                write!(f, " (\"")?;
                for &b in bytes {
                    let c = if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    };
                    write!(f, "{c}")?;
                }
                write!(f, "\"); expected pcap, pcapng, snoop or gzip")
            }
            CaptureError::Truncated {
                offset,
                after_frame,
                what,
                wanted,
                got,
            } => {
                write!(f, "truncated {what}")?;
                position(f, *offset, *after_frame)?;
                write!(f, ": needed {wanted} bytes, the input ends after {got}")
            }
            CaptureError::TooLarge {
                offset,
                after_frame,
                what,
                len,
                max,
            } => {
                write!(f, "{what} {len}")?;
                position(f, *offset, *after_frame)?;
                write!(f, " exceeds the limit of {max} bytes (corrupt file?)")
            }
            CaptureError::Malformed {
                offset,
                after_frame,
                what,
                value,
            } => {
                write!(f, "{what} ({value})")?;
                position(f, *offset, *after_frame)
            }
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaptureError::Io { source, .. } | CaptureError::Open(source) => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_capture_shows_hex_and_ascii() {
        let e = CaptureError::NotACapture {
            first_bytes: *b"<!DOCTYP",
            len: 8,
            gzipped: false,
        };
        assert_eq!(
            e.to_string(),
            "not a capture file: first bytes are 3c 21 44 4f 43 54 59 50 (\"<!DOCTYP\"); \
             expected pcap, pcapng, snoop or gzip"
        );
    }

    #[test]
    fn empty_input_is_named() {
        let e = CaptureError::NotACapture {
            first_bytes: [0; 8],
            len: 0,
            gzipped: true,
        };
        assert_eq!(
            e.to_string(),
            "not a capture file: gzip data holding no data at all"
        );
    }

    #[test]
    fn truncated_says_where() {
        let e = CaptureError::Truncated {
            offset: 1234,
            after_frame: 12,
            what: "pcap record data",
            wanted: 1514,
            got: 200,
        };
        assert_eq!(
            e.to_string(),
            "truncated pcap record data at offset 1234 (after frame 12): \
             needed 1514 bytes, the input ends after 200"
        );
    }

    #[test]
    fn too_large_before_first_frame() {
        let e = CaptureError::TooLarge {
            offset: 24,
            after_frame: 0,
            what: "pcap record length",
            len: 4_294_967_295,
            max: 16,
        };
        assert_eq!(
            e.to_string(),
            "pcap record length 4294967295 at offset 24 (before the first frame) \
             exceeds the limit of 16 bytes (corrupt file?)"
        );
    }
}
