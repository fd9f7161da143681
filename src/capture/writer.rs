//! Capture writers: little-endian microsecond pcap ([`PcapWriter`]) and
//! nanosecond pcapng ([`PcapngWriter`]).
//!
//! Used to build synthetic captures in tests and fuzzers and to save live
//! captures. Whatever they write, [`CaptureReader`](super::CaptureReader)
//! reads back as the same frames (pcap rounds times down to microseconds).
//! Values a format cannot hold (a frame over 4 GiB, a time before 1970 in
//! pcap, a link type over 65535 in pcapng) are `InvalidInput` errors, never
//! silently wrapped.

use std::io::{self, Write};

use super::{LinkType, Timestamp};

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn len32(data: &[u8]) -> io::Result<u32> {
    u32::try_from(data.len()).map_err(|_| invalid("frame longer than 4 GiB"))
}

/// Writes a little-endian, microsecond-resolution pcap file.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header.
    pub fn new(mut w: W, link: LinkType, snaplen: u32) -> io::Result<Self> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // magic (µs)
        h[4..6].copy_from_slice(&2u16.to_le_bytes()); // version_major
        h[6..8].copy_from_slice(&4u16.to_le_bytes()); // version_minor
                                                      // thiszone and sigfigs stay 0.
        h[16..20].copy_from_slice(&snaplen.to_le_bytes()); // snaplen
        h[20..24].copy_from_slice(&link.0.to_le_bytes()); // network
        w.write_all(&h)?;
        Ok(PcapWriter { w })
    }

    /// Writes one record; `ts` is rounded down to the microsecond.
    pub fn write_frame(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let secs = u32::try_from(ts.0.div_euclid(1_000_000_000))
            .map_err(|_| invalid("timestamp outside pcap's 1970-2106 range"))?;
        let micros = (ts.0.rem_euclid(1_000_000_000) / 1000) as u32;
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&secs.to_le_bytes()); // ts_sec
        h[4..8].copy_from_slice(&micros.to_le_bytes()); // ts_usec
        h[8..12].copy_from_slice(&len32(data)?.to_le_bytes()); // incl_len
        h[12..16].copy_from_slice(&orig_len.to_le_bytes()); // orig_len
        self.w.write_all(&h)?;
        self.w.write_all(data)
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    /// Returns the underlying writer.
    pub fn into_inner(self) -> W {
        self.w
    }
}

/// Writes a little-endian pcapng file with one section; every interface has
/// nanosecond timestamps (`if_tsresol` = 9).
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    w: W,
    interfaces: u32,
}

const PAD: [u8; 4] = [0; 4];

impl<W: Write> PcapngWriter<W> {
    /// Writes the Section Header Block.
    pub fn new(w: W) -> io::Result<Self> {
        let mut me = PcapngWriter { w, interfaces: 0 };
        let mut body = [0u8; 16];
        body[0..4].copy_from_slice(&0x1A2B_3C4Du32.to_le_bytes()); // byte-order magic
        body[4..6].copy_from_slice(&1u16.to_le_bytes()); // major
        body[6..8].copy_from_slice(&0u16.to_le_bytes()); // minor
        body[8..16].copy_from_slice(&(-1i64).to_le_bytes()); // section length unknown
        me.block(0x0A0D_0D0A, &[&body])?;
        Ok(me)
    }

    /// Writes one block: type, total length, body parts, padding, length.
    fn block(&mut self, kind: u32, parts: &[&[u8]]) -> io::Result<()> {
        let body: usize = parts.iter().map(|p| p.len()).sum();
        let pad = (4 - body % 4) % 4;
        let total = u32::try_from(12 + body + pad).map_err(|_| invalid("block over 4 GiB"))?;
        self.w.write_all(&kind.to_le_bytes())?;
        self.w.write_all(&total.to_le_bytes())?;
        for p in parts {
            self.w.write_all(p)?;
        }
        self.w.write_all(&PAD[..pad])?;
        self.w.write_all(&total.to_le_bytes())
    }

    /// Writes an Interface Description Block; returns the interface id to
    /// pass to [`PcapngWriter::write_packet`].
    pub fn add_interface(&mut self, link: LinkType, snaplen: u32) -> io::Result<u32> {
        let link = u16::try_from(link.0).map_err(|_| invalid("pcapng link type over 65535"))?;
        let mut body = [0u8; 20];
        body[0..2].copy_from_slice(&link.to_le_bytes()); // linktype
                                                         // reserved: 2 zero bytes
        body[4..8].copy_from_slice(&snaplen.to_le_bytes()); // snaplen
        body[8..10].copy_from_slice(&9u16.to_le_bytes()); // option if_tsresol
        body[10..12].copy_from_slice(&1u16.to_le_bytes()); // option length
        body[12] = 9; // 10^-9 s; then 3 bytes padding
                      // body[16..20]: opt_endofopt (code 0, length 0)
        self.block(1, &[&body])?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    /// Writes an Enhanced Packet Block on interface `iface`.
    pub fn write_packet(
        &mut self,
        iface: u32,
        ts: Timestamp,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        if iface >= self.interfaces {
            return Err(invalid("pcapng packet for an interface not added"));
        }
        let ns = u64::try_from(ts.0).map_err(|_| invalid("timestamp before 1970"))?;
        let mut h = [0u8; 20];
        h[0..4].copy_from_slice(&iface.to_le_bytes()); // interface id
        h[4..8].copy_from_slice(&((ns >> 32) as u32).to_le_bytes()); // ts high
        h[8..12].copy_from_slice(&(ns as u32).to_le_bytes()); // ts low
        h[12..16].copy_from_slice(&len32(data)?.to_le_bytes()); // captured length
        h[16..20].copy_from_slice(&orig_len.to_le_bytes()); // original length
        self.block(6, &[&h, data])
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    /// Returns the underlying writer.
    pub fn into_inner(self) -> W {
        self.w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureFormat, CaptureReader};
    use crate::limits::Limits;
    use std::io::Cursor;

    type Owned = (u64, Timestamp, LinkType, Vec<u8>, u32);

    fn read_back(bytes: Vec<u8>) -> (CaptureFormat, Vec<Owned>) {
        let mut r =
            CaptureReader::from_reader(Box::new(Cursor::new(bytes)), &Limits::default()).unwrap();
        let mut out = Vec::new();
        while let Some(f) = r.next_frame().unwrap() {
            out.push((f.number, f.ts, f.link, f.data.to_vec(), f.orig_len));
        }
        (r.format(), out)
    }

    #[test]
    fn pcap_round_trip() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
        w.write_frame(Timestamp(1_700_000_000_123_456_000), b"one", 3)
            .unwrap();
        w.write_frame(Timestamp(1_700_000_001_000_000_999), b"", 0)
            .unwrap(); // ns dropped
        w.write_frame(Timestamp(5), &[7; 1500], 9000).unwrap();
        let (format, frames) = read_back(w.into_inner());
        assert_eq!(format, CaptureFormat::Pcap);
        assert_eq!(
            frames,
            vec![
                (
                    1,
                    Timestamp(1_700_000_000_123_456_000),
                    LinkType::ETHERNET,
                    b"one".to_vec(),
                    3
                ),
                (
                    2,
                    Timestamp(1_700_000_001_000_000_000),
                    LinkType::ETHERNET,
                    vec![],
                    0
                ),
                (3, Timestamp(0), LinkType::ETHERNET, vec![7; 1500], 9000),
            ]
        );
    }

    #[test]
    fn pcapng_round_trip_with_two_interfaces() {
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        let eth = w.add_interface(LinkType::ETHERNET, 0).unwrap();
        let raw = w.add_interface(LinkType::RAW, 1500).unwrap();
        assert_eq!((eth, raw), (0, 1));
        w.write_packet(raw, Timestamp(1_700_000_000_123_456_789), b"ip", 2)
            .unwrap();
        w.write_packet(eth, Timestamp(1_700_000_000_123_456_790), b"ether", 60)
            .unwrap();
        let (format, frames) = read_back(w.into_inner());
        assert_eq!(format, CaptureFormat::Pcapng);
        assert_eq!(
            frames,
            vec![
                (
                    1,
                    Timestamp(1_700_000_000_123_456_789),
                    LinkType::RAW,
                    b"ip".to_vec(),
                    2
                ),
                (
                    2,
                    Timestamp(1_700_000_000_123_456_790),
                    LinkType::ETHERNET,
                    b"ether".to_vec(),
                    60
                ),
            ]
        );
    }

    #[test]
    fn unrepresentable_values_are_errors() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 0).unwrap();
        assert!(w.write_frame(Timestamp(-1), b"", 0).is_err());
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        assert!(w.write_packet(0, Timestamp(0), b"", 0).is_err()); // no interface yet
        assert!(w.add_interface(LinkType(70_000), 0).is_err());
        w.add_interface(LinkType::ETHERNET, 0).unwrap();
        assert!(w.write_packet(0, Timestamp(-5), b"", 0).is_err());
    }
}
