//! IPv4 and IPv6 header decoding, down to the transport payload or the
//! fragment data.
//!
//! The IP length field is authoritative: trailing link padding is cut off,
//! and a packet the capture kept only part of is reported with both its
//! captured bytes and its length on the wire. IPv6 extension headers
//! (hop-by-hop, routing, destination options, mobility, HIP, shim6, AH) are
//! skipped; a Fragment header ends the walk (what follows is fragment data).
//!
//! Contract: never panics, never allocates, borrows the input.

use std::net::IpAddr;

use etherparse::{Ipv4HeaderSlice, Ipv6HeaderSlice};

/// IPv6 extension headers we walk through before giving up.
const MAX_IPV6_EXTS: usize = 8;

/// Identification and position of an IP fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FragInfo {
    /// IPv4 identification (16 bits) or IPv6 Fragment header identification.
    pub id: u32,
    /// Byte offset of this fragment's data in the datagram payload.
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
}

/// A decoded IP packet, borrowing the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Transport protocol, or for a fragment the protocol of the datagram
    /// (IPv6: the Fragment header's next header).
    pub proto: u8,
    /// Captured payload bytes after all IP headers, cut at `payload_len`.
    pub payload: &'a [u8],
    /// Payload length according to the IP header (>= `payload.len()`).
    pub payload_len: usize,
    /// Set when this packet is a fragment of a larger datagram.
    pub frag: Option<FragInfo>,
}

impl IpPacket<'_> {
    pub fn is_v6(&self) -> bool {
        self.dst.is_ipv6()
    }
}

/// Why an IP packet could not be decoded.
pub(crate) type IpError = &'static str;

/// Decodes an IPv4 or IPv6 packet (picked by version nibble).
pub(crate) fn parse(bytes: &[u8]) -> Result<IpPacket<'_>, IpError> {
    match bytes.first().map(|b| b >> 4) {
        Some(4) => parse_v4(bytes),
        Some(6) => parse_v6(bytes),
        Some(_) => Err("IP version is neither 4 nor 6"),
        None => Err("empty IP packet"),
    }
}

fn parse_v4(bytes: &[u8]) -> Result<IpPacket<'_>, IpError> {
    let h = Ipv4HeaderSlice::from_slice(bytes).map_err(|_| "IPv4 header cut short or bad IHL")?;
    let hlen = h.slice().len();
    let total = match h.total_len() as usize {
        // Segmentation offload: the sending host captured the packet before
        // the NIC filled in the length. Trust the capture.
        0 => bytes.len(),
        t if t < hlen => return Err("IPv4 total length shorter than its header"),
        t => t,
    };
    let offset = h.fragments_offset().byte_offset() as usize;
    let more = h.more_fragments();
    let frag = (offset != 0 || more).then_some(FragInfo {
        id: h.identification() as u32,
        offset,
        more,
    });
    Ok(IpPacket {
        src: IpAddr::V4(h.source_addr()),
        dst: IpAddr::V4(h.destination_addr()),
        proto: h.protocol().0,
        payload: &bytes[hlen..total.min(bytes.len())],
        payload_len: total - hlen,
        frag,
    })
}

fn parse_v6(bytes: &[u8]) -> Result<IpPacket<'_>, IpError> {
    let h = Ipv6HeaderSlice::from_slice(bytes).map_err(|_| "IPv6 header cut short")?;
    let plen = match h.payload_length() as usize {
        // Jumbogram or segmentation offload: trust the capture.
        0 => bytes.len() - 40,
        n => n,
    };
    let captured = &bytes[40..(40 + plen).min(bytes.len())];
    let exts = walk_ipv6_exts(h.next_header().0, captured, plen, true)?;
    Ok(IpPacket {
        src: IpAddr::V6(h.source_addr()),
        dst: IpAddr::V6(h.destination_addr()),
        proto: exts.proto,
        payload: &captured[exts.skip.min(captured.len())..],
        payload_len: plen - exts.skip,
        frag: exts.frag,
    })
}

/// Result of walking IPv6 extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ipv6Exts {
    /// Header bytes to skip.
    pub skip: usize,
    /// The protocol of what follows.
    pub proto: u8,
    pub frag: Option<FragInfo>,
}

/// Skips the IPv6 extension headers at the start of `data` (the captured
/// bytes of a payload `claimed` bytes long on the wire). When
/// `allow_frag` is false (a reassembled payload), a Fragment header is an
/// error.
pub(crate) fn walk_ipv6_exts(
    mut next: u8,
    data: &[u8],
    claimed: usize,
    allow_frag: bool,
) -> Result<Ipv6Exts, IpError> {
    let mut at = 0usize;
    for _ in 0..MAX_IPV6_EXTS {
        let rest = &data[at.min(data.len())..];
        let len = match next {
            // hop-by-hop, routing, destination options, mobility, HIP, shim6
            0 | 43 | 60 | 135 | 139 | 140 => {
                let b = rest.get(..2).ok_or("IPv6 extension header cut short")?;
                (b[1] as usize + 1) * 8
            }
            // authentication header: length in 4-byte units, minus 2
            51 => {
                let b = rest
                    .get(..2)
                    .ok_or("IPv6 authentication header cut short")?;
                (b[1] as usize + 2) * 4
            }
            44 if allow_frag => {
                let b = rest.get(..8).ok_or("IPv6 fragment header cut short")?;
                if at + 8 > claimed {
                    return Err("IPv6 fragment header beyond the payload length");
                }
                let offset = (u16::from_be_bytes([b[2], b[3]]) & 0xfff8) as usize;
                let more = b[3] & 1 == 1;
                at += 8;
                next = b[0];
                if offset == 0 && !more {
                    // Atomic fragment (RFC 6946): not really fragmented.
                    continue;
                }
                let id = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
                return Ok(Ipv6Exts {
                    skip: at,
                    proto: next,
                    frag: Some(FragInfo { id, offset, more }),
                });
            }
            44 => return Err("IPv6 fragment header inside a reassembled datagram"),
            _ => {
                return Ok(Ipv6Exts {
                    skip: at,
                    proto: next,
                    frag: None,
                })
            }
        };
        if rest.len() < len {
            return Err("IPv6 extension header cut short");
        }
        if at + len > claimed {
            return Err("IPv6 extension header beyond the payload length");
        }
        next = rest[0];
        at += len;
    }
    Err("too many IPv6 extension headers")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::testutil::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn ipv4_udp_with_ethernet_padding_is_cut_to_total_length() {
        let mut p = ipv4_udp_packet(b"hi");
        let real = p.len();
        p.extend_from_slice(&[0u8; 18]); // Ethernet minimum frame padding
        let ip = parse(&p).unwrap();
        assert_eq!(ip.proto, 17);
        assert_eq!(ip.payload.len(), real - 20);
        assert_eq!(ip.payload_len, real - 20);
        assert_eq!(ip.src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert!(ip.frag.is_none());
        assert!(!ip.is_v6());
    }

    #[test]
    fn ipv4_truncated_by_snaplen_reports_claimed_length() {
        let p = ipv4_udp_packet(&[7u8; 100]);
        let ip = parse(&p[..50]).unwrap();
        assert_eq!(ip.payload.len(), 30);
        assert_eq!(ip.payload_len, 108);
    }

    #[test]
    fn ipv4_total_length_zero_means_offload() {
        let mut p = ipv4_udp_packet(b"abcd");
        p[2] = 0;
        p[3] = 0;
        let ip = parse(&p).unwrap();
        assert_eq!(ip.payload_len, 12);
    }

    #[test]
    fn ipv4_errors() {
        assert!(parse(&[]).is_err());
        assert!(parse(&[0x45, 0, 0]).is_err());
        assert!(parse(&[0x75; 40]).is_err());
        let mut p = ipv4_udp_packet(b"x");
        p[0] = 0x44; // IHL 4
        assert!(parse(&p).is_err());
        let mut p = ipv4_udp_packet(b"x");
        p[3] = 10; // total length < header length
        assert_eq!(parse(&p), Err("IPv4 total length shorter than its header"));
    }

    #[test]
    fn ipv4_fragment_fields() {
        let mut p = ipv4_udp_packet(&[0u8; 16]);
        p[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
        p[6..8].copy_from_slice(&(0x2000u16 | 3).to_be_bytes()); // MF, offset 24
        let ip = parse(&p).unwrap();
        assert_eq!(
            ip.frag,
            Some(FragInfo {
                id: 0x1234,
                offset: 24,
                more: true
            })
        );
    }

    fn v6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x60, 0, 0, 0];
        v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        v.extend_from_slice(&[next, 64]);
        v.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        v.extend_from_slice(&Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2).octets());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn ipv6_skips_extension_headers() {
        // hop-by-hop (8 bytes) -> destination options (16 bytes) -> UDP
        let mut pl = vec![60, 0, 1, 4, 0, 0, 0, 0];
        pl.extend_from_slice(&[17, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        pl.extend_from_slice(b"udp!");
        let p = v6(0, &pl);
        let ip = parse(&p).unwrap();
        assert_eq!(ip.proto, 17);
        assert_eq!(ip.payload, b"udp!");
        assert_eq!(ip.payload_len, 4);
        assert!(ip.is_v6());
        // Padding after the payload length is ignored.
        let mut padded = p.clone();
        padded.extend_from_slice(&[9; 6]);
        assert_eq!(parse(&padded).unwrap().payload, b"udp!");
    }

    #[test]
    fn ipv6_fragment_header_and_atomic_fragment() {
        let mut pl = vec![6, 0, 0x05, 0x01, 0xde, 0xad, 0xbe, 0xef]; // offset 160, M=1
        pl.extend_from_slice(&[1; 16]);
        let p = v6(44, &pl);
        let ip = parse(&p).unwrap();
        assert_eq!(ip.proto, 6);
        assert_eq!(
            ip.frag,
            Some(FragInfo {
                id: 0xdeadbeef,
                offset: 0x500,
                more: true
            })
        );
        assert_eq!(ip.payload.len(), 16);
        // Atomic fragment: offset 0, M=0: treated as unfragmented.
        let mut pl = vec![17, 0, 0, 0, 0, 0, 0, 1];
        pl.extend_from_slice(&[2; 12]);
        let p = v6(44, &pl);
        let ip = parse(&p).unwrap();
        assert_eq!(ip.frag, None);
        assert_eq!(ip.proto, 17);
        assert_eq!(ip.payload.len(), 12);
    }

    #[test]
    fn ipv6_errors() {
        assert!(parse(&[0x60; 39]).is_err());
        // extension header claims 16 bytes, only 8 present
        let p = v6(60, &[17, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(parse(&p), Err("IPv6 extension header cut short"));
        let p = v6(44, &[17, 0, 0]);
        assert_eq!(parse(&p), Err("IPv6 fragment header cut short"));
        // a loop of destination options headers
        let mut pl = Vec::new();
        for _ in 0..10 {
            pl.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]);
        }
        assert_eq!(parse(&v6(60, &pl)), Err("too many IPv6 extension headers"));
        assert!(walk_ipv6_exts(44, &[0; 8], 8, false).is_err());
    }

    #[test]
    fn ipv6_truncated_keeps_claimed_length() {
        let p = v6(17, &[3u8; 100]);
        let ip = parse(&p[..60]).unwrap();
        assert_eq!(ip.payload.len(), 20);
        assert_eq!(ip.payload_len, 100);
    }
}
