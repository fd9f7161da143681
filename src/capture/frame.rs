//! The unit every capture source yields: one captured frame, borrowed.

use std::fmt;

/// Capture time in nanoseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Builds a timestamp from whole seconds and nanoseconds.
    pub fn from_parts(secs: i64, nanos: u32) -> Self {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(nanos as i64),
        )
    }
    /// Seconds since the epoch as a float (JSON output).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// Nanoseconds from `earlier` to `self`, saturating at 0.
    pub fn nanos_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0).max(0) as u64
    }
}

/// A link-layer header type: the pcap/pcapng LINKTYPE_* number space
/// (<https://www.tcpdump.org/linktypes.html>). Open number space: any value
/// may appear in a file; the named constants are the ones we decode.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte host-order address family, then IP.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II / 802.3, possibly with 802.1Q/802.1ad tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (DLT_RAW on some platforms is 12 or 14).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: 4-byte network-order address family, then IP.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);
    /// DLT_RAW as numbered on some BSDs.
    pub const RAW_12: LinkType = LinkType(12);
    /// DLT_RAW as numbered on OpenBSD.
    pub const RAW_14: LinkType = LinkType(14);

    /// The name of a known link type.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "ETHERNET",
            LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            _ => return None,
        })
    }
}

impl fmt::Debug for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}({})", self.0),
            None => write!(f, "LinkType({})", self.0),
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One captured frame. `data` borrows the reader's buffer and is valid until
/// the next call to the reader.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// 1-based position of the frame in its input (tshark's `frame.number`).
    pub number: u64,
    /// When the frame was captured.
    pub ts: Timestamp,
    /// How to interpret the first bytes of `data`.
    pub link: LinkType,
    /// The captured bytes (at most the snapshot length).
    pub data: &'a [u8],
    /// The frame's length on the wire; larger than `data.len()` when the
    /// capture was truncated by its snapshot length.
    pub orig_len: u32,
}

impl Frame<'_> {
    /// True when fewer bytes were captured than were on the wire.
    pub fn is_truncated(&self) -> bool {
        (self.orig_len as usize) > self.data.len()
    }
}
