//! Sun snoop files (RFC 1761).
//!
//! A 16-byte header (`"snoop\0\0\0"`, version 2, datalink type) then
//! big-endian records: original length, included length, record length,
//! cumulative drops, seconds, microseconds, the captured bytes and padding
//! up to the record length. Snoop's datalink codes (from Solaris `dlpi.h`)
//! are mapped to pcap link types; a code with no pcap equivalent is an
//! error. Record lengths above `Limits::max_frame` are errors.

use super::input::{Endian, Input, Record, Unit};
use super::{CaptureError, LinkType, Timestamp};

/// The first eight bytes of every snoop file.
pub(crate) const MAGIC: &[u8; 8] = b"snoop\0\0\0";
/// Record header length.
const RECORD_HEADER: u64 = 24;

/// True when `b` starts with the snoop magic.
pub(crate) fn is_snoop(b: &[u8]) -> bool {
    b.starts_with(MAGIC)
}

/// Maps a snoop datalink code (DL_* in Solaris `dlpi.h`) to a pcap link type,
/// following Wireshark's `snoop_encap` table.
fn link_type(code: u32) -> Option<LinkType> {
    Some(match code {
        0 | 4 => LinkType::ETHERNET, // DL_CSMACD (802.3), DL_ETHER
        2 => LinkType(6),            // DL_TPR: IEEE 802.5 token ring
        8 => LinkType(10),           // DL_FDDI
        16 => LinkType(122),         // DL_FC: IP over Fibre Channel
        26 => LinkType(242),         // DL_IB: IP over InfiniBand
        _ => return None,
    })
}

/// Reads records after the file header.
#[derive(Debug)]
pub(crate) struct SnoopReader {
    link: LinkType,
    max_frame: usize,
}

impl SnoopReader {
    /// Reads and checks the file header.
    pub fn open(input: &mut Input, max_frame: usize) -> Result<Self, CaptureError> {
        let unit = Unit {
            what: "snoop file header",
            start: 0,
            len: 16,
            after_frame: 0,
        };
        let mut h = [0u8; 16];
        input.exact(&mut h, unit)?;
        if !is_snoop(&h) {
            return Err(unit.malformed("bad snoop magic", 0));
        }
        let version = Endian::Big.u32(&h, 8);
        if version != 2 {
            return Err(unit.malformed("unsupported snoop version", version.into()));
        }
        let code = Endian::Big.u32(&h, 12);
        let link = link_type(code).ok_or_else(|| {
            unit.malformed("snoop datalink type with no pcap link type", code.into())
        })?;
        Ok(SnoopReader { link, max_frame })
    }

    /// Reads the next record into `buf`; `Ok(None)` at the end of the file.
    pub fn next(
        &mut self,
        input: &mut Input,
        buf: &mut Vec<u8>,
        after_frame: u64,
    ) -> Result<Option<Record>, CaptureError> {
        let mut unit = Unit {
            what: "snoop record",
            start: input.pos(),
            len: 0,
            after_frame,
        };
        let mut h = [0u8; RECORD_HEADER as usize];
        if !input.header(&mut h, unit)? {
            return Ok(None);
        }
        let e = Endian::Big;
        let orig_len = e.u32(&h, 0);
        let incl_len = e.u32(&h, 4);
        let record_len = u64::from(e.u32(&h, 8));
        let secs = e.u32(&h, 16);
        let micros = e.u32(&h, 20);
        if record_len > self.max_frame as u64 {
            return Err(unit.too_large("snoop record length", record_len, self.max_frame));
        }
        if record_len < RECORD_HEADER + u64::from(incl_len) {
            return Err(unit.malformed(
                "snoop record length shorter than its header and data",
                record_len,
            ));
        }
        unit.len = record_len;
        let len = incl_len as usize; // <= record_len <= max_frame
        let at = input.frame(buf, len, unit)?;
        input.skip(record_len - RECORD_HEADER - u64::from(incl_len), unit)?; // padding
        let ts = Timestamp(
            i64::from(secs)
                .saturating_mul(1_000_000_000)
                .saturating_add(i64::from(micros) * 1000),
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

    type Frames = Vec<(Record, Vec<u8>)>;

    fn header(code: u32) -> Vec<u8> {
        let mut v = MAGIC.to_vec(); // "snoop\0\0\0"
        v.extend_from_slice(&2u32.to_be_bytes()); // version
        v.extend_from_slice(&code.to_be_bytes()); // datalink
        v
    }

    fn record(v: &mut Vec<u8>, data: &[u8], orig: u32, pad: usize, secs: u32, micros: u32) {
        let rec_len = 24 + data.len() + pad;
        v.extend_from_slice(&orig.to_be_bytes()); // original length
        v.extend_from_slice(&(data.len() as u32).to_be_bytes()); // included length
        v.extend_from_slice(&(rec_len as u32).to_be_bytes()); // record length
        v.extend_from_slice(&0u32.to_be_bytes()); // cumulative drops
        v.extend_from_slice(&secs.to_be_bytes()); // seconds
        v.extend_from_slice(&micros.to_be_bytes()); // microseconds
        v.extend_from_slice(data);
        v.resize(v.len() + pad, 0);
    }

    fn read_all(bytes: Vec<u8>) -> Result<(Frames, Option<CaptureError>), CaptureError> {
        let mut input = Input::new(Box::new(Cursor::new(bytes)));
        let mut r = SnoopReader::open(&mut input, 1000)?;
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match r.next(&mut input, &mut buf, out.len() as u64) {
                Ok(Some(rec)) => out.push((rec, buf[..rec.len].to_vec())),
                Ok(None) => return Ok((out, None)),
                Err(e) => return Ok((out, Some(e))),
            }
        }
    }

    #[test]
    fn records_with_padding() {
        let mut v = header(4);
        record(&mut v, b"abcde", 60, 3, 100, 250);
        record(&mut v, b"xy", 2, 2, 101, 0);
        let (frames, err) = read_all(v).unwrap();
        assert!(err.is_none());
        assert_eq!(frames[0].0.link, LinkType::ETHERNET);
        assert_eq!(frames[0].0.ts, Timestamp(100_000_250_000));
        assert_eq!(
            (frames[0].1.as_slice(), frames[0].0.orig_len),
            (&b"abcde"[..], 60)
        );
        assert_eq!(frames[1].1, b"xy");
    }

    #[test]
    fn datalink_mapping() {
        assert_eq!(link_type(0), Some(LinkType::ETHERNET));
        assert_eq!(link_type(8), Some(LinkType(10)));
        let e = read_all(header(5)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "snoop datalink type with no pcap link type (5) at offset 0 (before the first frame)"
        );
    }

    #[test]
    fn bad_version() {
        let mut v = header(4);
        v[11] = 1;
        assert!(read_all(v)
            .unwrap_err()
            .to_string()
            .starts_with("unsupported snoop version (1)"));
    }

    #[test]
    fn record_length_checks() {
        let mut v = header(4);
        record(&mut v, b"abcd", 4, 0, 0, 0);
        v[16 + 8..16 + 12].copy_from_slice(&20u32.to_be_bytes()); // shorter than header
        let (_, err) = read_all(v).unwrap();
        assert!(err
            .unwrap()
            .to_string()
            .starts_with("snoop record length shorter"));

        let mut v = header(4);
        record(&mut v, b"abcd", 4, 0, 0, 0);
        v[16 + 8..16 + 12].copy_from_slice(&5000u32.to_be_bytes()); // above max_frame
        let (_, err) = read_all(v).unwrap();
        assert!(matches!(
            err,
            Some(CaptureError::TooLarge { len: 5000, .. })
        ));
    }

    #[test]
    fn truncated_padding() {
        let mut v = header(4);
        record(&mut v, b"abcd", 4, 4, 0, 0);
        record(&mut v, b"efgh", 4, 4, 0, 0);
        v.truncate(v.len() - 1);
        let (frames, err) = read_all(v).unwrap();
        assert_eq!(frames.len(), 1);
        assert!(matches!(
            err,
            Some(CaptureError::Truncated {
                wanted: 32,
                got: 31,
                ..
            })
        ));
    }
}
