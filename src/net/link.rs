//! Link-layer slicing: from a captured frame to the IP packet it carries.
//!
//! Decodes Ethernet II (with any stack of 802.1Q / 802.1ad / 0x9100 tags, up
//! to [`MAX_VLAN_TAGS`]), Linux cooked capture v1 and v2, raw IP (by version
//! nibble), BSD NULL (address family in either byte order) and OpenBSD LOOP.
//! Ethernet, VLAN and SLL v1 headers are sliced with `etherparse`; SLL2, NULL
//! and LOOP headers are fixed 4- or 20-byte headers read here.
//!
//! Contract: never panics; borrows the frame (zero-copy); returns either the
//! bytes starting at the IP header (possibly followed by link padding, which
//! the IP layer strips using its own length field) or the reason it could not.

use etherparse::{
    err::linux_sll::HeaderSliceError, EtherType, Ethernet2Slice, LinuxSllProtocolType,
    LinuxSllSlice, SingleVlanSlice,
};

use crate::capture::LinkType;

/// VLAN tags we look through (see [`crate::limits::MAX_VLAN_TAGS`]).
pub use crate::limits::MAX_VLAN_TAGS;

/// Why a frame yielded no IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// The link type is not one we decode.
    Unsupported,
    /// The link header is cut short or inconsistent.
    Malformed(&'static str),
    /// A well-formed frame that does not carry IPv4/IPv6 (ARP, LLDP, ...).
    NotIp,
}

/// True for the link types `ip_packet` decodes.
pub fn is_supported_link(link: LinkType) -> bool {
    matches!(
        link,
        LinkType::NULL
            | LinkType::ETHERNET
            | LinkType::RAW
            | LinkType::RAW_12
            | LinkType::RAW_14
            | LinkType::LOOP
            | LinkType::LINUX_SLL
            | LinkType::LINUX_SLL2
            | LinkType::IPV4
            | LinkType::IPV6
    )
}

/// The bytes of the IP packet inside a frame of link type `link`.
pub(crate) fn ip_packet(link: LinkType, data: &[u8]) -> Result<&[u8], LinkError> {
    match link {
        LinkType::ETHERNET => {
            let eth = Ethernet2Slice::from_slice_without_fcs(data)
                .map_err(|_| LinkError::Malformed("ethernet header cut short"))?;
            by_ether_type(eth.ether_type(), eth.payload_slice())
        }
        LinkType::LINUX_SLL => match LinuxSllSlice::from_slice(data) {
            Ok(sll) => match sll.protocol_type() {
                LinuxSllProtocolType::EtherType(t) => by_ether_type(t, sll.payload_slice()),
                _ => Err(LinkError::NotIp),
            },
            // etherparse only accepts a few ARPHRD types; loopback (772),
            // tunnels (65534) and others still carry an EtherType at 14..16.
            Err(HeaderSliceError::Content(_)) => {
                by_ether_type(EtherType(be16(data, 14)), &data[16..])
            }
            Err(HeaderSliceError::Len(_)) => Err(LinkError::Malformed("SLL header cut short")),
        },
        LinkType::LINUX_SLL2 => {
            // SLL2: protocol type (2), reserved (2), interface index (4),
            // ARPHRD (2), packet type (1), address length (1), address (8).
            if data.len() < 20 {
                return Err(LinkError::Malformed("SLL2 header cut short"));
            }
            by_ether_type(EtherType(be16(data, 0)), &data[20..])
        }
        LinkType::NULL | LinkType::LOOP => {
            if data.len() < 4 {
                return Err(LinkError::Malformed("loopback header cut short"));
            }
            let raw = [data[0], data[1], data[2], data[3]];
            let family = if link == LinkType::LOOP {
                u32::from_be_bytes(raw)
            } else {
                // Host order of the capturing machine, unknown to us: a valid
                // family is small, so the order giving a small value wins.
                let le = u32::from_le_bytes(raw);
                let be = u32::from_be_bytes(raw);
                le.min(be)
            };
            match family {
                // AF_INET on every BSD; AF_INET6 on NetBSD/OpenBSD (24),
                // FreeBSD/DragonFly (28), Darwin (30), Linux (10).
                2 | 10 | 24 | 28 | 30 => raw_ip(&data[4..]),
                _ => Err(LinkError::NotIp),
            }
        }
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 | LinkType::IPV4 | LinkType::IPV6 => {
            raw_ip(data)
        }
        _ => Err(LinkError::Unsupported),
    }
}

/// Follows VLAN tags from `ether_type` to IPv4/IPv6.
fn by_ether_type(mut ether_type: EtherType, mut payload: &[u8]) -> Result<&[u8], LinkError> {
    for _ in 0..=MAX_VLAN_TAGS {
        match ether_type {
            EtherType::IPV4 | EtherType::IPV6 => return Ok(payload),
            EtherType::VLAN_TAGGED_FRAME
            | EtherType::PROVIDER_BRIDGING
            | EtherType::VLAN_DOUBLE_TAGGED_FRAME => {
                let vlan = SingleVlanSlice::from_slice(payload)
                    .map_err(|_| LinkError::Malformed("VLAN tag cut short"))?;
                ether_type = vlan.ether_type();
                payload = vlan.payload_slice();
            }
            _ => return Err(LinkError::NotIp),
        }
    }
    Err(LinkError::Malformed("too many VLAN tags"))
}

/// Raw IP: the version nibble says which.
fn raw_ip(data: &[u8]) -> Result<&[u8], LinkError> {
    match data.first().map(|b| b >> 4) {
        Some(4) | Some(6) => Ok(data),
        Some(_) => Err(LinkError::Malformed(
            "raw IP with a version other than 4 or 6",
        )),
        None => Err(LinkError::Malformed("empty raw IP frame")),
    }
}

fn be16(data: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([data[at], data[at + 1]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::testutil::*;

    const IP4: &[u8] = &[
        0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];

    fn ip6() -> Vec<u8> {
        let mut v = vec![0x60, 0, 0, 0, 0, 0, 59, 64];
        v.extend_from_slice(&[0u8; 32]);
        v
    }

    #[test]
    fn ethernet_plain_vlan_qinq_and_9100() {
        let eth = |types: &[u16]| {
            let mut f = vec![0u8; 12];
            for (i, t) in types.iter().enumerate() {
                f.extend_from_slice(&t.to_be_bytes());
                if i + 1 < types.len() {
                    f.extend_from_slice(&[0x00, 0x07]); // TCI: VLAN 7
                }
            }
            f.extend_from_slice(IP4);
            f
        };
        for tags in [
            &[0x0800u16][..],
            &[0x8100, 0x0800],
            &[0x88a8, 0x8100, 0x0800],
            &[0x9100, 0x8100, 0x0800],
            &[0x8100, 0x8100, 0x8100, 0x0800],
        ] {
            let f = eth(tags);
            assert_eq!(ip_packet(LinkType::ETHERNET, &f), Ok(IP4), "{tags:x?}");
        }
        let f = eth(&[0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x0800]);
        assert_eq!(
            ip_packet(LinkType::ETHERNET, &f),
            Err(LinkError::Malformed("too many VLAN tags"))
        );
        let f = eth(&[0x0806]);
        assert_eq!(ip_packet(LinkType::ETHERNET, &f), Err(LinkError::NotIp));
        assert!(matches!(
            ip_packet(LinkType::ETHERNET, &f[..10]),
            Err(LinkError::Malformed(_))
        ));
        let mut f = eth(&[0x8100, 0x0800]);
        f.truncate(15);
        assert!(matches!(
            ip_packet(LinkType::ETHERNET, &f),
            Err(LinkError::Malformed(_))
        ));
    }

    #[test]
    fn ethernet_from_packet_builder() {
        let f = eth_udp4([10, 0, 0, 1], [10, 0, 0, 2], 1, 2, b"hello");
        let ip = ip_packet(LinkType::ETHERNET, &f).unwrap();
        assert_eq!(ip.len(), 20 + 8 + 5);
        assert_eq!(ip[0] >> 4, 4);
    }

    #[test]
    fn sll_v1_known_and_unknown_arphrd() {
        let mut f = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        f.extend_from_slice(IP4);
        assert_eq!(ip_packet(LinkType::LINUX_SLL, &f), Ok(IP4));
        f[2..4].copy_from_slice(&772u16.to_be_bytes()); // ARPHRD_LOOPBACK
        assert_eq!(ip_packet(LinkType::LINUX_SLL, &f), Ok(IP4));
        f[14..16].copy_from_slice(&0x0806u16.to_be_bytes());
        assert_eq!(ip_packet(LinkType::LINUX_SLL, &f), Err(LinkError::NotIp));
        assert!(matches!(
            ip_packet(LinkType::LINUX_SLL, &f[..15]),
            Err(LinkError::Malformed(_))
        ));
    }

    #[test]
    fn sll_v1_from_packet_builder() {
        let f = sll_udp4(b"abc");
        let ip = ip_packet(LinkType::LINUX_SLL, &f).unwrap();
        assert_eq!(ip.len(), 20 + 8 + 3);
    }

    #[test]
    fn sll_v2() {
        let mut f = vec![
            0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        let v6 = ip6();
        f.extend_from_slice(&v6);
        assert_eq!(ip_packet(LinkType::LINUX_SLL2, &f), Ok(&v6[..]));
        assert!(matches!(
            ip_packet(LinkType::LINUX_SLL2, &f[..19]),
            Err(LinkError::Malformed(_))
        ));
        f[0..2].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(ip_packet(LinkType::LINUX_SLL2, &f), Err(LinkError::NotIp));
    }

    #[test]
    fn raw_by_version_nibble() {
        let v6 = ip6();
        for lt in [
            LinkType::RAW,
            LinkType::RAW_12,
            LinkType::RAW_14,
            LinkType::IPV4,
            LinkType::IPV6,
        ] {
            assert_eq!(ip_packet(lt, IP4), Ok(IP4));
            assert_eq!(ip_packet(lt, &v6), Ok(&v6[..]));
            assert!(matches!(
                ip_packet(lt, &[0x50, 0]),
                Err(LinkError::Malformed(_))
            ));
            assert!(matches!(ip_packet(lt, &[]), Err(LinkError::Malformed(_))));
        }
    }

    #[test]
    fn null_either_byte_order_and_loop_network_order() {
        let v6 = ip6();
        for af in [2u32, 24, 28, 30] {
            let body: &[u8] = if af == 2 { IP4 } else { &v6 };
            for hdr in [af.to_le_bytes(), af.to_be_bytes()] {
                let mut f = hdr.to_vec();
                f.extend_from_slice(body);
                assert_eq!(ip_packet(LinkType::NULL, &f), Ok(body), "NULL af {af}");
            }
            let mut f = af.to_be_bytes().to_vec();
            f.extend_from_slice(body);
            assert_eq!(ip_packet(LinkType::LOOP, &f), Ok(body), "LOOP af {af}");
        }
        let mut f = 7u32.to_le_bytes().to_vec();
        f.extend_from_slice(IP4);
        assert_eq!(ip_packet(LinkType::NULL, &f), Err(LinkError::NotIp));
        assert!(matches!(
            ip_packet(LinkType::NULL, &f[..3]),
            Err(LinkError::Malformed(_))
        ));
    }

    #[test]
    fn unsupported_link_types() {
        for lt in [LinkType(105), LinkType(127), LinkType(9999)] {
            assert!(!is_supported_link(lt));
            assert_eq!(ip_packet(lt, IP4), Err(LinkError::Unsupported));
        }
        assert!(is_supported_link(LinkType::LINUX_SLL2));
        assert!(is_supported_link(LinkType::NULL));
    }
}
