//! The network layer: from captured frames to UDP datagrams and TCP byte
//! streams with explicit gaps.
//!
//! ```text
//! Frame -> link (Ethernet/VLAN, SLL, SLL2, raw, NULL/LOOP)
//!       -> ip (IPv4, IPv6 + extension headers) -> ipfrag (reassembly)
//!       -> UDP datagram | tcp (directions) -> tcp_stream (byte stream)
//!       -> NetEvent
//! ```
//!
//! What it guarantees: see [`NetDecoder`] and the event contract in
//! [`event`]. Ordering: an `Anomaly` comes before the event it concerns
//! (`UdpTruncated` before its `Udp`, `TcpTruncatedSegment` before the data
//! and `Snaplen` gap, `TcpStreamEvicted` before the evicted direction's
//! flush and `TcpClose`); a segment's ACK is applied to the opposite
//! direction before the segment's own bytes; `TcpOpen` precedes every other
//! event of its direction and `TcpClose` ends it. A TCP segment whose header
//! itself was cut by the snapshot length is `MalformedHeader` (its bytes
//! become a `Lost` gap later). What it does not do: checksums (offloaded checksums are wrong
//! in many captures), IP options, tunnels (GRE, VXLAN, IP-in-IP), ESP.
//! Everything here is sans-IO and bounded by [`crate::limits::Limits`].

pub mod event;
pub mod flow;

mod decoder;
mod ip;
mod ipfrag;
mod link;
mod lru;
mod peek;
mod stats;
mod tcp;
mod tcp_stream;
#[cfg(test)]
pub(crate) mod testutil;

pub use decoder::NetDecoder;
pub use event::*;
pub use flow::*;
pub use link::is_supported_link;
pub use peek::{peek_frame, FramePeek};
pub use stats::NetStats;
