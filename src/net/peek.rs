//! Peeking at a frame's addresses without decoding it further, for tools
//! that sort frames by flow (`rpcscope live -w`). Additive helper over the
//! same link and IP slicing the decoder uses; no state, no reassembly.
//!
//! Contract: never panics; `None` for frames that are not IPv4/IPv6 or whose
//! headers are cut.

use std::net::IpAddr;

use super::ip;
use super::link::ip_packet;
use crate::capture::LinkType;

/// What a frame's IP header (and, when present, transport ports) say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramePeek {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IP protocol number (6 TCP, 17 UDP), of the datagram for fragments.
    pub proto: u8,
    /// Source and destination ports, for TCP and UDP packets that carry the
    /// transport header (not for IP fragments other than the first).
    pub ports: Option<(u16, u16)>,
    /// IP identification when the packet is an IP fragment.
    pub fragment_id: Option<u32>,
}

/// Peeks at one frame of link type `link`.
pub fn peek_frame(link: LinkType, data: &[u8]) -> Option<FramePeek> {
    let bytes = ip_packet(link, data).ok()?;
    let p = ip::parse(bytes).ok()?;
    let first = p.frag.is_none_or(|f| f.offset == 0);
    let ports = (first && matches!(p.proto, 6 | 17) && p.payload.len() >= 4).then(|| {
        (
            u16::from_be_bytes([p.payload[0], p.payload[1]]),
            u16::from_be_bytes([p.payload[2], p.payload[3]]),
        )
    });
    Some(FramePeek {
        src: p.src,
        dst: p.dst,
        proto: p.proto,
        ports,
        fragment_id: p.frag.map(|f| f.id),
    })
}
