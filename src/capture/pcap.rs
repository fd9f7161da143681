//! Classic libpcap files (<https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html>).
//!
//! A 24-byte file header (magic, version, snaplen, link type) then records of
//! a 16-byte header (seconds, micro- or nanoseconds, captured length,
//! original length) and the captured bytes. Both byte orders, microsecond
//! (`a1b2c3d4`) and nanosecond (`a1b23c4d`) magics, and Alexey Kuznetzov's
//! patched format (`a1b2cd34`, 24-byte record headers) are read.
//! A captured length above `Limits::max_frame` is an error, never an
//! allocation.

use super::input::{Endian, Input, Record, Unit};
use super::{CaptureError, LinkType, Timestamp};

/// File header length.
const FILE_HEADER: usize = 24;

/// The kinds of pcap file told apart by their magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Magic {
    endian: Endian,
    nanos: bool,
    /// Record header length: 16, or 24 for Kuznetzov's patched format.
    record_header: usize,
}

/// Recognises a pcap magic in the first four bytes of a file.
fn magic(b: &[u8]) -> Option<Magic> {
    let m = |endian, nanos, record_header| {
        Some(Magic {
            endian,
            nanos,
            record_header,
        })
    };
    match b.get(..4)? {
        [0xa1, 0xb2, 0xc3, 0xd4] => m(Endian::Big, false, 16),
        [0xd4, 0xc3, 0xb2, 0xa1] => m(Endian::Little, false, 16),
        [0xa1, 0xb2, 0x3c, 0x4d] => m(Endian::Big, true, 16),
        [0x4d, 0x3c, 0xb2, 0xa1] => m(Endian::Little, true, 16),
        [0xa1, 0xb2, 0xcd, 0x34] => m(Endian::Big, false, 24),
        [0x34, 0xcd, 0xb2, 0xa1] => m(Endian::Little, false, 24),
        _ => None,
    }
}

/// True when `b` starts with a pcap magic.
pub(crate) fn is_pcap(b: &[u8]) -> bool {
    magic(b).is_some()
}

/// Reads records after the file header.
#[derive(Debug)]
pub(crate) struct PcapReader {
    magic: Magic,
    link: LinkType,
    max_frame: usize,
}

impl PcapReader {
    /// Reads and checks the file header.
    pub fn open(input: &mut Input, max_frame: usize) -> Result<Self, CaptureError> {
        let unit = Unit {
            what: "pcap file header",
            start: 0,
            len: FILE_HEADER as u64,
            after_frame: 0,
        };
        let mut h = [0u8; FILE_HEADER];
        input.exact(&mut h, unit)?;
        let magic = magic(&h).ok_or_else(|| unit.malformed("bad pcap magic", 0))?;
        let major = magic.endian.u16(&h, 4);
        if major != 2 {
            return Err(unit.malformed("unsupported pcap major version", major.into()));
        }
        // The upper bits of the link type field carry FCS information
        // (draft-ietf-opsawg-pcap section 4); the type is the low 16 bits.
        let link = LinkType(magic.endian.u32(&h, 20) & 0xffff);
        Ok(PcapReader {
            magic,
            link,
            max_frame,
        })
    }

    /// True for nanosecond timestamps.
    #[cfg(test)]
    pub fn nanos(&self) -> bool {
        self.magic.nanos
    }

    /// Reads the next record into `buf`; `Ok(None)` at the end of the file.
    pub fn next(
        &mut self,
        input: &mut Input,
        buf: &mut Vec<u8>,
        after_frame: u64,
    ) -> Result<Option<Record>, CaptureError> {
        let mut unit = Unit {
            what: "pcap record",
            start: input.pos(),
            len: 0,
            after_frame,
        };
        let mut h = [0u8; 24];
        let h = &mut h[..self.magic.record_header];
        if !input.header(h, unit)? {
            return Ok(None);
        }
        let e = self.magic.endian;
        let secs = e.u32(h, 0);
        let frac = e.u32(h, 4);
        let incl_len = e.u32(h, 8);
        let orig_len = e.u32(h, 12);
        let len = usize::try_from(incl_len).unwrap_or(usize::MAX);
        if len > self.max_frame {
            return Err(unit.too_large(
                "pcap record captured length",
                incl_len.into(),
                self.max_frame,
            ));
        }
        unit.len = h.len() as u64 + u64::from(incl_len);
        let at = input.frame(buf, len, unit)?;
        let per_frac: i64 = if self.magic.nanos { 1 } else { 1000 };
        let ts = Timestamp(
            i64::from(secs)
                .saturating_mul(1_000_000_000)
                .saturating_add(i64::from(frac) * per_frac),
        );
        Ok(Some(Record {
            ts,
            link: self.link,
            len,
            orig_len,
            at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Builds a pcap file by hand, in either byte order and resolution.
    fn file(big: bool, nanos: bool, records: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
        let w32 = |v: &mut Vec<u8>, x: u32| {
            v.extend_from_slice(&if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            })
        };
        let mut v = Vec::new();
        w32(&mut v, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }); // magic
        let w16 = |v: &mut Vec<u8>, x: u16| {
            v.extend_from_slice(&if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            })
        };
        w16(&mut v, 2); // version_major
        w16(&mut v, 4); // version_minor
        w32(&mut v, 0); // thiszone
        w32(&mut v, 0); // sigfigs
        w32(&mut v, 65535); // snaplen
        w32(&mut v, 1); // network: Ethernet
        for (secs, frac, data, orig) in records {
            w32(&mut v, *secs); // ts_sec
            w32(&mut v, *frac); // ts_usec or ts_nsec
            w32(&mut v, data.len() as u32); // incl_len
            w32(&mut v, *orig); // orig_len
            v.extend_from_slice(data);
        }
        v
    }

    /// (time, data, original length) per frame.
    type Frames = Vec<(Timestamp, Vec<u8>, u32)>;

    fn read_all(bytes: Vec<u8>) -> (Frames, Option<CaptureError>) {
        let mut input = Input::new(Box::new(Cursor::new(bytes)));
        let mut r = PcapReader::open(&mut input, 1 << 20).unwrap();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match r.next(&mut input, &mut buf, out.len() as u64) {
                Ok(Some(rec)) => out.push((rec.ts, buf[..rec.len].to_vec(), rec.orig_len)),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn every_byte_order_and_resolution() {
        for big in [false, true] {
            for nanos in [false, true] {
                let bytes = file(big, nanos, &[(10, 5, b"abc", 60), (11, 0, b"", 0)]);
                let mut input = Input::new(Box::new(Cursor::new(bytes.clone())));
                let r = PcapReader::open(&mut input, 100).unwrap();
                assert_eq!(r.nanos(), nanos);
                assert_eq!(r.link, LinkType::ETHERNET);
                let (frames, err) = read_all(bytes);
                assert!(err.is_none());
                let frac_ns = if nanos { 5 } else { 5000 };
                assert_eq!(frames[0].0, Timestamp(10_000_000_000 + frac_ns));
                assert_eq!(frames[0].1, b"abc");
                assert_eq!(frames[0].2, 60);
                assert_eq!(frames[1], (Timestamp(11_000_000_000), vec![], 0));
            }
        }
    }

    #[test]
    fn truncated_last_record_keeps_earlier_ones() {
        let mut bytes = file(false, false, &[(1, 0, b"first", 5), (2, 0, b"second", 6)]);
        bytes.truncate(bytes.len() - 2);
        let (frames, err) = read_all(bytes);
        assert_eq!(frames.len(), 1);
        match err {
            Some(CaptureError::Truncated {
                offset,
                wanted,
                got,
                after_frame,
                ..
            }) => {
                // 24 file header + 16 + 5 for the first record.
                assert_eq!((offset, wanted, got, after_frame), (45, 22, 20, 1));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_record_header() {
        let mut bytes = file(false, false, &[(1, 0, b"x", 1)]);
        bytes.extend_from_slice(&[0; 7]);
        let (frames, err) = read_all(bytes);
        assert_eq!(frames.len(), 1);
        assert!(matches!(err, Some(CaptureError::Truncated { got: 7, .. })));
    }

    #[test]
    fn oversize_captured_length_is_an_error_not_an_allocation() {
        let mut bytes = file(false, false, &[]);
        bytes.extend_from_slice(&[0; 8]); // ts
        bytes.extend_from_slice(&u32::MAX.to_le_bytes()); // incl_len
        bytes.extend_from_slice(&u32::MAX.to_le_bytes()); // orig_len
        let (_, err) = read_all(bytes);
        match err {
            Some(CaptureError::TooLarge { len, max, .. }) => {
                assert_eq!((len, max), (u32::MAX as u64, 1 << 20))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_version_is_rejected() {
        let mut bytes = file(false, false, &[]);
        bytes[4] = 1; // version_major 1
        let mut input = Input::new(Box::new(Cursor::new(bytes)));
        let e = PcapReader::open(&mut input, 100).unwrap_err();
        assert!(
            e.to_string().contains("unsupported pcap major version (1)"),
            "{e}"
        );
    }

    #[test]
    fn kuznetzov_format_has_longer_record_headers() {
        let mut bytes = file(false, false, &[]);
        bytes[..4].copy_from_slice(&[0x34, 0xcd, 0xb2, 0xa1]);
        bytes.extend_from_slice(&[0; 8]); // ts
        bytes.extend_from_slice(&2u32.to_le_bytes()); // incl_len
        bytes.extend_from_slice(&2u32.to_le_bytes()); // orig_len
        bytes.extend_from_slice(&[0; 8]); // ifindex, protocol, pkt_type, pad
        bytes.extend_from_slice(b"hi");
        let (frames, err) = read_all(bytes);
        assert!(err.is_none());
        assert_eq!(frames[0].1, b"hi");
    }

    #[test]
    fn fcs_bits_are_masked_from_the_link_type() {
        let mut bytes = file(false, false, &[]);
        bytes[20..24].copy_from_slice(&(0x1000_0000u32 | 113).to_le_bytes());
        let mut input = Input::new(Box::new(Cursor::new(bytes)));
        let r = PcapReader::open(&mut input, 100).unwrap();
        assert_eq!(r.link, LinkType::LINUX_SLL);
    }
}
