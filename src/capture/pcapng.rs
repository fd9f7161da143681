//! pcapng files (<https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html>).
//!
//! A file is one or more sections, each opened by a Section Header Block
//! that sets the byte order. Interface Description Blocks give each
//! interface its link type, snaplen, timestamp resolution (`if_tsresol`) and
//! offset (`if_tsoffset`). Packets come in Enhanced Packet Blocks, Simple
//! Packet Blocks (interface 0, no timestamp) and the obsolete Packet Block
//! (type 2). Every other block is skipped by its length.
//!
//! Bounds: a block length below the minimum, not a multiple of 4, or above
//! `Limits::max_frame` is an error; so is a section with more interfaces than
//! `Limits::max_capture_interfaces`. The only buffers are the caller's frame
//! buffer and one reused scratch buffer for interface options.

use super::input::{Endian, Input, Record, Unit};
use super::{CaptureError, LinkType, Timestamp};

/// Section Header Block type; a palindrome, so the same in both byte orders.
pub(crate) const SHB: u32 = 0x0A0D_0D0A;
/// Byte-order magic in the SHB.
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;

/// Option codes in an IDB.
const OPT_END: u16 = 0;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

/// True when `b` starts with a pcapng Section Header Block.
pub(crate) fn is_pcapng(b: &[u8]) -> bool {
    b.starts_with(&SHB.to_be_bytes())
}

/// What an IDB says about an interface.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    /// 0 means no limit.
    snaplen: u32,
    /// Timestamp units per second (10^6 unless `if_tsresol` says otherwise).
    units_per_sec: u64,
    /// `if_tsoffset`: seconds to add to every timestamp.
    offset_secs: i64,
}

impl Interface {
    /// Converts a raw 64-bit timestamp to nanoseconds since the epoch.
    fn timestamp(&self, raw: u64) -> Timestamp {
        let secs = i64::try_from(raw / self.units_per_sec).unwrap_or(i64::MAX);
        let frac = u128::from(raw % self.units_per_sec);
        // frac < units_per_sec <= 2^63, so this fits in u128 and the result
        // is below 10^9.
        let nanos = (frac * 1_000_000_000 / u128::from(self.units_per_sec)) as i64;
        Timestamp(
            secs.saturating_add(self.offset_secs)
                .saturating_mul(1_000_000_000)
                .saturating_add(nanos),
        )
    }
}

/// Reads blocks after the file's first SHB header bytes have been seen.
#[derive(Debug)]
pub(crate) struct PcapngReader {
    endian: Endian,
    interfaces: Vec<Interface>,
    scratch: Vec<u8>,
    /// Simple Packet Blocks carry no time: they get the previous packet's
    /// time, so time never runs backwards for the layers above.
    last_ts: Timestamp,
    max_frame: usize,
    max_interfaces: usize,
}

impl PcapngReader {
    /// Reads the first Section Header Block.
    pub fn open(
        input: &mut Input,
        max_frame: usize,
        max_interfaces: usize,
    ) -> Result<Self, CaptureError> {
        let mut r = PcapngReader {
            endian: Endian::Little,
            interfaces: Vec::new(),
            scratch: Vec::new(),
            last_ts: Timestamp(0),
            max_frame,
            max_interfaces,
        };
        let mut h = [0u8; 8];
        let unit = Unit {
            what: "pcapng section header block",
            start: 0,
            len: 0,
            after_frame: 0,
        };
        if !input.header(&mut h, unit)? {
            return Err(unit.malformed("empty pcapng file", 0));
        }
        r.section(input, &h, unit)?;
        Ok(r)
    }

    /// Reads the rest of an SHB whose first 8 bytes are `h`.
    fn section(&mut self, input: &mut Input, h: &[u8; 8], unit: Unit) -> Result<(), CaptureError> {
        let mut fixed = [0u8; 16];
        input.exact(&mut fixed, unit)?;
        self.endian = match u32::from_le_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]) {
            BYTE_ORDER_MAGIC => Endian::Little,
            m if m.swap_bytes() == BYTE_ORDER_MAGIC => Endian::Big,
            m => return Err(unit.malformed("bad pcapng byte-order magic", m.into())),
        };
        let len = self.block_len(h, 28, unit)?;
        let unit = Unit { len, ..unit };
        let major = self.endian.u16(&fixed, 4);
        if major != 1 {
            return Err(unit.malformed("unsupported pcapng major version", major.into()));
        }
        self.interfaces.clear();
        input.skip(len - 28, unit)?; // options
        self.trailer(input, unit)
    }

    /// Checks the block length in `h` against the minimum, alignment and
    /// `max_frame`.
    fn block_len(&self, h: &[u8; 8], min: u64, unit: Unit) -> Result<u64, CaptureError> {
        let len = u64::from(self.endian.u32(h, 4));
        if len < min {
            return Err(unit.malformed("pcapng block length below the minimum", len));
        }
        if len % 4 != 0 {
            return Err(unit.malformed("pcapng block length not a multiple of 4", len));
        }
        if len > self.max_frame as u64 {
            return Err(unit.too_large("pcapng block length", len, self.max_frame));
        }
        Ok(len)
    }

    /// Reads the trailing copy of the block length and checks it.
    fn trailer(&self, input: &mut Input, unit: Unit) -> Result<(), CaptureError> {
        let mut t = [0u8; 4];
        input.exact(&mut t, unit)?;
        let again = u64::from(self.endian.u32(&t, 0));
        if again != unit.len {
            return Err(unit.malformed("pcapng trailing block length differs", again));
        }
        Ok(())
    }

    fn interface(&self, id: u32, unit: Unit) -> Result<Interface, CaptureError> {
        self.interfaces
            .get(id as usize)
            .copied()
            .ok_or_else(|| unit.malformed("pcapng packet for an undefined interface", id.into()))
    }

    /// Reads blocks until the next packet; `Ok(None)` at the end of the file.
    pub fn next(
        &mut self,
        input: &mut Input,
        buf: &mut Vec<u8>,
        after_frame: u64,
    ) -> Result<Option<Record>, CaptureError> {
        loop {
            let mut unit = Unit {
                what: "pcapng block",
                start: input.pos(),
                len: 0,
                after_frame,
            };
            let mut h = [0u8; 8];
            if !input.header(&mut h, unit)? {
                return Ok(None);
            }
            let kind = self.endian.u32(&h, 0);
            if kind == SHB {
                unit.what = "pcapng section header block";
                self.section(input, &h, unit)?;
                continue;
            }
            let min = match kind {
                EPB | PB => 32,
                IDB => 20,
                SPB => 16,
                _ => 12,
            };
            unit.len = self.block_len(&h, min, unit)?;
            let body = unit.len - 12;
            let rec = match kind {
                IDB => {
                    unit.what = "pcapng interface description block";
                    self.read_idb(input, body, unit)?;
                    None
                }
                EPB | PB => {
                    unit.what = if kind == EPB {
                        "pcapng enhanced packet block"
                    } else {
                        "pcapng packet block"
                    };
                    Some(self.read_packet(input, kind, body, buf, unit)?)
                }
                SPB => {
                    unit.what = "pcapng simple packet block";
                    Some(self.read_simple(input, body, buf, unit)?)
                }
                _ => {
                    input.skip(body, unit)?;
                    None
                }
            };
            self.trailer(input, unit)?;
            if let Some(rec) = rec {
                self.last_ts = rec.ts;
                return Ok(Some(rec));
            }
        }
    }

    fn read_idb(&mut self, input: &mut Input, body: u64, unit: Unit) -> Result<(), CaptureError> {
        // body <= max_frame, checked by block_len.
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = input
            .exact_into(&mut scratch, body as usize, unit)
            .and_then(|()| self.parse_idb(&scratch[..body as usize], unit));
        self.scratch = scratch;
        let iface = result?;
        if self.interfaces.len() >= self.max_interfaces {
            return Err(unit.malformed(
                "more pcapng interfaces in one section than Limits::max_capture_interfaces",
                self.interfaces.len() as u64 + 1,
            ));
        }
        self.interfaces.push(iface);
        Ok(())
    }

    fn parse_idb(&self, b: &[u8], unit: Unit) -> Result<Interface, CaptureError> {
        let e = self.endian;
        let mut iface = Interface {
            link: LinkType(e.u16(b, 0).into()),
            snaplen: e.u32(b, 4),
            units_per_sec: 1_000_000,
            offset_secs: 0,
        };
        // Options: code, length, value padded to 4. A malformed option list
        // ends option parsing; the interface stays usable.
        let mut opts = &b[8..];
        while opts.len() >= 4 {
            let code = e.u16(opts, 0);
            let len = usize::from(e.u16(opts, 2));
            let Some(value) = opts.get(4..4 + len) else {
                break;
            };
            match code {
                OPT_END => break,
                IF_TSRESOL if len >= 1 => {
                    let v = value[0];
                    let units = if v & 0x80 == 0 {
                        10u64.checked_pow(v.into())
                    } else {
                        1u64.checked_shl(u32::from(v & 0x7f))
                    };
                    iface.units_per_sec = units
                        .filter(|&u| u > 0)
                        .ok_or_else(|| unit.malformed("unsupported pcapng if_tsresol", v.into()))?;
                }
                IF_TSOFFSET if len >= 8 => iface.offset_secs = e.u64(value, 0) as i64,
                _ => {}
            }
            let padded = (4 + len + 3) & !3;
            opts = opts.get(padded..).unwrap_or(&[]);
        }
        Ok(iface)
    }

    /// Enhanced Packet Block (type 6) or the obsolete Packet Block (type 2):
    /// interface, 64-bit time, captured and original length, data, options.
    fn read_packet(
        &mut self,
        input: &mut Input,
        kind: u32,
        body: u64,
        buf: &mut Vec<u8>,
        unit: Unit,
    ) -> Result<Record, CaptureError> {
        let e = self.endian;
        let mut f = [0u8; 20];
        input.exact(&mut f, unit)?;
        let id = if kind == EPB {
            e.u32(&f, 0)
        } else {
            e.u16(&f, 0).into()
        };
        let iface = self.interface(id, unit)?;
        let raw_ts = (u64::from(e.u32(&f, 4)) << 32) | u64::from(e.u32(&f, 8));
        let cap_len = e.u32(&f, 12);
        let orig_len = e.u32(&f, 16);
        if u64::from(cap_len) > body - 20 {
            return Err(unit.malformed(
                "pcapng captured length larger than its block",
                cap_len.into(),
            ));
        }
        let len = cap_len as usize;
        let at = input.frame(buf, len, unit)?;
        input.skip(body - 20 - u64::from(cap_len), unit)?; // padding, options
        Ok(Record {
            ts: iface.timestamp(raw_ts),
            link: iface.link,
            len,
            orig_len,
            at,
        })
    }

    /// Simple Packet Block (type 3): original length then data, on
    /// interface 0; the captured length is what fits the block and snaplen.
    fn read_simple(
        &mut self,
        input: &mut Input,
        body: u64,
        buf: &mut Vec<u8>,
        unit: Unit,
    ) -> Result<Record, CaptureError> {
        let iface = self.interface(0, unit)?;
        let mut f = [0u8; 4];
        input.exact(&mut f, unit)?;
        let orig_len = self.endian.u32(&f, 0);
        let mut cap = u64::from(orig_len).min(body - 4);
        if iface.snaplen != 0 {
            cap = cap.min(iface.snaplen.into());
        }
        let len = cap as usize;
        let at = input.frame(buf, len, unit)?;
        input.skip(body - 4 - cap, unit)?;
        Ok(Record {
            ts: self.last_ts,
            link: iface.link,
            len,
            orig_len,
            at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Builds pcapng blocks by hand in either byte order.
    struct Builder {
        big: bool,
        out: Vec<u8>,
    }

    impl Builder {
        fn new(big: bool) -> Self {
            let mut b = Builder {
                big,
                out: Vec::new(),
            };
            b.shb();
            b
        }
        fn u16(&self, x: u16) -> [u8; 2] {
            if self.big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        }
        fn u32(&self, x: u32) -> [u8; 4] {
            if self.big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        }
        /// Appends a block: type, total length, body (padded), total length.
        fn block(&mut self, kind: u32, body: &[u8]) {
            let padded = (body.len() + 3) & !3;
            let total = (12 + padded) as u32;
            let (k, t) = (self.u32(kind), self.u32(total));
            self.out.extend_from_slice(&k);
            self.out.extend_from_slice(&t);
            self.out.extend_from_slice(body);
            self.out.resize(self.out.len() + padded - body.len(), 0);
            self.out.extend_from_slice(&t);
        }
        fn shb(&mut self) {
            let mut body = Vec::new();
            body.extend_from_slice(&self.u32(BYTE_ORDER_MAGIC)); // byte-order magic
            body.extend_from_slice(&self.u16(1)); // major
            body.extend_from_slice(&self.u16(0)); // minor
            body.extend_from_slice(&[0xff; 8]); // section length: unknown
            self.block(SHB, &body);
        }
        /// IDB with optional if_tsresol and if_tsoffset options.
        fn idb(&mut self, link: u16, snaplen: u32, tsresol: Option<u8>, tsoffset: Option<i64>) {
            let mut body = Vec::new();
            body.extend_from_slice(&self.u16(link)); // linktype
            body.extend_from_slice(&[0, 0]); // reserved
            body.extend_from_slice(&self.u32(snaplen)); // snaplen
            if let Some(r) = tsresol {
                body.extend_from_slice(&self.u16(IF_TSRESOL)); // option code
                body.extend_from_slice(&self.u16(1)); // option length
                body.extend_from_slice(&[r, 0, 0, 0]); // value + padding
            }
            if let Some(o) = tsoffset {
                body.extend_from_slice(&self.u16(IF_TSOFFSET));
                body.extend_from_slice(&self.u16(8));
                let v = if self.big {
                    o.to_be_bytes()
                } else {
                    o.to_le_bytes()
                };
                body.extend_from_slice(&v);
            }
            body.extend_from_slice(&[0; 4]); // opt_endofopt
            self.block(IDB, &body);
        }
        fn epb(&mut self, iface: u32, ts: u64, data: &[u8], orig: u32) {
            let mut body = Vec::new();
            body.extend_from_slice(&self.u32(iface)); // interface id
            body.extend_from_slice(&self.u32((ts >> 32) as u32)); // ts high
            body.extend_from_slice(&self.u32(ts as u32)); // ts low
            body.extend_from_slice(&self.u32(data.len() as u32)); // captured len
            body.extend_from_slice(&self.u32(orig)); // original len
            body.extend_from_slice(data);
            self.block(EPB, &body);
        }
    }

    fn read_all(bytes: Vec<u8>) -> (Vec<(Record, Vec<u8>)>, Option<CaptureError>) {
        let mut input = Input::new(Box::new(Cursor::new(bytes)));
        let mut r = match PcapngReader::open(&mut input, 1 << 16, 4) {
            Ok(r) => r,
            Err(e) => return (vec![], Some(e)),
        };
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match r.next(&mut input, &mut buf, out.len() as u64) {
                Ok(Some(rec)) => out.push((rec, buf[..rec.len].to_vec())),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn both_byte_orders_two_interfaces_and_tsresol() {
        for big in [false, true] {
            let mut b = Builder::new(big);
            b.idb(1, 65535, None, None); // Ethernet, microseconds
            b.idb(113, 0, Some(9), Some(100)); // Linux SLL, ns, +100 s
            b.block(0x0000_0BAD, b"custom block"); // skipped
            b.epb(0, 1_500_000, b"eth", 3);
            b.epb(1, 2_000_000_007, b"sll!", 40);
            let (frames, err) = read_all(b.out);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(frames.len(), 2);
            assert_eq!(frames[0].0.link, LinkType::ETHERNET);
            assert_eq!(frames[0].0.ts, Timestamp(1_500_000_000));
            assert_eq!(frames[0].1, b"eth");
            assert_eq!(frames[1].0.link, LinkType::LINUX_SLL);
            assert_eq!(frames[1].0.ts, Timestamp(102_000_000_007));
            assert_eq!(
                (frames[1].1.as_slice(), frames[1].0.orig_len),
                (&b"sll!"[..], 40)
            );
        }
    }

    #[test]
    fn power_of_two_resolution() {
        let mut b = Builder::new(false);
        b.idb(1, 0, Some(0x80 | 10), None); // 1/1024 s
        b.epb(0, 1024 * 3 + 512, b"", 0);
        let (frames, _) = read_all(b.out);
        assert_eq!(frames[0].0.ts, Timestamp(3_500_000_000));
    }

    #[test]
    fn unrepresentable_tsresol_is_an_error() {
        let mut b = Builder::new(false);
        b.idb(1, 0, Some(20), None); // 10^-20 s per unit
        let (_, err) = read_all(b.out);
        assert!(err
            .unwrap()
            .to_string()
            .contains("unsupported pcapng if_tsresol (20)"),);
    }

    #[test]
    fn second_section_resets_interfaces_and_byte_order() {
        let mut b = Builder::new(false);
        b.idb(1, 0, None, None);
        b.epb(0, 1, b"a", 1);
        let mut b2 = Builder::new(true);
        b2.idb(101, 0, None, None);
        b2.epb(0, 2, b"b", 1);
        b.out.extend_from_slice(&b2.out);
        let (frames, err) = read_all(b.out);
        assert!(err.is_none());
        assert_eq!(frames[1].0.link, LinkType::RAW);
        assert_eq!(frames[1].1, b"b");
    }

    #[test]
    fn simple_and_obsolete_packet_blocks() {
        let mut b = Builder::new(false);
        b.idb(1, 4, None, None); // snaplen 4
        b.epb(0, 7_000_000, b"x", 1);
        let mut spb = b.u32(10).to_vec(); // original length
        spb.extend_from_slice(b"0123456789"); // only snaplen bytes count
        b.block(SPB, &spb);
        let mut pb = Vec::new();
        pb.extend_from_slice(&b.u16(0)); // interface id
        pb.extend_from_slice(&b.u16(0)); // drops count
        pb.extend_from_slice(&b.u32(0)); // ts high
        pb.extend_from_slice(&b.u32(9_000_000)); // ts low
        pb.extend_from_slice(&b.u32(2)); // captured len
        pb.extend_from_slice(&b.u32(2)); // original len
        pb.extend_from_slice(b"pb");
        b.block(PB, &pb);
        let (frames, err) = read_all(b.out);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames[1].1, b"0123");
        assert_eq!(frames[1].0.orig_len, 10);
        assert_eq!(frames[1].0.ts, Timestamp(7_000_000_000)); // previous time
        assert_eq!(frames[2].1, b"pb");
        assert_eq!(frames[2].0.ts, Timestamp(9_000_000_000));
    }

    #[test]
    fn undefined_interface() {
        let mut b = Builder::new(false);
        b.epb(3, 0, b"", 0);
        let (_, err) = read_all(b.out);
        assert!(err
            .unwrap()
            .to_string()
            .starts_with("pcapng packet for an undefined interface (3) at offset 28"));
    }

    #[test]
    fn block_length_checks() {
        for (len, text) in [
            (8u32, "pcapng block length below the minimum (8)"),
            (22, "pcapng block length not a multiple of 4 (22)"),
            (
                1 << 20,
                "pcapng block length 1048576 at offset 28 (before the first frame) exceeds",
            ),
        ] {
            let mut b = Builder::new(false);
            b.out.extend_from_slice(&b.u32(0x99)); // block type
            b.out.extend_from_slice(&b.u32(len)); // block length
            let (_, err) = read_all(b.out);
            let msg = err.unwrap().to_string();
            assert!(msg.starts_with(text), "{msg}");
        }
    }

    #[test]
    fn trailing_length_mismatch() {
        let mut b = Builder::new(false);
        b.idb(1, 0, None, None);
        let n = b.out.len();
        b.out[n - 4] ^= 4;
        let (_, err) = read_all(b.out);
        assert!(err
            .unwrap()
            .to_string()
            .contains("trailing block length differs"));
    }

    #[test]
    fn captured_length_past_block() {
        let mut b = Builder::new(false);
        b.idb(1, 0, None, None);
        b.epb(0, 0, b"abcd", 4);
        let n = b.out.len();
        b.out[n - 4 - 4 - 4 - 4..n - 12].copy_from_slice(&100u32.to_le_bytes());
        let (_, err) = read_all(b.out);
        assert!(err
            .unwrap()
            .to_string()
            .starts_with("pcapng captured length larger than its block (100)"));
    }

    #[test]
    fn truncated_mid_block() {
        let mut b = Builder::new(false);
        b.idb(1, 0, None, None);
        b.epb(0, 0, b"first", 5);
        b.epb(0, 0, b"second", 6);
        b.out.truncate(b.out.len() - 5);
        let (frames, err) = read_all(b.out);
        assert_eq!(frames.len(), 1);
        match err {
            Some(CaptureError::Truncated {
                wanted,
                got,
                after_frame,
                what,
                ..
            }) => assert_eq!(
                (wanted, got, after_frame, what),
                (40, 35, 1, "pcapng enhanced packet block")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn too_many_interfaces() {
        let mut b = Builder::new(false);
        for _ in 0..5 {
            b.idb(1, 0, None, None);
        }
        let (_, err) = read_all(b.out);
        assert!(err
            .unwrap()
            .to_string()
            .contains("max_capture_interfaces (5)"));
    }

    #[test]
    fn bad_byte_order_magic() {
        let mut b = Builder::new(false);
        b.out[8] = 0;
        let (_, err) = read_all(b.out);
        assert!(err
            .unwrap()
            .to_string()
            .starts_with("bad pcapng byte-order magic"));
    }
}
